import LeakSemantics

extension StepRules {
    /// Where the base program goes from `targets` of `block`, following block ends statically.
    struct BaseAlternative {
        var code: Int
        /// Passed the end of an exit handler: the scheduler picked this guest.
        var pick: Int?
        /// Passed the end of `on vmexit`: the exit reason is cleared.
        var leftVMExit = false
        var notes: [String] = []
    }

    func baseAlternatives(_ t: Int, _ targets: [Program.Target], in block: Program.BlockID, exit: Int?) -> [BaseAlternative] {
        targets.flatMap { target -> [BaseAlternative] in
            switch target {
            case .instruction(let j):
                return [BaseAlternative(code: StateSpace.code(instruction: j), notes: ["next: \(describe(j))"])]
            case .end:
                switch block {
                case .vmexit:
                    return baseAlternatives(t, program.exitEntry[exit!], in: .exit(exit!), exit: nil)
                        .map { var a = $0; a.leftVMExit = true; return a }
                case .exit:
                    let guests = model.threads[t].guests
                    return guests.flatMap { g in
                        baseAlternatives(t, program.vmentryEntry, in: .vmentry, exit: nil).map {
                            var a = $0
                            a.pick = g
                            if guests.count > 1 { a.notes.insert("picks \(model.guests[g].name)", at: 0) }
                            return a
                        }
                    }
                case .vmentry:
                    return [BaseAlternative(code: StateSpace.readyCode, notes: ["ready to enter"])]
                case .fault, .interrupt:
                    preconditionFailure("fault and interrupt blocks end dynamically")
                }
            }
        }
    }

    func initialChoices(_ t: Int) -> [InitialChoice] {
        var out: [InitialChoice] = [], seen = Set<[GuardedCommand.Assignment]>()
        if model.startsIdle(t) {
            // A host-only thread, and every thread under `sched core`, starts idle in the table
            // it starts in (docs/SEMANTICS.md, "Idle threads").
            var u = Update()
            setIdle(&u, t)
            set(&u, .table(thread: t), code(model.initialTable(thread: t, servingGuest: model.noGuest), for: .table(thread: t)))
            return [InitialChoice(assignments: u.assignments, note: "\(model.threads[t].name) is idle")]
        }
        for g in model.threads[t].guests {
            for alt in baseAlternatives(t, program.vmentryEntry, in: .vmentry, exit: nil) {
                var u = Update()
                set(&u, .served(thread: t), code(g, for: .served(thread: t)))
                set(&u, .table(thread: t), code(model.initialTable(thread: t, servingGuest: g), for: .table(thread: t)))
                set(&u, .pc(thread: t, level: .base), pcCode(t, .base, alt.code))
                guard seen.insert(u.assignments).inserted else { continue }
                out.append(InitialChoice(assignments: u.assignments,
                                         note: (["\(model.threads[t].name) serves \(model.guests[g].name)"] + alt.notes).joined(separator: "; ")))
            }
        }
        return out
    }

    /// Thread `t` idle: no guest, at the ready code, interrupts on (its table is unchanged).
    func setIdle(_ u: inout Update, _ t: Int) {
        set(&u, .served(thread: t), code(model.noGuest, for: .served(thread: t)))
        set(&u, .pc(thread: t, level: .base), pcCode(t, .base, StateSpace.readyCode))
        set(&u, .retry(thread: t, level: .base), .false)
        set(&u, .faultReturn(thread: t, level: .base), pcCode(t, .base, 0))
        set(&u, .interruptsOn(thread: t), .true)
    }

    /// When `alt` may be taken: under core scheduling the pick at the end of an exit handler
    /// keeps the guest served (another guest only through `idle`, a context switch).
    func pickGuard(_ alt: BaseAlternative, _ t: Int) -> StepTerm {
        guard model.schedCore, let g = alt.pick else { return .true }
        return .eq(v(.served(thread: t)), code(g, for: .served(thread: t)))
    }

    /// Moves the base program to `alt`.
    func baseMove(_ u: Update, _ alt: BaseAlternative, _ t: Int) -> Update {
        var n = u
        set(&n, .pc(thread: t, level: .base), pcCode(t, .base, alt.code))
        set(&n, .retry(thread: t, level: .base), .false)
        set(&n, .faultReturn(thread: t, level: .base), pcCode(t, .base, 0))
        if alt.leftVMExit { set(&n, .exitReason(thread: t), code(0, for: .exitReason(thread: t))) }
        if let g = alt.pick { set(&n, .served(thread: t), code(g, for: .served(thread: t))) }
        n.notes += alt.notes
        return n
    }

