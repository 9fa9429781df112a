import Foundation
import LeakExplicit
import LeakSMT
import LeakSemantics
import LeakTrace

/// Bounded model checking on one incremental solver: bound 0, 1, 2, ... so the first
/// schedule found is a shortest one.
///
/// Every schedule Z3 returns is decoded into a `Trace` and replayed step by step through the
/// explicit `Interpreter` before it is reported; a failed replay is an internal error.
public final class BMCChecker: @unchecked Sendable {
    public let model: Model
    let program: Program
    let context: Z3Context

    /// An encoding or replay failure: a bug in leakcheck, never a verdict.
    public struct InternalError: Error, CustomStringConvertible {
        public var description: String
        package init(description: String) { self.description = description }
    }

    public struct Statistics: Hashable, Sendable {
        /// The deepest bound fully searched without a finding (-1: none).
        public var completedBound = -1
        public var commandsPerStep = 0
        public var solverChecks = 0
    }

    public init(model: Model) throws {
        self.model = model
        self.program = Program(model)
        self.context = try Z3Context()
    }

    /// Stops a running check from another thread; it ends with `unknown` ("interrupted").
    public func interrupt() { context.interrupt() }

    /// Searches bounds `0...bound`. The search stops with `unknown` when `deadline` passes or
    /// `cancellation` is cancelled; how far it got is in the outcome.
    public func check(bound: Int, deadline: DispatchTime? = nil, cancellation: Cancellation? = nil) throws -> (Outcome, Statistics) {
        let context = self.context
        guard let cancellation else { return try search(bound: bound, deadline: deadline, cancellation: nil) }
        return try cancellation.whileRegistered({ context.interrupt() }) {
            try search(bound: bound, deadline: deadline, cancellation: cancellation)
        }
    }

    private func search(bound: Int, deadline: DispatchTime?, cancellation: Cancellation?) throws -> (Outcome, Statistics) {
        guard model.threads.count <= 64 else {
            throw InternalError(description: "models with more than 64 threads are not supported")
        }
        var stats = Statistics()
        let ctx = context
        let encoder = try Encoder(context: ctx, model: model, program: program)
        encoder.stopReason = Cancellation.stopReason(deadline: deadline, cancellation: cancellation)
        do {
            return try search(encoder, bound: bound, deadline: deadline, cancellation: cancellation, stats: &stats)
        } catch let stopped as Encoder.Stopped {
            // Stopped while building a step's formulas (a huge model): how far it got.
            return (.unknown(reason: stopped.reason, completedBound: stats.completedBound), stats)
        }
    }

    private func search(_ encoder: Encoder, bound: Int, deadline: DispatchTime?, cancellation: Cancellation?,
                        stats: inout Statistics) throws -> (Outcome, Statistics) {
        let ctx = context
        // The QF_BV solver bit-blasts into Z3's incremental SAT solver: on the shipped models it
        // is 10-30x faster than the default SMT core (docs/PERFORMANCE.md).
        let solver = try Z3Solver(ctx, kind: .logic("QF_BV"))
        let priority = model.checksByPriority

        let unrolling = try Unrolling(encoder: encoder, solver: solver)
        try solver.assert(encoder.initial(unrolling.states[0]))
        stats.commandsPerStep = try encoder.descriptors.count

        for k in 0...bound {
            if k > 0 { try unrolling.extend() }
            let properties = try unrolling.finding(at: k, checks: priority)
            let any = try ctx.boolConstant("finding@\(k)")
            try solver.assert(ctx.implies(any, ctx.or(properties)))
            // Each solver call may use what is left of the run's time.
            guard try unrolling.limitTime(to: deadline) else {
                return (.unknown(reason: "timeout", completedBound: k - 1), stats)
            }
            if cancellation?.isCancelled == true { return (.unknown(reason: "interrupted", completedBound: k - 1), stats) }
            stats.solverChecks += 1
            switch try solver.check(assumptions: [any]) {
            case .unsat:
                stats.completedBound = k
                continue
            case .unknown(let reason):
                return (.unknown(reason: reason, completedBound: k - 1), stats)
            case .sat:
                break
            }
            // Some check fails at this bound: take the first by priority.
            for (i, check) in priority.enumerated() {
                let literal = try ctx.boolConstant("finding.\(i)@\(k)")
                try solver.assert(ctx.implies(literal, properties[i]))
                stats.solverChecks += 1
                switch try solver.check(assumptions: [literal]) {
                case .unsat:
                    continue
                case .unknown(let reason):
                    return (.unknown(reason: reason, completedBound: k - 1), stats)
                case .sat:
                    let trace = try decode(try solver.model(), states: unrolling.states, selectors: unrolling.selectors,
                                           encoder: encoder, check: check)
                    return (.finding(trace), stats)
                }
            }
            throw InternalError(description: "bound \(k) has a finding but no single check is satisfiable")
        }
        return (.noFindingWithin(bound: bound), stats)
    }

