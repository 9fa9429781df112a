import LeakSemantics

extension Interpreter {
    /// Calls `body` with each of the first `limit` states a breadth-first search reaches
    /// (packed, every order of interchangeable threads kept); false when `stop` ended it.
    package func visitReachable(limit: Int, stop: () -> Bool, _ body: (SystemState) -> Void) -> Bool {
        let initial = initialStates(limit: limit) ?? []
        var visited = VisitedStates(codec: StateCodec(model: model, program: program), symmetry: nil,
                                    expectedCount: Swift.min(limit, 1 << 16))
        for s in initial { visited.insert(s) }
        var next = 0
        var actions: [Action] = []
        while next < visited.count {
            if next & 1023 == 0, stop() { return false }
            let s = visited.state(next)
            body(s)
            // As the search packs them (`ExplicitChecker`): no state of a step is built.
            visited.stageSteps(of: s, number: next, interpreter: self, actions: &actions)
            visited.insertStaged(admit: { $0.count < limit }) { _, _ in }
            next += 1
        }
        return true
    }
}
