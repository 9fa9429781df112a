internal import CZ3

/// The answer of a satisfiability check.
public enum SolverResult: Sendable, Equatable, CustomStringConvertible {
    /// The assertions (and assumptions) have a model.
    case sat
    /// They have none.
    case unsat
    /// Z3 gave up; `reason` is `Z3_solver_get_reason_unknown`: "timeout", "canceled" (rlimit),
    /// "interrupted" (`Z3Context.interrupt()`), "incomplete"...
    case unknown(reason: String)

    /// "sat", "unsat" or "unknown (<reason>)".
    public var description: String {
        switch self {
        case .sat: "sat"
        case .unsat: "unsat"
        case .unknown(let reason): "unknown (\(reason))"
        }
    }
}

/// An incremental Z3 solver (`Z3_mk_solver`).
public final class Z3Solver: CustomStringConvertible {
    /// The context the solver belongs to (held strongly: it outlives the solver).
    public let context: Z3Context
    let raw: Z3_solver

    /// Creates a general-purpose incremental solver.
    /// How the solver decides.
    public enum Kind: Sendable {
        /// Z3's default (incremental SMT core once push or assumptions are used).
        case standard
        /// A solver tuned for a logic, e.g. `QF_BV`.
        case logic(String)
        /// A solver built from a tactic, e.g. `(then simplify bit-blast sat)` as a list of names
        /// applied in sequence.
        case tactics([String])
    }

    public init(_ context: Z3Context, kind: Kind = .standard) throws {
        let made: Z3_solver?
        switch kind {
        case .standard:
            made = Z3_mk_solver(context.raw)
        case .logic(let name):
            made = Z3_mk_solver_for_logic(context.raw, try context.symbol(name))
        case .tactics(let names):
            var tactics: [Z3_tactic] = []
            defer { for t in tactics { Z3_tactic_dec_ref(context.raw, t) } }
            for name in names {
                let t = Z3_mk_tactic(context.raw, name)
                try context.checkError()
                guard let t else { throw Z3Error(.nullHandle, "Z3_mk_tactic returned NULL") }
                Z3_tactic_inc_ref(context.raw, t)
                tactics.append(t)
            }
            guard var combined = tactics.first else { throw Z3Error(.badArgument, "no tactic given") }
            for t in tactics.dropFirst() {
                let next = Z3_tactic_and_then(context.raw, combined, t)
                try context.checkError()
                guard let next else { throw Z3Error(.nullHandle, "Z3_tactic_and_then returned NULL") }
                Z3_tactic_inc_ref(context.raw, next)
                tactics.append(next)
                combined = next
            }
            made = Z3_mk_solver_from_tactic(context.raw, combined)
        }
        try context.checkError()
        guard let s = made else { throw Z3Error(.nullHandle, "making a solver returned NULL") }
        self.context = context
        self.raw = s
        Z3_solver_inc_ref(context.raw, s)
        context.handleOpened()
    }

    deinit {
        Z3_solver_dec_ref(context.raw, raw)
        context.handleClosed()
    }

    /// Adds a Boolean constraint.
    public func assert(_ e: Z3Expr) throws {
        try context.requireOwned(e)
        try withExtendedLifetime(e) {
            Z3_solver_assert(context.raw, raw, e.raw)
            try context.checkError()
        }
    }

    /// Opens a backtracking scope.
    public func push() throws {
        Z3_solver_push(context.raw, raw)
        try context.checkError()
    }

    /// Closes `n` scopes, dropping the assertions made in them; throws if fewer are open.
    public func pop(_ n: Int = 1) throws {
        let count = try context.unsigned(n, "pop count")
        guard count <= numScopes else {
            throw Z3Error(.invalidUsage, "pop(\(n)) with only \(numScopes) open scopes")
        }
        Z3_solver_pop(context.raw, raw, count)
        try context.checkError()
    }

    /// The number of open scopes.
    public var numScopes: Int { Int(Z3_solver_get_num_scopes(context.raw, raw)) }

    /// Removes all assertions and scopes.
    public func reset() throws {
        Z3_solver_reset(context.raw, raw)
        try context.checkError()
    }

    /// Checks the assertions, under `assumptions` (Boolean expressions that hold for this check
    /// only). An interrupt, timeout or resource limit gives `.unknown(reason:)`.
    public func check(assumptions: [Z3Expr] = []) throws -> SolverResult {
        let r: Z3_lbool
        if assumptions.isEmpty {
            r = Z3_solver_check(context.raw, raw)
        } else {
            r = try context.withRaw(assumptions) { Z3_solver_check_assumptions(context.raw, raw, $0, $1) }
        }
        switch r {
        case Z3_L_TRUE:
            try context.checkError()
            return .sat
        case Z3_L_FALSE:
            try context.checkError()
            return .unsat
        default:
            // The error code first: the next call (get_reason_unknown) resets it. A cancelled
            // search (timeout, interrupt, resource limit) is an answer, not an error.
            let error = context.pendingError()
            let reason = Z3_solver_get_reason_unknown(context.raw, raw).map { String(cString: $0) }
            if let error, !Self.isCancellation(reason) {
                throw error
            }
            return .unknown(reason: reason ?? "unknown")
        }
    }

    private static func isCancellation(_ reason: String?) -> Bool {
        guard let reason else { return false }
        return ["timeout", "canceled", "cancelled", "interrupted", "max. resource limit exceeded"]
            .contains { reason.contains($0) }
    }

