import LeakSemantics

/// A schedule: an initial state and the steps from it, ending in a finding.
///
/// Knows nothing of Z3 or of the engine that found it, so it can be built by hand in tests.
public struct Trace: Hashable, Sendable {
    /// One step: what the acting thread did and the state after it.
    public struct Step: Hashable, Sendable {
        public var action: Action
        public var state: SystemState
        public init(action: Action, state: SystemState) { self.action = action; self.state = state }
    }

    public var initial: SystemState
    public var steps: [Step]
    /// The violated check in the last state.
    public var finding: Finding

    public init(initial: SystemState, steps: [Step], finding: Finding) {
        self.initial = initial; self.steps = steps; self.finding = finding
    }

    /// Number of steps (the schedule's length).
    public var length: Int { steps.count }

    /// The state after `k` steps (`k == 0`: the initial state).
    public func state(after k: Int) -> SystemState { k == 0 ? initial : steps[k - 1].state }

    /// The last state, where the finding holds.
    public var final: SystemState { steps.last?.state ?? initial }
}
