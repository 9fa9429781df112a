import LeakSMT
import LeakSemantics

/// The SMT constants of one state of the unrolling, named `t0.pc.base@3`, `c0.l1d@3`, ...
struct SymbolicState {
    struct ThreadVars {
        /// Program counter per level (base, irq, nmi).
        var pc: [Z3Expr]
        /// Fault return address per level (a pc code; 0 outside `on fault`).
        var faultReturn: [Z3Expr]
        var retry: [Z3Expr]
        var served: Z3Expr
        var table: Z3Expr
        /// Exit reason + 1 while in `on vmexit`, else 0.
        var exitReason: Z3Expr
        var interruptsOn: Z3Expr
        var nmiSaved: Z3Expr
        var holds: Z3Expr
        var kickPending: Z3Expr
        /// The thread crashed in the step that led here (the schedule ends).
        var crashed: Z3Expr
    }

    var threads: [ThreadVars]
    /// `buffers[core][buffer]`.
    var buffers: [[Z3Expr]]

    init(step k: Int, model: Model, layout: StateLayout, context ctx: Z3Context) throws {
        let levels = ["base", "irq", "nmi"]
        threads = try model.threads.map { t in
            let n = t.name
            return ThreadVars(
                pc: try levels.map { try ctx.bitVectorConstant("\(n).pc.\($0)@\(k)", width: layout.pcWidth) },
                faultReturn: try levels.map { try ctx.bitVectorConstant("\(n).fret.\($0)@\(k)", width: layout.pcWidth) },
                retry: try levels.map { try ctx.boolConstant("\(n).retry.\($0)@\(k)") },
                served: try ctx.bitVectorConstant("\(n).served@\(k)", width: layout.guestWidth),
                table: try ctx.bitVectorConstant("\(n).table@\(k)", width: layout.tableWidth),
                exitReason: try ctx.bitVectorConstant("\(n).exit@\(k)", width: layout.exitWidth),
                interruptsOn: try ctx.boolConstant("\(n).if@\(k)"),
                nmiSaved: try ctx.boolConstant("\(n).nmi_saved_if@\(k)"),
                holds: try ctx.bitVectorConstant("\(n).holds@\(k)", width: layout.threadWidth),
                kickPending: try ctx.boolConstant("\(n).kick@\(k)"),
                crashed: try ctx.boolConstant("\(n).crashed@\(k)"))
        }
        buffers = try model.cores.map { c in
            try model.buffers.map { b in
                try ctx.bitVectorConstant("\(c.name).\(b.name)@\(k)", width: layout.regionWidth)
            }
        }
    }

    /// Every constant of one thread, in a fixed order (for frames).
    func all(of t: Int) -> [Z3Expr] {
        let v = threads[t]
        return v.pc + v.faultReturn + v.retry
            + [v.served, v.table, v.exitReason, v.interruptsOn, v.nmiSaved, v.holds, v.kickPending, v.crashed]
    }
}
