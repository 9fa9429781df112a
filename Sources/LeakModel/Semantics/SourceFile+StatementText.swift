import LeakSyntax

extension SourceFile {
    /// The one-line text of a statement at `span`: the first line of what it covers, without
    /// surrounding blanks ("touch percpu"); a block that goes on below shows as elided
    /// ("either { ... }", "if tainted { ... }"). The terminal summary, the traces, the HTML and
    /// SARIF reports, `explain` and the W007 warning all name a statement by it.
    public func statementText(of span: SourceSpan) -> String {
        let raw = text(of: span)
        let lines = raw.split(whereSeparator: \.isNewline)
        let first = (lines.first.map(String.init) ?? raw).trimmingCharacters()
        return lines.count > 1 && first.hasSuffix("{") ? first + " ... }" : first
    }
}
