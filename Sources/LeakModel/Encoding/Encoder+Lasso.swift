import LeakSMT
import LeakSemantics
import LeakSteps

/// DESIGN.md 6.2 as a monitor that runs beside the states (liveness to safety, Biere, Artho
/// and Schuppan 2002): a lasso whose loop runs from some state l back to a later state k is
/// fair (no interrupt handler starts in it; every thread that has a move other than an
/// interrupt start in one of the states l..<k takes a step in it) and starves a thread (in
/// guest mode in none of the states l...k).
///
/// Beside each state the monitor keeps a frame (`LassoFrame`): whether the loop has started;
/// the state where it started (a copy); and, for the loop so far, which threads could move,
/// which stepped, whether an interrupt started, and which threads stayed out of guest mode.
/// A lasso ends in a state when the loop has taken a step, the state equals the copy, and the
/// frame says fair and starving (`lasso`). The loop's start is a free choice, and "never
/// starts" satisfies every constraint: the monitor takes nothing from the other checks.
///
/// Bounded model checking unrolls it beside the states (one frame per state, so the
/// constraints grow linearly with the bound; a disjunction over every l per bound grew with
/// its square and took the solvers minutes at bound 16); Spacer gets the pair of frames of
/// one step, which makes the progress question a safety question (`SpacerProver`).
struct LassoFrame {
    /// The loop has started in this state or before.
    let inLoop: Z3Expr
    /// The state the loop started in (meaningful while `inLoop`).
    let saved: SymbolicState
    /// Per thread: could move in a loop state before this one; stepped in a loop step before
    /// this state; out of guest mode in every loop state up to this one.
    let couldMove: [Z3Expr], stepped: [Z3Expr], outOfGuest: [Z3Expr]
    /// No interrupt handler started in a loop step before this state.
    let quiet: Z3Expr

    /// A frame of fresh constants named `loop.*@suffix`.
    init(_ suffix: String, encoder: Encoder) throws {
        let ctx = encoder.ctx
        let names = encoder.model.threads.map(\.name)
        inLoop = try ctx.boolConstant("loop.in@\(suffix)")
        saved = try SymbolicState(name: suffix, space: encoder.space, context: ctx, prefix: "loop.saved.")
        couldMove = try names.map { try ctx.boolConstant("loop.could_move.\($0)@\(suffix)") }
        stepped = try names.map { try ctx.boolConstant("loop.stepped.\($0)@\(suffix)") }
        outOfGuest = try names.map { try ctx.boolConstant("loop.out_of_guest.\($0)@\(suffix)") }
        quiet = try ctx.boolConstant("loop.no_interrupt@\(suffix)")
    }

    /// Every constant of the frame.
    var vars: [Z3Expr] { [inLoop] + saved.vars + couldMove + stepped + outOfGuest + [quiet] }
}

extension Encoder {
    /// The monitor's frame `m` beside an initial state `s`: the loop may start there.
    func lassoInitial(_ m: LassoFrame, _ s: SymbolicState) throws -> Z3Expr {
        try ctx.implies(m.inLoop, loopStart(m, s))
    }

    /// The monitor's step from frame `m` beside `s` (whose commands are `commands`) to frame
    /// `n` beside `next`, the step being the one `selector` chooses.
    func lassoStep(from m: LassoFrame, _ s: SymbolicState, commands: [Command], selector: Z3Expr,
                   to n: LassoFrame, _ next: SymbolicState) throws -> Z3Expr {
        let threads = model.threads.indices
        var onward = try zip(n.saved.vars, m.saved.vars).map { try equal($0, $1) }
        for t in threads {
            onward.append(try ctx.iff(n.couldMove[t], ctx.or([m.couldMove[t], canMove(t, commands)])))
            onward.append(try ctx.iff(n.stepped[t], ctx.or([m.stepped[t], countedStepChosen(t, selector)])))
            onward.append(try ctx.iff(n.outOfGuest[t], ctx.and([m.outOfGuest[t], ctx.not(inGuest(t, next))])))
        }
        onward.append(try ctx.iff(n.quiet, ctx.and([m.quiet, ctx.not(interruptChosen(selector))])))
        return try ctx.and([
            // Started here: the copy is this state, nothing has happened in the loop yet.
            ctx.implies(ctx.and([n.inLoop, ctx.not(m.inLoop)]), loopStart(n, next)),
            // Once started, the loop goes on, and this step is one of its steps.
            ctx.implies(m.inLoop, ctx.and([n.inLoop] + onward)),
        ])
    }

    /// A fair starving lasso ends in `s`, whose monitor frame is `m`.
    func lasso(_ m: LassoFrame, _ s: SymbolicState) throws -> Z3Expr {
        let threads = model.threads.indices
        var parts = [m.inLoop, try ctx.or(m.stepped), m.quiet]
        parts += try zip(m.saved.vars, s.vars).map { try equal($0, $1) }
        parts += try threads.map { try ctx.implies(m.couldMove[$0], m.stepped[$0]) }
        // A host-only thread never runs a guest: it cannot starve.
        parts.append(try ctx.or(threads.filter(model.canStarve).map { m.outOfGuest[$0] }))
        return try ctx.and(parts)
    }

    private func loopStart(_ m: LassoFrame, _ s: SymbolicState) throws -> Z3Expr {
        var parts = try zip(m.saved.vars, s.vars).map { try equal($0, $1) }
        parts += try m.couldMove.map { try ctx.not($0) } + m.stepped.map { try ctx.not($0) } + [m.quiet]
        parts += try model.threads.indices.map { try ctx.iff(m.outOfGuest[$0], ctx.not(inGuest($0, s))) }
        return try ctx.and(parts)
    }

    /// Thread t is in guest mode in `s`.
    func inGuest(_ t: Int, _ s: SymbolicState) throws -> Z3Expr {
        let pc = s.vars[space[.pc(thread: t, level: .base)]]
        return try ctx.eq(pc, ctx.bitVector(UInt64(StateSpace.guestCode), width: try pc.width))
    }

    /// The step chosen by `selector` starts an interrupt handler.
    func interruptChosen(_ selector: Z3Expr) throws -> Z3Expr {
        let system = try system()
        var runs: [Range<Int>] = []
        for (c, command) in system.commands.enumerated() {
            if case .interrupt = command.action { Self.adding(c, to: &runs) }
        }
        return try runs.isEmpty ? ctx.bool(false) : chosen(runs, selector)
    }

    /// Thread t has a move other than starting an interrupt handler or idling, at the state
    /// whose commands these are.
    func canMove(_ t: Int, _ commands: [Command]) throws -> Z3Expr {
        let system = try system()
        return try ctx.or(system.threadRanges[t].filter { !system.commands[$0].action.isUncountedByFairness }
            .map { commands[$0].guardExpr })
    }

    /// The step chosen by `selector` is one of thread t's that fairness counts (no idle step).
    func countedStepChosen(_ t: Int, _ selector: Z3Expr) throws -> Z3Expr {
        let system = try system()
        var runs: [Range<Int>] = []
        for c in system.threadRanges[t] where !system.commands[c].action.isIdle { Self.adding(c, to: &runs) }
        return try runs.isEmpty ? ctx.bool(false) : chosen(runs, selector)
    }
}