    func guestCommands(_ t: Int, into out: inout [GuardedCommand]) {
        let name = model.threads[t].name
        let running = inGuest(t), kick = v(.kickPending(thread: t))
        var filled = Update()
        fillGuest(t, &filled)
        filled.notes = ["\(name): keeps running its guest"]
        out.append(command(.guestStep(thread: t), .and([running, .not(kick)]), filled))
        for (x, exit) in model.exits.enumerated() {
            let allowed: StepTerm = x == model.kickExit ? (exit.implicit ? kick : .true) : .not(kick)
            for alt in baseAlternatives(t, program.vmexitEntry, in: .vmexit, exit: x) {
                var u = filled
                u.notes = ["\(name) runs its guest: exit \(exit.name)" + (exit.implicit ? " (forced by a pending kick)" : "")]
                set(&u, .pc(thread: t, level: .base), pcCode(t, .base, alt.code))
                set(&u, .exitReason(thread: t), code(alt.leftVMExit ? 0 : x + 1, for: .exitReason(thread: t)))
                set(&u, .kickPending(thread: t), .false)
                if let g = alt.pick { set(&u, .served(thread: t), code(g, for: .served(thread: t))) }
                u.notes += alt.notes
                out.append(command(.exit(thread: t, exit: x), .and([running, allowed, pickGuard(alt, t)]), u))
            }
        }
    }

    func hostCommands(_ t: Int, into out: inout [GuardedCommand], poll: () throws -> Void) rethrows {
        let name = model.threads[t].name
        let host = StepTerm.not(inGuest(t))
        let start = out.count
        var ifs: [(q: Int, level: SystemState.Level)] = []

        // The VM entry: a guest-mode step, it fills with the guest's own regions.
        let held = StepTerm.or(siblings[t].map { StepTerm.member(v(.holds(thread: $0)), t) })
        var entry = Update()
        fillGuest(t, &entry)
        set(&entry, .pc(thread: t, level: .base), pcCode(t, .base, StateSpace.guestCode))
        entry.notes = ["\(name): enters the guest it serves"]
        let ready = StepTerm.and([active(t, .base), .eq(v(.pc(thread: t, level: .base)), pcCode(t, .base, StateSpace.readyCode))])
        out.append(command(.entry(thread: t), .and([ready, .not(idle(t)), .not(held)]), entry))

        // An idle thread: its idle loop, and the switch to a guest's vCPU task, which goes on
        // with `on vmentry` (docs/SEMANTICS.md, "Idle threads").
        if model.canIdle(t) {
            let isIdle = StepTerm.and([ready, idle(t)])
            var loop = Update()
            fillHost(t, touched: nil, &loop)
            loop.notes = ["\(name): idles"]
            out.append(command(.idle(thread: t), isIdle, loop))
            for g in model.threads[t].guests {
                for alt in baseAlternatives(t, program.vmentryEntry, in: .vmentry, exit: nil) {
                    var u = loop
                    u.notes = ["\(name): is scheduled onto \(model.guests[g].name)"]
                    var picked = alt
                    picked.pick = g
                    out.append(command(.schedule(thread: t, guest: g), .and([isIdle, coScheduled(t, g)]),
                                       baseMove(u, picked, t)))
                }
            }
        }

        // Instructions, at every level they can run at, directly or straight after a fault.
        for (q, instruction) in program.instructions.enumerated() {
            if q % 64 == 0 { try poll() }
            for level in program.levels[q] {
                let pc = StateVar.Role.pc(thread: t, level: level)
                let here = StepTerm.and([host, active(t, level), .eq(v(pc), pcCode(t, level, StateSpace.code(instruction: q)))])
                let what = "\(name) (\(level.name)): \(describe(q))"
                let fret = v(.faultReturn(thread: t, level: level))
                if case .ifFlag = instruction.op {
                    ifs.append((q, level))
                    continue
                }
                if case .touch(let refs) = instruction.op {
                    execute(q, t, level: level, faultReturn: fret, faultedAt: nil,
                            guard: .and([here, mapped(refs, t)]), what: what, into: &out)
                    // The access faults with no way out: the step is the crash, nothing else changes.
                    var crash = Update()
                    set(&crash, .crashed(thread: t), .true)
                    crash.notes = ["\(what) faults with no way out: crash"]
                    out.append(command(.crash(thread: t, instruction: q), faultCrashes(q, refs, level: level, t, here: here), crash))
                    guard program.hasFaultHandler, instruction.block != .fault else { continue }
                    let faulting = StepTerm.and([here, .not(v(.retry(thread: t, level: level))), .not(mapped(refs, t))])
                    for case .instruction(let e) in program.faultEntry {
                        var g = faulting
                        switch program.instructions[e].op {
                        case .wait where level == .nmi: continue
                        case .touch(let refs2): g = .and([g, mapped(refs2, t)])
                        default: break
                        }
                        execute(e, t, level: level, faultReturn: pcCode(t, level, StateSpace.code(instruction: q)), faultedAt: q,
                                guard: g, what: "\(what) faults: \(describe(e))", into: &out)
                    }
                } else {
                    if case .wait = instruction.op, level == .nmi { continue }
                    execute(q, t, level: level, faultReturn: fret, faultedAt: nil, guard: here, what: what, into: &out)
                }
            }
        }

        // Interrupt handlers starting.
        for (i, interrupt) in model.interrupts.enumerated() where model.interrupt(i, canStartOn: t) {
            let level: SystemState.Level = interrupt.kind == .nmi ? .nmi : .irq
            let enabled: StepTerm = level == .nmi
                ? .and([host, inactive(t, .nmi)])
                : .and([host, v(.interruptsOn(thread: t)), inactive(t, .irq), inactive(t, .nmi)])
            var base = Update()
            fillHost(t, touched: nil, &base)
            base.notes = ["\(name): starts \(interrupt.kind.rawValue) \(interrupt.name) (line \(model.file.position(of: interrupt.span.start).line))"]
            for target in program.interruptEntry[i] {
                var u = base
                if case .instruction(let j) = target {
                    set(&u, .pc(thread: t, level: level), pcCode(t, level, StateSpace.code(instruction: j)))
                    set(&u, .interruptsOn(thread: t), .false)
                    if level == .nmi { set(&u, .nmiSaved(thread: t), v(.interruptsOn(thread: t))) }
                    arrive(at: j, t, level, &u)
                } else {
                    // An empty handler returns at once: the interrupt flag is as it was.
                    u.notes.append("returns at once")
                }
                out.append(command(.interrupt(thread: t, interrupt: i), enabled, u))
            }
        }
        resolveIfs(t, ifs, after: Array(out[start...]), into: &out)
    }

