import LeakSyntax

extension String {
    /// The string with every character that would act on a terminal spelled out instead:
    /// C0 controls, DEL, C1 controls and bidirectional formatting characters
    /// (`DiagnosticText.isUnsafeToPrint`, and tabs too). `\n`, `\r` and `\t` keep their usual
    /// spelling, the others are written `\x1b` (below U+0100) or `\u{202e}`. Text output uses
    /// it for everything that comes from outside leakcheck (file names, titles, solver
    /// reasons), so a file name holding a newline cannot fake a verdict line and a title's
    /// escape sequences never reach the terminal. Printable text, other non-ASCII characters
    /// included, is unchanged.
    public var terminalEscaped: String {
        guard unicodeScalars.contains(where: { $0 == "\t" || DiagnosticText.isUnsafeToPrint($0) }) else { return self }
        var out = ""
        for c in unicodeScalars {
            guard c == "\t" || DiagnosticText.isUnsafeToPrint(c) else {
                out.unicodeScalars.append(c)
                continue
            }
            switch c {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let hex = String(c.value, radix: 16)
                out += c.value < 0x100 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex : "\\u{\(hex)}"
            }
        }
        return out
    }
}