    /// The model of the last check; throws unless it returned `.sat`.
    public func model() throws -> Z3Model {
        let m = Z3_solver_get_model(context.raw, raw)
        try context.checkError()
        guard let m else { throw Z3Error(.nullHandle, "Z3_solver_get_model returned NULL") }
        return Z3Model(context, m)
    }

    /// The assumptions of the last `.unsat` check that suffice for unsatisfiability.
    public func unsatCore() throws -> [Z3Expr] {
        let v = Z3_solver_get_unsat_core(context.raw, raw)
        try context.checkError()
        guard let v else { throw Z3Error(.nullHandle, "Z3_solver_get_unsat_core returned NULL") }
        return try context.exprs(of: v)
    }

    /// The assertions currently in the solver.
    public func assertions() throws -> [Z3Expr] {
        let v = Z3_solver_get_assertions(context.raw, raw)
        try context.checkError()
        guard let v else { throw Z3Error(.nullHandle, "Z3_solver_get_assertions returned NULL") }
        return try context.exprs(of: v)
    }

    /// Applies a parameter set (`Z3_solver_set_params`); parameters accumulate. Throws for a
    /// parameter the solver does not know or a value of the wrong type.
    public func setParams(_ params: Z3Params) throws {
        guard params.context === context else {
            throw Z3Error(.mixedContexts, "parameters of another context were passed")
        }
        try withExtendedLifetime(params) {
            // Z3_solver_set_params ignores unknown names: validate first, so a misspelled
            // parameter is an error instead of a silent no-op.
            let descriptions = Z3_solver_get_param_descrs(context.raw, raw)
            try context.checkError()
            guard let descriptions else {
                throw Z3Error(.nullHandle, "Z3_solver_get_param_descrs returned NULL")
            }
            Z3_param_descrs_inc_ref(context.raw, descriptions)
            defer { Z3_param_descrs_dec_ref(context.raw, descriptions) }
            Z3_params_validate(context.raw, params.raw, descriptions)
            try context.checkError()
            Z3_solver_set_params(context.raw, raw, params.raw)
            try context.checkError()
        }
    }

    /// Makes each later check give up after `milliseconds` with `.unknown(reason: "timeout")`.
    public func setTimeout(milliseconds: Int) throws {
        let p = try Z3Params(context)
        try p.set("timeout", uint: context.unsigned(milliseconds, "timeout"))
        try setParams(p)
    }

    /// Makes each later check give up after `limit` resource units (reason "canceled").
    public func setRlimit(_ limit: Int) throws {
        let p = try Z3Params(context)
        try p.set("rlimit", uint: context.unsigned(limit, "rlimit"))
        try setParams(p)
    }

    /// The assertions as SMT-LIB2 declarations and `assert` commands, then `(check-sat)`.
    public func toSMTLIB2() -> String {
        description + "(check-sat)\n"
    }

    /// `Z3_solver_to_string`: declarations and assertions in SMT-LIB2 syntax.
    public var description: String {
        guard let s = Z3_solver_to_string(context.raw, raw) else { return "" }
        return String(cString: s)
    }
}

extension Z3Context {
    /// Wraps the elements of an AST vector and releases the vector.
    func exprs(of vector: Z3_ast_vector) throws -> [Z3Expr] {
        Z3_ast_vector_inc_ref(raw, vector)
        defer { Z3_ast_vector_dec_ref(raw, vector) }
        let n = Z3_ast_vector_size(raw, vector)
        var result: [Z3Expr] = []
        result.reserveCapacity(Int(n))
        for i in 0..<n {
            result.append(try expr(Z3_ast_vector_get(raw, vector, i), "Z3_ast_vector_get"))
        }
        return result
    }
}

/// A Z3 parameter set (`Z3_mk_params`), e.g. solver options.
public final class Z3Params: CustomStringConvertible {
    /// The context the parameters belong to (held strongly: it outlives them).
    public let context: Z3Context
    let raw: Z3_params

    /// Creates an empty parameter set.
    public init(_ context: Z3Context) throws {
        let p = Z3_mk_params(context.raw)
        try context.checkError()
        guard let p else { throw Z3Error(.nullHandle, "Z3_mk_params returned NULL") }
        self.context = context
        self.raw = p
        Z3_params_inc_ref(context.raw, p)
        context.handleOpened()
    }

    deinit {
        Z3_params_dec_ref(context.raw, raw)
        context.handleClosed()
    }

    /// Sets an unsigned parameter.
    public func set(_ name: String, uint value: UInt32) throws {
        Z3_params_set_uint(context.raw, raw, try context.symbol(name), value)
        try context.checkError()
    }

    /// Sets a Boolean parameter.
    public func set(_ name: String, bool value: Bool) throws {
        Z3_params_set_bool(context.raw, raw, try context.symbol(name), value)
        try context.checkError()
    }

    /// Sets a floating-point parameter.
    public func set(_ name: String, double value: Double) throws {
        Z3_params_set_double(context.raw, raw, try context.symbol(name), value)
        try context.checkError()
    }

    /// Sets a symbol-valued parameter.
    public func set(_ name: String, symbol value: String) throws {
        Z3_params_set_symbol(context.raw, raw, try context.symbol(name), try context.symbol(value))
        try context.checkError()
    }

    /// Z3's printed form of the parameter set.
    public var description: String {
        guard let s = Z3_params_to_string(context.raw, raw) else { return "" }
        return String(cString: s)
    }
}
