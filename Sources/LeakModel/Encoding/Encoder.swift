import LeakSMT
import LeakSemantics
import LeakSteps

/// Translates a model's `TransitionSystem` (the step rules of DESIGN.md section 3) into SMT
/// constraints over `SymbolicState`s: a total translation of `StepTerm`s that never looks at
/// a statement kind.
///
/// A step is one guarded command, chosen by the selector constant `step@k`. Commands come in
/// the same order at every step, so a selector value decodes to an `Action` through
/// `descriptors` (the symbol table) without parsing any name.
final class Encoder {
    let ctx: Z3Context
    var context: Z3Context { ctx }
    let model: Model
    let program: Program
    let space: StateSpace
    private let rules: StepRules

    /// One guarded command at one state: its action, its guard and the new values of the
    /// variables it assigns.
    struct Command {
        var action: Action
        var guardExpr: Z3Expr
        var updates: [(variable: Int, value: Z3Expr)]
    }

    /// Polled while commands and steps are built (a huge model takes long to encode): a
    /// reason stops the encoding with `Stopped`.
    var stopReason: () -> String? = { nil }

    /// The encoding was stopped (time limit, Ctrl-C) before it was complete.
    struct Stopped: Error { var reason: String }

    private func poll() throws {
        if let reason = stopReason() { throw Stopped(reason: reason) }
    }

    init(context: Z3Context, model: Model, program: Program) throws {
        ctx = context
        self.model = model
        self.program = program
        rules = StepRules(model: model, program: program)
        space = rules.space
    }

    // MARK: The transition system and its frames

    private var built: (system: TransitionSystem, frames: Frames)?
    /// Every term of the system, shared (`TermDAG`); the commands' terms as its nodes.
    private let dag = TermDAG()
    private var guardNodes: [Int] = []
    private var updateNodes: [[(variable: Int, node: Int)]] = []

    /// Which selector values may change each variable, worked out once.
    private struct Frames {
        /// Per thread, the variables of the thread and of its core (every command of the
        /// thread determines them: an unassigned one keeps its value).
        var home: [[Int]]
        /// Per variable, whether commands of other threads assign it (a kick).
        var remotelyWritten: [Bool]
        /// Every owner's variables and the selector values of its threads' commands, owners in
        /// the order of their first variable.
        var owners: [(owner: StateVar.Owner, runs: [Range<Int>], vars: [Int])]
        /// Per variable, the values commands assign it, each with where the first command
        /// that assigns it holds it (`commands[command].updates[update]`) and the runs of
        /// selector values that assign it; in the order of their first command. A command
        /// that assigns a variable its own value does not count.
        var assignedValues: [[(command: Int, update: Int, runs: [Range<Int>])]]
    }

    /// The step rules of the model (built on first use, polling `stopReason`).
    func system() throws -> TransitionSystem { try build().system }

    /// `runs` with selector value `c` added (`c` above every value in it).
    static func adding(_ c: Int, to runs: inout [Range<Int>]) {
        if let last = runs.last, last.upperBound == c {
            runs[runs.count - 1] = last.lowerBound..<(c + 1)
        } else {
            runs.append(c..<(c + 1))
        }
    }

    private func build() throws -> (system: TransitionSystem, frames: Frames) {
        if let built { return built }
        let system = try rules.system(poll: poll)
        let home: [[Int]] = model.threads.indices.map { t in space.vars.indices.filter { system.isHome($0, of: t) } }
        var remote = Array(repeating: false, count: space.vars.count)
        for (t, range) in system.threadRanges.enumerated() {
            for c in range {
                for a in system.commands[c].updates where !system.isHome(a.variable, of: t) { remote[a.variable] = true }
            }
        }
        var owners: [(owner: StateVar.Owner, runs: [Range<Int>], vars: [Int])] = []
        for (i, v) in space.vars.enumerated() {
            if let k = owners.firstIndex(where: { $0.owner == v.owner }) {
                owners[k].vars.append(i)
            } else {
                var runs: [Range<Int>] = []
                for (t, range) in system.threadRanges.enumerated() where system.isHome(i, of: t) {
                    for c in range { Self.adding(c, to: &runs) }
                }
                owners.append((v.owner, runs, [i]))
            }
        }
        guardNodes = system.commands.map { dag.intern($0.guard) }
        updateNodes = system.commands.map { c in c.updates.map { ($0.variable, dag.intern($0.value)) } }
        var assigned: [[(command: Int, update: Int, runs: [Range<Int>])]] = Array(repeating: [], count: space.vars.count)
        var valueNodes: [[Int]] = Array(repeating: [], count: space.vars.count)
        for (c, updates) in updateNodes.enumerated() {
            for (u, (x, node)) in updates.enumerated() where dag.nodes[node] != .leaf(.variable(x)) {
                if let k = valueNodes[x].firstIndex(of: node) {
                    Self.adding(c, to: &assigned[x][k].runs)
                } else {
                    valueNodes[x].append(node)
                    assigned[x].append((c, u, [c..<(c + 1)]))
                }
            }
        }
        built = (system, Frames(home: home, remotelyWritten: remote, owners: owners, assignedValues: assigned))
        return built!
    }

