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

    /// How visited states are stored.
    public var store: Store

    /// How the search stores the states it has visited.
    public enum Store: Sendable {
        /// Packed into words in a flat open-addressing set (`PackedStateStore`); each state keeps
        /// its parent's number and its place among the parent's successors. The default for
        /// every check but progress.
        case packed
        /// As `SystemState` values with every step kept: the graph `check progress` searches
        /// for starving loops, and the reference the packed store is tested against.
        case graph
    }

    /// Whether the packed search stores interchangeable threads' states in one order
    /// (`ThreadSymmetry`).
    public var threadSymmetry: Bool

    public init(model: Model, stateLimit: Int = 2_000_000, memoryBudget: MemoryBudget = CheckDefaults.memoryBudget,
                store: Store = .packed, threadSymmetry: Bool = true) {
        self.interpreter = Interpreter(model: model)
        self.stateLimit = stateLimit
        self.memoryBudget = memoryBudget
        self.store = store
        self.threadSymmetry = threadSymmetry
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
    /// `held` is told how many states the search holds, every 65,536 states added.
    public func check(bound: Int?, stopReason: () -> String? = { nil }, held: (Int) -> Void = { _ in })
        -> (Outcome, Statistics)
    {
        // `check progress` searches loops in the graph of steps, which the packed store drops.
        if store == .packed && !interpreter.model.checks.contains(.progress) {
            guard threadSymmetry, let symmetry = ThreadSymmetry(interpreter.model) else {
                return packedSearch(bound: bound, symmetry: nil, stopReason: stopReason, held: held)
            }
            let reduced = packedSearch(bound: bound, symmetry: symmetry, stopReason: stopReason, held: held)
            // The reduced search gives the shortest length; the schedule reported is the one the
            // search without the reduction finds first, at that length.
            guard case .finding(let trace) = reduced.0 else { return reduced }
            return packedSearch(bound: trace.steps.count, symmetry: nil, stopReason: stopReason, held: held)
        }
        return graphSearch(bound: bound, stopReason: stopReason)
    }

    /// The breadth-first search over packed states: the same layers, findings and first
    /// discoverers as `graphSearch`, so the same outcome and the same trace.
    private func packedSearch(bound: Int?, symmetry: ThreadSymmetry?, stopReason: () -> String?,
                              held: (Int) -> Void) -> (Outcome, Statistics) {
        var stats = Statistics()
        let model = interpreter.model
        let codec = StateCodec(model: model, program: interpreter.program)
        let stateLimit = Swift.min(stateLimit, PackedStateStore.capacityLimit)
        guard let initial = interpreter.initialStates(limit: stateLimit) else {
            return (.unknown(reason: "state limit of \(stateLimit) states reached by the initial states",
                             completedBound: nil), stats)
        }
        var visited = VisitedStates(codec: codec, symmetry: symmetry, expectedCount: initial.count)
        // State n was first reached from state `parent[n]` by its successor number `choice[n]`.
        var parent: [UInt32] = []
        var choice: [UInt32] = []
        var stopped: String?
        /// Adds `s` unless it is known or the search must stop (`stopped` says why); whether it
        /// was added.
        func insert(_ s: SystemState) -> Bool {
            let added = visited.insert(s, admit: admit)
            if added && visited.count & 0xFFFF == 0 { held(visited.count) }
            return added
        }
        func admit(_ store: PackedStateStore) -> Bool {
            stopped = full(store)
            return stopped == nil
        }
        /// Why the search must stop before adding a state, if it must: the state limit, or a
        /// memory budget that one more state (an array doubling) would exceed.
        func full(_ store: PackedStateStore) -> String? {
            if store.count >= stateLimit { return "state limit of \(stateLimit) states reached" }
            let links = parent.count < parent.capacity ? parent.capacity : 2 * Swift.max(parent.capacity, 1)
            guard store.bytesAfterInsert + 2 * links * 4 > memoryBudget.bytes else { return nil }
            let bytes = store.bytes + (parent.capacity + choice.capacity) * 4
            return "memory budget of \(MemoryBudget.describe(bytes: memoryBudget.bytes)) reached: "
                + "\(store.count) states held in \(MemoryBudget.describe(bytes: bytes)) (--memory)"
        }
        for s in initial where insert(s) {
            parent.append(.max); choice.append(0)
        }
        let priority = model.checksByPriority
        var layer = 0..<visited.count
        var depth = 0
        // The state expanded, overwritten by each decode (no allocation once it has its shape:
        // its steps are packed as they are made and not kept, so nothing shares its arrays),
        // and its steps' actions.
        var s = initial.first ?? SystemState(threads: [], buffers: [])
        var actions: [Action] = []
        while true {
            stats.depth = depth
            stats.states = visited.count
            var best: (rank: Int, state: Int, finding: Finding)?
            let expand = bound.map { depth < $0 } ?? true
            for i in layer {
                if let reason = stopReason() {
                    return (.unknown(reason: reason, completedBound: depth > 0 ? depth - 1 : nil), stats)
                }
                visited.state(i, into: &s)
                if s.threads.contains(where: \.inGuest) { stats.guestRuns = true }
                visited.stageSteps(of: s, number: i, interpreter: interpreter, actions: &actions)
                stats.coverage.record(s)
                stats.coverage.record(actions: actions, from: s, interpreter: interpreter)
                let onlyIdleSteps = actions.allSatisfy(\.isIdle)
                for (rank, check) in priority.enumerated() where rank < (best?.rank ?? Int.max) {
                    if let f = interpreter.finding(check, in: s, onlyIdleSteps: onlyIdleSteps) {
                        best = (rank, i, f)
                        break
                    }
                }
                // Once the layer has a finding, or the store is full, the next layer is not
                // needed; the rest of this one is still searched for a finding of higher priority.
                guard expand, best == nil, stopped == nil else { continue }
                visited.insertStaged(admit: admit) { k, count in
                    parent.append(UInt32(i)); choice.append(UInt32(k))
                    if count & 0xFFFF == 0 { held(count) }
                }
            }
            if let best {
                // The states up to this layer, as the graph search counts them (the next
                // layer's first states, added before the finding, are not counted).
                stats.states = layer.upperBound
                return (.finding(packedTrace(to: best.state, finding: best.finding, visited: visited,
                                             parent: parent, choice: choice)), stats)
            }
            stats.states = visited.count
            if let stopped { return (.unknown(reason: stopped, completedBound: depth), stats) }
            if !expand { return (.noFindingWithin(bound: depth), stats) }
            if visited.count == layer.upperBound {
                stats.coverage.complete = true
                stats.coverage.states = visited.count
                let names = symmetry.map { $0.classes.map { $0.map { model.threads[$0].name }.joined(separator: ", ") } }
                let reduced = names.map { "; interchangeable threads (\($0.joined(separator: "; "))) in one order" } ?? ""
                return (.proved(.init(summary: "all \(visited.count) reachable states explored\(reduced)")), stats)
            }
            layer = layer.upperBound..<visited.count
            depth += 1
        }
    }

    /// The schedule to state `i`, replayed from its initial state: each step is the recorded
    /// successor of the state before it. Under a symmetry the states are the stored, normalized
    /// ones, so the steps need not form a schedule: only the length is used (`check`).
    private func packedTrace(to i: Int, finding: Finding, visited: VisitedStates,
                             parent: [UInt32], choice: [UInt32]) -> Trace {
        var path: [Int] = []
        var k = i
        while parent[k] != .max {
            path.append(k)
            k = Int(parent[k])
        }
        let initial = visited.state(k)
        var state = initial
        var steps: [Trace.Step] = []
        for n in path.reversed() {
            let (action, next) = interpreter.successors(of: state)[Int(choice[n])]
            steps.append(.init(action: action, state: next))
            state = visited.symmetry?.normalized(next) ?? next
        }
        return Trace(initial: initial, steps: steps, finding: finding)
    }

    /// The breadth-first search that keeps every state as a `SystemState` and, for `check
    /// progress`, every step.
    private func graphSearch(bound: Int?, stopReason: () -> String?) -> (Outcome, Statistics) {
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
