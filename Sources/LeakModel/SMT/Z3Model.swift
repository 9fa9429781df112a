internal import CZ3

/// A model (satisfying assignment) returned by `Z3Solver.model()`.
public final class Z3Model: CustomStringConvertible {
    /// The context the model belongs to (held strongly: it outlives the model).
    public let context: Z3Context
    let raw: Z3_model

    init(_ context: Z3Context, _ raw: Z3_model) {
        self.context = context
        self.raw = raw
        Z3_model_inc_ref(context.raw, raw)
        context.handleOpened()
    }

    deinit {
        Z3_model_dec_ref(context.raw, raw)
        context.handleClosed()
    }

    /// The value of `e` in the model; with `completion`, constants the model leaves free get a
    /// default value, so the result is a literal.
    public func eval(_ e: Z3Expr, completion: Bool = true) throws -> Z3Expr {
        try context.requireOwned(e)
        return try withExtendedLifetime(e) {
            var out: Z3_ast? = nil
            let ok = Z3_model_eval(context.raw, raw, e.raw, completion, &out)
            try context.checkError()
            guard ok else { throw Z3Error(.valueUnavailable, "could not evaluate \(e)") }
            return try context.expr(out, "Z3_model_eval")
        }
    }

    /// The Boolean value of `e` in the model.
    public func bool(_ e: Z3Expr) throws -> Bool {
        let v = try eval(e)
        if v.isTrue { return true }
        if v.isFalse { return false }
        throw Z3Error(.valueUnavailable, "\(e) has no Boolean value (got \(v))")
    }

    /// The unsigned value of a bit-vector expression of at most 64 bits in the model.
    public func uint(_ e: Z3Expr) throws -> UInt64 {
        let width = try e.width
        guard width <= 64 else {
            throw Z3Error(.valueUnavailable, "\(e) has \(width) bits; at most 64 can be read")
        }
        let v = try eval(e)
        return try withExtendedLifetime(v) {
            var value: UInt64 = 0
            let ok = Z3_get_numeral_uint64(context.raw, v.raw, &value)
            try context.checkError()
            guard ok else { throw Z3Error(.valueUnavailable, "\(e) evaluates to \(v), not a numeral") }
            return value
        }
    }

    /// Z3's printed form of the model.
    public var description: String {
        guard let s = Z3_model_to_string(context.raw, raw) else { return "" }
        return String(cString: s)
    }
}
