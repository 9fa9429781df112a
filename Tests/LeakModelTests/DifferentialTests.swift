import Foundation
import Testing
@testable import LeakModel

/// The SMT encoding and the explicit interpreter must agree on random models: the same first
/// finding (check and length) within the bound, or none. Every SMT schedule is also replayed
/// through the interpreter inside `BMCChecker`, so a wrong schedule fails there.
@Suite("Differential: SMT encoding against the explicit engine")
struct DifferentialTests {
    static let seeds: [UInt64] = Array(1...UInt64(ProcessInfo.processInfo.environment["LEAKCHECK_DIFF_COUNT"].flatMap { Int($0) } ?? 300))

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
}
