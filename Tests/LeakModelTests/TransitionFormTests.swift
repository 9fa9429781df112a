import Testing
@testable import LeakEncoding
@testable import LeakModel
@testable import LeakSMT
@testable import LeakSemantics
@testable import LeakSteps

/// The two forms of the step relation (`Encoder.TransitionForm`: bounded model checking and
/// k-induction use one, Spacer and the invariant re-check the other) are one relation: Z3
/// finds no pair of states and selector value that one allows and the other does not, from
/// any state, reachable or not.
@Suite("Transition forms agree")
struct TransitionFormTests {
    /// Whether the two forms differ anywhere, and whether the step relation allows any step.
    static func compare(_ model: Model) throws -> (differ: SolverResult, steps: SolverResult) {
        let ctx = try Z3Context()
        let encoder = try Encoder(context: ctx, model: model, program: Program(model))
        let s = try SymbolicState(step: 0, space: encoder.space, context: ctx)
        let n = try SymbolicState(step: 1, space: encoder.space, context: ctx)
        let commands = try encoder.commands(at: s)
        let selector = try ctx.bitVectorConstant("step", width: StateSpace.bits(commands.count + 1))
        let functional = try encoder.transition(from: s, commands: commands, to: n, selector: selector, form: .functional)
        let relational = try encoder.transition(from: s, commands: commands, to: n, selector: selector, form: .relational)
        let differ = try Z3Solver(ctx, kind: .logic("QF_BV"))
        try differ.assert(ctx.not(ctx.iff(functional, relational)))
        let steps = try Z3Solver(ctx, kind: .logic("QF_BV"))
        try steps.assert(ctx.and([encoder.wellFormed(s), functional]))
        return (try differ.check(), try steps.check())
    }

    @Test(arguments: shippedModels)
    func shippedModel(_ shipped: ShippedModel) throws {
        let result = try Self.compare(try ShippedModelsTests.load(shipped.file))
        #expect(result.differ == .unsat)
        #expect(result.steps == .sat)
    }

    /// Random models of every generator shape, kicks (remote writes) among them.
    @Test(arguments: Array(UInt64(1)...UInt64(24)))
    func randomModel(seed: UInt64) throws {
        let model = try loadModel(RandomModel(seed: seed, bound: 7).source(), path: "random-\(seed).leak")
        let result = try Self.compare(model)
        #expect(result.differ == .unsat, "seed \(seed)")
        #expect(result.steps == .sat, "seed \(seed)")
    }
}
