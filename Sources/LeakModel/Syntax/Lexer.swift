/// Turns the bytes of a model file into tokens, one at a time, reporting lexical errors.
///
/// The lexer is pull-based (the parser asks for the next token) so that a huge file never
/// needs a token array as large as itself. It is linear in the input: every byte is looked at
/// a bounded number of times. Lexical errors (invalid UTF-8, unexpected characters) become a
/// single `.invalid` token per run of bad bytes, so garbage yields few tokens and few errors.
///
/// It reads through an `UnsafeBufferPointer` valid only inside `SourceFile.bytes`'
/// `withUnsafeBufferPointer` (see `Parser.parse`), and compares bytes with integer literals:
/// both keep a debug build fast enough for multi-megabyte inputs.
struct Lexer {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0
    private let sink: DiagnosticSink

    init(bytes: UnsafeBufferPointer<UInt8>, sink: DiagnosticSink) {
        self.bytes = bytes
        self.sink = sink
    }

    /// The next token; `.endOfFile` forever once the input is exhausted.
    mutating func next() -> Token {
        let count = bytes.count
        while offset < count {
            let start = offset
            let b = bytes[offset]
            switch b {
            case 0x20, 0x09, 0x0D:  // space, tab, carriage return
                offset += 1
            case 0x0A:  // newline
                offset += 1
                return Token(.newline, SourceSpan(start: start, end: offset))
            case 0x23:  // #
                skipComment()
            case 0x22:  // "
                return lexString()
            case 0x7B:
                offset += 1
                return Token(.leftBrace, SourceSpan(start: start, end: offset))
            case 0x7D:
                offset += 1
                return Token(.rightBrace, SourceSpan(start: start, end: offset))
            case 0x2C:
                offset += 1
                return Token(.comma, SourceSpan(start: start, end: offset))
            case 0x3B:
                offset += 1
                return Token(.semicolon, SourceSpan(start: start, end: offset))
            case 0x41...0x5A, 0x61...0x7A, 0x5F:  // A-Z a-z _
                return lexIdentifier()
            case 0x30...0x39:
                return lexNumber()
            case 0x2D where offset + 1 < count && bytes[offset + 1] >= 0x30 && bytes[offset + 1] <= 0x39:
                return lexNumber()
            default:
                return lexInvalid()
            }
        }
        return Token(.endOfFile, SourceSpan(start: count, end: count))
    }

    // MARK: - Token kinds

    private mutating func skipComment() {
        // A comment runs to the end of the line (the newline itself is a token). Its bytes must
        // still be UTF-8: the file is text, and a renderer would otherwise print garbage.
        let count = bytes.count
        while offset < count {
            let b = bytes[offset]
            if b == 0x0A { return }
            if b < 0x80 {
                offset += 1
            } else {
                let n = Lexer.scalarLength(bytes, at: offset)
                if n > 0 { offset += n } else { reportInvalidUTF8Run() }
            }
        }
    }

    private mutating func lexIdentifier() -> Token {
        let start = offset
        let count = bytes.count
        while offset < count {
            let b = bytes[offset]
            guard (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F
            else { break }
            offset += 1
        }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<offset])
        return Token(.identifier, SourceSpan(start: start, end: offset),
                     text: String(decoding: slice, as: UTF8.self),
                     keyword: Keyword.classify(slice.baseAddress!, length: slice.count))
    }

    private mutating func lexNumber() -> Token {
        let start = offset
        if bytes[offset] == 0x2D { offset += 1 }
        while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 { offset += 1 }
        return Token(.number, SourceSpan(start: start, end: offset),
                     text: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self))
    }

    /// A string on one line; `\"` and `\\` are the only escapes (any other backslash is kept).
    private mutating func lexString() -> Token {
        let start = offset
        offset += 1
        var content: [UInt8] = []
        while offset < bytes.count {
            let b = bytes[offset]
            if b == 0x22 {
                offset += 1
                return Token(.string, SourceSpan(start: start, end: offset),
                             text: String(decoding: content, as: UTF8.self))
            }
            if b == 0x0A { break }
            if b == 0x5C, offset + 1 < bytes.count, bytes[offset + 1] == 0x22 || bytes[offset + 1] == 0x5C {
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
        // End of line or of file: keep what was read, so the parser can go on.
        var end = offset
        if end - 1 > start, bytes[end - 1] == 0x0D { end -= 1 }
        let span = SourceSpan(start: start, end: end)
        if !sink.isSaturated {
            sink.report(.unterminatedString, at: span,
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
            if n == 0 || !Lexer.isUnexpected(bytes, at: offset) { break }
            offset += n
        }
        let span = SourceSpan(start: start, end: offset)
        if !sink.isSaturated {
            var help: String? = nil
            if first == "/", offset - start >= 2, bytes[start + 1] == 0x2F {
                help = "comments start with '#'"
            } else if first == "[" || first == "]" {
                help = "copies of a 'per guest' region or table are not named in a model: write its name alone"
            }
            sink.report(.unexpectedCharacter(character: Lexer.describe(first)), at: span, help: help)
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
            sink.report(.invalidUTF8(byte: bytes[start], more: offset - start - 1),
                       at: SourceSpan(start: start, end: offset),
                       help: "model files must be UTF-8 text")
        }
    }

    // MARK: - Character classes

    /// True for a (valid) character at `i` that starts no token and is no whitespace.
    private static func isUnexpected(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        let b = bytes[i]
        switch b {
        case 0x80...0xFF: return true
        case 0x20, 0x09, 0x0D, 0x0A, 0x23, 0x22, 0x7B, 0x7D, 0x2C, 0x3B: return false
        case 0x41...0x5A, 0x61...0x7A, 0x5F, 0x30...0x39: return false
        case 0x2D: return !(i + 1 < bytes.count && bytes[i + 1] >= 0x30 && bytes[i + 1] <= 0x39)
        default: return true
        }
    }

    /// The length of the valid UTF-8 sequence starting at `i`, or 0 if it is not valid
    /// (overlong forms, surrogates and code points above U+10FFFF are invalid).
    static func scalarLength(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
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
    static func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Unicode.Scalar {
        let n = scalarLength(bytes, at: i)
        let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<i + n]), as: UTF8.self)
        return s.unicodeScalars.first ?? "\u{FFFD}"
    }

    /// A character as messages show it: printable ones quoted, others by code point.
    static func describe(_ c: Unicode.Scalar) -> String {
        let hex = String(c.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        if DiagnosticText.isUnsafeToPrint(c) { return code }
        if c.value < 0x80 { return "'\(Character(c))'" }
        return "'\(Character(c))' (\(code))"
    }
}
