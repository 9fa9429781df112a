import LeakSMT

/// Builds the solver formula of an accepted certificate (`CertificateFormula`) through the
/// ordinary term API, one node after the other: no SMT-LIB text is ever handed to the solver.
///
/// Why not print the checked formula back as SMT-LIB and let the solver parse that: its
/// parser is also a command interpreter with process-wide side effects, and building from
/// the DAG is no longer than a printer would be. The nodes come in an order where every
/// argument precedes its use, so the build is a single loop, and sharing (`let`) stays sharing.
struct CertificateTermBuilder {
    let context: Z3Context
    /// The model's current-state variables by name (`InductionFrame.vars`).
    let variables: [String: Z3Expr]

    /// The model's state variables with their sorts, as `CertificateParser` needs them.
    static func signature(of vars: [Z3Expr]) throws -> (sorts: [String: CertificateFormula.Sort], exprs: [String: Z3Expr]) {
        var sorts: [String: CertificateFormula.Sort] = [:], exprs: [String: Z3Expr] = [:]
        for v in vars {
            guard case .constant(let name) = try v.node() else {
                throw BMCChecker.InternalError(description: "a state variable is no constant: \(v)")
            }
            switch try v.sort.kind {
            case .bool: sorts[name] = .bool
            case .bitVector(let width): sorts[name] = .bitVector(width: width)
            case .other:
                throw BMCChecker.InternalError(description: "the state variable \(name) has sort \(try v.sort)")
            }
            exprs[name] = v
        }
        return (sorts, exprs)
    }

    /// The formula's root.
    func build(_ formula: CertificateFormula) throws -> Z3Expr {
        let ctx = context
        var built: [Z3Expr] = []
        built.reserveCapacity(formula.nodes.count)
        for node in formula.nodes {
            let e: Z3Expr
            switch node {
            case .variable(let name):
                guard let v = variables[name] else {
                    throw BMCChecker.InternalError(description: "the certificate parser accepted an unknown variable \(name)")
                }
                e = v
            case .bool(let value):
                e = try ctx.bool(value)
            case .bitVector(let limbs, let width):
                e = try literal(limbs, width: width)
            case .apply(let op, let indices):
                e = try apply(op, indices.map { built[$0] })
            }
            built.append(e)
        }
        return built[formula.root]
    }

    /// A literal of any width: 64-bit pieces, most significant first, concatenated.
    private func literal(_ limbs: [UInt64], width: Int) throws -> Z3Expr {
        var result: Z3Expr?
        for (i, limb) in limbs.enumerated().reversed() {
            let piece = try context.bitVector(limb, width: min(64, width - i * 64))
            result = try result.map { try context.concat($0, piece) } ?? piece
        }
        guard let result else { throw BMCChecker.InternalError(description: "a bit-vector literal without bits") }
        return result
    }

    private func apply(_ op: CertificateFormula.Operator, _ a: [Z3Expr]) throws -> Z3Expr {
        let ctx = context
        switch op {
        case .not: return try ctx.not(a[0])
        case .and: return try ctx.and(a)
        case .or: return try ctx.or(a)
        case .implies:
            // Right-associative: (=> a b c) is (=> a (=> b c)).
            var result = a[a.count - 1]
            for p in a.dropLast().reversed() { result = try ctx.implies(p, result) }
            return result
        case .equal:
            // Chainable: (= a b c) is (and (= a b) (= b c)).
            if a.count == 2 { return try ctx.eq(a[0], a[1]) }
            return try ctx.and((1..<a.count).map { try ctx.eq(a[$0 - 1], a[$0]) })
        case .ite: return try ctx.ite(a[0], a[1], a[2])
        case .bvnot: return try ctx.bvNot(a[0])
        case .bvand: return try a.dropFirst().reduce(a[0]) { try ctx.bvAnd($0, $1) }
        case .bvor: return try a.dropFirst().reduce(a[0]) { try ctx.bvOr($0, $1) }
        case .bvule: return try ctx.bvUle(a[0], a[1])
        case .bvult: return try ctx.bvUlt(a[0], a[1])
        case .bvuge: return try ctx.bvUle(a[1], a[0])
        case .bvugt: return try ctx.bvUlt(a[1], a[0])
        case .concat: return try a.dropFirst().reduce(a[0]) { try ctx.concat($0, $1) }
        case .extract(let high, let low): return try ctx.extract(a[0], high: high, low: low)
        case .bit(let index): return try ctx.eq(ctx.extract(a[0], high: index, low: index), ctx.bitVector(1, width: 1))
        }
    }
}
