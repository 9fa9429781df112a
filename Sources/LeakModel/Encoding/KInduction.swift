import Foundation

/// Proves that no check of the model can ever fail, by k-induction with simple-path
/// constraints over well-formed states.
///
/// Depth k succeeds when no loop-free path of k+1 well-formed states, the first k without a
/// finding, ends in a finding. Together with bounded model checking showing no finding
/// within k-1 steps (the base case, which the caller establishes), that proves the model
/// for every length: the shortest path to a finding would be such a path.
public final class KInduction: @unchecked Sendable {
    public let model: Model
    let program: Program
    let context: Z3Context

    public enum Result: Hashable, Sendable {
        /// The checks are k-inductive at this depth.
        case proved(depth: Int)
        /// Not inductive up to this depth (the model may still be safe).
        case notInductive(depth: Int)
        case unknown(reason: String, depth: Int)
    }

    public init(model: Model) throws {
        self.model = model
        self.program = Program(model)
        self.context = try Z3Context()
    }

    /// Tries depths `0...maxDepth` until one is inductive.
    public func prove(maxDepth: Int, deadline: DispatchTime? = nil, cancellation: Cancellation? = nil) throws -> Result {
        let context = self.context
        guard let cancellation else { return try run(maxDepth: maxDepth, deadline: deadline, cancellation: nil) }
        return try cancellation.whileRegistered({ context.interrupt() }) {
            try run(maxDepth: maxDepth, deadline: deadline, cancellation: cancellation)
        }
    }

    private func run(maxDepth: Int, deadline: DispatchTime?, cancellation: Cancellation?) throws -> Result {
        let ctx = context
        let encoder = try Encoder(context: ctx, model: model, program: program)
        let solver = try Z3Solver(ctx, kind: .logic("QF_BV"))
        var states = [try SymbolicState(step: 0, model: model, layout: encoder.layout, context: ctx)]
        var commands = [try encoder.commands(at: states[0])]
        let selectorWidth = StateLayout.bits(commands[0].count + 1)
        var bad = [try finding(encoder, states[0], commands[0])]
        try solver.assert(encoder.wellFormed(states[0]))
        for k in 0...maxDepth {
            if k > 0 {
                let next = try SymbolicState(step: k, model: model, layout: encoder.layout, context: ctx)
                let selector = try ctx.bitVectorConstant("step@\(k - 1)", width: selectorWidth)
                try solver.assert(encoder.transition(from: states[k - 1], commands: commands[k - 1], to: next, selector: selector))
                try solver.assert(encoder.wellFormed(next))
                try solver.assert(ctx.not(bad[k - 1]))
                for earlier in states { try solver.assert(encoder.differ(earlier, next)) }
                states.append(next)
                commands.append(try encoder.commands(at: next))
                bad.append(try finding(encoder, next, commands[k]))
            }
            if let deadline {
                let left = Int64(deadline.uptimeNanoseconds) - Int64(DispatchTime.now().uptimeNanoseconds)
                guard left > 0 else { return .unknown(reason: "timeout", depth: k) }
                try solver.setTimeout(milliseconds: Int(max(1, left / 1_000_000)))
            }
            if cancellation?.isCancelled == true { return .unknown(reason: "interrupted", depth: k) }
            let literal = try ctx.boolConstant("inductive.bad@\(k)")
            try solver.assert(ctx.implies(literal, bad[k]))
            switch try solver.check(assumptions: [literal]) {
            case .unsat: return .proved(depth: k)
            case .sat: continue
            case .unknown(let reason): return .unknown(reason: reason, depth: k)
            }
        }
        return .notInductive(depth: maxDepth)
    }

    private func finding(_ encoder: Encoder, _ s: SymbolicState, _ commands: [Encoder.Command]) throws -> Z3Expr {
        try context.or(model.checks.map { try encoder.property($0, at: s, commands: commands) })
    }
}

extension BMCChecker {
    /// Whether some state reachable in at most `bound` steps is not well-formed (a bug in
    /// `Encoder.wellFormed`, which k-induction relies on); returns the first such depth.
    func firstIllFormedDepth(bound: Int) throws -> Int? {
        let ctx = context
        let encoder = try Encoder(context: ctx, model: model, program: program)
        let solver = try Z3Solver(ctx, kind: .logic("QF_BV"))
        var states = [try SymbolicState(step: 0, model: model, layout: encoder.layout, context: ctx)]
        var commands = [try encoder.commands(at: states[0])]
        let selectorWidth = StateLayout.bits(commands[0].count + 1)
        try solver.assert(encoder.initial(states[0]))
        for k in 0...bound {
            if k > 0 {
                let next = try SymbolicState(step: k, model: model, layout: encoder.layout, context: ctx)
                let selector = try ctx.bitVectorConstant("step@\(k - 1)", width: selectorWidth)
                try solver.assert(encoder.transition(from: states[k - 1], commands: commands[k - 1], to: next, selector: selector))
                states.append(next)
                commands.append(try encoder.commands(at: next))
            }
            let literal = try ctx.boolConstant("illformed@\(k)")
            try solver.assert(ctx.implies(literal, ctx.not(encoder.wellFormed(states[k]))))
            if case .sat = try solver.check(assumptions: [literal]) { return k }
        }
        return nil
    }
}
