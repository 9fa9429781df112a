import Testing
@testable import LeakModel
@testable import LeakSyntax

/// The lexer: token kinds, spans, keywords, comments, strings, numbers, errors.
@Suite struct SyntaxLexerTests {
    static func tokens(_ text: String) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        let file = SourceFile(path: "t.leak", text: text)
        let sink = DiagnosticSink()
        let tokens = file.bytes.withUnsafeBufferPointer { buf in
            var lexer = Lexer(bytes: buf, sink: sink)
            var out: [Token] = []
            while true {
                let t = lexer.next()
                out.append(t)
                if t.kind == .endOfFile { return out }
            }
        }
        return (tokens, sink.finish(endOfFile: file.bytes.count))
    }

    @Test func kindsAndSpans() {
        let (ts, ds) = Self.tokens("core c0 { t0, t1 }; # comment\nbound -20 \"a \\\"q\\\" \\\\ b\"\r\n")
        #expect(ds.isEmpty)
        #expect(ts.map(\.kind) == [.identifier, .identifier, .leftBrace, .identifier, .comma, .identifier, .rightBrace,
                                   .semicolon, .newline, .identifier, .number, .string, .newline, .endOfFile])
        #expect(ts[0].keyword == .core)
        #expect(ts[1].keyword == nil)
        #expect(ts[1].text == "c0")
        #expect(ts[1].span == SourceSpan(start: 5, end: 7))
        #expect(ts[10].text == "-20")
        #expect(ts[11].text == "a \"q\" \\ b")
        #expect(ts.last?.span.start == ts.last?.span.end)
    }

    @Test(arguments: [Keyword.model, .core, .host, .guest, .region, .table, .buffer, .run, .on, .exit, .interrupt, .check,
                      .bound, .expect, .touch, .switch, .kick, .hold, .release, .wait, .flush, .irqs, .either, .or,
                      .public, .owner, .per, .maps, .all, .fill, .siblings, .until, .out, .of, .not, .in, .off])
    func everyKeywordIsRecognised(_ keyword: Keyword) {
        let (ts, _) = Self.tokens(keyword.rawValue)
        #expect(ts[0].keyword == keyword)
        // A longer or shorter word is not the keyword.
        #expect(Self.tokens(keyword.rawValue + "x").tokens[0].keyword == nil)
        #expect(Self.tokens(String(keyword.rawValue.dropLast())).tokens[0].keyword != keyword)
    }

    @Test func keywordsAreCaseSensitive() {
        #expect(Self.tokens("Core").tokens[0].keyword == nil)
    }

    @Test func unexpectedCharactersAreOneTokenPerRun() {
        let (ts, ds) = Self.tokens("a @@@ b")
        #expect(ts.map(\.kind) == [.identifier, .invalid, .identifier, .endOfFile])
        #expect(ds.map(\.code) == ["E003"])
        #expect(ds[0].span == SourceSpan(start: 2, end: 5))
        #expect(ds[0].message == "unexpected character '@'")
    }

    @Test func unterminatedStringStillYieldsAToken() {
        let (ts, ds) = Self.tokens("model \"abc\nbound 3")
        #expect(ts.map(\.kind) == [.identifier, .string, .newline, .identifier, .number, .endOfFile])
        #expect(ts[1].text == "abc")
        #expect(ds.map(\.code) == ["E004"])
        #expect(ds[0].span == SourceSpan(start: 6, end: 10))
    }

    @Test func minusWithoutDigitIsUnexpected() {
        let (ts, ds) = Self.tokens("bound - 3")
        #expect(ts.map(\.kind) == [.identifier, .invalid, .number, .endOfFile])
        #expect(ds.map(\.code) == ["E003"])
    }

    @Test func describeCharacters() {
        #expect(Lexer.describe("@") == "'@'")
        #expect(Lexer.describe("\u{0}") == "U+0000")
        #expect(Lexer.describe("\u{202E}") == "U+202E")
        #expect(Lexer.describe("é") == "'é' (U+00E9)")
    }
}

/// "Did you mean" suggestions.
@Suite struct SyntaxSpellingTests {
    @Test func closeNamesAreSuggested() {
        #expect(Spelling.suggest("kernal", among: ["restricted", "kernel"]) == "kernel")
        #expect(Spelling.suggest("tuch", among: Parser.statementKeywords) == "touch")
        #expect(Spelling.suggest("exti", among: Parser.declarationKeywords) == "exit")
        #expect(Spelling.suggest("Kernel", among: ["kernel"]) == "kernel")
        #expect(Spelling.suggest("of", among: ["on", "off"]) == "off")
        #expect(Spelling.suggest("mapd", among: ["mapped", "touched"]) == "mapped")
    }

    @Test func distantOrTrivialNamesAreNot() {
        #expect(Spelling.suggest("scratch", among: ["kernel", "percpu"]) == nil)
        #expect(Spelling.suggest("a", among: ["b"]) == nil)
        #expect(Spelling.suggest("kernel", among: ["kernel"]) == nil)
        #expect(Spelling.suggest("", among: ["a"]) == nil)
    }

    @Test func distance() {
        func d(_ a: String, _ b: String) -> Int { Spelling.distance(Array(a.utf8), Array(b.utf8)) }
        #expect(d("", "abc") == 3)
        #expect(d("exti", "exit") == 1)
        #expect(d("kitten", "sitting") == 3)
    }
}
