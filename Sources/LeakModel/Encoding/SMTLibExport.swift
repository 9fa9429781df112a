import LeakSMT
import LeakSemantics
import LeakSteps
import LeakSyntax

/// The bounded query of a model as a self-contained SMT-LIB 2 script (QF_BV), for any solver.
///
/// The script declares the states 0...N of the unrolling (N: the model's `bound`, or the one
/// given) and asserts the initial condition, the disjunction over k <= N of "some check the
/// model names holds at state k", and every step k -> k+1 for which no finding has happened
/// yet at 0...k. It is `sat` exactly when the model has a finding within N steps: the states
/// after a first finding are unconstrained, so a schedule may end there (a deadlocked state
/// has no successor, and neither does a state after which nothing can move).
///
/// The formulas are the ones `BMCChecker` solves (the same `Encoder`); only the assembly
/// differs, because BMC solves bound by bound on one incremental solver.
public struct SMTLibExport: Sendable {
    public let model: Model
    public let bound: Int

    /// A model that cannot be exported (more threads than the encoding supports).
    public struct ExportError: Error, CustomStringConvertible {
        public var description: String
    }

    /// `bound` overrides the model's own; without either, 20 (the checker's default).
    public init(model: Model, bound: Int? = nil) {
        self.model = model
        self.bound = bound ?? model.bound?.value ?? 20
    }

    /// The script: a comment header, `(set-logic QF_BV)`, declarations, assertions and
    /// `(check-sat)` as its last command.
    public func script() throws -> String {
        guard model.threads.count <= 64 else {
            throw ExportError(description: "models with more than 64 threads are not supported")
        }
        let ctx = try Z3Context()
        let program = Program(model)
        let encoder = try Encoder(context: ctx, model: model, program: program)
        let solver = try Z3Solver(ctx)
        let checks = model.checksByPriority

        var states = [try SymbolicState(step: 0, space: encoder.space, context: ctx)]
        var commands = [try encoder.commands(at: states[0])]
        let selectorWidth = StateSpace.bits(commands[0].count + 1)
        try solver.assert(encoder.initial(states[0]))

        var findings: [Z3Expr] = []
        var findingSoFar: [Z3Expr] = []
        let progress = model.checks.contains(.progress)
        var frames: [LassoFrame] = []
        if progress {
            frames = [try LassoFrame("0", encoder: encoder)]
            try solver.assert(encoder.lassoInitial(frames[0], states[0]))
        }
        for k in 0...bound {
            if k > 0 {
                let next = try SymbolicState(step: k, space: encoder.space, context: ctx)
                let selector = try ctx.bitVectorConstant("step@\(k - 1)", width: selectorWidth)
                let step = try encoder.transition(from: states[k - 1], commands: commands[k - 1], to: next,
                                                  selector: selector, form: .functional)
                // The step is only required while no finding has happened yet.
                try solver.assert(ctx.or([findingSoFar[k - 1], step]))
                states.append(next)
                commands.append(try encoder.commands(at: next))
                if progress {
                    frames.append(try LassoFrame("\(k)", encoder: encoder))
                    try solver.assert(encoder.lassoStep(from: frames[k - 1], states[k - 1], commands: commands[k - 1],
                                                        selector: selector, to: frames[k], next))
                }
            }
            let here = try ctx.boolConstant("finding@\(k)")
            try solver.assert(ctx.iff(here, ctx.or(checks.map { check in
                guard check == .progress else { return try encoder.property(check, at: states[k], commands: commands[k]) }
                return try encoder.lasso(frames[k], states[k])
            })))
            findings.append(here)
            findingSoFar.append(k == 0 ? here : try ctx.or([findingSoFar[k - 1], here]))
        }
        try solver.assert(ctx.or(findings))
        return header() + "(set-logic QF_BV)\n" + solver.toSMTLIB2()
    }

    private func header() -> String {
        let names = model.checks.map { check -> String in
            switch check {
            case .corun: "corun"
            case .residue(let b): "residue \(model.buffers[b].name)"
            case .crash: "crash"
            case .deadlock: "deadlock"
            case .progress: "progress (a fair loop from some state j < k back to state k starves a thread)"
            }
        }
        var lines = [
            "leakcheck \(LeakModelVersion.string): SMT-LIB 2 export of \(model.file.path)",
        ]
        if let title = model.title { lines.append("model \"\(title)\"") }
        lines += [
            "bound \(bound) (states 0...\(bound); step@k is the step from state k to state k+1)",
            "checks: \(names.joined(separator: ", "))",
            "sat:   some schedule of at most \(bound) steps reaches a state where one of these checks",
            "       finds something (finding@k: at state k)",
            "unsat: no finding within \(bound) steps (nothing is claimed for longer schedules)",
        ]
        return lines.map { ";; " + $0 }.joined(separator: "\n") + "\n"
    }
}
