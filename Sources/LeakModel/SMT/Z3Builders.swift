internal import CZ3

/// Builders for sorts and expressions. Every builder throws `Z3Error` on a Z3 error (for
/// example a sort mismatch) or when handles of another context are passed.
extension Z3Context {
    // MARK: - Sorts

    /// The Boolean sort.
    public func boolSort() throws -> Z3Sort {
        try sort(Z3_mk_bool_sort(raw), "Z3_mk_bool_sort")
    }

    /// The bit-vector sort of `width` bits (width > 0).
    public func bitVectorSort(width: Int) throws -> Z3Sort {
        let w = try unsigned(width, "bit-vector width")
        guard w > 0 else { throw Z3Error(.badArgument, "bit-vector width must be positive") }
        return try sort(Z3_mk_bv_sort(raw, w), "Z3_mk_bv_sort")
    }

    // MARK: - Constants and literals

    /// A named constant of `sort`; the same name and sort give the same constant (e.g. `t0.pc@3`).
    public func constant(_ name: String, _ sort: Z3Sort) throws -> Z3Expr {
        guard sort.context === self else {
            throw Z3Error(.mixedContexts, "a sort of another context was passed")
        }
        let sym = try symbol(name)
        return try withExtendedLifetime(sort) { try expr(Z3_mk_const(raw, sym, sort.raw), "Z3_mk_const") }
    }

    /// A named Boolean constant.
    public func boolConstant(_ name: String) throws -> Z3Expr {
        try constant(name, boolSort())
    }

    /// A named bit-vector constant of `width` bits.
    public func bitVectorConstant(_ name: String, width: Int) throws -> Z3Expr {
        try constant(name, bitVectorSort(width: width))
    }

    /// The Boolean literal `value`.
    public func bool(_ value: Bool) throws -> Z3Expr {
        try expr(value ? Z3_mk_true(raw) : Z3_mk_false(raw), "Z3_mk_true/false")
    }

    /// The bit-vector literal `value` of `width` bits; throws if `value` does not fit.
    public func bitVector(_ value: UInt64, width: Int) throws -> Z3Expr {
        let s = try bitVectorSort(width: width)
        if width < 64, value >> UInt64(width) != 0 {
            throw Z3Error(.badArgument, "\(value) does not fit in \(width) bits")
        }
        return try withExtendedLifetime(s) {
            try expr(Z3_mk_unsigned_int64(raw, value, s.raw), "Z3_mk_unsigned_int64")
        }
    }

    // MARK: - Boolean connectives

    /// Negation.
    public func not(_ a: Z3Expr) throws -> Z3Expr {
        try unary(a, "Z3_mk_not", Z3_mk_not)
    }

    /// Conjunction; `and([])` is `true`.
    public func and(_ args: [Z3Expr]) throws -> Z3Expr {
        if args.isEmpty { return try bool(true) }
        return try withRaw(args) { try expr(Z3_mk_and(raw, $0, $1), "Z3_mk_and") }
    }

    /// Disjunction; `or([])` is `false`.
    public func or(_ args: [Z3Expr]) throws -> Z3Expr {
        if args.isEmpty { return try bool(false) }
        return try withRaw(args) { try expr(Z3_mk_or(raw, $0, $1), "Z3_mk_or") }
    }

