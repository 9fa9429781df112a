import LeakSyntax

/// The tokens of a proof certificate, read one at a time from its bytes, for `CertificateParser`.
///
/// Only what the certificate grammar uses is a token: parentheses, simple symbols, numerals and `#b`/`#x` literals; `;` comments and white space are skipped.
/// Anything else (a string, a keyword such as `:rlimit`, a control character) is refused
/// where it stands. The lexer also counts open parentheses and refuses the one that would
/// nest deeper than the limit, so no later stage ever sees a deeper text.
struct CertificateLexer {
    enum Kind: Equatable {
        case open, close
        case symbol(String)
        case numeral(String)
        /// `#b...` (the digits, each one bit) or `#x...` (each four bits).
        case binary(String), hex(String)
        case end
    }

    struct Token {
        var kind: Kind
        var position: CertificateParser.Position
    }

    private let bytes: [UInt8]
    private let maxDepth: Int
    private var offset = 0
    private var line = 1
    private var column = 1
    /// Parentheses open right now.
    private(set) var depth = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Where the next token starts (after skipping blanks and comments).
    mutating func position() -> CertificateParser.Position {
        skipBlanks()
        return CertificateParser.Position(line: line, column: column)
    }

    mutating func next() throws(CertificateParser.Rejection) -> Token {
        skipBlanks()
        let at = CertificateParser.Position(line: line, column: column)
        guard offset < bytes.count else { return Token(kind: .end, position: at) }
        let b = bytes[offset]
        switch b {
        case UInt8(ascii: "("):
            advance()
            depth += 1
            if depth > maxDepth {
                throw .init(at, "parentheses nested deeper than \(CertificateParser.grouped(maxDepth)), the limit for a certificate")
            }
            return Token(kind: .open, position: at)
        case UInt8(ascii: ")"):
            advance()
            depth -= 1
            if depth < 0 { throw .init(at, "')' closes nothing") }
            return Token(kind: .close, position: at)
        case UInt8(ascii: "#"):
            advance()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "b") || bytes[offset] == UInt8(ascii: "x") else {
                throw .init(at, "'#' must start a literal #b... or #x...")
            }
            let isHex = bytes[offset] == UInt8(ascii: "x")
            advance()
            let digits = take { isHex ? Self.isHexDigit($0) : ($0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "1")) }
            if digits.isEmpty { throw .init(at, "a literal \(isHex ? "#x" : "#b") needs at least one digit") }
            try requireDelimiter(after: at, "literal")
            return Token(kind: isHex ? .hex(digits) : .binary(digits), position: at)
        case _ where Self.isDigit(b):
            let digits = take(Self.isDigit)
            try requireDelimiter(after: at, "numeral")
            return Token(kind: .numeral(digits), position: at)
        case _ where Self.isSymbolCharacter(b):
            let name = take { Self.isSymbolCharacter($0) || Self.isDigit($0) }
            return Token(kind: .symbol(name), position: at)
        case UInt8(ascii: "\""):
            throw .init(at, "a string literal is not allowed in a certificate")
        case UInt8(ascii: ":"):
            let word = take { Self.isSymbolCharacter($0) || Self.isDigit($0) || $0 == UInt8(ascii: ":") }
            throw .init(at, "the keyword '\(word)' is not allowed in a certificate")
        default:
            throw .init(at, "unexpected \(Self.describe(b))")
        }
    }

    // MARK: - Bytes

    private mutating func advance() {
        if bytes[offset] == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else {
            column += 1
        }
        offset += 1
    }

    private mutating func skipBlanks() {
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                advance()
            case UInt8(ascii: ";"):
                while offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") { advance() }
            default:
                return
            }
        }
    }

    private mutating func take(_ accept: (UInt8) -> Bool) -> String {
        let start = offset
        while offset < bytes.count, accept(bytes[offset]) { advance() }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    /// A numeral or literal must end at a blank, a parenthesis, a comment or the end.
    private func requireDelimiter(after at: CertificateParser.Position, _ what: String) throws(CertificateParser.Rejection) {
        guard offset < bytes.count else { return }
        switch bytes[offset] {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
             UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ";"):
            return
        default:
            throw .init(at, "a \(what) is followed by \(Self.describe(bytes[offset]))")
        }
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "F"))
    }

    /// SMT-LIB's simple-symbol characters other than digits: letters and `~!@$%^&*_-+=<>.?/`.
    static func isSymbolCharacter(_ b: UInt8) -> Bool {
        if (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) { return true }
        return "~!@$%^&*_-+=<>.?/".utf8.contains(b)
    }

    private static func describe(_ b: UInt8) -> String {
        if b >= 0x21, b < 0x7F { return "character '\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16, uppercase: true)
    }
}
