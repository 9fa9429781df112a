import LeakSMT
import LeakSemantics
import LeakSteps

/// One step of the encoding, from a state `s` to its successor `n`, with what a candidate
/// inductive invariant must satisfy: shared by Spacer's Horn clauses and by the re-check of
/// every invariant, found or stored, before it counts as a proof.
struct InductionFrame {
    let encoder: Encoder
    let s: SymbolicState
    let n: SymbolicState
    let commands: [Encoder.Command]
    let selector: Z3Expr
    /// Some check the model names fails in `s` (for progress: a lasso ends there).
    let bad: Z3Expr
    /// The state variables of `s` and of `n`, in the same order (with the lasso monitor's).
    let vars: [Z3Expr]
    let next: [Z3Expr]
    /// With `check progress`: the lasso monitor's frames beside `s` and `n` (liveness to
    /// safety, `LassoFrame`); nil otherwise.
    let loop: (s: LassoFrame, n: LassoFrame)?

    /// `stopReason` is polled while the step is encoded (`Encoder.Stopped`).
    init(model: Model, program: Program, context ctx: Z3Context, stopReason: @escaping () -> String? = { nil }) throws {
        let encoder = try Encoder(context: ctx, model: model, program: program)
        encoder.stopReason = stopReason
        let s = try SymbolicState(step: 0, space: encoder.space, context: ctx)
        let commands = try encoder.commands(at: s)
        self.encoder = encoder
        self.s = s
        self.commands = commands
        n = try SymbolicState(step: 1, space: encoder.space, context: ctx)
        selector = try ctx.bitVectorConstant("step", width: StateSpace.bits(commands.count + 1))
        var bad = try model.stateChecks.map { try encoder.property($0, at: s, commands: commands) }
        if model.checks.contains(.progress) {
            let loop = (s: try LassoFrame("0", encoder: encoder), n: try LassoFrame("1", encoder: encoder))
            self.loop = loop
            vars = Self.variables(s) + loop.s.vars
            next = Self.variables(n) + loop.n.vars
            bad.append(try encoder.lasso(loop.s, s))
        } else {
            loop = nil
            vars = Self.variables(s)
            next = Self.variables(n)
        }
        self.bad = try ctx.or(bad)
    }

    var context: Z3Context { encoder.ctx }

    /// The initial states (with the monitor beside them).
    func initial() throws -> Z3Expr {
        guard let loop else { return try encoder.initial(s) }
        return try context.and([encoder.initial(s), encoder.lassoInitial(loop.s, s)])
    }

    /// The step relation from `s` to `n`, in the form Spacer handles best (`Encoder.TransitionForm`),
    /// with the monitor's step.
    func transition() throws -> Z3Expr {
        let step = try encoder.transition(from: s, commands: commands, to: n, selector: selector, form: .relational)
        guard let loop else { return step }
        return try context.and([step, encoder.lassoStep(from: loop.s, s, commands: commands, selector: selector, to: loop.n, n)])
    }

    /// The invariant in the model's terms.
    func translate(_ candidate: Z3Expr, program: Program) throws -> Invariant {
        try InvariantTranslator(model: encoder.model, program: program, space: encoder.space, state: s, loop: loop?.s)
            .translate(candidate).flattened
    }

    /// Whether `candidate`, a formula over `vars`, holds in every initial state, is preserved
    /// by every step and excludes every finding: one query, unsatisfiable exactly when all
    /// three hold. Nil when the solver gives up.
    func isInductiveInvariant(_ candidate: Z3Expr) throws -> Bool? {
        let ctx = context
        let shifted = try ctx.substitute(candidate, from: vars, to: next)
        let broken = try ctx.or([
            ctx.and([initial(), ctx.not(candidate)]),
            ctx.and([candidate, transition(), ctx.not(shifted)]),
            ctx.and([candidate, bad]),
        ])
        let solver = try Z3Solver(ctx, kind: .logic("QF_BV"))
        try solver.assert(broken)
        switch try solver.check() {
        case .unsat: return true
        case .sat: return false
        case .unknown: return nil
        }
    }

    static func variables(_ s: SymbolicState) -> [Z3Expr] {
        s.vars
    }
}
