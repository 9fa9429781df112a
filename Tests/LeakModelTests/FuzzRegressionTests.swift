import Foundation
import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics
@testable import LeakExplicit
@testable import LeakReport

/// Inputs found by the fuzzer (Fuzz/, see docs/TESTING.md), kept in `Golden/fuzz/`.
///
/// Every file there goes through the same pipeline as the fuzz target: `Frontend.load(file:)`,
/// its contract (a model if and only if no error diagnostic; spans inside the file), the
/// diagnostic renderer, and for an input that resolves the lowering, the model summary and the
/// explicit engine to depth 4 (at most 2,000 states) with its schedule replayed and rendered.
/// The test passes when nothing crashes and every rejected input has an error diagnostic.
/// `Golden/fuzz/README.md` says what each file found. Inputs of bugs that are reported but not
/// fixed yet (in code outside the frontend) are kept in `Golden/fuzz/open/`, which this suite
/// runs only through the frontend (the engine part is a disabled test until they are fixed).
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static func files(in folder: String) -> [String] {
        guard let root = GoldenSupport.bundleRoot else { return [] }
        let dir = root.appendingPathComponent(folder)
        guard let items = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return items.filter { name in
            var isDir: ObjCBool = false
            return !name.hasSuffix(".md")
                && FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDir)
                && !isDir.boolValue
        }.sorted()
    }

    static let inputs = files(in: "fuzz")
    static let openInputs = files(in: "fuzz/open")

    @Test func thereAreFuzzInputs() {
        #expect(!Self.inputs.isEmpty, "Golden/fuzz/ holds no input")
    }

    @Test(arguments: inputs)
    func inputIsHandled(_ name: String) throws {
        try Self.run("fuzz", name, engine: true)
    }

    /// Open bugs: the frontend part must already hold.
    @Test(arguments: openInputs)
    func openInputLoads(_ name: String) throws {
        try Self.run("fuzz/open", name, engine: false)
    }

    /// Open bugs in the explicit engine (see Golden/fuzz/README.md): enable once fixed, then
    /// move the files up to Golden/fuzz/.
    @Test(arguments: openInputs)
    func openInputChecks(_ name: String) throws {
        try Self.run("fuzz/open", name, engine: true)
    }

    static func run(_ folder: String, _ name: String, engine: Bool) throws {
        let bytes = try GoldenSupport.bytes(folder, name)
        let result = Frontend.load(file: SourceFile(path: name, bytes: bytes))
        #expect((result.model == nil) == result.hasErrors)
        if result.model == nil {
            #expect(result.diagnostics.contains { $0.severity == .error }, "\(name): rejected without an error")
        }
        for d in result.diagnostics {
            for span in [d.span] + d.notes.map(\.span) {
                #expect(span.start >= 0 && span.start <= span.end && span.end <= bytes.count,
                        "\(name): \(d.code) span \(span.start)..<\(span.end) outside the file (\(bytes.count) bytes)")
            }
        }
        let rendered = DiagnosticRenderer(file: result.file).render(result.diagnostics)
        #expect(result.diagnostics.isEmpty || !rendered.isEmpty)
        _ = DiagnosticRenderer(file: result.file, colored: true).render(result.diagnostics)
        let located = result.diagnostics.filter { !($0.severity == .note && $0.code.isEmpty) }
        #expect(located.map(\.span.start) == located.map(\.span.start).sorted(), "\(name): diagnostics not sorted")

        guard engine, let model = result.model else { return }
        let program = Program(model)
        #expect(!ModelSummary.render(model).isEmpty)
        let (outcome, _) = ExplicitChecker(model: model, stateLimit: 2000).check(bound: 4)
        if case .finding(let trace) = outcome {
            #expect(trace.length <= 4)
            _ = try Replay(interpreter: Interpreter(model: model, program: program))
                .validate(initial: trace.initial, steps: trace.steps, check: trace.finding.check)
            _ = TraceRenderer(model: model).render(trace)
            _ = TraceRenderer(model: model).explain(trace)
        }
    }

    // MARK: - The bugs, one by one

    /// threads-65-hold.leak: a hold on a thread with index 64 or more was lost (a UInt64 mask
    /// over thread indices). More than 64 threads are now refused (E028).
    @Test func moreThanSixtyFourThreadsAreRefused() throws {
        let bytes = try GoldenSupport.bytes("fuzz", "threads-65-hold.leak")
        let result = Frontend.load(file: SourceFile(path: "threads-65-hold.leak", bytes: bytes))
        #expect(result.model == nil)
        let errors = result.diagnostics.filter { $0.severity == .error }
        #expect(errors.map(\.code) == [DiagnosticCode.modelTooLarge.rawValue])
        #expect(errors.first?.message == "model is too large: 65 threads (at most 64)")
        let file = try #require(result.file)
        #expect(errors.first.map { file.text(of: $0.span) } == "t64")
    }

    /// The largest model allowed: 64 threads in one core, and a hold by t0 holds t63.
    @Test func sixtyFourThreadsHoldEachOther() throws {
        let names = (0..<64).map { "t\($0)" }
        let source = """
            core big { \(names.joined(separator: " ")) }
            guest vm1
            region r public
            table kernel maps all
            run vm1 on \(names.joined(separator: ", "))
            on vmentry { hold siblings }
            check corun
            """
        let model = try loadModel(source)
        let interpreter = Interpreter(model: model)
        let initial = try #require(interpreter.initialStates(limit: 2_000)?.first)
        let (_, after) = try #require(interpreter.moves(of: 0, in: initial).first)
        #expect(interpreter.isHeld(63, in: after))
        #expect(interpreter.isHeld(1, in: after))
        #expect(!interpreter.isHeld(0, in: after))
        // t63 does its own hold, and then cannot enter: t0 holds it.
        let (_, ready) = try #require(interpreter.moves(of: 63, in: after).first)
        #expect(interpreter.moves(of: 63, in: ready).isEmpty)
    }
}
