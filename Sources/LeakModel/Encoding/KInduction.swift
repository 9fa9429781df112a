import Foundation
import LeakSMT
import LeakSemantics
import LeakSteps
import LeakTrace

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

    /// Tries depths `0...maxDepth` until one is inductive. Every state of the path satisfies
    /// `invariant` (clauses over one state), which must hold in every reachable state
    /// (`InvariantMiner` gives such clauses): the shortest path to a finding is made of
    /// reachable states, so it is still such a path.
    public func prove(maxDepth: Int, invariant: [StepTerm] = [], deadline: DispatchTime? = nil,
                      cancellation: Cancellation? = nil) throws -> Result {
        let context = self.context
        guard let cancellation else { return try run(maxDepth: maxDepth, invariant: invariant, deadline: deadline, cancellation: nil) }
        return try cancellation.whileRegistered({ context.interrupt() }) {
            try run(maxDepth: maxDepth, invariant: invariant, deadline: deadline, cancellation: cancellation)
        }
    }

    /// `prove` from the clauses `InvariantMiner` finds inductive (none when it is stopped):
    /// what `auto` and `--engine kinduction` run. Also the invariant it used.
    public func proveWithMinedInvariant(maxDepth: Int, sampleLimit: Int = CheckDefaults.invariantSample, deadline: DispatchTime? = nil,
                                        cancellation: Cancellation? = nil) throws -> (Result, InvariantMiner.Invariant?) {
        let mined = try InvariantMiner(model: model).invariant(sampleLimit: sampleLimit, deadline: deadline, cancellation: cancellation)
        return (try prove(maxDepth: maxDepth, invariant: mined?.clauses ?? [], deadline: deadline, cancellation: cancellation), mined)
    }

    private func run(maxDepth: Int, invariant: [StepTerm], deadline: DispatchTime?, cancellation: Cancellation?) throws -> Result {
        var reached = 0
        do {
            return try run(maxDepth: maxDepth, invariant: invariant, deadline: deadline, cancellation: cancellation, reached: &reached)
        } catch let stopped as Encoder.Stopped {
            return .unknown(reason: stopped.reason, depth: reached)
        }
    }

    private func run(maxDepth: Int, invariant: [StepTerm], deadline: DispatchTime?, cancellation: Cancellation?,
                     reached: inout Int) throws -> Result {
        let ctx = context
        let encoder = try Encoder(context: ctx, model: model, program: program)
        encoder.stopReason = Cancellation.stopReason(deadline: deadline, cancellation: cancellation)
        let solver = try Z3Solver(ctx, kind: .logic("QF_BV"))
        let unrolling = try Unrolling(encoder: encoder, solver: solver)
        let holds = StepTerm.all([try encoder.system().wellFormed] + invariant)
        var bad = [try ctx.or(unrolling.finding(at: 0, checks: model.stateChecks))]
        try solver.assert(encoder.expr(holds, unrolling.states[0]))
        for k in 0...maxDepth {
            reached = k
            if k > 0 {
                let next = try unrolling.extend()
                try solver.assert(encoder.expr(holds, next))
                try solver.assert(ctx.not(bad[k - 1]))
                for earlier in unrolling.states.dropLast() { try solver.assert(encoder.differ(earlier, next)) }
                bad.append(try ctx.or(unrolling.finding(at: k, checks: model.stateChecks)))
            }
            guard try unrolling.limitTime(to: deadline) else { return .unknown(reason: "timeout", depth: k) }
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
}

extension BMCChecker {
    /// The first depth within `bound` at which some reachable state satisfies `predicate`.
    func firstDepth(within bound: Int, where predicate: (Encoder, SymbolicState) throws -> Z3Expr) throws -> Int? {
        let ctx = context
        let encoder = try Encoder(context: ctx, model: model, program: program)
        let solver = try Z3Solver(ctx, kind: .logic("QF_BV"))
        let unrolling = try Unrolling(encoder: encoder, solver: solver)
        try solver.assert(encoder.initial(unrolling.states[0]))
        for k in 0...bound {
            if k > 0 { try unrolling.extend() }
            let literal = try ctx.boolConstant("reach@\(k)")
            try solver.assert(ctx.implies(literal, predicate(encoder, unrolling.states[k])))
            if case .sat = try solver.check(assumptions: [literal]) { return k }
        }
        return nil
    }

    /// Whether some state reachable in at most `bound` steps is not well-formed (a bug in
    /// `Encoder.wellFormed`, which k-induction relies on); returns the first such depth.
    func firstIllFormedDepth(bound: Int) throws -> Int? {
        try firstDepth(within: bound) { encoder, s in try encoder.context.not(encoder.wellFormed(s)) }
    }

    /// The first depth within `bound` at which some thread runs a guest (nil: none within it).
    public func firstGuestRun(within bound: Int) throws -> Int? {
        try firstDepth(within: bound) { encoder, s in try encoder.someGuestRuns(s) }
    }
}
