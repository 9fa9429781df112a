import Foundation
import LeakExplicit
import LeakSMT
import LeakSemantics
import LeakSteps
import LeakTrace

/// An invariant for k-induction to start from (issue 18): guesses mined from a sample of
/// reachable states (`InvariantCandidates`), cut down by Houdini's fixpoint to the largest
/// subset Z3 shows inductive.
///
/// Houdini: drop every candidate some initial state falsifies; then, while some step from a
/// well-formed state satisfying all remaining candidates reaches a state falsifying one,
/// drop those it falsifies. What is left holds initially and is preserved by every step, so
/// it holds in every reachable state, whatever the sample was: the sample only decides
/// which facts are tried.
public final class InvariantMiner: @unchecked Sendable {
    public let model: Model
    let program: Program
    let context: Z3Context

    /// What the miner found.
    public struct Invariant: Sendable {
        /// The clauses, each a formula over one state's variables; together inductive.
        public var clauses: [StepTerm]
        /// How many candidates were tried, and how many states they were mined from.
        public var candidates: Int
        public var sampled: Int
    }

    /// How long mining may take before k-induction goes on without it.
    static let timeBudgetSeconds = 120

    public init(model: Model) throws {
        self.model = model
        self.program = Program(model)
        self.context = try Z3Context()
    }

    /// Mines the first `sampleLimit` states of a breadth-first search and returns the
    /// inductive clauses among their candidates; nil when `deadline`, `cancellation` or the
    /// miner's own budget (`timeBudgetSeconds`) stopped it.
    public func invariant(sampleLimit: Int = CheckDefaults.invariantSample, deadline: DispatchTime? = nil,
                          cancellation: Cancellation? = nil) throws -> Invariant? {
        let context = self.context
        guard let cancellation else { return try run(sampleLimit: sampleLimit, deadline: deadline, cancellation: nil) }
        return try cancellation.whileRegistered({ context.interrupt() }) {
            try run(sampleLimit: sampleLimit, deadline: deadline, cancellation: cancellation)
        }
    }

    private func run(sampleLimit: Int, deadline: DispatchTime?, cancellation: Cancellation?) throws -> Invariant? {
        // Houdini drops a candidate or a few per solver call: on a model the sample covers
        // badly (64 exits) it can take longer than the rest of the proof is worth.
        let budget = DispatchTime.now() + .seconds(Self.timeBudgetSeconds)
        let deadline = deadline.map { Swift.min($0, budget) } ?? budget
        let stop = Cancellation.stopReason(deadline: deadline, cancellation: cancellation)
        let encoder = try Encoder(context: context, model: model, program: program)
        encoder.stopReason = stop
        var mined = InvariantCandidates(space: encoder.space, bufferFacts: bufferFacts(encoder.space), positionClass: positionClasses())
        let space = encoder.space
        guard Interpreter(model: model, program: program)
            .visitReachable(limit: sampleLimit, stop: { stop() != nil }, { mined.add(space.values(of: $0)) }) else { return nil }
        let candidates = mined.clauses
        do {
            guard let kept = try houdini(candidates, encoder: encoder, deadline: deadline, stop: stop) else { return nil }
            return Invariant(clauses: kept.map { candidates[$0] }, candidates: candidates.count, sampled: mined.sampled)
        } catch is Encoder.Stopped {
            return nil
        }
    }

    /// Each position code's class for the combinations: the statements of exit bodies
    /// together (the first one's code), every other position its own.
    private func positionClasses() -> [Int] {
        let exitCodes = program.instructions.indices.filter {
            if case .exit = program.instructions[$0].block { true } else { false }
        }.map(StateSpace.code(instruction:))
        let inExit = Set(exitCodes)
        let codes = program.instructions.count + StateSpace.instructionBase
        return (0..<codes).map { inExit.contains($0) ? exitCodes[0] : $0 }
    }

    /// Whether each buffer holds each guest's secrets (what `check residue` asks).
    private func bufferFacts(_ space: StateSpace) -> [InvariantCandidates.BufferFact] {
        space.vars.indices.flatMap { i -> [InvariantCandidates.BufferFact] in
            guard case .buffer(_, let b) = space.vars[i].role else { return [] }
            return model.guests.indices.map { model.secret(to: $0, via: .buffer(b)) }.filter { !$0.isEmpty }
                .map { InvariantCandidates.BufferFact(variable: i, regions: $0) }
        }
    }

    /// The indices of the candidates Houdini keeps.
    private func houdini(_ candidates: [StepTerm], encoder: Encoder, deadline: DispatchTime?,
                         stop: () -> String?) throws -> [Int]? {
        let ctx = context
        let s = try SymbolicState(name: "houdini", space: encoder.space, context: ctx)
        let n = try SymbolicState(name: "houdini.next", space: encoder.space, context: ctx)
        let atS = try encoder.exprs(candidates, s)
        let atN = try encoder.exprs(candidates, n)
        var alive = Array(candidates.indices)

        /// Drops what `solver`'s counterexamples falsify at `state` until none is left.
        func fixpoint(_ solver: Z3Solver, at state: [Z3Expr], assuming: (Int) -> Z3Expr?, name: String) throws -> Bool {
            var round = 0
            while !alive.isEmpty {
                if stop() != nil { return false }
                guard try solver.limitTime(to: deadline) else { return false }
                let literal = try ctx.boolConstant("houdini.\(name)@\(round)")
                try solver.assert(ctx.implies(literal, ctx.not(ctx.and(alive.map { state[$0] }))))
                switch try solver.check(assumptions: [literal] + alive.compactMap(assuming)) {
                case .unsat:
                    return true
                case .unknown:
                    return false
                case .sat:
                    let m = try solver.model()
                    let before = alive.count
                    alive = try alive.filter { try m.bool(state[$0]) }
                    guard alive.count < before else {
                        throw BMCChecker.InternalError(description: "houdini: a counterexample falsifies no candidate")
                    }
                }
                round += 1
            }
            return true
        }

        let initial = try Z3Solver(ctx, kind: .logic("QF_BV"))
        try initial.assert(encoder.initial(s))
        guard try fixpoint(initial, at: atS, assuming: { _ in nil }, name: "initial") else { return nil }

        // A step from a well-formed state where every candidate still alive holds: each
        // candidate is assumed at `s` through a literal of its own, so a dropped one is
        // simply no longer assumed.
        let step = try Z3Solver(ctx, kind: .logic("QF_BV"))
        let selector = try ctx.bitVectorConstant("houdini.step", width: StateSpace.bits(encoder.descriptors.count + 1))
        try step.assert(encoder.wellFormed(s))
        try step.assert(encoder.transition(from: s, commands: encoder.commands(at: s), to: n, selector: selector, form: .functional))
        let assumed = try candidates.indices.map { try ctx.boolConstant("houdini.assume.\($0)") }
        for i in candidates.indices { try step.assert(ctx.implies(assumed[i], atS[i])) }
        guard try fixpoint(step, at: atN, assuming: { assumed[$0] }, name: "step") else { return nil }
        return alive
    }
}
