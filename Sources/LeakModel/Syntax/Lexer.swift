/// Turns the bytes of a model file into tokens, one at a time, reporting lexical errors.
///
/// The lexer is pull-based (the parser asks for the next token) so that a huge file never
/// needs a token array as large as itself. It is linear in the input: every byte is looked at
/// a bounded number of times. Lexical errors (invalid UTF-8, unexpected characters) become a
/// single `.invalid` token per run of bad bytes, so garbage yields few tokens and few errors.
struct Lexer {
    private let bytes: [UInt8]
    private var offset = 0
    private let sink: DiagnosticSink

    init(file: SourceFile, sink: DiagnosticSink) {
        self.bytes = file.bytes
        self.sink = sink
    }

    /// The next token; `.endOfFile` forever once the input is exhausted.
    mutating func next() -> Token {
        let count = bytes.count
        while offset < count {
            let start = offset
            let b = bytes[offset]
            switch b {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                offset += 1
            case UInt8(ascii: "\n"):
                offset += 1
                return Token(.newline, SourceSpan(start: start, end: offset))
            case UInt8(ascii: "#"):
                skipComment()
            case UInt8(ascii: "\""):
                return lexString()
            case UInt8(ascii: "{"):
                offset += 1
                return Token(.leftBrace, SourceSpan(start: start, end: offset))
            case UInt8(ascii: "}"):
                offset += 1
                return Token(.rightBrace, SourceSpan(start: start, end: offset))
            case UInt8(ascii: ","):
                offset += 1
                return Token(.comma, SourceSpan(start: start, end: offset))
            case UInt8(ascii: ";"):
                offset += 1
                return Token(.semicolon, SourceSpan(start: start, end: offset))
            default:
                if Lexer.isIdentifierStart(b) { return lexIdentifier() }
                if Lexer.isDigit(b) || (b == UInt8(ascii: "-") && offset + 1 < count && Lexer.isDigit(bytes[offset + 1])) {
                    return lexNumber()
                }
                return lexInvalid()
            }
        }
        return Token(.endOfFile, SourceSpan(start: count, end: count))
    }

    // MARK: - Token kinds

