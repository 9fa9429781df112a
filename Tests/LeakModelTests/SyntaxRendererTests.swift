import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakReport

/// The diagnostic renderer: layout, carets, tabs, windows, colour, file-less diagnostics.
@Suite struct SyntaxRendererTests {
    static let file = SourceFile(path: "x.leak", text: "table kernel maps all\n\tswitch\tkernal\n")

    @Test func layoutWithNoteAndHelp() {
        let d = Diagnostic(.unknownName(kind: "table", name: "kernal"),
                           at: SourceSpan(start: 30, end: 36),
                           notes: [.init("table 'kernel' is declared here", at: SourceSpan(start: 6, end: 12))],
                           help: "did you mean 'kernel'?")
        let text = DiagnosticRenderer(file: Self.file).render(d)
        #expect(text == """
            x.leak:2:9: error[E010]: unknown table 'kernal'
            2 | \tswitch\tkernal
              | \t      \t^~~~~~
            x.leak:1:7: note: table 'kernel' is declared here
            1 | table kernel maps all
              |       ^~~~~~
            help: did you mean 'kernel'?

            """)
    }

    @Test func colourOnlyWhenAsked() {
        let d = Diagnostic(.unusedRegion(region: "r"), at: SourceSpan(start: 0, end: 5))
        #expect(!DiagnosticRenderer(file: Self.file).render(d).contains("\u{1B}["))
        let coloured = DiagnosticRenderer(file: Self.file, colored: true).render(d)
        #expect(coloured.contains("\u{1B}[1;33mwarning[W001]:\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[0m"))
    }

    @Test func emptySpanAtEndOfFile() {
        let f = SourceFile(path: "y.leak", text: "exit x {")
        let d = Diagnostic(.unmatchedClosingBrace, at: SourceSpan(start: 8, end: 8))
        #expect(DiagnosticRenderer(file: f).render(d) == "y.leak:1:9: error[E005]: unexpected '}' with no open block\n1 | exit x {\n  |         ^\n")
    }

    @Test func spanOverSeveralLinesIsUnderlinedToTheEndOfItsFirstLine() {
        let f = SourceFile(path: "z.leak", text: "either {\n  touch a\n}\n")
        let d = Diagnostic(.singleBranchEither, at: SourceSpan(start: 7, end: 20))
        #expect(DiagnosticRenderer(file: f).render(d) == "z.leak:1:8: error[E024]: 'either' needs at least two branches\n1 | either {\n  |        ^\n")
    }

    @Test func gutterIsAsWideAsTheLargestLineNumber() {
        let f = SourceFile(path: "g.leak", text: String(repeating: "a\n", count: 12))
        let d = Diagnostic(.unterminatedString, at: SourceSpan(start: 22, end: 23),
                           notes: [.init("n", at: SourceSpan(start: 0, end: 1))])
        #expect(DiagnosticRenderer(file: f).render(d) == """
            g.leak:12:1: error[E004]: unterminated string
            12 | a
               | ^
            g.leak:1:1: note: n
             1 | a
               | ^

            """)
    }

    @Test func longLinesAreWindowed() {
        let line = String(repeating: "x", count: 1000) + " target " + String(repeating: "y", count: 1000)
        let f = SourceFile(path: "l.leak", text: line)
        let d = Diagnostic(.unknownName(kind: "table", name: "target"), at: SourceSpan(start: 1001, end: 1007))
        let lines = DiagnosticRenderer(file: f).render(d).split(separator: "\n")
        #expect(lines[0] == "l.leak:1:1002: error[E010]: unknown table 'target'")
        #expect(lines[1].hasPrefix("1 | ...x"))
        #expect(lines[1].hasSuffix("y..."))
        #expect(lines[1].count < 250)
        // The caret is under "target".
        let caret = lines[2].firstIndex(of: "^")!
        let column = lines[2].distance(from: lines[2].startIndex, to: caret)
        let text = Array(lines[1])
        #expect(String(text[column..<column + 6]) == "target")
    }

    @Test func fileLessAndFrontendNotes() {
        let d = Diagnostic(.unreadableFile(path: "x", reason: "is a directory"), at: .none, help: "h")
        #expect(DiagnosticRenderer(file: nil).render(d) == "leakcheck: error[E001]: cannot read 'x': is a directory\nhelp: h\n")
        let note = Diagnostic(.tooManyErrors(limit: 100), at: SourceSpan(start: 5, end: 5))
        #expect(DiagnosticRenderer(file: Self.file).render(note) == "x.leak: note: too many errors; stopped after the first 100\n")
    }

    @Test func displayPathOverridesThePath() {
        let d = Diagnostic(.unknownName(kind: "table", name: "t"), at: SourceSpan(start: 0, end: 5))
        #expect(DiagnosticRenderer(file: Self.file, displayPath: "shown.leak").render(d).hasPrefix("shown.leak:1:1: "))
    }

    @Test func summaryLine() {
        let e = Diagnostic(.unreadableFile(path: "x", reason: "r"), at: .none)
        let w = Diagnostic(.unusedRegion(region: "r"), at: .none)
        #expect(DiagnosticRenderer.summary(of: []) == nil)
        #expect(DiagnosticRenderer.summary(of: [e]) == "1 error")
        #expect(DiagnosticRenderer.summary(of: [e, e, w]) == "2 errors, 1 warning")
        #expect(DiagnosticRenderer.summary(of: [w, w]) == "2 warnings")
    }

    @Test func controlCharactersAreShownSafely() {
        let f = SourceFile(path: "c.leak", bytes: Array("a\u{1B}[2Jb\u{202E}c".utf8))
        let d = Diagnostic(.unexpectedCharacter(character: "'\\u{1B}'"), at: SourceSpan(start: 1, end: 2))
        let text = DiagnosticRenderer(file: f).render(d)
        #expect(!text.contains("\u{1B}"))
        #expect(!text.contains("\u{202E}"))
        #expect(text.contains("a\u{241B}[2Jb\u{FFFD}c"))
    }
}
