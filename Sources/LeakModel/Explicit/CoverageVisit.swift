import LeakSemantics
import LeakTrace

/// How the explicit engine finds a model's `Coverage` (declared in Trace/, where reports see it).
extension Coverage {
    /// Visits up to `stateLimit` states, holding no more than `memoryBudget`; `stopReason`
    /// ends the visit early (incomplete).
    public init(model: Model, stateLimit: Int, memoryBudget: MemoryBudget = CheckDefaults.memoryBudget,
                stopReason: () -> String? = { nil }) {
        self.init()
        let interpreter = Interpreter(model: model)
        guard let initial = interpreter.initialStates(limit: stateLimit) else { return }
        // A permutation of interchangeable threads runs the same statements, exits and
        // interrupts: one order of them is enough to see what runs.
        var visited = VisitedStates(codec: StateCodec(model: model, program: interpreter.program),
                                    symmetry: ThreadSymmetry(model), expectedCount: initial.count)
        // Depth-first over state numbers: the store holds the states, the stack their numbers.
        var frontier: [Int] = []
        for s in initial where visited.insert(s) { frontier.append(visited.count - 1) }
        while let n = frontier.popLast() {
            if stopReason() != nil { states = visited.count; return }
            let s = visited.state(n)
            record(s)
            let successors = interpreter.successors(of: s)
            record(successors, from: s, interpreter: interpreter)
            for (_, next) in successors {
                // The search's rule (`ExplicitChecker`): stop before a state over the limit, or
                // before an array doubling that would take the visit over its budget.
                var full = false
                let added = visited.insert(next) { store in
                    let stack = frontier.count < frontier.capacity ? frontier.capacity : 2 * Swift.max(frontier.capacity, 1)
                    full = store.count >= stateLimit || store.bytesAfterInsert + stack * 8 > memoryBudget.bytes
                    return !full
                }
                if full {
                    states = visited.count
                    return
                }
                if added { frontier.append(visited.count - 1) }
            }
        }
        states = visited.count
        complete = true
    }

    /// Records the steps from `s`: each action, and the `if`s a main step passes through (they
    /// ran, though no step is taken at them alone).
    package mutating func record(_ successors: [(Action, SystemState)], from s: SystemState, interpreter: Interpreter) {
        record(actions: successors.lazy.map(\.0), from: s, interpreter: interpreter)
    }

    /// `record(_:from:interpreter:)` from the steps' actions alone.
    package mutating func record(actions: some Sequence<Action>, from s: SystemState, interpreter: Interpreter) {
        // Which threads take a main step: bits for the first 64 (no allocation per state).
        var mainStep: UInt64 = 0
        var beyond64 = Set<Int>()
        for action in actions {
            record(action)
            switch action {
            case .statement(let t, _, _), .crash(let t, _), .entry(let t), .schedule(let t, _):
                if t < 64 { mainStep |= 1 << UInt64(t) } else { beyond64.insert(t) }
            case .guestStep, .exit, .interrupt, .idle: break
            }
        }
        // Only an `if` can be passed through; most models have none.
        guard interpreter.program.hasIf else { return }
        for t in s.threads.indices where t < 64 ? mainStep & (1 << UInt64(t)) != 0 : beyond64.contains(t) {
            for q in interpreter.ifsPassed(by: t, in: s) { ranBits.insert(q) }
        }
    }
}
