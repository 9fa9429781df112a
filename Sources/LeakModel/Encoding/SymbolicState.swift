import LeakSMT
import LeakSteps

/// The SMT constants of one state of the unrolling, one per `StateSpace.vars` entry, named
/// `t0.pc.base@3`, `c0.l1d@3`, ...
struct SymbolicState {
    /// In the order of `StateSpace.vars`.
    let vars: [Z3Expr]

    init(step k: Int, space: StateSpace, context ctx: Z3Context) throws {
        try self.init(name: "\(k)", space: space, context: ctx)
    }

    /// The constants `PREFIX<var>@name`; a prefix names a copy of a state that is not the
    /// state itself (`loop.saved.`: the state a lasso's loop returns to).
    init(name suffix: String, space: StateSpace, context ctx: Z3Context, prefix: String = "") throws {
        vars = try space.vars.map { v in
            let name = "\(prefix)\(v.name)@\(suffix)"
            switch v.sort {
            case .bool: return try ctx.boolConstant(name)
            case .code(let range): return try ctx.bitVectorConstant(name, width: StateSpace.bits(range))
            case .set(let count): return try ctx.bitVectorConstant(name, width: max(1, count))
            }
        }
    }
}
