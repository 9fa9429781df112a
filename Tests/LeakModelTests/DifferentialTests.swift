import Foundation
import Testing
@testable import LeakModel
@testable import LeakTrace
@testable import LeakExplicit
@testable import LeakEncoding
@testable import LeakEngines

/// The SMT encoding and the explicit interpreter must agree on random models: the same first
/// finding (check and length) within the bound, or none. Every SMT schedule is also replayed
/// through the interpreter inside `BMCChecker`, so a wrong schedule fails there. The proof
/// engines (Spacer, k-induction) and the default portfolio must agree with the explicit
/// engine's exhaustive verdict. Seeds 1-500 at night (`LEAKCHECK_NIGHTLY=1`); by default a
/// stratified sample of them (`Sweep`); `LEAKCHECK_DIFF_COUNT=N` runs seeds 1...N.
@Suite("Differential: SMT encoding against the explicit engine")
struct DifferentialTests {
    static let sweep = SweepPlan("differential", "LEAKCHECK_DIFF_COUNT", candidates: Array(1...500), perStratum: 3) { seed in
        Sweep.strata(of: RandomModel(seed: seed, bound: 7).source(), seed: seed)
    }
    static let seeds = sweep.seeds

    @Test(arguments: seeds)
    func enginesAgree(seed: UInt64) throws {
        let generator = RandomModel(seed: seed, bound: 7)
        let source = generator.source()
        let full = try loadModel(source, path: "random-\(seed).leak")
        // All checks together (tests the tie-breaking), then each on its own (reaches deeper).
        for checks in [full.checks] + full.checks.map({ [$0] }) {
            var model = full
            model.checks = checks
            let (explicit, _) = ExplicitChecker(model: model, stateLimit: 200_000).check(bound: generator.bound)
            let (smt, _) = try BMCChecker(model: model).check(bound: generator.bound)
            let a = summary(explicit), b = summary(smt)
            if case .unknown(_, let completed?) = explicit {
                // The explicit engine stopped at its state limit: it still proved that nothing
                // is found within `completed` steps, which the SMT result must not contradict.
                #expect((b.1 ?? Int.max) > completed, "seed \(seed), checks \(checks): explicit none within \(completed), smt \(b)\n\(source)")
                continue
            }
            #expect(a.0 == b.0 && a.1 == b.1, "seed \(seed), checks \(checks): explicit \(a), smt \(b)\n\(source)")
        }
    }

    /// Seeds of the random models that also name `check progress`.
    static let progressSeeds: [UInt64] = Array(1...30)

    /// `check progress` (DESIGN.md 6.2) on random models: the explicit engine's fair-component
    /// search and the bounded lasso encoding find the same shortest starvation within the
    /// bound, or none (with the model's other checks, for the order at equal length, and
    /// alone); for all lengths, the portfolio answers as the explicit engine's exhaustive
    /// search does. Every lasso either engine reports has been replayed (`Replay.validateLasso`).
    @Test(.exercised(atLeast: 0.5), arguments: progressSeeds)
    func progressEnginesAgree(seed: UInt64) throws {
        let generator = RandomModel(seed: seed, bound: 7, progress: true)
        let source = generator.source()
        let full = try loadModel(source, path: "random-progress-\(seed).leak")
        for checks in [full.checks, [.progress]] {
            var model = full
            model.checks = checks
            let (explicit, _) = ExplicitChecker(model: model, stateLimit: 100_000).check(bound: generator.bound)
            if case .unknown = explicit { continue }
            let (smt, _) = try BMCChecker(model: model).check(bound: generator.bound)
            let a = summary(explicit), b = summary(smt)
            #expect(a.0 == b.0 && a.1 == b.1, "seed \(seed), checks \(checks): explicit \(a), smt \(b)\n\(source)")
            for case .finding(let t) in [explicit, smt] {
                #expect((t.loopStart != nil) == (t.finding.check == .progress), "seed \(seed): \(summary(.finding(t)))")
            }
        }
        var alone = full
        alone.checks = [.progress]
        let (reference, _) = ExplicitChecker(model: alone, stateLimit: 100_000).check(bound: nil)
        let decided = if case .unknown = reference { false } else { true }
        CaseTally.record(exercised: decided)
        guard decided else { return }
        let report = try Checker(options: .init(bound: generator.bound)).check(alone)
        #expect(summary(report.outcome) == summary(reference) && report.outcome.verdictWord == reference.verdictWord,
                "seed \(seed): portfolio \(summary(report.outcome)) \(report.outcome.verdictWord), explicit \(summary(reference))\n\(source)")
    }

    /// The progress seeds exercise both answers: some models starve, some make progress (a
    /// sample of one kind would let an engine that always says the same pass).
    @Test func progressSeedsHaveBothAnswers() throws {
        var words: [String: Int] = [:]
        for seed in Self.progressSeeds {
            var model = try loadModel(RandomModel(seed: seed, bound: 7, progress: true).source())
            model.checks = [.progress]
            words[ExplicitChecker(model: model, stateLimit: 100_000).check(bound: nil).0.verdictWord, default: 0] += 1
        }
        #expect(words["starvation", default: 0] >= 3 && words["safe", default: 0] >= 3, "\(words)")
    }

    /// Every engine's verdict for all lengths on the same random model: the explicit engine's
    /// exhaustive search is the reference; Spacer must prove exactly the models it proves and
    /// refute the others (or give up); k-induction, with BMC's base case, must prove none that
    /// has a finding; and the default portfolio must give the same verdict and shortest length.
    /// (A model the explicit engine cannot explore within its state limit has no reference: it
    /// is skipped, and counted; at least half the cases must be exercised.)
    @Test(.exercised(atLeast: 0.5), arguments: seeds)
    func proofEnginesAgree(seed: UInt64) throws {
        let generator = RandomModel(seed: seed, bound: 7)
        let source = generator.source()
        let model = try loadModel(source, path: "random-\(seed).leak")
        let (reference, _) = ExplicitChecker(model: model, stateLimit: 100_000).check(bound: nil)
        let decided = if case .unknown = reference { false } else { true }
        CaseTally.record(exercised: decided)
        if !decided { return }
        let context = "seed \(seed): explicit \(summary(reference))\n\(source)"

        switch try SpacerProver(model: model).prove(deadline: .now() + .seconds(10)) {
        case .proved:
            #expect(reference.verdictWord == "safe", "Spacer proves it; \(context)")
        case .reachable:
            #expect(reference.verdictWord != "safe", "Spacer derives a finding; \(context)")
        case .unknown:
            break
        }

        // k-induction's proof rests on BMC's base case "no finding within the bound": only a
        // model that passes it can be proved, so only those are asked.
        let baseCaseHolds: Bool
        if case .finding(let t) = reference { baseCaseHolds = t.length > generator.bound } else { baseCaseHolds = true }
        if baseCaseHolds, case .proved = try KInduction(model: model).prove(maxDepth: generator.bound + 1) {
            #expect(reference.verdictWord == "safe", "k-induction proves it; \(context)")
        }

        let report = try Checker(options: .init(bound: generator.bound)).check(model)
        switch (report.outcome, reference) {
        case (.finding(let a), .finding(let b)):
            #expect(a.finding.check == b.finding.check && a.length == b.length,
                    "portfolio \(summary(report.outcome)); \(context)")
        case (.proved, .proved):
            break
        default:
            Issue.record("portfolio \(report.outcome.verdictWord) \(summary(report.outcome)); \(context)")
        }
    }
}
