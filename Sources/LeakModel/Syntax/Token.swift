/// One lexical token of a model file.
///
/// Keywords are not a token kind: the language's keywords are contextual (`host host` declares a
/// host named `host`), so the lexer yields identifiers and the parser decides by position.
struct Token: Sendable {
    enum Kind: UInt8, Sendable {
        case identifier, number, string
        case leftBrace, rightBrace, comma, semicolon
        /// A line break: newlines separate declarations and statements.
        case newline
        /// Bytes the lexer already reported (bad character, invalid UTF-8). The parser recovers
        /// from it without reporting a second error at the same place.
        case invalid
        case endOfFile
    }

    var kind: Kind
    var span: SourceSpan
    /// The name of an identifier, the digits of a number (with a leading `-` if any), the
    /// contents of a string (escapes processed); empty for other kinds.
    var text: String
    /// The keyword an identifier spells (whether it acts as one depends on where it is).
    var keyword: Keyword?

    init(_ kind: Kind, _ span: SourceSpan, text: String = "", keyword: Keyword? = nil) {
        self.kind = kind; self.span = span; self.text = text; self.keyword = keyword
    }

    /// True for the tokens that end a declaration or a statement.
    var isSeparator: Bool { kind == .newline || kind == .semicolon }

    /// How the token is named in "found ..." parts of messages.
    var description: String {
        switch kind {
        case .identifier: "'\(text)'"
        case .number: "number \(text)"
        case .string: "a string"
        case .leftBrace: "'{'"
        case .rightBrace: "'}'"
        case .comma: "','"
        case .semicolon: "';'"
        case .newline: "end of line"
        case .invalid: "an invalid character"
        case .endOfFile: "end of file"
        }
    }
}