    /// Implication `a => b`.
    public func implies(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr {
        try binary(a, b, "Z3_mk_implies", Z3_mk_implies)
    }

    /// Boolean equivalence `a <=> b`.
    public func iff(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr {
        try binary(a, b, "Z3_mk_iff", Z3_mk_iff)
    }

    /// Equality of two expressions of the same sort.
    public func eq(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr {
        try binary(a, b, "Z3_mk_eq", Z3_mk_eq)
    }

    /// Pairwise distinctness; fewer than two arguments give `true`.
    public func distinct(_ args: [Z3Expr]) throws -> Z3Expr {
        if args.count < 2 {
            try requireOwned(args)
            return try bool(true)
        }
        return try withRaw(args) { try expr(Z3_mk_distinct(raw, $0, $1), "Z3_mk_distinct") }
    }

    /// If-then-else: `condition ? then : else`.
    public func ite(_ condition: Z3Expr, _ then: Z3Expr, _ otherwise: Z3Expr) throws -> Z3Expr {
        try requireOwned(condition, then, otherwise)
        return try withExtendedLifetime((condition, then, otherwise)) {
            try expr(Z3_mk_ite(raw, condition.raw, then.raw, otherwise.raw), "Z3_mk_ite")
        }
    }

    // MARK: - Bit-vectors

    /// Bitwise and.
    public func bvAnd(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr {
        try binary(a, b, "Z3_mk_bvand", Z3_mk_bvand)
    }

    /// Bitwise or.
    public func bvOr(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr {
        try binary(a, b, "Z3_mk_bvor", Z3_mk_bvor)
    }

    /// Bitwise exclusive or.
    public func bvXor(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr {
        try binary(a, b, "Z3_mk_bvxor", Z3_mk_bvxor)
    }

    /// Bitwise complement.
    public func bvNot(_ a: Z3Expr) throws -> Z3Expr {
        try unary(a, "Z3_mk_bvnot", Z3_mk_bvnot)
    }

    /// Addition modulo 2^width.
    public func bvAdd(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr {
        try binary(a, b, "Z3_mk_bvadd", Z3_mk_bvadd)
    }

    /// Multiplication modulo 2^width.
    public func bvMul(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr {
        try binary(a, b, "Z3_mk_bvmul", Z3_mk_bvmul)
    }

    /// Unsigned `a < b`.
    public func bvUlt(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr {
        try binary(a, b, "Z3_mk_bvult", Z3_mk_bvult)
    }

    /// Unsigned `a <= b`.
    public func bvUle(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr {
        try binary(a, b, "Z3_mk_bvule", Z3_mk_bvule)
    }

    /// Bits `high` down to `low` (inclusive) of `a`; the result has `high - low + 1` bits.
    public func extract(_ a: Z3Expr, high: Int, low: Int) throws -> Z3Expr {
        try requireOwned(a)
        let h = try unsigned(high, "extract high bit")
        let l = try unsigned(low, "extract low bit")
        return try withExtendedLifetime(a) { try expr(Z3_mk_extract(raw, h, l, a.raw), "Z3_mk_extract") }
    }

    /// Concatenation; `high` gives the most significant bits.
    public func concat(_ high: Z3Expr, _ low: Z3Expr) throws -> Z3Expr {
        try binary(high, low, "Z3_mk_concat", Z3_mk_concat)
    }

    /// `a` with `extraBits` zero bits added on the most significant side.
    public func zeroExtend(_ a: Z3Expr, by extraBits: Int) throws -> Z3Expr {
        try requireOwned(a)
        let n = try unsigned(extraBits, "zero-extension")
        return try withExtendedLifetime(a) { try expr(Z3_mk_zero_ext(raw, n, a.raw), "Z3_mk_zero_ext") }
    }

    // MARK: - Functions and simplification

    /// An uninterpreted function `name : domain -> range`.
    public func function(_ name: String, domain: [Z3Sort], range: Z3Sort) throws -> Z3FuncDecl {
        for s in domain + [range] where s.context !== self {
            throw Z3Error(.mixedContexts, "a sort of another context was passed")
        }
        let sym = try symbol(name)
        let count = try unsigned(domain.count, "domain size")
        let raws: [Z3_sort?] = domain.map { $0.raw }
        return try withExtendedLifetime((domain, range)) {
            let d = raws.withUnsafeBufferPointer {
                Z3_mk_func_decl(raw, sym, count, $0.baseAddress, range.raw)
            }
            try checkError()
            guard let d else { throw Z3Error(.nullHandle, "Z3_mk_func_decl returned NULL") }
            return Z3FuncDecl(self, d)
        }
    }

    /// The application `f(args...)`.
    public func apply(_ f: Z3FuncDecl, _ args: [Z3Expr]) throws -> Z3Expr {
        guard f.context === self else {
            throw Z3Error(.mixedContexts, "a function of another context was passed")
        }
        return try withExtendedLifetime(f) {
            try withRaw(args) { try expr(Z3_mk_app(raw, f.raw, $0, $1), "Z3_mk_app") }
        }
    }

    /// Z3's simplification of `a` (folds constants: `and(true, false)` becomes `false`).
    public func simplify(_ a: Z3Expr) throws -> Z3Expr {
        try unary(a, "Z3_simplify", Z3_simplify)
    }

    // MARK: - Helpers

    private func unary(_ a: Z3Expr, _ what: StaticString,
                       _ make: (Z3_context?, Z3_ast?) -> Z3_ast?) throws -> Z3Expr {
        try requireOwned(a)
        return try withExtendedLifetime(a) { try expr(make(raw, a.raw), what) }
    }

    private func binary(_ a: Z3Expr, _ b: Z3Expr, _ what: StaticString,
                        _ make: (Z3_context?, Z3_ast?, Z3_ast?) -> Z3_ast?) throws -> Z3Expr {
        try requireOwned(a, b)
        return try withExtendedLifetime((a, b)) { try expr(make(raw, a.raw, b.raw), what) }
    }
}