    /// The action of every selector value (identical at every step).
    var descriptors: [Action] { get throws { try system().commands.map(\.action) } }

    // MARK: Terms

    /// The SMT expression of `term` in state `s`.
    func expr(_ term: StepTerm, _ s: SymbolicState) throws -> Z3Expr {
        let node = dag.intern(term)
        var translation = translation(at: s)
        return try translation.expr(node)
    }

    /// The SMT expressions of `terms` in state `s`, in one translation (each shared subterm
    /// translated once, however many of the terms contain it).
    func exprs(_ terms: [StepTerm], _ s: SymbolicState) throws -> [Z3Expr] {
        let nodes = terms.map { dag.intern($0) }
        var translation = translation(at: s)
        return try nodes.map { try translation.expr($0) }
    }

    /// A translation of the shared terms in state `s` (each distinct subterm once).
    private func translation(at s: SymbolicState) -> TermDAG.Translation {
        TermDAG.Translation(dag: dag, ctx: ctx) { [unowned self] leaf in
            switch leaf {
            case .bool(let b): return try self.ctx.bool(b)
            case .code(let value, let range): return try self.ctx.bitVector(UInt64(value), width: StateSpace.bits(range))
            case .set(let set): return try self.regions(set)
            case .variable(let i): return s.vars[i]
            default: preconditionFailure("not a leaf: \(leaf)")
            }
        }
    }