    // MARK: Confirming another engine's schedule

    /// The cross-check of a finding the explicit engine found (`auto`): one query asks whether
    /// the encoding admits a schedule of the same actions, in order, from an initial state,
    /// ending in the same check's finding. Its schedule is decoded and replayed like any other;
    /// unsat means the engines disagree. Unlike a search to that length, it does not show that
    /// no shorter finding exists: the explicit engine's breadth-first order does.
    public func confirm(_ trace: Trace, deadline: DispatchTime? = nil, cancellation: Cancellation? = nil) throws -> Outcome {
        let context = self.context
        guard let cancellation else { return try confirming(trace, deadline: deadline, cancellation: nil) }
        return try cancellation.whileRegistered({ context.interrupt() }) {
            try confirming(trace, deadline: deadline, cancellation: cancellation)
        }
    }

    private func confirming(_ trace: Trace, deadline: DispatchTime?, cancellation: Cancellation?) throws -> Outcome {
        let ctx = context
        let encoder = try Encoder(context: ctx, model: model, program: program)
        encoder.stopReason = Cancellation.stopReason(deadline: deadline, cancellation: cancellation)
        do {
            let solver = try Z3Solver(ctx, kind: .logic("QF_BV"))
            let unrolling = try Unrolling(encoder: encoder, solver: solver)
            try solver.assert(encoder.initial(unrolling.states[0]))
            let descriptors = try encoder.descriptors
            for (k, step) in trace.steps.enumerated() {
                // An action may be several commands (an `if` composed with what it leads to).
                let commands = descriptors.indices.filter { descriptors[$0] == step.action }
                guard !commands.isEmpty else {
                    throw InternalError(description: "step \(k + 1): the encoding has no command for \(step.action)")
                }
                try unrolling.extend(only: commands)
            }
            let check = trace.finding.check
            try solver.assert(ctx.or(unrolling.finding(at: trace.length, checks: [check])))
            guard try unrolling.limitTime(to: deadline) else { return .unknown(reason: "timeout", completedBound: nil) }
            switch try solver.check() {
            case .sat:
                return .finding(try decode(try solver.model(), states: unrolling.states, selectors: unrolling.selectors,
                                           encoder: encoder, check: check))
            case .unsat:
                return .noFindingWithin(bound: trace.length)
            case .unknown(let reason):
                return .unknown(reason: reason, completedBound: nil)
            }
        } catch let stopped as Encoder.Stopped {
            return .unknown(reason: stopped.reason, completedBound: nil)
        }
    }

    // MARK: Decoding

    private func decode(_ m: Z3Model, states: [SymbolicState], selectors: [Z3Expr], encoder: Encoder,
                        check: Model.Check) throws -> Trace {
        let concrete = try states.map { try encoder.decode(m, $0) }
        let steps = try decodeSteps(m, concrete: concrete, selectors: selectors, encoder: encoder)
        let replay = Replay(interpreter: Interpreter(model: model, program: program))
        if check == .progress {
            // The loop's start: the first state the last one equals where the loop is a fair
            // starving one (the states after the solver's lasso are not constrained further).
            let k = steps.count
            var failure: Error?
            for l in 0..<k where concrete[l] == concrete[k] {
                do {
                    let finding = try replay.validateLasso(initial: concrete[0], steps: steps, loopStart: l)
                    return Trace(initial: concrete[0], steps: steps, finding: finding, loopStart: l)
                } catch { failure = error }
            }
            throw failure ?? Replay.Failure(step: k, reason: "the last state is no earlier state: no loop")
        }
        let finding = try replay.validate(initial: concrete[0], steps: steps, check: check)
        return Trace(initial: concrete[0], steps: steps, finding: finding)
    }

    private func decodeSteps(_ m: Z3Model, concrete: [SystemState], selectors: [Z3Expr], encoder: Encoder) throws -> [Trace.Step] {
        let descriptors = try encoder.descriptors
        var steps: [Trace.Step] = []
        for (k, selector) in selectors.enumerated() {
            let c = Int(try m.uint(selector))
            guard c < descriptors.count else {
                throw InternalError(description: "step \(k + 1): selector \(c) is out of range")
            }
            steps.append(.init(action: descriptors[c], state: concrete[k + 1]))
        }
        return steps
    }
}
