import Testing
@testable import LeakEncoding
@testable import LeakEngines
@testable import LeakExplicit
@testable import LeakModel
@testable import LeakSemantics
@testable import LeakSteps

/// The invariants k-induction starts from (`InvariantMiner`): mined from a sample, kept only
/// where Z3 shows them inductive.
@Suite("Mined invariants")
struct InvariantMinerTests {
    /// Every state of `model` (at most `limit`), as the values the clauses are read in.
    static func reachable(_ model: Model, limit: Int = 50_000) -> (rows: [[StateValue]], complete: Bool) {
        let program = Program(model)
        let space = StateSpace(model: model, program: program)
        var rows: [[StateValue]] = []
        _ = Interpreter(model: model, program: program).visitReachable(limit: limit, stop: { false }) { rows.append(space.values(of: $0)) }
        return (rows, rows.count < limit)
    }

    /// Houdini keeps only invariants, whatever the sample: mined from the first 30 states
    /// (far too few to be representative), every clause kept holds in every reachable state.
    /// Some seeds must have had candidates to drop, or the test would show nothing.
    @Test func keptClausesHoldInEveryReachableState() throws {
        var dropped = 0, compared = 0
        for seed in UInt64(1)...UInt64(16) {
            let model = try loadModel(RandomModel(seed: seed, bound: 6).source(), path: "random-\(seed).leak")
            guard let invariant = try InvariantMiner(model: model).invariant(sampleLimit: 30) else {
                Issue.record("seed \(seed): the miner stopped without a deadline")
                continue
            }
            let (rows, complete) = Self.reachable(model)
            guard complete else { continue }
            compared += 1
            if invariant.clauses.count < invariant.candidates { dropped += 1 }
            for clause in invariant.clauses {
                if let row = rows.first(where: { !clause.truth($0) }) {
                    Issue.record("seed \(seed): kept \(clause), which a reachable state falsifies: \(row)")
                    break
                }
            }
        }
        #expect(compared >= 8)
        #expect(dropped >= 4, "\(dropped) of \(compared) seeds dropped a candidate")
    }

    /// The hold protocols plain k-induction cannot prove (not inductive to depth 6) are
    /// inductive at depth 0 from the mined clauses: the clauses alone exclude every finding.
    @Test(arguments: ["asi.leak", "coresched-asi-hold.leak"])
    func minedClausesProveTheHoldProtocols(file: String) throws {
        let model = try ShippedModelsTests.load(file)
        #expect(try KInduction(model: model).prove(maxDepth: 6) == .notInductive(depth: 6))
        let (result, invariant) = try KInduction(model: model).proveWithMinedInvariant(maxDepth: 6)
        #expect(result == .proved(depth: 0))
        // Every reachable state was sampled (the models are small), so every candidate is
        // true; Houdini may still drop one that is not inductive with the others.
        #expect(invariant.map { $0.clauses.count > $0.candidates * 9 / 10 } == true)
    }

    /// A generated hold protocol with 8 exits and 2 interrupts (4,921 states): the combination
    /// of the threads' variables and l1d's secrets is the clause that makes it inductive.
    @Test func minedClausesProveAGeneratedHoldProtocol() throws {
        var parameters = ModelGenerator.Parameters()
        (parameters.exits, parameters.regions, parameters.interrupts) = (8, 8, 2)
        let model = try loadModel(try ModelGenerator(parameters).source(), path: "x8.leak")
        let (result, invariant) = try KInduction(model: model).proveWithMinedInvariant(maxDepth: 2)
        #expect(result == .proved(depth: 0))
        // The breadth-first half of the sample reaches every state, so no walk is taken.
        #expect(invariant?.sampled == 4_921)
        let report = try Checker(options: .init(bound: 2, engine: .kinduction)).check(model)
        guard case .proved(let proof) = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(proof.summary.hasPrefix("k-induction at depth 0, strengthened by "), "\(proof.summary)")
    }
}
