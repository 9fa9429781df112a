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
        guard let finding = interpreter.finding(check, in: state) else {
            throw Failure(step: steps.count, reason: "the last state does not violate \(check)")
        }
        return finding
    }
}
