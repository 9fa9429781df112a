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
            for (action, next) in interpreter.successors(of: s) {
                record(action)
                if seen.insert(next).inserted {
                    if seen.count > stateLimit { states = seen.count; return }
                    frontier.append(next)
                }
            }
        }
        states = seen.count
        complete = true
    }
}
