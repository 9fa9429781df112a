internal import CZ3

/// A Z3 sort (type): Boolean, bit-vector of some width, or another sort.
public final class Z3Sort: Hashable, CustomStringConvertible {
    /// The context the sort belongs to (held strongly: it outlives the sort).
    public let context: Z3Context
    let raw: Z3_sort

    /// What kind of sort this is.
    public enum Kind: Sendable, Equatable {
        /// The Boolean sort.
        case bool
        /// A bit-vector sort of the given width.
        case bitVector(width: Int)
        /// Any other sort (integers, uninterpreted sorts...), with Z3's kind number.
        case other(UInt32)
    }

    init(_ context: Z3Context, _ raw: Z3_sort) {
        self.context = context
        self.raw = raw
        Z3_inc_ref(context.raw, Z3_sort_to_ast(context.raw, raw))
        context.handleOpened()
    }

    deinit {
        Z3_dec_ref(context.raw, Z3_sort_to_ast(context.raw, raw))
        context.handleClosed()
    }

    /// The kind of the sort (with the width of a bit-vector sort).
    public var kind: Kind {
        let k = Z3_get_sort_kind(context.raw, raw)
        switch k {
        case Z3_BOOL_SORT: return .bool
        case Z3_BV_SORT: return .bitVector(width: Int(Z3_get_bv_sort_size(context.raw, raw)))
        default: return .other(k.rawValue)
        }
    }

    /// Z3's printed form of the sort, e.g. `(_ BitVec 8)`.
    public var description: String {
        guard let s = Z3_sort_to_string(context.raw, raw) else { return "<sort>" }
        return String(cString: s)
    }

    /// Same context and same sort (Z3 sorts are hash-consed).
    public static func == (a: Z3Sort, b: Z3Sort) -> Bool {
        a.context === b.context && Z3_is_eq_sort(a.context.raw, a.raw, b.raw)
    }

    /// Hashes the context identity and the sort's id.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(context))
        hasher.combine(Z3_get_sort_id(context.raw, raw))
    }
}

/// A Z3 expression (an AST node: a term or a formula).
///
/// Equality is structural: Z3 hash-conses ASTs, so two equal expressions of one context are the
/// same node.
public final class Z3Expr: Hashable, CustomStringConvertible {
    /// The context the expression belongs to (held strongly: it outlives the expression).
    public let context: Z3Context
    let raw: Z3_ast

    init(_ context: Z3Context, _ raw: Z3_ast) {
        self.context = context
        self.raw = raw
        Z3_inc_ref(context.raw, raw)
        context.handleOpened()
    }

    deinit {
        Z3_dec_ref(context.raw, raw)
        context.handleClosed()
    }

    /// The sort of the expression.
    public var sort: Z3Sort {
        get throws {
            try context.sort(Z3_get_sort(context.raw, raw), "Z3_get_sort")
        }
    }

    /// The width of a bit-vector expression; throws a sort error for other sorts.
    public var width: Int {
        get throws {
            guard case .bitVector(let width) = try sort.kind else {
                throw Z3Error(.sortError, "\(self) is not a bit-vector")
            }
            return width
        }
    }

    /// Whether the expression has the Boolean sort.
    public var isBool: Bool {
        (try? sort.kind) == .bool
    }

    /// Whether the expression is the constant `true` (after simplification, if any).
    public var isTrue: Bool { Z3_get_bool_value(context.raw, raw) == Z3_L_TRUE }

    /// Whether the expression is the constant `false` (after simplification, if any).
    public var isFalse: Bool { Z3_get_bool_value(context.raw, raw) == Z3_L_FALSE }

    /// Z3's unique id of this node within its context.
    public var id: UInt32 { Z3_get_ast_id(context.raw, raw) }

    /// Z3's printed (SMT-LIB2) form of the expression.
    public var description: String {
        guard let s = Z3_ast_to_string(context.raw, raw) else { return "<expr>" }
        return String(cString: s)
    }

    /// Same context and same node.
    public static func == (a: Z3Expr, b: Z3Expr) -> Bool {
        a.context === b.context && Z3_is_eq_ast(a.context.raw, a.raw, b.raw)
    }

    /// Hashes the context identity and the node's id.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(context))
        hasher.combine(id)
    }
}

/// A Z3 function declaration (an uninterpreted function symbol).
public final class Z3FuncDecl: CustomStringConvertible {
    /// The context the declaration belongs to (held strongly: it outlives the declaration).
    public let context: Z3Context
    let raw: Z3_func_decl

    init(_ context: Z3Context, _ raw: Z3_func_decl) {
        self.context = context
        self.raw = raw
        Z3_inc_ref(context.raw, Z3_func_decl_to_ast(context.raw, raw))
        context.handleOpened()
    }

    deinit {
        Z3_dec_ref(context.raw, Z3_func_decl_to_ast(context.raw, raw))
        context.handleClosed()
    }

    /// Z3's printed form of the declaration.
    public var description: String {
        guard let s = Z3_func_decl_to_string(context.raw, raw) else { return "<func_decl>" }
        return String(cString: s)
    }
}
