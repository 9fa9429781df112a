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
        while next < visited.count {
            if next & 1023 == 0, stop() { return false }
            let s = visited.state(next)
            body(s)
            for (_, n) in successors(of: s) where visited.count < limit { visited.insert(n) }
            next += 1
        }
        return true
    }
}
