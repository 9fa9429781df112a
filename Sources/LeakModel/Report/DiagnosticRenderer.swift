import LeakSyntax

/// Renders diagnostics like a compiler: a `path:line:col: error[E012]: message` header, the
/// source line under a numbered gutter with a `^~~~` underline, then the notes (each with its
/// own line and caret) and the help.
///
/// ```
/// bad.leak:12:10: error[E010]: unknown table 'kernal'
/// 12 |   switch kernal
///    |          ^~~~~~
/// help: did you mean 'kernel'?
/// ```
///
/// Line and column are computed here, from byte offsets, and nowhere earlier. Columns are
/// 1-based byte counts (as `SourceFile.position` gives them). The underline is built scalar by
/// scalar from the same bytes as the echoed line, keeping tabs as tabs, so it stays under the
/// span whatever the tabs and multi-byte characters before it. Very long lines are shown as a
/// window around the span, and control characters are replaced by visible stand-ins.
public struct DiagnosticRenderer: Sendable {
    /// The file the diagnostics are about; nil when it could not be read.
    public var file: SourceFile?
    /// The name shown for the file (defaults to its path).
    public var displayPath: String
    /// Whether to use ANSI colours (the CLI passes isatty).
    public var colored: Bool

    /// A line longer than this many bytes is shown as a window around the span.
    static let maxLineBytes = 200
    /// Bytes shown before the span in a window.
    static let windowLead = 60

    public init(file: SourceFile?, displayPath: String? = nil, colored: Bool = false) {
        self.file = file
        // Escaped: a file name with a newline or an escape sequence must not forge a line.
        self.displayPath = (displayPath ?? file?.path ?? "leakcheck").terminalEscaped
        self.colored = colored
    }

    /// Every diagnostic, separated by blank lines.
    public func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map { render($0) }.joined(separator: "\n")
    }

    /// One diagnostic with its notes and help, ending with a newline.
    public func render(_ d: Diagnostic) -> String {
        guard let file else {
            // No file: the program speaks for itself, like `cc: error: ...`.
            var out = "\(style(.bold, "leakcheck:")) \(label(d)) \(style(.bold, d.message.terminalEscaped))\n"
            if let help = d.help { out += "\(style(.help, "help:")) \(help.terminalEscaped)\n" }
            return out
        }
        if d.severity == .note && d.notes.isEmpty && d.code.isEmpty {
            // A note of the frontend itself ("too many errors"): no source position to show.
            return "\(style(.bold, displayPath + ":")) \(label(d)) \(style(.bold, d.message.terminalEscaped))\n"
        }
        let lines = [file.position(of: d.span.start).line] + d.notes.map { file.position(of: $0.span.start).line }
        let gutter = String(lines.max() ?? 1).count
        var out = header(d.span, label(d), d.message, in: file)
        out += snippet(d.span, severity: d.severity, gutter: gutter, in: file)
        for note in d.notes {
            out += header(note.span, style(.note, "note:"), note.message, in: file)
            out += snippet(note.span, severity: .note, gutter: gutter, in: file)
        }
        if let help = d.help { out += "\(style(.help, "help:")) \(help.terminalEscaped)\n" }
        return out
    }

    /// "2 errors, 1 warning"; nil when there is nothing to count.
    public static func summary(of diagnostics: [Diagnostic]) -> String? {
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.filter { $0.severity == .warning }.count
        var parts: [String] = []
        if errors > 0 { parts.append("\(errors) error\(errors == 1 ? "" : "s")") }
        if warnings > 0 { parts.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    // MARK: - Pieces

    private func label(_ d: Diagnostic) -> String {
        let code = d.code.isEmpty ? "" : "[\(d.code)]"
        switch d.severity {
        case .error: return style(.error, "error\(code):")
        case .warning: return style(.warning, "warning\(code):")
        case .note: return style(.note, "note\(code):")
        }
    }

    private func header(_ span: SourceSpan, _ label: String, _ message: String, in file: SourceFile) -> String {
        let (line, column) = file.position(of: span.start)
        return "\(style(.bold, "\(displayPath):\(line):\(column):")) \(label) \(style(.bold, message.terminalEscaped))\n"
    }

    /// The source line of `span.start` and the underline of the span (to the end of that line
    /// for a span over several lines; one caret for an empty span).
    private func snippet(_ span: SourceSpan, severity: Diagnostic.Severity, gutter: Int, in file: SourceFile) -> String {
        let bytes = file.bytes
        let start = max(0, min(span.start, bytes.count))
        let (line, _) = file.position(of: start)
        let lineStart = file.lineStarts[line - 1]
        var lineEnd = line < file.lineStarts.count ? file.lineStarts[line] - 1 : bytes.count
        if lineEnd > lineStart, bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
        let spanEnd = max(start, min(span.end, lineEnd))

        // The window of the line shown: all of it, or some bytes around the span.
        var from = lineStart, to = lineEnd
        if lineEnd - lineStart > DiagnosticRenderer.maxLineBytes {
            from = max(lineStart, start - DiagnosticRenderer.windowLead)
            to = min(lineEnd, from + DiagnosticRenderer.maxLineBytes)
            // Do not cut a UTF-8 sequence in two (a sequence has at most 3 continuation bytes;
            // a longer run is invalid anyway and must not widen the window).
            var steps = 0
            while steps < 3, from > lineStart, bytes[from] & 0xC0 == 0x80 { from -= 1; steps += 1 }
            steps = 0
            while steps < 3, to < lineEnd, bytes[to] & 0xC0 == 0x80 { to += 1; steps += 1 }
        }
        let lead = from > lineStart ? "..." : ""
        let trail = to < lineEnd ? "..." : ""
        let shown = DiagnosticText.sanitize(String(decoding: bytes[from..<to], as: UTF8.self).unicodeScalars[...])

        // Caret line: the prefix re-decoded from the same bytes, each scalar a space, tabs kept.
        let prefixEnd = min(max(from, start), to)
        var pad = String(repeating: " ", count: lead.count)
        for c in String(decoding: bytes[from..<prefixEnd], as: UTF8.self).unicodeScalars {
            pad.append(c == "\t" ? "\t" : " ")
        }
        let underlined = String(decoding: bytes[prefixEnd..<min(max(prefixEnd, spanEnd), to)], as: UTF8.self)
            .unicodeScalars.count
        let marks = "^" + String(repeating: "~", count: max(0, underlined - 1))

        let number = String(line)
        let blank = String(repeating: " ", count: gutter)
        let text = lead + shown + trail
        var out = style(.gutter, "\(String(repeating: " ", count: gutter - number.count))\(number) |")
            + (text.isEmpty ? "" : " " + text) + "\n"
        out += style(.gutter, "\(blank) |") + " " + pad + style(severity == .warning ? .warning : (severity == .note ? .note : .error), marks) + "\n"
        return out
    }

    // MARK: - Colour

    private enum Style {
        case bold, error, warning, note, help, gutter
        var code: String {
            switch self {
            case .bold: "\u{1B}[1m"
            case .error: "\u{1B}[1;31m"
            case .warning: "\u{1B}[1;33m"
            case .note: "\u{1B}[1;36m"
            case .help: "\u{1B}[1;32m"
            case .gutter: "\u{1B}[1;34m"
            }
        }
    }

    private func style(_ s: Style, _ text: String) -> String {
        colored ? s.code + text + "\u{1B}[0m" : text
    }
}
