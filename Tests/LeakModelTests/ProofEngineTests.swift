import Foundation
import Testing
@testable import LeakModel
@testable import LeakTrace
@testable import LeakExplicit
@testable import LeakEncoding
@testable import LeakEngines
@testable import LeakReport

/// The proof engines must never prove a model that has a finding, and the state
/// constraints k-induction starts from must hold in every reachable state.
@Suite("Proof engines against the explicit engine")
struct ProofEngineTests {
    /// Seeds 1-40 at night (`LEAKCHECK_NIGHTLY=1`), a stratified sample of them by default
    /// (`Sweep`), seeds 1...N with `LEAKCHECK_PROOF_COUNT=N`.
    static let sweep = SweepPlan("proof engines", "LEAKCHECK_PROOF_COUNT", candidates: Array(1...40), perStratum: 1) { seed in
        Sweep.strata(of: RandomModel(seed: seed, bound: 6).source(), seed: seed)
    }
    static let seeds = sweep.seeds

    /// The explicit engine's exhaustive verdict on seed `seed` with only `check`, shared by
    /// the k-induction and the Spacer test (which ask it of the same models).
    static let explicitVerdicts = Memo<String, Outcome>()

    static func explicit(_ model: Model, seed: UInt64, check: Model.Check) throws -> Outcome {
        try explicitVerdicts("\(seed) \(check)") {
            ExplicitChecker(model: model, stateLimit: 100_000).check(bound: nil).0
        }
    }

    @Test(arguments: seeds)
    func wellFormednessHoldsOnReachableStates(seed: UInt64) throws {
        let model = try loadModel(RandomModel(seed: seed, bound: 6).source())
        #expect(try BMCChecker(model: model).firstIllFormedDepth(bound: 6) == nil, "seed \(seed)")
    }

    /// (A check whose model the explicit engine cannot explore is compared with nothing; a
    /// seed counts as exercised when one of its checks is decided, and at least half must be.)
    @Test(.exercised(atLeast: 0.5), arguments: seeds)
    func kInductionNeverProvesAModelWithAFinding(seed: UInt64) throws {
        let full = try loadModel(RandomModel(seed: seed, bound: 6).source())
        var decided = 0
        defer { CaseTally.record(exercised: decided > 0) }
        for checks in full.checks.map({ [$0] }) {
            var model = full
            model.checks = checks
            let explicit = try Self.explicit(model, seed: seed, check: checks[0])
            if case .unknown = explicit {} else { decided += 1 }
            let result = try KInduction(model: model).prove(maxDepth: 6)
            // Depth d is a proof together with the base case "no finding within d-1 steps"
            // (the checker gets that from bounded model checking). So a finding of length
            // d or more next to an inductive depth d is unsound; a shorter one is the base
            // case failing, and then nothing is claimed.
            if case .proved(let depth) = result, case .finding(let t) = explicit, t.length >= depth {
                Issue.record("seed \(seed), \(checks): k-induction proves depth \(depth), but there is a \(t.finding.check) in \(t.length) steps")
            }
            // The same from mined clauses, mined from a sample too small to be right (20
            // states): whatever Houdini keeps must still be an invariant.
            let (mined, _) = try KInduction(model: model).proveWithMinedInvariant(maxDepth: 6, sampleLimit: 20)
            if case .proved(let depth) = mined, case .finding(let t) = explicit, t.length >= depth {
                Issue.record("seed \(seed), \(checks): k-induction from mined clauses proves depth \(depth), but there is a \(t.finding.check) in \(t.length) steps")
            }
        }
    }

