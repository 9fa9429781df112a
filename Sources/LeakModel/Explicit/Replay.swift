import LeakSemantics
import LeakTrace

/// Replays a schedule through the explicit semantics: every step must be one the interpreter
/// allows, leading to exactly the recorded state, and the finding must hold at the end.
public struct Replay: Sendable {
    public let interpreter: Interpreter

    public init(interpreter: Interpreter) { self.interpreter = interpreter }

    /// A schedule that the semantics does not allow: a bug in the engine that produced it.
    public struct Failure: Error, CustomStringConvertible {
        public var step: Int
        public var reason: String
        public var description: String { "replay failed at step \(step): \(reason)" }
        package init(step: Int, reason: String) { self.step = step; self.reason = reason }
    }

    /// Checks the schedule and returns the finding of `check` in its last state.
    public func validate(initial: SystemState, steps: [Trace.Step], check: Model.Check) throws -> Finding {
        let state = try validateSteps(initial: initial, steps: steps)
        guard let finding = interpreter.finding(check, in: state) else {
            throw Failure(step: steps.count, reason: "the last state does not violate \(check)")
        }
        return finding
    }

    /// Checks a lasso (DESIGN.md 6.2): the steps are allowed, the last state is the state
    /// after `loopStart` steps, no interrupt handler starts in the loop, every thread that can
    /// make a move other than an interrupt start or an idle step in a state of the loop takes
    /// such a step in it, and some thread with a guest placed on it is in guest mode in none
    /// of its states. Returns the starvation of the first
    /// such thread.
    public func validateLasso(initial: SystemState, steps: [Trace.Step], loopStart l: Int) throws -> Finding {
        let last = try validateSteps(initial: initial, steps: steps)
        let k = steps.count
        guard l >= 0, l < k else { throw Failure(step: k, reason: "the loop start \(l) is not before the last step") }
        let loopState = { (j: Int) in j == 0 ? initial : steps[j - 1].state }
        guard last == loopState(l) else {
            throw Failure(step: k, reason: "the last state is not the state after step \(l): no loop")
        }
        // Idle steps are no steps for fairness (docs/SEMANTICS.md, "Idle threads").
        var stepped = Set<Int>()
        for j in l..<k {
            if case .interrupt = steps[j].action {
                throw Failure(step: j + 1, reason: "an interrupt handler starts in the loop, which is not fair")
            }
            if !steps[j].action.isIdle { stepped.insert(steps[j].action.thread) }
        }
        guard !stepped.isEmpty else { throw Failure(step: k, reason: "the loop has only idle steps: no loop") }
        for t in interpreter.model.threads.indices where !stepped.contains(t) {
            for j in l..<k where interpreter.moves(of: t, in: loopState(j)).contains(where: { !$0.0.isUncountedByFairness }) {
                throw Failure(step: j, reason: "thread \(interpreter.model.threads[t].name) can move after step \(j) but never steps in the loop: not fair")
            }
        }
        let starvable = interpreter.model.threads.indices.filter(interpreter.model.canStarve)
        guard let t = starvable.first(where: { t in (l...k).allSatisfy { !loopState($0).threads[t].inGuest } }) else {
            throw Failure(step: k, reason: "every thread runs its guest somewhere in the loop: no starvation")
        }
        return .starvation(thread: t)
    }

    /// Checks that every step is allowed; returns the last state.
    private func validateSteps(initial: SystemState, steps: [Trace.Step]) throws -> SystemState {
        guard interpreter.isInitial(initial) else {
            throw Failure(step: 0, reason: "the initial state is not an initial state of the model")
        }
        var state = initial
        for (k, step) in steps.enumerated() {
            let moves = interpreter.moves(of: step.action.thread, in: state)
            guard moves.contains(where: { $0.0 == step.action && $0.1 == step.state }) else {
                let sameAction = moves.contains { $0.0 == step.action }
                throw Failure(step: k + 1, reason: sameAction
                    ? "the action \(step.action) leads to a different state"
                    : "the action \(step.action) is not enabled")
            }
            state = step.state
        }
        return state
    }

    /// Replays any schedule: a lasso as a lasso, else its finding's check in its last state.
    public func validate(_ trace: Trace) throws -> Finding {
        if let l = trace.loopStart { return try validateLasso(initial: trace.initial, steps: trace.steps, loopStart: l) }
        return try validate(initial: trace.initial, steps: trace.steps, check: trace.finding.check)
    }
}
