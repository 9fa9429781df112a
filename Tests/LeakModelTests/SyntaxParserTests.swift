import Testing
@testable import LeakModel
@testable import LeakSyntax

/// The parser on its own: structure of the tree, recovery, one error per mistake.
@Suite struct SyntaxParserTests {
    static func parse(_ text: String) -> (SyntaxTree, [Diagnostic]) {
        let file = SourceFile(path: "p.leak", text: text)
        let sink = DiagnosticSink()
        let tree = Parser.parse(file, sink: sink)
        return (tree, sink.finish(endOfFile: file.bytes.count))
    }

    @Test func recoveryReportsEveryIndependentError() {
        let (tree, ds) = Self.parse("""
            exit a { tuch x; touch y }
            exti b { }
            region r publc
            exit c { switch }
            exit d { touch z }
            """)
        #expect(ds.map(\.code) == ["E007", "E006", "E005", "E005"])
        // What could be read is kept: a's second statement, r's name, c and d.
        var exits: [String: Int] = [:]
        var regions: [String] = []
        for d in tree.declarations {
            if case .exit(let name, let body, _) = d { exits[name.text] = body.statements.count }
            if case .region(let r) = d { regions.append(r.name.text) }
        }
        #expect(exits == ["a": 1, "c": 0, "d": 1])
        #expect(regions == ["r"])
    }

    @Test func misspelledBlockDeclarationIsSkippedWhole() {
        let (tree, ds) = Self.parse("exti a {\n  touch x\n  either { touch y } or { }\n}\nexit b { }\n")
        #expect(ds.map(\.code) == ["E006"])
        #expect(tree.declarations.count == 1)
    }

    @Test func forgottenClosingBraceEndsAtTheNextDeclaration() {
        let (tree, ds) = Self.parse("exit a {\n  touch x\nexit b { touch y }\ncheck corun\n")
        #expect(ds.map(\.code) == ["E005"])
        #expect(ds[0].notes.count == 1)
        #expect(tree.declarations.count == 3)
    }

    @Test func statementSpansCoverTheStatement() {
        let text = "exit a { wait until siblings not in kernel; either { kick siblings } or { hold siblings } }"
        let (tree, ds) = Self.parse(text)
        #expect(ds.isEmpty)
        guard case .exit(_, let body, _) = tree.declarations[0] else {
            Issue.record("not an exit")
            return
        }
        let file = SourceFile(path: "p.leak", text: text)
        #expect(body.statements.map { file.text(of: $0.span) } == [
            "wait until siblings not in kernel", "either { kick siblings } or { hold siblings }",
        ])
        #expect(file.text(of: body.span) == "{ wait until siblings not in kernel; either { kick siblings } or { hold siblings } }")
    }

    @Test func emptyBlocksAndSameLineBraces() {
        let (tree, ds) = Self.parse("on vmexit { }\non fault {}\nexit x { either {} or {} }")
        #expect(ds.isEmpty)
        #expect(tree.declarations.count == 3)
    }

    @Test func errorCapStopsParsing() {
        let text = String(repeating: "bogus line\n", count: 500)
        let (_, ds) = Self.parse(text)
        #expect(ds.filter { $0.severity == .error }.count == 100)
        #expect(ds.last?.message == "too many errors; stopped after the first 100")
    }
}

@Suite struct SyntaxParserListTests {
    @Test func listsMayContinueAfterACommaButNotIntoADeclaration() {
        let (tree, ds) = SyntaxParserTests.parse("guest vm1,\n  vm2\nguest vm3,\nregion r public\n")
        #expect(ds.map(\.message) == ["expected a guest name after ',', found 'region'"])
        var guests: [String] = []
        var regions = 0
        for d in tree.declarations {
            if case .guests(let names, _) = d { guests += names.map(\.text) }
            if case .region = d { regions += 1 }
        }
        #expect(guests == ["vm1", "vm2"])
        #expect(regions == 1)
    }
}
