import LeakSemantics

extension StepRules {
    /// Some guest runs while a sibling is exposed to a region secret to it: the sibling's own
    /// regions while it runs its guest, the regions its loaded table maps in host mode.
    func corun() -> StepTerm {
        var parts: [StepTerm] = []
        for t in model.threads.indices {
            for u in siblings[t] {
                let exposed = StepTerm.ite(inGuest(u), own(u), maps(u))
                parts.append(.and([inGuest(t), .intersects(exposed, secret(t, via: .siblings))]))
            }
        }
        return .or(parts)
    }

    /// Some guest runs while buffer `b` of its core holds a region secret to it.
    func residue(_ b: Int) -> StepTerm {
        .or(model.threads.indices.map { t in .and([inGuest(t), .intersects(buffer(t, b), secret(t, via: .buffer(b)))]) })
    }

    /// What every reachable state satisfies by construction of the semantics: program
    /// counters only where their level can be, fault return addresses exactly inside
    /// `on fault`, the exit reason exactly inside `on vmexit`, and so on (`Tests` check that it
    /// holds on every state the explicit engine reaches).
    func wellFormed() -> StepTerm {
        var parts: [StepTerm] = []
        let all = program.instructions.indices
        let faultCodes = all.filter { program.instructions[$0].block == .fault }.map(StateSpace.code(instruction:))
        let vmexitCodes = all.filter { program.instructions[$0].block == .vmexit }.map(StateSpace.code(instruction:))
        func member(_ role: StateVar.Role, _ values: [Int]) -> StepTerm {
            .or(values.map { .eq(v(role), code($0, for: role)) })
        }
        for (t, thread) in model.threads.enumerated() {
            parts.append(member(.served(thread: t), thread.guests + (model.canIdle(t) ? [model.noGuest] : [])))
            if model.canIdle(t) {
                // Idle: at the ready code, no handler of the base level running.
                parts.append(.implies(idle(t), .eq(v(.pc(thread: t, level: .base)), pcCode(t, .base, StateSpace.readyCode))))
            }
            if model.schedCore {
                for u in siblings[t] where u > t {
                    parts.append(.or([idle(t), idle(u), .eq(v(.served(thread: t)), v(.served(thread: u)))]))
                }
            }
            parts.append(member(.table(thread: t), Array(model.tables.indices)))
            for level in SystemState.Level.allCases {
                let pc = StateVar.Role.pc(thread: t, level: level), fret = StateVar.Role.faultReturn(thread: t, level: level)
                let here = all.filter { program.levels[$0].contains(level) }
                var allowed = here.map(StateSpace.code(instruction:)) + [0]
                if level == .base { allowed.append(StateSpace.readyCode) }
                parts.append(member(pc, allowed))
                // A retry is only ever pending at a touch.
                let touches = here.filter { if case .touch = program.instructions[$0].op { true } else { false } }
                parts.append(.implies(v(.retry(thread: t, level: level)), member(pc, touches.map(StateSpace.code(instruction:)))))
                // A fault return address exactly while in `on fault`, and it is a touch outside it.
                let noReturn = StepTerm.eq(v(fret), code(0, for: fret))
                parts.append(.eq(member(pc, faultCodes), .not(noReturn)))
                let returns = touches.filter { program.instructions[$0].block != .fault }.map(StateSpace.code(instruction:))
                parts.append(.or([noReturn, member(fret, returns)]))
            }
            let base = StateVar.Role.pc(thread: t, level: .base)
            let inVMExit = StepTerm.or([member(base, vmexitCodes),
                                        .and([member(base, faultCodes), member(.faultReturn(thread: t, level: .base), vmexitCodes)])])
            let exit = StateVar.Role.exitReason(thread: t)
            parts.append(.eq(inVMExit, .not(.eq(v(exit), code(0, for: exit)))))
            parts.append(member(exit, Array(0...model.exits.count)))
            let running = inGuest(t)
            parts.append(.implies(running, .and([inactive(t, .irq), inactive(t, .nmi)])))
            parts.append(.implies(v(.kickPending(thread: t)), running))
            parts.append(.implies(v(.nmiSaved(thread: t)), .not(inactive(t, .nmi))))
            // A crash is a host-mode step of one thread; a wait inside an `nmi` handler is
            // only ever reached by a crash.
            let crashed = v(.crashed(thread: t))
            parts.append(.implies(crashed, .not(running)))
            for u in model.threads.indices where u > t {
                parts.append(.not(.and([crashed, v(.crashed(thread: u))])))
            }
            let nmiWaits = all.filter { program.levels[$0].contains(.nmi) && program.crashesOnArrival($0, at: .nmi) }
            if !nmiWaits.isEmpty {
                parts.append(.implies(member(.pc(thread: t, level: .nmi), nmiWaits.map(StateSpace.code(instruction:))), crashed))
            }
            parts.append(.subset(v(.holds(thread: t)), threadSet(siblings[t])))
        }
        return .and(parts)
    }
}
