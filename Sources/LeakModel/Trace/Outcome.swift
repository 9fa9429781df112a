import LeakSemantics

/// What checking one model found.
public enum Outcome: Hashable, Sendable {
    /// A finding with a shortest schedule.
    case finding(Trace)
    /// No finding in any schedule: proved for all lengths.
    case proved(Proof)
    /// No finding in schedules up to `bound` steps; longer schedules were not examined.
    case noFindingWithin(bound: Int)
    /// The engine gave up: no finding in schedules shorter than `completedBound + 1` steps.
    case unknown(reason: String, completedBound: Int?)

    /// How a safety proof was obtained.
    public struct Proof: Hashable, Sendable {
        /// What the proof rests on, in one phrase ("all 1,204 reachable states explored").
        public var summary: String
        /// The inductive invariant, when the engine gives one (Spacer).
        public var invariant: Invariant?
        /// The invariant as SMT-LIB 2 over the state variables (what a certificate stores).
        public var smtlib: String?
        public init(summary: String, invariant: Invariant? = nil, smtlib: String? = nil) {
            self.summary = summary; self.invariant = invariant; self.smtlib = smtlib
        }
    }

    /// The verdict word: `leak`, `crash`, `deadlock`, `safe` (proved), `bounded`, `unknown`.
    public var verdictWord: String {
        switch self {
        case .finding(let t): t.finding.check.verdictKind.rawValue
        case .proved: "safe"
        case .noFindingWithin: "bounded"
        case .unknown: "unknown"
        }
    }
}
