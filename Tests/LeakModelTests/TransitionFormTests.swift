import Testing
@testable import LeakEncoding
@testable import LeakModel
@testable import LeakSMT
@testable import LeakSemantics
@testable import LeakSteps

/// The two forms of the step relation (`Encoder.TransitionForm`: bounded model checking and
/// k-induction use one, Spacer and the invariant re-check the other) are one relation: Z3
/// finds no pair of states and selector value that one allows and the other does not, from
/// any state, reachable or not. The step of one action alone, which confirming another
/// engine's schedule asserts, is the same relation wherever the selector takes that action.
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

    /// The actions whose step, with every other command left out (`transition(from:only:...)`,
    /// what confirming a schedule asserts), is not the full step where the selector takes
    /// one of the action's commands; and how many actions were compared.
    static func restrictedDiffers(_ model: Model) throws -> (differing: [Action], compared: Int) {
        let ctx = try Z3Context()
        let encoder = try Encoder(context: ctx, model: model, program: Program(model))
        let s = try SymbolicState(step: 0, space: encoder.space, context: ctx)
        let n = try SymbolicState(step: 1, space: encoder.space, context: ctx)
        let descriptors = try encoder.descriptors
        let selector = try ctx.bitVectorConstant("step", width: StateSpace.bits(descriptors.count + 1))
        let functional = try encoder.transition(from: s, commands: encoder.commands(at: s), to: n, selector: selector,
                                                form: .functional)
        var actions: [(action: Action, commands: [Int])] = []
        for (c, action) in descriptors.enumerated() {
            if let k = actions.firstIndex(where: { $0.action == action }) { actions[k].commands.append(c) } else { actions.append((action, [c])) }
        }
        let solver = try Z3Solver(ctx, kind: .logic("QF_BV"))
        var differing: [Action] = []
        for (action, commands) in actions {
            try solver.push()
            let restricted = try encoder.transition(from: s, only: commands, to: n, selector: selector)
            var runs: [Range<Int>] = []
            for c in commands { Encoder.adding(c, to: &runs) }
            try solver.assert(ctx.and([encoder.chosen(runs, selector), ctx.not(ctx.iff(functional, restricted))]))
            if try solver.check() != .unsat { differing.append(action) }
            try solver.pop()
        }
        return (differing, actions.count)
    }

    @Test(arguments: shippedModels)
    func shippedModel(_ shipped: ShippedModel) throws {
        let model = try ShippedModelsTests.load(shipped.file)
        let result = try Self.compare(model)
        #expect(result.differ == .unsat)
        #expect(result.steps == .sat)
        let restricted = try Self.restrictedDiffers(model)
        #expect(restricted.differing.isEmpty)
        #expect(restricted.compared > 1)
    }

    /// Random models of every generator shape, kicks (remote writes) among them.
    @Test(arguments: Array(UInt64(1)...UInt64(24)))
    func randomModel(seed: UInt64) throws {
        let model = try loadModel(RandomModel(seed: seed, bound: 7).source(), path: "random-\(seed).leak")
        let result = try Self.compare(model)
        #expect(result.differ == .unsat, "seed \(seed)")
        #expect(result.steps == .sat, "seed \(seed)")
        let restricted = try Self.restrictedDiffers(model)
        #expect(restricted.differing.isEmpty, "seed \(seed)")
        #expect(restricted.compared > 1, "seed \(seed)")
    }
}
