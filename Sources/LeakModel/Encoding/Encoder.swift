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
        /// Per variable, the commands of other threads that assign it.
        var remoteWriters: [[Int]]
        /// Every owner's variables, owners in the order of their first variable.
        var owners: [(owner: StateVar.Owner, threads: [Int], vars: [Int])]
    }

    /// The step rules of the model (built on first use, polling `stopReason`).
    func system() throws -> TransitionSystem { try build().system }

    private func build() throws -> (system: TransitionSystem, frames: Frames) {
        if let built { return built }
        let system = try rules.system(poll: poll)
        let home: [[Int]] = model.threads.indices.map { t in space.vars.indices.filter { system.isHome($0, of: t) } }
        var remote: [[Int]] = Array(repeating: [], count: space.vars.count)
        for (t, range) in system.threadRanges.enumerated() {
            for c in range {
                for a in system.commands[c].updates where !system.isHome(a.variable, of: t) {
                    remote[a.variable].append(c)
                }
            }
        }
        var owners: [(owner: StateVar.Owner, threads: [Int], vars: [Int])] = []
        for (i, v) in space.vars.enumerated() {
            if let k = owners.firstIndex(where: { $0.owner == v.owner }) {
                owners[k].vars.append(i)
            } else {
                let threads = model.threads.indices.filter { t in
                    switch v.owner {
                    case .thread(let u): t == u
                    case .core(let c): system.threadCores[t] == c
                    }
                }
                owners.append((v.owner, threads, [i]))
            }
        }
        guardNodes = system.commands.map { dag.intern($0.guard) }
        updateNodes = system.commands.map { c in c.updates.map { ($0.variable, dag.intern($0.value)) } }
        built = (system, Frames(home: home, remoteWriters: remote, owners: owners))
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

    private func equal(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr { try ctx.equalValues(a, b) }

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

    /// The step from `s` to `n`: exactly one command, chosen by `selector`; every variable no
    /// chosen command may change keeps its value.
    func transition(from s: SymbolicState, commands: [Command], to n: SymbolicState, selector: Z3Expr) throws -> Z3Expr {
        let (system, frames) = try build()
        let width = try selector.width
        func sel(_ i: Int) throws -> Z3Expr { try ctx.eq(selector, ctx.bitVector(UInt64(i), width: width)) }
        func within(_ r: Range<Int>) throws -> Z3Expr {
            try ctx.and([ctx.bvUle(ctx.bitVector(UInt64(r.lowerBound), width: width), selector),
                         ctx.bvUlt(selector, ctx.bitVector(UInt64(r.upperBound), width: width))])
        }
        var parts: [Z3Expr] = [try ctx.bvUlt(selector, ctx.bitVector(UInt64(commands.count), width: width)),
                               try ctx.not(expr(system.halted, s))]
        for (t, range) in system.threadRanges.enumerated() {
            for i in range {
                if i % 256 == 0 { try poll() }
                let c = commands[i]
                var values: [Int: Z3Expr] = [:]
                for u in c.updates { values[u.variable] = u.value }
                var effect = [c.guardExpr]
                for x in frames.home[t] { effect.append(try equal(n.vars[x], values[x] ?? s.vars[x])) }
                for u in c.updates where !system.isHome(u.variable, of: t) { effect.append(try equal(n.vars[u.variable], u.value)) }
                parts.append(try ctx.implies(sel(i), ctx.and(effect)))
            }
        }
        // Frames: a variable keeps its value unless a command of its owner, or a command that
        // writes it remotely (a kick), was chosen.
        for (_, threads, vars) in frames.owners {
            let acting = try ctx.or(threads.map { try within(system.threadRanges[$0]) })
            var kept: [Z3Expr] = []
            for x in vars {
                let same = try equal(n.vars[x], s.vars[x])
                if frames.remoteWriters[x].isEmpty {
                    kept.append(same)
                } else {
                    let writers = try frames.remoteWriters[x].map(sel)
                    parts.append(try ctx.implies(ctx.not(ctx.or([acting] + writers)), same))
                }
            }
            if !kept.isEmpty { parts.append(try ctx.implies(ctx.not(acting), ctx.and(kept))) }
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
        return try ctx.and([ctx.not(expr(system.halted, s)), ctx.not(ctx.or(commands.map(\.guardExpr)))])
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
