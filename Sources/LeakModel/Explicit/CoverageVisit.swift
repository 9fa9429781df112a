import LeakSemantics
import LeakTrace

/// How the explicit engine finds a model's `Coverage` (declared in Trace/, where reports see it).
extension Coverage {
    /// Visits up to `stateLimit` states (and no more than `memoryBudget` holds); `stopReason`
    /// ends the visit early (incomplete).
    public init(model: Model, stateLimit: Int, memoryBudget: MemoryBudget = CheckDefaults.memoryBudget,
                stopReason: () -> String? = { nil }) {
        self.init()
        let interpreter = Interpreter(model: model)
        let stateLimit = Swift.min(stateLimit, Swift.max(1, memoryBudget.bytes / MemoryBudget.bytesPerState(model)))
        guard let initial = interpreter.initialStates(limit: stateLimit) else { return }
        var seen = Set(initial)
        var frontier = Array(seen)
        var visited = 0
        while let s = frontier.popLast() {
            visited += 1
            if stopReason() != nil { states = seen.count; return }
            record(s)
            let successors = interpreter.successors(of: s)
            record(successors, from: s, interpreter: interpreter)
            for (_, next) in successors {
                if seen.insert(next).inserted {
                    if seen.count > stateLimit { states = seen.count; return }
                    frontier.append(next)
                }
            }
        }
        states = seen.count
        complete = true
    }

    /// Records the steps from `s`: each action, and the `if`s a main step passes through (they
    /// ran, though no step is taken at them alone).
    package mutating func record(_ successors: [(Action, SystemState)], from s: SystemState, interpreter: Interpreter) {
        var mainStep = Set<Int>()
        for (action, _) in successors {
            record(action)
            switch action {
            case .statement(let t, _, _), .crash(let t, _), .entry(let t), .schedule(let t, _): mainStep.insert(t)
            case .guestStep, .exit, .interrupt, .idle: break
            }
        }
        for t in mainStep.sorted() { ran.formUnion(interpreter.ifsPassed(by: t, in: s)) }
    }
}
