internal import CZ3

/// A Z3 fixedpoint engine (constrained Horn clauses), used with the Spacer engine.
///
/// Spacer stopped by a timeout or `Z3_interrupt` answers "unknown" with the reason "ok"
/// (Z3-NOTES.md): callers that stop it must remember why themselves.
public final class Z3Fixedpoint {
    public let context: Z3Context
    let raw: Z3_fixedpoint

    public init(_ context: Z3Context) throws {
        let fp = Z3_mk_fixedpoint(context.raw)
        try context.checkError()
        guard let fp else { throw Z3Error(.nullHandle, "Z3_mk_fixedpoint returned NULL") }
        self.context = context
        raw = fp
        Z3_fixedpoint_inc_ref(context.raw, fp)
        context.handleOpened()
    }

    deinit {
        Z3_fixedpoint_dec_ref(context.raw, raw)
        context.handleClosed()
    }

    /// Sets parameters such as `engine` = `spacer`.
    public func setParams(_ params: Z3Params) throws {
        try withExtendedLifetime(params) {
            Z3_fixedpoint_set_params(context.raw, raw, params.raw)
            try context.checkError()
        }
    }

    /// Declares a predicate whose interpretation the engine computes.
    public func registerRelation(_ f: Z3FuncDecl) throws {
        try withExtendedLifetime(f) {
            Z3_fixedpoint_register_relation(context.raw, raw, f.raw)
            try context.checkError()
        }
    }

    /// Adds a Horn rule: a universally quantified implication whose head is a relation.
    public func addRule(_ rule: Z3Expr, name: String) throws {
        try context.requireOwned(rule)
        let symbol = try context.symbol(name)
        try withExtendedLifetime(rule) {
            Z3_fixedpoint_add_rule(context.raw, raw, rule.raw, symbol)
            try context.checkError()
        }
    }

    /// Whether `query` (a relation application) is derivable: sat means reachable.
    public func query(_ query: Z3Expr) throws -> SolverResult {
        try context.requireOwned(query)
        let r = try withExtendedLifetime(query) { () throws -> Z3_lbool in
            let r = Z3_fixedpoint_query(context.raw, raw, query.raw)
            try context.checkError()
            return r
        }
        switch r {
        case Z3_L_TRUE: return .sat
        case Z3_L_FALSE: return .unsat
        default:
            let reason = Z3_fixedpoint_get_reason_unknown(context.raw, raw).map { String(cString: $0) } ?? "unknown"
            _ = Z3_get_error_code(context.raw)
            return .unknown(reason: reason)
        }
    }

    /// The interpretation found for `predicate` at every level (`level` -1): after an unsat
    /// query, an inductive invariant over de Bruijn variables, one per argument.
    public func cover(of predicate: Z3FuncDecl, level: Int32 = -1) throws -> Z3Expr {
        try withExtendedLifetime(predicate) {
            try context.expr(Z3_fixedpoint_get_cover_delta(context.raw, raw, level, predicate.raw),
                             "Z3_fixedpoint_get_cover_delta")
        }
    }
}

extension Z3Context {
    /// `forall bound. body`, the bound variables given as constants.
    public func forAll(_ bound: [Z3Expr], _ body: Z3Expr) throws -> Z3Expr {
        try requireOwned(body)
        return try withExtendedLifetime(body) {
            try withRaw(bound) { count, apps in
                var appsRaw: [Z3_app?] = []
                for i in 0..<Int(count) { appsRaw.append(Z3_to_app(raw, apps[i])) }
                return try appsRaw.withUnsafeBufferPointer {
                    try expr(Z3_mk_forall_const(raw, 0, count, $0.baseAddress, 0, nil, body.raw), "Z3_mk_forall_const")
                }
            }
        }
    }

    /// Replaces every occurrence of `from[i]` in `e` by `to[i]`.
    public func substitute(_ e: Z3Expr, from: [Z3Expr], to: [Z3Expr]) throws -> Z3Expr {
        guard from.count == to.count else { throw Z3Error(.badArgument, "substitute needs as many targets as sources") }
        try requireOwned(e)
        return try withExtendedLifetime(e) {
            try withRaw(from) { count, fromRaw in
                try withRaw(to) { _, toRaw in
                    try expr(Z3_substitute(raw, e.raw, count, fromRaw, toRaw), "Z3_substitute")
                }
            }
        }
    }

