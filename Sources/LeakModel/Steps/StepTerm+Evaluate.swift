import LeakSemantics

extension StepTerm {
    /// The value of the term in a concrete state (`StateSpace.values(of:)`): the step rules run
    /// without a solver, which is how tests compare them with the explicit interpreter.
    public func evaluate(_ values: [StateValue]) -> StateValue {
        switch self {
        case .bool(let b): return .bool(b)
        case .code(let c, _): return .code(c)
        case .set(let s): return .set(s)
        case .variable(let i): return values[i]
        case .negation(let a): return .bool(!a.truth(values))
        case .all(let parts): return .bool(parts.allSatisfy { $0.truth(values) })
        case .any(let parts): return .bool(parts.contains { $0.truth(values) })
        case .equal(let a, let b): return .bool(a.evaluate(values) == b.evaluate(values))
        case .ite(let c, let a, let b): return c.truth(values) ? a.evaluate(values) : b.evaluate(values)
        case .union(let a, let b): return .set(a.members(values).union(b.members(values)))
        case .intersects(let a, let b): return .bool(!a.members(values).isDisjoint(with: b.members(values)))
        case .subset(let a, let b):
            let x = a.members(values)
            return .bool(x.intersection(b.members(values)) == x)
        case .member(let a, let i): return .bool(a.members(values).contains(i))
        }
    }

    /// The value of a Boolean term.
    public func truth(_ values: [StateValue]) -> Bool {
        guard case .bool(let b) = evaluate(values) else { preconditionFailure("\(self) is no Boolean term") }
        return b
    }

    private func members(_ values: [StateValue]) -> RegionSet {
        guard case .set(let s) = evaluate(values) else { preconditionFailure("\(self) is no set term") }
        return s
    }
}
