import LeakSyntax

extension SourceFile {
    /// The one-line text of a statement at `span`: the first line of what it covers, without
    /// surrounding blanks ("touch percpu", "either {"). The terminal summary, the traces, the
    /// HTML and SARIF reports, `explain` and the W007 warning all name a statement by it.
    public func statementText(of span: SourceSpan) -> String {
        let raw = text(of: span)
        let first = raw.split(whereSeparator: \.isNewline).first.map(String.init) ?? raw
        return first.trimmingCharacters()
    }
}