    /// The steps of thread `t` at each of its `if`s (DESIGN.md 6.1): choosing the branch is not
    /// a step, so the step at an `if` is the thread's next step from where the branch its flag
    /// selects leads: the composition of that move (`advance`, with the flag's value as guard)
    /// with every command the thread could take from there. `main` holds the thread's other
    /// host-mode commands; an interrupt starting is never the step at an `if`.
    func resolveIfs(_ t: Int, _ ifs: [(q: Int, level: SystemState.Level)], after main: [GuardedCommand],
                    into out: inout [GuardedCommand]) {
        let moves = main.filter {
            switch $0.action {
            case .statement, .crash, .entry, .idle, .schedule: true
            case .guestStep, .exit, .interrupt: false
            }
        }
        func rank(_ l: SystemState.Level) -> Int { l == .base ? 0 : l == .irq ? 1 : 2 }
        var memo: [Int: [GuardedCommand]] = [:]
        func resolved(_ q: Int, _ level: SystemState.Level) -> [GuardedCommand] {
            let key = 3 * q + rank(level)
            if let done = memo[key] { return done }
            let instruction = program.instructions[q]
            guard case .ifFlag(let f, _, _, _) = instruction.op else { preconditionFailure("not an if") }
            let flag = v(.flag(flag: f, copy: model.flagCopy(f, thread: t)))
            let pc = StateVar.Role.pc(thread: t, level: level)
            let here = StepTerm.and([.not(inGuest(t)), active(t, level), .eq(v(pc), pcCode(t, level, StateSpace.code(instruction: q)))])
            // Where the thread may be next: every other command, and the `if`s it can lead to
            // (later ones at this level; any at a lower level, after a handler returns).
            var candidates = moves
            for (q2, l2) in ifs where rank(l2) < rank(level) || (l2 == level && q2 > q) { candidates += resolved(q2, l2) }
            var result: [GuardedCommand] = []
            for value in [true, false] {
                let chosen = value ? flag : StepTerm.not(flag)
                var start = Update()
                start.notes = ["\(model.threads[t].name) (\(level.name)): \(describe(q)): \(model.flags[f].name) is \(value)"]
                for (extra, u) in advance(t, level: level, block: instruction.block, targets: instruction.branch(flag: value),
                                          faultReturn: v(.faultReturn(thread: t, level: level)), from: start) {
                    let g0 = StepTerm.and([here, chosen, extra])
                    if u[space[.crashed(thread: t)]] == .true {
                        result.append(command(.statement(thread: t, instruction: q, faultedAt: nil), g0, u))
                        continue
                    }
                    for c in candidates {
                        let g = c.guard.substituting(u.values)
                        if g == .false { continue }
                        var n = u
                        for a in c.updates { n[a.variable] = a.value.substituting(u.values) }
                        n.notes = u.notes + c.notes
                        let composed = StepTerm.and([g0, g])
                        // An idle loop's step reached through the `if` is a step at the `if`.
                        let action = c.action.isIdle ? Action.statement(thread: t, instruction: q, faultedAt: nil) : c.action
                        if composed != .false { result.append(command(action, composed, n)) }
                    }
                }
            }
            memo[key] = result
            return result
        }
        for (q, level) in ifs { out += resolved(q, level) }
    }

