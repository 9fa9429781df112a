/// The formula of a proof certificate once `CertificateParser` has accepted it: plain data,
/// sort-checked, over declared state variables only.
///
/// The nodes form a DAG in a flat array, every node after its arguments, so that walking it
/// (the term builder) is one loop, never a recursion: a `let` adds no node, a reference to a
/// bound name is the index of the bound term.
public struct CertificateFormula: Hashable, Sendable {
    /// The two sorts a certificate may use.
    public enum Sort: Hashable, Sendable, CustomStringConvertible {
        case bool
        case bitVector(width: Int)

        /// The SMT-LIB spelling: `Bool`, `(_ BitVec 3)`.
        public var description: String {
            switch self {
            case .bool: "Bool"
            case .bitVector(let w): "(_ BitVec \(w))"
            }
        }
    }

    /// The operators of the grammar (docs/PROOFS.md, "Certificate grammar").
    public enum Operator: Hashable, Sendable {
        case not, and, or, implies, equal, ite
        case bvnot, bvand, bvor, bvule, bvult, bvuge, bvugt, concat
        /// `(_ extract high low)`: bits `high` down to `low`.
        case extract(high: Int, low: Int)
        /// `(_ bit2bool index)`: bit `index` as a Boolean (Z3 writes it for one-bit tests).
        case bit(Int)
    }

    /// One node of the formula.
    public enum Node: Hashable, Sendable {
        /// A declared state variable, by name.
        case variable(String)
        case bool(Bool)
        /// A bit-vector literal: 64-bit limbs, least significant first, and the width.
        case bitVector(limbs: [UInt64], width: Int)
        /// An operator applied to earlier nodes (indices into `nodes`).
        case apply(Operator, [Int])
    }

    /// A `declare-fun` or `declare-const` of the certificate.
    public struct Declaration: Hashable, Sendable {
        public var name: String
        public var sort: Sort
    }

    /// Every node, each after its arguments.
    public var nodes: [Node]
    /// The sort of each node.
    public var sorts: [Sort]
    /// The asserted formula (a Boolean node).
    public var root: Int
    /// The declarations, in the order of the file.
    public var declarations: [Declaration]
}