    func equal(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr { try ctx.equalValues(a, b) }

    /// A constant set: one bit per member, in 64-bit chunks (most significant first) past 64.
    private func regions(_ set: RegionSet) throws -> Z3Expr {
        guard set.count > 64 else { return try ctx.bitVector(set.words[0], width: max(1, set.count)) }
        var expr: Z3Expr?
        for (k, word) in set.words.enumerated() {
            let width = min(64, set.count - 64 * k)
            let chunk = try ctx.bitVector(width == 64 ? word : word & ((1 << UInt64(width)) - 1), width: width)
            expr = try expr.map { try ctx.concat(chunk, $0) } ?? chunk
        }
        return expr!
    }

    // MARK: Initial state

    func initial(_ s: SymbolicState) throws -> Z3Expr {
        let system = try system()
        var parts: [Z3Expr] = [], chosen = Set<Int>()
        for choices in system.initial {
            let named = Set(choices.flatMap { $0.assignments.map(\.variable) }).sorted()
            chosen.formUnion(named)
            parts.append(try ctx.or(choices.map { choice in
                try ctx.and(named.map { i in
                    try equal(s.vars[i], expr(choice.assignments.first { $0.variable == i }?.value ?? space.zero(i), s))
                })
            }))
        }
        for i in space.vars.indices where !chosen.contains(i) {
            parts.append(try equal(s.vars[i], expr(space.zero(i), s)))
        }
        return try ctx.and(parts)
    }

    // MARK: Commands and steps

    /// Every command at state `s`, in the fixed order of `descriptors`.
    func commands(at s: SymbolicState) throws -> [Command] {
        let system = try system()
        var translation = translation(at: s)
        return try system.commands.enumerated().map { k, c in
            if k % 256 == 0 { try poll() }
            return Command(action: c.action, guardExpr: try translation.expr(guardNodes[k]),
                           updates: try updateNodes[k].map { ($0.variable, try translation.expr($0.node)) })
        }
    }

    /// Two ways of writing the same step relation. They are equivalent (tested by asking Z3
    /// for a step one allows and the other does not), but the solvers are not indifferent:
    /// on the shipped models bounded model checking is 1.3-2x faster with `functional`, and
    /// Spacer 2x slower (docs/PERFORMANCE.md).
    enum TransitionForm {
        /// Each next value is an `ite` over the selector; each command implies its guard.
        case functional
        /// Each command implies its guard and every value of its owner's variables; a frame
        /// per owner keeps the rest.
        case relational
    }

    /// The step from `s` to `n`: exactly one command, chosen by `selector`; every variable no
    /// chosen command may change keeps its value.
    func transition(from s: SymbolicState, commands: [Command], to n: SymbolicState, selector: Z3Expr,
                    form: TransitionForm) throws -> Z3Expr {
        switch form {
        case .functional: try functionalTransition(from: s, commands: commands, to: n, selector: selector)
        case .relational: try relationalTransition(from: s, commands: commands, to: n, selector: selector)
        }
    }

    /// The step from `s` to `n` by one of the commands `only` (selector values, ascending):
    /// the functional step with every other command left out. Where `selector` is one of
    /// them it is the same relation as `transition(form: .functional)` (the guard of the
    /// chosen command; each variable takes the value of the one `assignedValues` entry whose
    /// runs hold the selector, else keeps its own), so confirming a schedule need not build
    /// the commands no step of it takes.
    func transition(from s: SymbolicState, only chosenCommands: [Int], to n: SymbolicState, selector: Z3Expr) throws -> Z3Expr {
        let frames = try build().frames
        var translation = translation(at: s)
        let width = try selector.width
        func value(_ i: Int) throws -> Z3Expr { try ctx.bitVector(UInt64(i), width: width) }
        var parts: [Z3Expr] = [try ctx.or(chosenCommands.map { try ctx.eq(selector, value($0)) }), try ctx.not(crashed(s))]
        for c in chosenCommands {
            parts.append(try ctx.implies(ctx.eq(selector, value(c)), translation.expr(guardNodes[c])))
        }
        for x in space.vars.indices {
            // Only the assignments of commands the step can take; their values translated here
            // (the commands were never built).
            parts.append(try equal(n.vars[x], nextValue(x, s, selector, frames) { command, update, runs in
                guard chosenCommands.contains(where: { c in runs.contains { $0.contains(c) } }) else { return nil }
                return try translation.expr(updateNodes[command][update].node)
            }))
        }
        return try ctx.and(parts)
    }

    /// `selector` is one of the values in `runs` (ranges of consecutive selector values: a
    /// thread's commands that assign one value cost one comparison pair).
    func chosen(_ runs: [Range<Int>], _ selector: Z3Expr) throws -> Z3Expr {
        let width = try selector.width
        func value(_ i: Int) throws -> Z3Expr { try ctx.bitVector(UInt64(i), width: width) }
        return try ctx.or(runs.map { r in
            r.count == 1 ? try ctx.eq(selector, value(r.lowerBound))
                : try ctx.and([ctx.bvUle(value(r.lowerBound), selector), ctx.bvUlt(selector, value(r.upperBound))])
        })
    }

    /// The value of variable `x` after the step: the value the chosen command assigns it, else
    /// its value in `s`.
    private func nextValue(_ x: Int, _ s: SymbolicState, _ commands: [Command], _ selector: Z3Expr,
                           _ frames: Frames) throws -> Z3Expr {
        try nextValue(x, s, selector, frames) { command, update, _ in commands[command].updates[update].value }
    }

    /// `nextValue` with each assignment's value from `value` (command, update, its selector
    /// runs), which leaves an assignment out by giving nil: the one chain of `ite`s that both
    /// the full and the restricted step build.
    private func nextValue(_ x: Int, _ s: SymbolicState, _ selector: Z3Expr, _ frames: Frames,
                           _ value: (_ command: Int, _ update: Int, _ runs: [Range<Int>]) throws -> Z3Expr?) throws -> Z3Expr {
        var next = s.vars[x]
        for (command, update, runs) in frames.assignedValues[x].reversed() {
            guard let v = try value(command, update, runs) else { continue }
            next = try ctx.ite(chosen(runs, selector), v, next)
        }
        return next
    }

    /// Every command implies its guard; the selector is in range and nobody crashed.
    private func guards(_ s: SymbolicState, _ commands: [Command], _ selector: Z3Expr) throws -> [Z3Expr] {
        let width = try selector.width
        var parts: [Z3Expr] = [try ctx.bvUlt(selector, ctx.bitVector(UInt64(commands.count), width: width)),
                               try ctx.not(crashed(s))]
        for (i, c) in commands.enumerated() {
            if i % 256 == 0 { try poll() }
            parts.append(try ctx.implies(ctx.eq(selector, ctx.bitVector(UInt64(i), width: width)), c.guardExpr))
        }
        return parts
    }

    private func functionalTransition(from s: SymbolicState, commands: [Command], to n: SymbolicState,
                                      selector: Z3Expr) throws -> Z3Expr {
        let frames = try build().frames
        var parts = try guards(s, commands, selector)
        for x in space.vars.indices {
            parts.append(try equal(n.vars[x], nextValue(x, s, commands, selector, frames)))
        }
        return try ctx.and(parts)
    }

    private func relationalTransition(from s: SymbolicState, commands: [Command], to n: SymbolicState,
                                      selector: Z3Expr) throws -> Z3Expr {
        let (system, frames) = try build()
        var parts = try guards(s, commands, selector)
        for (t, range) in system.threadRanges.enumerated() {
            for i in range {
                if i % 256 == 0 { try poll() }
                var values: [Int: Z3Expr] = [:]
                for u in commands[i].updates { values[u.variable] = u.value }
                let effect = try frames.home[t].map { x in try equal(n.vars[x], values[x] ?? s.vars[x]) }
                parts.append(try ctx.implies(ctx.eq(selector, ctx.bitVector(UInt64(i), width: selector.width)), ctx.and(effect)))
            }
        }
        // Frames: when no command of an owner was chosen, its variables keep their values,
        // but for remote writes (a kick), which take the value the chosen command assigns.
        for (_, runs, vars) in frames.owners {
            let others = try ctx.not(chosen(runs, selector))
            let next = try vars.map { x in
                try equal(n.vars[x], frames.remotelyWritten[x] ? nextValue(x, s, commands, selector, frames) : s.vars[x])
            }
            parts.append(try ctx.implies(others, ctx.and(next)))
        }
        return try ctx.and(parts)
    }

    // MARK: State predicates

    /// What every reachable state satisfies by construction (`TransitionSystem.wellFormed`).
    func wellFormed(_ s: SymbolicState) throws -> Z3Expr { try expr(system().wellFormed, s) }

    /// Some thread runs its guest.
    func someGuestRuns(_ s: SymbolicState) throws -> Z3Expr { try expr(system().someGuestRuns, s) }

    /// Some thread crashed: the schedule has ended.
    func crashed(_ s: SymbolicState) throws -> Z3Expr { try expr(system().halted, s) }

    /// The two states differ in some variable (for simple-path constraints).
    func differ(_ a: SymbolicState, _ b: SymbolicState) throws -> Z3Expr {
        try ctx.or(zip(a.vars, b.vars).map { try ctx.not(equal($0, $1)) })
    }

    /// The state predicate of a check (deadlock needs the commands at `s`). Nothing but the
    /// crash is reported from a crashed state, and a crashed state is no deadlock.
    func property(_ check: Model.Check, at s: SymbolicState, commands: [Command]) throws -> Z3Expr {
        let system = try system()
        if let predicate = system.predicate(of: check) { return try expr(predicate, s) }
        precondition(check == .deadlock, "progress has no state predicate: its finding is a loop (Lasso)")
        // An idle loop spinning is no move (docs/SEMANTICS.md, "Idle threads").
        let moves = zip(system.commands, commands).filter { !$0.0.action.isIdle }.map(\.1.guardExpr)
        return try ctx.and([ctx.not(expr(system.halted, s)), ctx.not(ctx.or(moves))])
    }

    // MARK: Decoding

    /// The concrete state a solver model gives `s`.
    func decode(_ m: Z3Model, _ s: SymbolicState) throws -> SystemState {
        let values = try zip(space.vars, s.vars).map { v, e -> StateValue in
            switch v.sort {
            case .bool: return .bool(try m.bool(e))
            case .code: return .code(Int(try m.uint(e)))
            case .set(let count):
                var set = RegionSet(count: count)
                if count <= 64 {
                    let bits = try m.uint(e)
                    for r in 0..<count where bits & (1 << UInt64(r)) != 0 { set.insert(r) }
                } else {
                    for r in 0..<count where try m.uint(ctx.extract(e, high: r, low: r)) == 1 { set.insert(r) }
                }
                return .set(set)
            }
        }
        return space.state(from: values)
    }
}
