import Foundation

/// Proves that no check can ever fail with Z3's Spacer engine (IC3/PDR on constrained Horn
/// clauses), and returns the inductive invariant it found, in the model's terms.
///
/// Spacer's answer is not trusted on its own: the invariant is re-checked with the bounded
/// encoding (it holds initially, is preserved by every step, and excludes every finding)
/// before a proof is reported.
public final class SpacerProver: @unchecked Sendable {
    public let model: Model
    let program: Program
    let context: Z3Context

    public enum Result: Hashable, Sendable {
        case proved(Invariant)
        /// Spacer derived a finding (of some length; bounded model checking shows it).
        case reachable
        case unknown(reason: String)
    }

    public init(model: Model) throws {
        self.model = model
        self.program = Program(model)
        self.context = try Z3Context()
    }

    public func prove(deadline: DispatchTime? = nil, cancellation: Cancellation? = nil) throws -> Result {
        let ctx = context
        // Spacer reports an interrupt as "unknown (ok)": remember who stopped it. Z3 clears a
        // pending interrupt when a query starts, so once a stop is due the watchdog keeps
        // interrupting until the query returns.
        let stoppedBy = StopReason()
        if let deadline, DispatchTime.now() >= deadline { return .unknown(reason: "timeout") }
        let watchdog = DispatchSource.makeTimerSource(queue: .global())
        watchdog.schedule(deadline: .now(), repeating: .milliseconds(100))
        watchdog.setEventHandler {
            if let deadline, DispatchTime.now() >= deadline { stoppedBy.set("timeout") }
            if stoppedBy.value != nil { ctx.interrupt() }
        }
        watchdog.resume()
        defer { watchdog.cancel() }
        let run = { () throws -> Result in
            do {
                return try self.run(stoppedBy: stoppedBy)
            } catch let error as Z3Error {
                // An interrupt may surface as a Z3 "canceled" error rather than an unknown.
                if let reason = stoppedBy.value { return .unknown(reason: reason) }
                throw error
            }
        }
        guard let cancellation else { return try run() }
        return try cancellation.whileRegistered({ stoppedBy.set("interrupted"); ctx.interrupt() }, run)
    }

    private final class StopReason: @unchecked Sendable {
        private let lock = NSLock()
        private var reason: String?
        func set(_ r: String) { lock.withLock { if reason == nil { reason = r } } }
        var value: String? { lock.withLock { reason } }
    }

    private func run(stoppedBy: StopReason) throws -> Result {
        let ctx = context
        let encoder = try Encoder(context: ctx, model: model, program: program)
        let s = try SymbolicState(step: 0, model: model, layout: encoder.layout, context: ctx)
        let n = try SymbolicState(step: 1, model: model, layout: encoder.layout, context: ctx)
        let commands = try encoder.commands(at: s)
        let selector = try ctx.bitVectorConstant("step", width: StateLayout.bits(commands.count + 1))
        let vars = Self.variables(s), next = Self.variables(n)
        let bad = try ctx.or(model.checks.map { try encoder.property($0, at: s, commands: commands) })

        let inv = try ctx.function("Inv", domain: try vars.map { try $0.sort }, range: ctx.boolSort())
        let err = try ctx.function("Err", domain: [], range: ctx.boolSort())
        let fp = try Z3Fixedpoint(ctx)
        let params = try Z3Params(ctx)
        try params.set("engine", symbol: "spacer")
        // Keep the predicate's arguments as they are, so that the invariant speaks of them.
        try params.set("xform.slice", bool: false)
        try params.set("xform.inline_linear", bool: false)
        try params.set("xform.inline_eager", bool: false)
        try fp.setParams(params)
        try fp.registerRelation(inv)
        try fp.registerRelation(err)
        let invS = try ctx.apply(inv, vars), invN = try ctx.apply(inv, next)
        try fp.addRule(ctx.forAll(vars, ctx.implies(encoder.initial(s), invS)), name: "init")
        try fp.addRule(ctx.forAll(vars + next + [selector],
                                  ctx.implies(ctx.and([invS, encoder.transition(from: s, commands: commands, to: n, selector: selector)]), invN)),
                       name: "step")
        let errApp = try ctx.apply(err, [])
        try fp.addRule(ctx.forAll(vars, ctx.implies(ctx.and([invS, bad]), errApp)), name: "finding")

        // An interrupt only stops a running call: one that came before the query is seen here.
        if let reason = stoppedBy.value { return .unknown(reason: reason) }
        switch try fp.query(errApp) {
        case .sat:
            return .reachable
        case .unknown(let reason):
            return .unknown(reason: stoppedBy.value ?? reason)
        case .unsat:
            break
        }
        let cover = try fp.cover(of: inv)
        // Z3 numbers the predicate's arguments as de Bruijn variables; accept the order only
        // if the invariant then checks out.
        for order in [vars, vars.reversed()] {
            let candidate = try ctx.simplify(ctx.substituteVariables(cover, Array(order)))
            if try validates(candidate, encoder: encoder, s: s, n: n, commands: commands, selector: selector,
                             bad: bad, vars: vars, next: next) {
                return .proved(try InvariantTranslator(model: model, program: program, state: s).translate(candidate).flattened)
            }
        }
        throw BMCChecker.InternalError(description: "Spacer's invariant does not validate against the encoding")
    }

    /// Initiation, consecution and safety of `candidate`, each one unsatisfiable query.
    private func validates(_ candidate: Z3Expr, encoder: Encoder, s: SymbolicState, n: SymbolicState,
                           commands: [Encoder.Command], selector: Z3Expr, bad: Z3Expr,
                           vars: [Z3Expr], next: [Z3Expr]) throws -> Bool {
        let ctx = context
        let shifted = try ctx.substitute(candidate, from: vars, to: next)
        let queries: [[Z3Expr]] = [
            [try encoder.initial(s), try ctx.not(candidate)],
            [candidate, try encoder.transition(from: s, commands: commands, to: n, selector: selector), try ctx.not(shifted)],
            [candidate, bad],
        ]
        for q in queries {
            let solver = try Z3Solver(ctx, kind: .logic("QF_BV"))
            for e in q { try solver.assert(e) }
            guard case .unsat = try solver.check() else { return false }
        }
        return true
    }

    static func variables(_ s: SymbolicState) -> [Z3Expr] {
        s.threads.indices.flatMap { s.all(of: $0) } + s.buffers.flatMap { $0 }
    }
}
