// libFuzzer entry point for leakcheck's Z3-free pipeline (built by Fuzz/build, run by Fuzz/run).
//
// This file is compiled against the Z3-free targets only (see Fuzz/build), which it imports
// with @testable for their internal API. For every input it:
//   1. loads the bytes with Frontend.load(file:) (lexer, parser, resolver),
//   2. checks the frontend's contract (a model if and only if no error; every span inside the
//      file) and renders the diagnostics, plain and coloured,
//   3. for an input that resolves: lowers it to a Program, renders ModelSummary, runs the
//      explicit engine to depth 4 with a 2,000-state limit, and for a finding replays the
//      schedule through the interpreter and renders it; then visits up to 2,000 states for
//      the coverage report (Coverage) and checks its W007 warnings' spans.
// A broken contract is a trap (libFuzzer saves the input as a crash), like any crash inside.

@testable import LeakExplicit
@testable import LeakReport
@testable import LeakSemantics
@testable import LeakSyntax
@testable import LeakTrace

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(never)
func fuzzFail(_ what: String) -> Never {
    let text = Array("leakcheck fuzz: contract violated: \(what)\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

func fuzzOne(_ bytes: [UInt8]) {
    let file = SourceFile(path: "fuzz.leak", bytes: bytes)
    let result = Frontend.load(file: file)

    // The frontend's contract.
    if (result.model == nil) != result.hasErrors {
        fuzzFail("model is \(result.model == nil ? "nil" : "present") but hasErrors is \(result.hasErrors)")
    }
    for d in result.diagnostics {
        for span in [d.span] + d.notes.map(\.span) {
            if span.start < 0 || span.end < span.start || span.end > bytes.count {
                fuzzFail("\(d.code) has span \(span.start)..<\(span.end) outside 0...\(bytes.count)")
            }
        }
        if d.message.isEmpty { fuzzFail("\(d.code) has an empty message") }
        if d.code.isEmpty && !(d.severity == .note && d.notes.isEmpty) { fuzzFail("a diagnostic without code: \(d.message)") }
    }
    // Sorted by position; file-level errors (E022, E023) after them; the frontend's own notes
    // (no code) last.
    let located = result.diagnostics.filter {
        !($0.severity == .note && $0.code.isEmpty) && $0.code != DiagnosticCode.missingDeclaration.rawValue && $0.code != DiagnosticCode.missingCheck.rawValue
    }
    if located.map(\.span.start) != located.map(\.span.start).sorted() { fuzzFail("diagnostics not sorted by position") }
    _ = DiagnosticRenderer(file: result.file, colored: false).render(result.diagnostics)
    _ = DiagnosticRenderer(file: result.file, colored: true).render(result.diagnostics)
    _ = DiagnosticRenderer.summary(of: result.diagnostics)

    guard let model = result.model else { return }
    let program = Program(model)
    // Every successor and block entry names an instruction of the program.
    func checkTargets(_ targets: [Program.Target], _ what: String) {
        for case .instruction(let i) in targets where !program.instructions.indices.contains(i) {
            fuzzFail("\(what) targets instruction \(i) of \(program.instructions.count)")
        }
    }
    for (i, instruction) in program.instructions.enumerated() { checkTargets(instruction.next, "instruction \(i)") }
    checkTargets(program.vmexitEntry, "on vmexit")
    checkTargets(program.vmentryEntry, "on vmentry")
    checkTargets(program.faultEntry, "on fault")
    program.exitEntry.forEach { checkTargets($0, "an exit") }
    program.interruptEntry.forEach { checkTargets($0, "an interrupt") }
    if program.exitEntry.count != model.exits.count || program.interruptEntry.count != model.interrupts.count {
        fuzzFail("the program's blocks do not match the model's exits and interrupts")
    }
    _ = ModelSummary.render(model)
    let checker = ExplicitChecker(model: model, stateLimit: 2000)
    let (outcome, _) = checker.check(bound: 4)
    if case .finding(let trace) = outcome {
        if trace.length > 4 { fuzzFail("finding beyond the bound: \(trace.length) steps") }
        do {
            _ = try Replay(interpreter: Interpreter(model: model, program: program))
                .validate(initial: trace.initial, steps: trace.steps, check: trace.finding.check)
        } catch {
            fuzzFail("the explicit engine's own schedule does not replay: \(error)")
        }
        let renderer = TraceRenderer(model: model)
        _ = renderer.render(trace)
        _ = renderer.explain(trace)
    }
    // Coverage: a complete visit's warnings name statements of this file, and a statement that
    // runs was reached.
    let coverage = Coverage(model: model, stateLimit: 2000)
    if !coverage.ran.isSubset(of: coverage.reached) { fuzzFail("a statement ran without being reached") }
    for w in coverage.warnings(for: model) where w.span.start < 0 || w.span.end > bytes.count || w.span.end < w.span.start {
        fuzzFail("W007 span \(w.span.start)..<\(w.span.end) outside 0...\(bytes.count)")
    }
    _ = coverage.summary(for: model)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    fuzzOne(bytes)
    return 0
}