    /// Spacer's proofs need no base case (the invariant is checked against the initial
    /// states too), so any finding at all next to a proof is unsound; and a "reachable"
    /// answer needs a finding somewhere.
    /// (Seeds up to 30; a model the explicit engine cannot explore is counted as not exercised.)
    @Test(.exercised(atLeast: 0.5), arguments: seeds.filter { $0 <= 30 })
    func spacerAgreesWithTheExplicitEngine(seed: UInt64) throws {
        let full = try loadModel(RandomModel(seed: seed, bound: 6).source())
        // One check per model, in turn, so that every kind is proved or refuted somewhere.
        let check = full.checks[Int(seed) % full.checks.count]
        do {
            var model = full
            let checks = [check]
            model.checks = checks
            let explicit = try Self.explicit(model, seed: seed, check: check)
            if case .unknown = explicit { CaseTally.record(exercised: false) } else { CaseTally.record(exercised: true) }
            let deadline = DispatchTime.now() + .seconds(5)
            switch (try SpacerProver(model: model).prove(deadline: deadline), explicit) {
            case (.proved, .finding(let t)):
                Issue.record("seed \(seed), \(checks): Spacer proves it, but there is a \(t.finding.check) in \(t.length) steps")
            case (.reachable, .proved):
                Issue.record("seed \(seed), \(checks): Spacer finds a path, the explicit engine proves there is none")
            default:
                break
            }
        }
    }

    @Test(arguments: ["asi.leak", "nosmt-flush.leak"])
    func spacerProvesTheSafeShippedModels(file: String) throws {
        let model = try ShippedModelsTests.load(file)
        guard case .proved(let invariant, _) = try SpacerProver(model: model).prove() else {
            Issue.record("\(file): Spacer did not prove it")
            return
        }
        #expect(invariant.size > 0)
        #expect(!invariant.outline().isEmpty)
    }

    @Test func kInductionProvesTheFlushedNoSMTModel() throws {
        let model = try ShippedModelsTests.load("nosmt-flush.leak")
        #expect(try KInduction(model: model).prove(maxDepth: 10) == .proved(depth: 2))
    }
}

@Suite("Proof engines stop when told")
struct ProofEngineStopTests {
    @Test func spacerPastItsDeadlineIsUnknownNotAnError() throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let result = try SpacerProver(model: model).prove(deadline: .now())
        #expect(result == .unknown(reason: "timeout"))
    }

    @Test func cancelledSpacerIsUnknown() throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let cancellation = Cancellation()
        cancellation.cancel()
        #expect(try SpacerProver(model: model).prove(cancellation: cancellation) == .unknown(reason: "interrupted"))
    }
}

@Suite("Vacuous proofs")
struct VacuityTests {
    /// Both threads wait for the other to load a table nobody ever loads: no guest runs.
    static let neverEnters = """
        core c0 { t0 t1 }
        host host
        guest vm1
        region heap owner host
        region vcpu per guest
        table kernel maps all
        table restricted per guest maps vcpu
        run vm1 on t0, t1
        on vmentry { wait until siblings in restricted; switch restricted }
        exit x { }
        check corun
        bound 8
        expect safe
        """

    @Test(arguments: [Checker.Engine.auto, .explicit, .spacer, .kinduction])
    func aProofWhereNoGuestRunsIsVacuous(engine: Checker.Engine) throws {
        let model = try loadModel(Self.neverEnters)
        let report = try Checker(options: .init(engine: engine)).check(model)
        let headline = ReportRenderer().headline(report)
        // Never `safe`. The engines that prove this model must call the proof vacuous;
        // k-induction may fail to prove it at all (then it stays bounded, undecided).
        #expect(report.verdict != .safe, "\(engine): \(headline)")
        if engine != .kinduction || report.verdict != .bounded {
            #expect(report.verdict == .vacuous, "\(engine): \(headline)")
            #expect(report.expectation == .mismatch)
        }
    }
}

/// A model no explicit search can hold, proved by k-induction: the symbolic engines' reason
/// to exist (issue 18). Benchmarks/models/wide-uncached.leak derives its verdict by hand.
@Suite("Proofs beyond the explicit engine")
struct BeyondExplicitTests {
    static func wide() throws -> Model {
        let path = repositoryRoot.appendingPathComponent("Benchmarks/models/wide-uncached.leak").path
        let result = Frontend.load(path: path)
        guard let model = result.model else {
            throw ModelLoadError(text: DiagnosticRenderer(file: result.file, colored: false).render(result.diagnostics))
        }
        return model
    }