    private mutating func skipComment() {
        // A comment runs to the end of the line (the newline itself is a token). Its bytes must
        // still be UTF-8: the file is text, and a renderer would otherwise print garbage.
        while offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") {
            if bytes[offset] < 0x80 {
                offset += 1
            } else if Lexer.scalarLength(bytes, at: offset) > 0 {
                offset += Lexer.scalarLength(bytes, at: offset)
            } else {
                reportInvalidUTF8Run()
            }
        }
    }

    private mutating func lexIdentifier() -> Token {
        let start = offset
        while offset < bytes.count, Lexer.isIdentifierContinue(bytes[offset]) { offset += 1 }
        return Token(.identifier, SourceSpan(start: start, end: offset),
                     text: String(decoding: bytes[start..<offset], as: UTF8.self))
    }

    private mutating func lexNumber() -> Token {
        let start = offset
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        while offset < bytes.count, Lexer.isDigit(bytes[offset]) { offset += 1 }
        return Token(.number, SourceSpan(start: start, end: offset),
                     text: String(decoding: bytes[start..<offset], as: UTF8.self))
    }

    /// A string on one line; `\"` and `\\` are the only escapes (any other backslash is kept).
    private mutating func lexString() -> Token {
        let start = offset
        offset += 1
        var content: [UInt8] = []
        while offset < bytes.count {
            let b = bytes[offset]
            if b == UInt8(ascii: "\"") {
                offset += 1
                return Token(.string, SourceSpan(start: start, end: offset),
                             text: String(decoding: content, as: UTF8.self))
            }
            if b == UInt8(ascii: "\n") { break }
            if b == UInt8(ascii: "\\"), offset + 1 < bytes.count,
               bytes[offset + 1] == UInt8(ascii: "\"") || bytes[offset + 1] == UInt8(ascii: "\\") {
                content.append(bytes[offset + 1])
                offset += 2
            } else if b < 0x80 {
                content.append(b)
                offset += 1
            } else {
                let n = Lexer.scalarLength(bytes, at: offset)
                if n > 0 {
                    content.append(contentsOf: bytes[offset..<offset + n])
                    offset += n
                } else {
                    reportInvalidUTF8Run()
                    content.append(contentsOf: [0xEF, 0xBF, 0xBD])  // U+FFFD
                }
            }
        }
        // Reached the end of the line or of the file: keep what was read so the parser can go on.
        var end = offset
        if end > start, end <= bytes.count, end - 1 > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let span = SourceSpan(start: start, end: end)
        if !sink.isSaturated {
            sink.error(DiagnosticCode.unterminatedString, "unterminated string", at: span,
                       help: "close the string with '\"' on the same line")
        }
        return Token(.string, span, text: String(decoding: content, as: UTF8.self))
    }

    /// A run of bytes that start no token: one diagnostic and one `.invalid` token for all.
    private mutating func lexInvalid() -> Token {
        let start = offset
        if Lexer.scalarLength(bytes, at: offset) == 0 {
            reportInvalidUTF8Run()
            return Token(.invalid, SourceSpan(start: start, end: offset))
        }
        let first = Lexer.decodeScalar(bytes, at: offset)
        while offset < bytes.count {
            let n = Lexer.scalarLength(bytes, at: offset)
            if n == 0 || !Lexer.isUnexpected(bytes[offset], in: bytes, at: offset) { break }
            offset += n
        }
        let span = SourceSpan(start: start, end: offset)
        if !sink.isSaturated {
            var help: String? = nil
            if first == "/", offset - start >= 2, bytes[start + 1] == UInt8(ascii: "/") {
                help = "comments start with '#'"
            } else if first == "[" || first == "]" {
                help = "'per guest' copies are not named in a model: write the region or table name alone"
            }
            sink.error(DiagnosticCode.unexpectedCharacter,
                       "unexpected character \(Lexer.describe(first))", at: span, help: help)
        }
        return Token(.invalid, span)
    }

    /// Consumes a maximal run of invalid UTF-8 sequences and reports it once, naming its first byte.
    private mutating func reportInvalidUTF8Run() {
        let start = offset
        while offset < bytes.count, bytes[offset] >= 0x80, Lexer.scalarLength(bytes, at: offset) == 0 {
            offset += 1
        }
        if offset == start { offset += 1 }
        if !sink.isSaturated {
            let hex = String(bytes[start], radix: 16, uppercase: true)
            let byteHex = hex.count == 1 ? "0x0" + hex : "0x" + hex
            let more = offset - start > 1 ? " (and \(offset - start - 1) more invalid byte\(offset - start > 2 ? "s" : ""))" : ""
            sink.error(DiagnosticCode.invalidUTF8, "invalid UTF-8 byte \(byteHex)\(more)",
                       at: SourceSpan(start: start, end: offset),
                       help: "model files must be UTF-8 text")
        }
    }

    // MARK: - Character classes

    static func isIdentifierStart(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || b == UInt8(ascii: "_")
    }

    static func isIdentifierContinue(_ b: UInt8) -> Bool { isIdentifierStart(b) || isDigit(b) }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// True for a (valid) character at `i` that starts no token and is no whitespace.
    private static func isUnexpected(_ b: UInt8, in bytes: [UInt8], at i: Int) -> Bool {
        if b >= 0x80 { return true }
        switch b {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"),
             UInt8(ascii: "#"), UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "}"),
             UInt8(ascii: ","), UInt8(ascii: ";"):
            return false
        default:
            if isIdentifierStart(b) || isDigit(b) { return false }
            if b == UInt8(ascii: "-"), i + 1 < bytes.count, isDigit(bytes[i + 1]) { return false }
            return true
        }
    }

    /// The length of the valid UTF-8 sequence starting at `i`, or 0 if it is not valid
    /// (overlong forms, surrogates and code points above U+10FFFF are invalid).
    static func scalarLength(_ bytes: [UInt8], at i: Int) -> Int {
        let n = bytes.count
        let b0 = bytes[i]
        if b0 < 0x80 { return 1 }
        func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            i + k < n && bytes[i + k] >= lo && bytes[i + k] <= hi
        }
        switch b0 {
        case 0xC2...0xDF: return cont(1) ? 2 : 0
        case 0xE0: return cont(1, 0xA0, 0xBF) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return cont(1) && cont(2) ? 3 : 0
        case 0xED: return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0
        case 0xF0: return cont(1, 0x90, 0xBF) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4: return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0
        default: return 0
        }
    }

    /// The scalar of the valid sequence at `i` (call only when `scalarLength` is non-zero).
    static func decodeScalar(_ bytes: [UInt8], at i: Int) -> Unicode.Scalar {
        let n = scalarLength(bytes, at: i)
        let s = String(decoding: bytes[i..<i + n], as: UTF8.self)
        return s.unicodeScalars.first ?? "\u{FFFD}"
    }

    /// A character as messages show it: printable ones quoted, others by code point.
    static func describe(_ c: Unicode.Scalar) -> String {
        let hex = String(c.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        if c.value < 0x20 || c.value == 0x7F || (c.value >= 0x80 && c.value < 0xA0) { return code }
        if c.value < 0x80 { return "'\(Character(c))'" }
        if DiagnosticText.isUnsafeToPrint(c) { return code }
        return "'\(Character(c))' (\(code))"
    }
}
