import LeakSMT
import LeakSteps

/// The step rules' terms as one shared graph: every distinct subterm once, children before
/// parents. A state's translation then makes one Z3 call per distinct subterm, however many
/// commands share it (the guard of every statement at one level starts with the same "the
/// thread is in host mode at this level", every fill with the same choice of table).
///
/// Interning goes bottom-up, so each node is hashed with its children's indices, never as a
/// whole tree.
final class TermDAG {
    enum Node: Hashable {
        /// A constant or a variable.
        case leaf(StepTerm)
        case not(Int)
        case and([Int])
        case or([Int])
        case equal(Int, Int)
        case ite(Int, Int, Int)
        case union(Int, Int)
        case intersects(Int, Int)
        case subset(Int, Int)
        case member(Int, Int)
    }

    private(set) var nodes: [Node] = []
    private var index: [Node: Int] = [:]

    /// The node of `term`, added with its subterms when new.
    func intern(_ term: StepTerm) -> Int {
        let node: Node
        switch term {
        case .bool, .code, .set, .variable: node = .leaf(term)
        case .negation(let a): node = .not(intern(a))
        case .all(let parts): node = .and(parts.map(intern))
        case .any(let parts): node = .or(parts.map(intern))
        case .equal(let a, let b): node = .equal(intern(a), intern(b))
        case .ite(let c, let a, let b): node = .ite(intern(c), intern(a), intern(b))
        case .union(let a, let b): node = .union(intern(a), intern(b))
        case .intersects(let a, let b): node = .intersects(intern(a), intern(b))
        case .subset(let a, let b): node = .subset(intern(a), intern(b))
        case .member(let a, let i): node = .member(intern(a), i)
        }
        if let i = index[node] { return i }
        nodes.append(node)
        index[node] = nodes.count - 1
        return nodes.count - 1
    }

    /// The translation of the graph in one state: each node at most once, on demand.
    struct Translation {
        let dag: TermDAG
        let ctx: Z3Context
        /// Builds a leaf (a constant, or the state's constant of a variable).
        let leaf: (StepTerm) throws -> Z3Expr
        private var done: [Z3Expr?]

        init(dag: TermDAG, ctx: Z3Context, leaf: @escaping (StepTerm) throws -> Z3Expr) {
            self.dag = dag; self.ctx = ctx; self.leaf = leaf
            done = Array(repeating: nil, count: dag.nodes.count)
        }

        mutating func expr(_ id: Int) throws -> Z3Expr {
            if let e = done[id] { return e }
            let e: Z3Expr
            switch dag.nodes[id] {
            case .leaf(let term): e = try leaf(term)
            case .not(let a): e = try ctx.not(expr(a))
            case .and(let parts): e = try ctx.and(parts.map { try expr($0) })
            case .or(let parts): e = try ctx.or(parts.map { try expr($0) })
            case .equal(let a, let b): e = try ctx.equalValues(expr(a), expr(b))
            case .ite(let c, let a, let b): e = try ctx.ite(expr(c), expr(a), expr(b))
            case .union(let a, let b): e = try ctx.bvOr(expr(a), expr(b))
            case .intersects(let a, let b):
                let both = try ctx.bvAnd(expr(a), expr(b))
                e = try ctx.not(ctx.eq(both, ctx.bitVector(0, width: both.width)))
            case .subset(let a, let b):
                let x = try expr(a)
                e = try ctx.eq(ctx.bvAnd(x, expr(b)), x)
            case .member(let a, let i):
                e = try ctx.eq(ctx.extract(expr(a), high: i, low: i), ctx.bitVector(1, width: 1))
            }
            done[id] = e
            return e
        }
    }
}

extension Z3Context {
    /// `a = b` for values of one sort: `iff` for Booleans, `=` otherwise.
    func equalValues(_ a: Z3Expr, _ b: Z3Expr) throws -> Z3Expr {
        try a.isBool ? iff(a, b) : eq(a, b)
    }
}