    @Test func kInductionProvesWhatTheExplicitEngineCannotHold() throws {
        let model = try Self.wide()
        // l1d can hold any subset of the 40 public regions: the explicit engine runs out of any
        // memory budget (here 8 MB, reached in well under a million states).
        let (outcome, stats) = ExplicitChecker(model: model, memoryBudget: MemoryBudget(megabytes: 8)).check(bound: nil)
        guard case .unknown(let reason, _) = outcome else { Issue.record("explicit: \(outcome)"); return }
        #expect(reason.contains("memory budget"))
        #expect(stats.states > 100_000)
        // k-induction alone holds at depth 4, as the model's comment derives.
        #expect(try KInduction(model: model).prove(maxDepth: 6) == .proved(depth: 4))
        // From the mined clauses it holds at depth 0: they exclude every finding by themselves
        // (mined from 20,000 states, which a debug build samples well within the miner's budget).
        var options = Checker.Options(engine: .kinduction)
        options.invariantSample = 20_000
        let report = try Checker(options: options).check(model)
        guard case .proved(let proof) = report.outcome else { Issue.record("k-induction: \(report.outcome)"); return }
        #expect(proof.summary.hasPrefix("k-induction at depth 0, strengthened by "), "\(proof.summary)")
        #expect(report.guestRuns == true)
    }

    /// The coverage visit keeps to its memory budget as the search does: it stops before an
    /// array doubling would exceed it, so its states' words alone fit in the budget.
    @Test func theCoverageVisitStopsWithinItsMemoryBudget() throws {
        let model = try Self.wide()
        let budget = MemoryBudget(megabytes: 2)
        let coverage = Coverage(model: model, stateLimit: .max, memoryBudget: budget)
        #expect(!coverage.complete)
        #expect(coverage.states > 1_000)
        let words = StateCodec(model: model, program: Program(model)).wordCount
        #expect(coverage.states * words * 8 <= budget.bytes, "\(coverage.states) states of \(words) words")
    }

    /// `auto` with k-induction alongside (from 65,536 states here, a million on the command
    /// line): k-induction proves the model while the explicit search runs, and stops it.
    @Test func autoProvesItWithKInductionAlongside() throws {
        var options = Checker.Options(engine: .auto)
        options.stateLimit = .max
        options.parallelProofAfter = 65_536
        options.invariantSample = 20_000
        let report = try Checker(options: options).check(try Self.wide())
        guard case .proved(let proof) = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(report.engines == [.kInduction])
        #expect(proof.summary.hasPrefix("k-induction at depth 0, strengthened by "), "\(proof.summary)")
        #expect(report.otherPhases.first?.engine == .explicit)
        #expect(report.otherPhases.first?.result.contains("k-induction, run alongside from 65536 states, proved the model first") == true,
                "\(report.otherPhases)")
    }

    /// Without the option nothing runs alongside: a small model is decided by the explicit
    /// engine whatever the threshold, as before.
    @Test func smallModelsAreDecidedByTheExplicitEngineAlone() throws {
        var options = Checker.Options(engine: .auto)
        options.parallelProofAfter = 65_536
        let report = try Checker(options: options).check(try ShippedModelsTests.load("asi.leak"))
        #expect(report.engines == [.explicit] && report.otherPhases.isEmpty)
    }

    /// The same model with VERW removed: k-induction must not prove it, and BMC finds the leak
    /// the comment predicts: entry, exit io, touch io_buf, entry (4 steps), io_buf in fill_buf.
    @Test func withoutTheFlushItLeaks() throws {
        var text = try String(contentsOfFile: repositoryRoot.appendingPathComponent("Benchmarks/models/wide-uncached.leak").path, encoding: .utf8)
        text = text.replacingOccurrences(of: "on vmentry { flush fill_buf }", with: "on vmentry { }")
        text = text.replacingOccurrences(of: "expect safe", with: "expect leak")
        let model = try loadModel(text, path: "wide-no-verw.leak")
        let report = try Checker(options: .init(engine: .kinduction)).check(model)
        guard case .finding(let trace) = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(trace.finding.check == .residue(buffer: 1))
        #expect(trace.length == 4)
    }
}