    /// Control reaches instruction `j`: reaching a wait inside an `nmi` handler is a crash.
    func arrive(at j: Int, _ t: Int, _ level: SystemState.Level, _ u: inout Update) {
        if program.crashesOnArrival(j, at: level) {
            set(&u, .crashed(thread: t), .true)
            u.notes.append("next: \(describe(j)) (a wait inside an nmi handler: crash)")
        } else {
            u.notes.append("next: \(describe(j))")
        }
    }

    /// Commands that run instruction `q` at `level`, one per successor alternative.
    func execute(_ q: Int, _ t: Int, level: SystemState.Level, faultReturn: StepTerm, faultedAt: Int?,
                 guard guardTerm: StepTerm, what: String, into out: inout [GuardedCommand]) {
        let instruction = program.instructions[q]
        var u = Update()
        u.notes = [what]
        var g = guardTerm
        if case .touch(let refs) = instruction.op {
            fillHost(t, touched: refs, &u)
        } else {
            fillHost(t, touched: nil, &u)
        }
        switch instruction.op {
        case .touch:
            break
        case .switchTable(let ref):
            set(&u, .table(thread: t), byGuest(t) { code(model.table(ref, servingGuest: $0), for: .table(thread: t)) })
        case .kickSiblings:
            kickSiblings(t, &u)
        case .holdSiblings:
            kickSiblings(t, &u)
            set(&u, .holds(thread: t), .union(v(.holds(thread: t)), threadSet(siblings[t])))
        case .releaseSiblings:
            set(&u, .holds(thread: t), threadSet([]))
        case .idle:
            // The vCPU task blocks: the handler ends here and the thread is idle.
            setIdle(&u, t)
            u.notes.append("goes idle")
            out.append(command(.statement(thread: t, instruction: q, faultedAt: faultedAt), g, u))
            return
        case .wait(let condition):
            g = .and([g, waitCondition(condition, thread: t)])
        case .flush(let b):
            u[space[.buffer(core: model.threads[t].core, buffer: b)]] = regions(RegionSet(count: model.regions.count))
        case .irqs(let on):
            set(&u, .interruptsOn(thread: t), .bool(on))
        case .setFlag(let f, let value):
            set(&u, .flag(flag: f, copy: model.flagCopy(f, thread: t)), .bool(value))
        case .either:
            preconditionFailure("lowering removes either")
        case .ifFlag:
            preconditionFailure("an if is resolved (resolveIfs), never executed")
        }
        let action = Action.statement(thread: t, instruction: q, faultedAt: faultedAt)
        for (extra, n) in advance(t, level: level, block: instruction.block, targets: instruction.next,
                                  faultReturn: faultReturn, from: u) {
            out.append(command(action, .and([g, extra]), n))
        }
    }

