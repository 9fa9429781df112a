import LeakSemantics

/// A schedule: an initial state and the steps from it, ending in a finding; for a starvation,
/// a lasso: the steps after `loopStart` are a loop, repeated forever.
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
    /// The violated check in the last state (for a starvation: in the loop).
    public var finding: Finding
    /// For a lasso (a starvation): the loop is steps `loopStart + 1 ... length`, which lead
    /// from the state after `loopStart` steps back to it (`final == state(after: loopStart)`).
    /// Nil for a schedule that ends in a state with a finding.
    public var loopStart: Int?

    public init(initial: SystemState, steps: [Step], finding: Finding, loopStart: Int? = nil) {
        self.initial = initial; self.steps = steps; self.finding = finding; self.loopStart = loopStart
    }

    /// Number of steps (the schedule's length); for a lasso, the prefix plus one turn of the loop.
    public var length: Int { steps.count }

    /// Whether step `k` (1-based) belongs to the loop of a lasso.
    public func isInLoop(step k: Int) -> Bool { loopStart.map { k > $0 } ?? false }

    /// The state after `k` steps (`k == 0`: the initial state).
    public func state(after k: Int) -> SystemState { k == 0 ? initial : steps[k - 1].state }

    /// The last state, where the finding holds.
    public var final: SystemState { steps.last?.state ?? initial }
}

extension Trace {
    /// The finding in a phrase: "leak (corun) in 6 steps", "starvation of t1 in 14 steps
    /// (steps 11-14 repeat forever)".
    public func phrase(in model: Model) -> String {
        let detail: String
        switch finding {
        case .corun: detail = " (corun)"
        case .residue(_, _, let b, _): detail = " (residue \(model.buffers[b].name))"
        case .crash, .deadlock: detail = ""
        case .starvation(let t): detail = " of \(model.threads[t].name)"
        }
        var text = "\(finding.check.verdictKind.rawValue)\(detail) in \(length) step\(length == 1 ? "" : "s")"
        if let l = loopStart { text += " (\(Self.loopSteps(l, length)))" }
        return text
    }

    /// "steps 11-14 repeat forever", "step 17 repeats forever": the loop of a lasso whose
    /// loop starts after step `l` and ends with step `k`.
    public static func loopSteps(_ l: Int, _ k: Int) -> String {
        k == l + 1 ? "step \(k) repeats forever" : "steps \(l + 1)-\(k) repeat forever"
    }
}
