import LeakSemantics

/// One step rule of one thread: when it can fire (`guard`) and the state it leads to
/// (`updates`, all read in the state before the step).
public struct GuardedCommand: Hashable, Sendable {
    /// A variable's value after the step.
    public struct Assignment: Hashable, Sendable {
        /// The index in `StateSpace.vars`.
        public var variable: Int
        public var value: StepTerm
    }

    public var action: Action
    public var `guard`: StepTerm
    /// In the order of `StateSpace.vars`, one per variable at most; every variable not named
    /// keeps its value.
    public var updates: [Assignment]
    /// For readers of an export: what the step leads to ("next: flush l1d (line 7, on vmexit)").
    public var notes: [String]
}

/// The initial value of some variables (every other variable starts at 0, false or empty).
public struct InitialChoice: Hashable, Sendable {
    public var assignments: [GuardedCommand.Assignment]
    /// For readers of an export ("t0 serves vm1").
    public var note: String
}