    /// Replaces de Bruijn variable i of `e` by `values[i]`.
    public func substituteVariables(_ e: Z3Expr, _ values: [Z3Expr]) throws -> Z3Expr {
        try requireOwned(e)
        return try withExtendedLifetime(e) {
            try withRaw(values) { count, raws in
                try expr(Z3_substitute_vars(raw, e.raw, count, raws), "Z3_substitute_vars")
            }
        }
    }
}

/// What kind of node an expression is, for walking formulas Z3 returns (invariants).
public enum Z3Node {
    case bool(Bool)
    case numeral(UInt64, width: Int)
    /// A constant the caller made (by name).
    case constant(String)
    case not(Z3Expr)
    case and([Z3Expr])
    case or([Z3Expr])
    case implies(Z3Expr, Z3Expr)
    case eq(Z3Expr, Z3Expr)
    case ite(Z3Expr, Z3Expr, Z3Expr)
    case bvule(Z3Expr, Z3Expr)
    case bvult(Z3Expr, Z3Expr)
    case bvand([Z3Expr])
    case bvor([Z3Expr])
    case bvnot(Z3Expr)
    case extract(high: Int, low: Int, Z3Expr)
    /// Bit `index` of a bit-vector, as a Boolean.
    case bit(index: Int, Z3Expr)
    case concat([Z3Expr])
    /// Anything else, printed by Z3.
    case other(String)
}

extension Z3Expr {
    /// The expression's top node.
    public func node() throws -> Z3Node {
        let c = context.raw
        return try withExtendedLifetime(self) {
            switch Z3_get_ast_kind(c, raw) {
            case Z3_NUMERAL_AST:
                var value: UInt64 = 0
                guard Z3_get_numeral_uint64(c, raw, &value) else { return .other(description) }
                return .numeral(value, width: (try? width) ?? 0)
            case Z3_APP_AST:
                let app = Z3_to_app(c, raw)!
                let decl = Z3_get_app_decl(c, app)!
                let n = Int(Z3_get_app_num_args(c, app))
                let args = try (0..<n).map { try context.expr(Z3_get_app_arg(c, app, UInt32($0)), "Z3_get_app_arg") }
                switch Z3_get_decl_kind(c, decl) {
                case Z3_OP_TRUE: return .bool(true)
                case Z3_OP_FALSE: return .bool(false)
                case Z3_OP_NOT: return .not(args[0])
                case Z3_OP_AND: return .and(args)
                case Z3_OP_OR: return .or(args)
                case Z3_OP_IMPLIES: return .implies(args[0], args[1])
                case Z3_OP_EQ, Z3_OP_IFF: return .eq(args[0], args[1])
                case Z3_OP_ITE: return .ite(args[0], args[1], args[2])
                case Z3_OP_ULEQ: return .bvule(args[0], args[1])
                case Z3_OP_ULT: return .bvult(args[0], args[1])
                case Z3_OP_UGEQ: return .bvule(args[1], args[0])
                case Z3_OP_UGT: return .bvult(args[1], args[0])
                case Z3_OP_BAND: return .bvand(args)
                case Z3_OP_BOR: return .bvor(args)
                case Z3_OP_BNOT: return .bvnot(args[0])
                case Z3_OP_CONCAT: return .concat(args)
                case Z3_OP_EXTRACT:
                    return .extract(high: Int(Z3_get_decl_int_parameter(c, decl, 0)),
                                    low: Int(Z3_get_decl_int_parameter(c, decl, 1)), args[0])
                case Z3_OP_BIT2BOOL:
                    return .bit(index: Int(Z3_get_decl_int_parameter(c, decl, 0)), args[0])
                case Z3_OP_UNINTERPRETED where n == 0:
                    let symbol = Z3_get_decl_name(c, decl)
                    return .constant(Z3_get_symbol_string(c, symbol).map { String(cString: $0) } ?? description)
                default:
                    return .other(description)
                }
            default:
                return .other(description)
            }
        }
    }
}
