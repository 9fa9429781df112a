/// Makes source text safe to echo to a terminal without changing its column layout.
///
/// Model files may hold control characters or bidirectional overrides (garbage input, or a
/// "trojan source" edit); printed raw they would move the cursor or reorder the line. Each such
/// scalar becomes exactly one visible scalar, so a caret line built scalar by scalar stays aligned.
package enum DiagnosticText {
    /// Control characters and bidirectional formatting characters.
    package static func isUnsafeToPrint(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if v < 0x20 { return v != 0x09 }
        if v == 0x7F || (v >= 0x80 && v < 0xA0) { return true }
        if (v >= 0x202A && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069) || v == 0x200E || v == 0x200F
            || v == 0x061C { return true }
        return false
    }

    /// One printable stand-in per unsafe scalar: the Unicode "control picture" for C0 controls
    /// and DEL, the replacement character for the others. Tabs are kept.
    package static func sanitize(_ s: Substring.UnicodeScalarView) -> String {
        var out = String.UnicodeScalarView()
        for c in s {
            if !isUnsafeToPrint(c) {
                out.append(c)
            } else if c.value < 0x20 {
                out.append(Unicode.Scalar(0x2400 + c.value)!)
            } else if c.value == 0x7F {
                out.append("\u{2421}")
            } else {
                out.append("\u{FFFD}")
            }
        }
        return String(out)
    }
}
