import Foundation
import Testing
@testable import LeakModel
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakExplicit
@testable import LeakEngines

/// Checking each core on its own (`CoreDecomposition`) must give what checking the product of
/// the cores gives: the same verdict, the same check and the same shortest length, and every
/// schedule it reports must replay through the whole model's interpreter.
@Suite("Core decomposition against the whole model")
struct CoreDecompositionTests {
    /// Random models with more than one core: the first 50 at night (`LEAKCHECK_NIGHTLY=1`), a
    /// stratified sample of them by default (`Sweep`), the first N with
    /// `LEAKCHECK_DECOMPOSITION_COUNT=N`.
    static let sweep = SweepPlan("core decomposition", "LEAKCHECK_DECOMPOSITION_COUNT", candidates: Array((1...UInt64(2000)).lazy.filter { seed in
        RandomModel(seed: seed, bound: 6).source().components(separatedBy: "\ncore ").count > 2
    }.prefix(max(50, Sweep.environment["LEAKCHECK_DECOMPOSITION_COUNT"].flatMap { Int($0) } ?? 0))), perStratum: 1) { seed in
        Sweep.strata(of: RandomModel(seed: seed, bound: 6).source(), seed: seed)
    }
    static let seeds = sweep.seeds

    static func outcome(_ model: Model, engine: Checker.Engine, decompose: Bool) throws -> Outcome {
        var options = Checker.Options(engine: engine, stateLimit: 150_000)
        options.decomposeCores = decompose
        return try Checker(options: options).check(model).outcome
    }

    @Test(arguments: seeds)
    func decomposedEqualsWhole(seed: UInt64) throws {
        let source = RandomModel(seed: seed, bound: 6).source()
        let full = try loadModel(source, path: "random-\(seed).leak")
        try #require(full.cores.count > 1)
        let interpreter = Interpreter(model: full)
        // All checks (ties and the deadlock sum against the local checks), and deadlock alone.
        for checks in [full.checks, [.deadlock]] {
            var model = full
            model.checks = checks
            for engine in [Checker.Engine.explicit, .bmc] {
                let whole = try Self.outcome(model, engine: engine, decompose: false)
                let parts = try Self.outcome(model, engine: engine, decompose: true)
                if case .finding(let t) = parts {
                    // The mapped schedule is one of the whole model (Replay throws otherwise).
                    _ = try Replay(interpreter: interpreter).validate(initial: t.initial, steps: t.steps, check: t.finding.check)
                }
                switch (whole, parts) {
                case (.unknown(_, let completed?), _):
                    // The whole model hit the state limit: the parts must not contradict what it established.
                    if case .finding(let t) = parts { #expect(t.length > completed, "seed \(seed) \(engine)\n\(source)") }
                default:
                    #expect(summary(whole) == summary(parts), "seed \(seed) \(engine) \(checks): whole \(summary(whole)), parts \(summary(parts))\n\(source)")
                    #expect(whole.verdictWord == parts.verdictWord, "seed \(seed) \(engine) \(checks)\n\(source)")
                }
            }
        }
    }

    @Test func deadlockLengthIsTheSumOverCores() throws {
        // Core c0 deadlocks at once; on c1 one thread first runs two statements.
        let model = try loadModel("""
            core c0 { a0 a1 }
            core c1 { b0 b1 }
            host host
            guest vm1
            region text public
            region vcpu per guest
            table kernel maps all
            table restricted per guest maps text, vcpu
            run vm1 on a0, a1, b0, b1
            on vmentry { wait until siblings not in kernel; switch restricted }
            exit x { touch vcpu }
            check deadlock
            """)
        let whole = try Self.outcome(model, engine: .explicit, decompose: false)
        let parts = try Self.outcome(model, engine: .explicit, decompose: true)
        #expect(summary(whole) == summary(parts))
        guard case .finding(let t) = parts else { Issue.record("no deadlock: \(parts)"); return }
        #expect(t.finding == .deadlock)
        _ = try Replay(interpreter: Interpreter(model: model)).validate(initial: t.initial, steps: t.steps, check: .deadlock)
    }

    @Test func noDeadlockWhenOneCoreCannotDeadlock() throws {
        // c0 deadlocks, c1 (one thread: a wait on no sibling holds) never does.
        let model = try loadModel("""
            core c0 { a0 a1 }
            core c1 { b0 }
            host host
            guest vm1
            region text public
            region vcpu per guest
            table kernel maps all
            table restricted per guest maps text, vcpu
            run vm1 on a0, a1, b0
            on vmentry { wait until siblings not in kernel; switch restricted }
            exit x { touch vcpu }
            check deadlock
            """)
        let parts = try Self.outcome(model, engine: .explicit, decompose: true)
        guard case .proved = parts else { Issue.record("expected a proof: \(parts)"); return }
        let whole = try Self.outcome(model, engine: .explicit, decompose: false)
        #expect(whole.verdictWord == "safe")
    }

    @Test func generatedMultiCoreModelsKeepTheirVerdicts() throws {
        for flaw in ModelGenerator.Flaw.allCases {
            var p = ModelGenerator.Parameters()
            p.cores = 2; p.threadsPerCore = flaw == .none || flaw == .residue || flaw == .crash ? 1 : 2
            p.guests = 2; p.exits = 3; p.regions = 6; p.flaw = flaw; p.bound = 12
            if p.threadsPerCore == 2 { p.guests = 2 }
            let model = try loadModel(try ModelGenerator(p).source())
            let report = try Checker(options: .init(bound: 12)).check(model)
            #expect(report.expectation == .met, "flaw \(flaw): \(report.outcome.verdictWord)")
        }
    }
}
