import LeakSemantics
import LeakTrace

/// Breadth-first search of the reachable states: the independent, Z3-free engine.
///
/// Layers are explored in order, so the first finding is at the shortest length; when every
/// reachable state has been seen without a finding, that is a proof for all lengths. With
/// `check progress` the steps are kept, and the fair starving loops are searched in the graph
/// (`LassoSearch`).
public struct ExplicitChecker: Sendable {
    public let interpreter: Interpreter
    /// The search gives up (unknown) after this many distinct states.
    public var stateLimit: Int
    /// The search gives up (unknown) before the states it holds would take more than this.
    public var memoryBudget: MemoryBudget

    public init(model: Model, stateLimit: Int = 2_000_000, memoryBudget: MemoryBudget = CheckDefaults.memoryBudget) {
        self.interpreter = Interpreter(model: model)
        self.stateLimit = stateLimit
        self.memoryBudget = memoryBudget
    }

    /// Statistics of the last search.
    public struct Statistics: Hashable, Sendable {
        public var states = 0
        public var depth = 0
        /// Whether some reachable state has a thread in guest mode (a proof is vacuous otherwise).
        public var guestRuns = false
        /// What the search saw run; complete when it explored every reachable state (a proof),
        /// so that `check`'s coverage report needs no second visit.
        public var coverage = Coverage()
    }

    /// Searches up to `bound` steps (nil: until the state space is exhausted); `stopReason`
    /// is polled and ends the search with `unknown` when it gives a reason.
    public func check(bound: Int?, stopReason: () -> String? = { nil }) -> (Outcome, Statistics) {
        var stats = Statistics()
        var states: [SystemState] = []
        var parent: [(Int, Action)?] = []
        var index: [SystemState: Int] = [:]
        guard let initial = interpreter.initialStates(limit: stateLimit) else {
            return (.unknown(reason: "state limit of \(stateLimit) states reached by the initial states",
                             completedBound: nil), stats)
        }
        for s in initial where index[s] == nil {
            index[s] = states.count
            states.append(s)
            parent.append(nil)
        }
        var layer = Array(states.indices)
        var depth = 0
        let priority = interpreter.model.checksByPriority
        // `check progress` needs the graph: every state's steps and which threads can move.
        let progress = interpreter.model.checks.contains(.progress)
        var edges: [[LassoSearch.Edge]?] = progress ? Array(repeating: nil, count: states.count) : []
        var enabled: [UInt64] = progress ? Array(repeating: 0, count: states.count) : []
        var depthOf: [Int] = progress ? Array(repeating: 0, count: states.count) : []
        /// The shortest starving lasso of at most `maxLength` steps, over the steps recorded.
        func lasso(maxLength: Int?) -> LassoSearch.Result {
            guard progress else { return .none }
            let model = interpreter.model
            return LassoSearch(states: states, depth: depthOf, parent: parent, edges: edges, enabled: enabled,
                               threadCount: model.threads.count,
                               starvable: model.threads.indices.filter(model.canStarve))
                .shortest(maxLength: maxLength, stop: stopReason)
        }
        let perState = MemoryBudget.bytesPerState(interpreter.model)
        /// Why holding `count` states is too much, if it is.
        func overBudget(_ count: Int) -> String? {
            let (bytes, overflow) = count.multipliedReportingOverflow(by: perState)
            guard overflow || bytes > memoryBudget.bytes else { return nil }
            return "memory budget of \(MemoryBudget.describe(bytes: memoryBudget.bytes)) reached: "
                + "\(count) states held at about \(perState) bytes each (--memory)"
        }
        while true {
            stats.depth = depth
            stats.states = states.count
            // Findings at this depth, by check priority, then by discovery order.
            var successorsOf: [Int: [(Action, SystemState)]] = [:]
            var best: (rank: Int, state: Int, finding: Finding)?
            var held = states.count
            for (n, i) in layer.enumerated() {
                // A state can have thousands of successors (wide `either`s): poll every state.
                if let reason = stopReason() {
                    return (.unknown(reason: reason, completedBound: depth > 0 ? depth - 1 : nil), stats)
                }
                let s = states[i]
                if s.threads.contains(where: \.inGuest) { stats.guestRuns = true }
                let succ = interpreter.successors(of: s)
                successorsOf[i] = succ
                held += succ.count
                if n % 64 == 0 || succ.count > 64, let reason = overBudget(held) {
                    return (.unknown(reason: reason, completedBound: depth > 0 ? depth - 1 : nil), stats)
                }
                stats.coverage.record(s)
                stats.coverage.record(succ, from: s, interpreter: interpreter)
                if progress {
                    for (action, _) in succ where !action.isUncountedByFairness {
                        enabled[i] |= 1 << UInt64(action.thread)
                    }
                }
                for (rank, check) in priority.enumerated() where rank < (best?.rank ?? Int.max) {
                    if let f = interpreter.finding(check, in: s, successors: succ) {
                        best = (rank, i, f)
                        break
                    }
                }
            }
            if let best {
                // A starving lasso shorter than the state finding comes first (at equal length
                // the state finding does, DESIGN.md 6.2): every such lasso lies in states
                // whose steps are recorded.
                switch lasso(maxLength: depth - 1) {
                case .lasso(let t): return (.finding(t), stats)
                case .stopped(let reason): return (.unknown(reason: reason, completedBound: depth > 0 ? depth - 1 : nil), stats)
                case .none: break
                }
                return (.finding(trace(to: best.state, finding: best.finding, states: states, parent: parent)), stats)
            }
            if let bound, depth >= bound {
                switch lasso(maxLength: bound) {
                case .lasso(let t): return (.finding(t), stats)
                case .stopped(let reason): return (.unknown(reason: reason, completedBound: depth - 1), stats)
                case .none: return (.noFindingWithin(bound: bound), stats)
                }
            }
            var next: [Int] = []
            for (n, i) in layer.enumerated() {
                if n % 1024 == 0, let reason = stopReason() {
                    return (.unknown(reason: reason, completedBound: depth), stats)
                }
                if progress { edges[i] = [] }
                for (action, s) in successorsOf[i]! {
                    if let j = index[s] {
                        if progress { edges[i]!.append((j, action)) }
                        continue
                    }
                    index[s] = states.count
                    if progress {
                        edges[i]!.append((states.count, action))
                        edges.append(nil); enabled.append(0); depthOf.append(depth + 1)
                    }
                    states.append(s)
                    parent.append((i, action))
                    next.append(states.count - 1)
                    if states.count > stateLimit {
                        stats.states = states.count
                        return (.unknown(reason: "state limit of \(stateLimit) states reached",
                                         completedBound: depth), stats)
                    }
                }
            }
            if next.isEmpty {
                stats.coverage.complete = true
                stats.coverage.states = states.count
                switch lasso(maxLength: nil) {
                case .lasso(let t): return (.finding(t), stats)
                case .stopped(let reason): return (.unknown(reason: reason, completedBound: depth), stats)
                case .none: break
                }
                let fair = progress ? ", no fair loop starves a thread" : ""
                return (.proved(.init(summary: "all \(states.count) reachable states explored\(fair)")), stats)
            }
            layer = next
            depth += 1
        }
    }

    private func trace(to i: Int, finding: Finding, states: [SystemState], parent: [(Int, Action)?]) -> Trace {
        var steps: [Trace.Step] = []
        var k = i
        while let (p, action) = parent[k] {
            steps.append(.init(action: action, state: states[k]))
            k = p
        }
        return Trace(initial: states[k], steps: steps.reversed(), finding: finding)
    }
}