    /// Where `level` of thread `t` goes from `targets` of `block`, block ends followed: per
    /// successor an extra guard (the exit reason, for the end of `on vmexit`) and `u` with the
    /// level's program counter, retry flag and fault return, and what a block end changes.
    func advance(_ t: Int, level: SystemState.Level, block: Program.BlockID, targets: [Program.Target],
                 faultReturn: StepTerm, from u: Update) -> [(guard: StepTerm, update: Update)] {
        let pc = StateVar.Role.pc(thread: t, level: level)
        let zero = pcCode(t, level, 0)
        var out: [(guard: StepTerm, update: Update)] = []
        for target in targets {
            switch target {
            case .instruction(let j):
                var n = u
                set(&n, pc, pcCode(t, level, StateSpace.code(instruction: j)))
                set(&n, .retry(thread: t, level: level), .false)
                set(&n, .faultReturn(thread: t, level: level), block == .fault ? faultReturn : zero)
                arrive(at: j, t, level, &n)
                out.append((.true, n))
            case .end:
                switch block {
                case .fault:
                    var n = u
                    set(&n, pc, faultReturn)
                    set(&n, .faultReturn(thread: t, level: level), zero)
                    set(&n, .retry(thread: t, level: level), .true)
                    n.notes.append("on fault done: retry the touch")
                    out.append((.true, n))
                case .interrupt:
                    var n = u
                    set(&n, pc, zero)
                    set(&n, .faultReturn(thread: t, level: level), zero)
                    set(&n, .retry(thread: t, level: level), .false)
                    if level == .irq {
                        set(&n, .interruptsOn(thread: t), .true)
                    } else {
                        set(&n, .interruptsOn(thread: t), v(.nmiSaved(thread: t)))
                        set(&n, .nmiSaved(thread: t), .false)
                    }
                    n.notes.append("\(level.name) handler returns")
                    out.append((.true, n))
                case .vmexit:
                    for x in model.exits.indices {
                        let reason = StepTerm.eq(v(.exitReason(thread: t)), code(x + 1, for: .exitReason(thread: t)))
                        for alt in baseAlternatives(t, [.end], in: .vmexit, exit: x) {
                            out.append((.and([reason, pickGuard(alt, t)]), baseMove(u, alt, t)))
                        }
                    }
                case .exit, .vmentry:
                    for alt in baseAlternatives(t, [.end], in: block, exit: nil) {
                        out.append((pickGuard(alt, t), baseMove(u, alt, t)))
                    }
                }
            }
        }
        return out
    }

    /// A kick: every sibling that runs its guest gets a kick pending.
    func kickSiblings(_ t: Int, _ u: inout Update) {
        for s in siblings[t] {
            set(&u, .kickPending(thread: s), .or([v(.kickPending(thread: s)), inGuest(s)]))
        }
    }

    func waitCondition(_ condition: Model.WaitCondition, thread t: Int) -> StepTerm {
        .and(siblings[t].map { u -> StepTerm in
            let running = inGuest(u)
            switch condition {
            case .outOfGuest: return .not(running)
            case .notIn(let d): return .or([running, .not(inTables(u, decl: d))])
            case .in(let d): return .and([.not(running), inTables(u, decl: d)])
            }
        })
    }

    func inTables(_ u: Int, decl d: Int) -> StepTerm {
        .or(model.tableDecls[d].copies.map { .eq(v(.table(thread: u)), code($0, for: .table(thread: u))) })
    }

    /// The touch `q` at `level` (where `here` says the thread is) faults with no way out
    /// (`Program.faultCrashes`).
    func faultCrashes(_ q: Int, _ refs: [Model.RegionRef], level: SystemState.Level, _ t: Int, here: StepTerm) -> StepTerm {
        let why = program.faultCrashes(q, at: level).map { condition -> StepTerm in
            switch condition {
            case .always: .true
            case .retry: v(.retry(thread: t, level: level))
            case .unmapped(let refs2): .not(mapped(refs2, t))
            }
        }
        return .and([here, .not(mapped(refs, t)), .or(why)])
    }

    /// "touch percpu (line 5, on vmexit)".
    func describe(_ q: Int) -> String {
        "\(program.text(of: q, in: model)) (line \(program.line(of: q, in: model)), \(program.instructions[q].block.name(in: model)))"
    }
}

extension SystemState.Level {
    /// "base", "irq", "nmi".
    public var name: String {
        switch self {
        case .base: "base"
        case .irq: "irq"
        case .nmi: "nmi"
        }
    }
}
