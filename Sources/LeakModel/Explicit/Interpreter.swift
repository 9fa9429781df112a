import LeakSemantics

/// The semantics of DESIGN.md section 3 on concrete states, in plain Swift (no Z3).
///
/// This is the reference the SMT encoding is tested against: the explicit checker explores
/// it breadth-first, and every counterexample found by the solver is replayed through it.
public struct Interpreter: Sendable {
    public let model: Model
    public let program: Program
    private let siblings: [[Int]]
    /// `secretToSiblings[g]`: what guest g reads of its siblings' exposure (`corun`).
    private let secretToSiblings: [RegionSet]
    /// `secretInBuffer[b][g]`: what guest g reads of buffer b (`residue`).
    private let secretInBuffer: [[RegionSet]]
    private let owned: [RegionSet]
    /// `enterable[b]`: the regions that may enter buffer b (no uncached one in a cache).
    private let enterable: [RegionSet]
    /// `guestFill[g][b]`, `tableFill[x][b]`: what a step fills buffer b with while running guest
    /// g, or in host mode with table x loaded (`fill mapped`): computed once, not per step.
    private let guestFill: [[RegionSet]]
    private let tableFill: [[RegionSet]]
    /// `nmis[t]`, `irqs[t]`: the interrupts that may start on thread t.
    private let nmis: [[Int]]
    private let irqs: [[Int]]

    public init(model: Model, program: Program? = nil) {
        self.model = model
        self.program = program ?? Program(model)
        siblings = model.threads.indices.map { model.siblings(of: $0) }
        secretToSiblings = model.guests.indices.map { model.secret(to: $0, via: .siblings) }
        secretInBuffer = model.buffers.indices.map { b in model.guests.indices.map { model.secret(to: $0, via: .buffer(b)) } }
        let owned = model.guests.indices.map { model.owned(by: $0) }
        let enterable = model.buffers.indices.map { model.enterable(buffer: $0) }
        self.owned = owned
        self.enterable = enterable
        guestFill = owned.map { regions in enterable.map { regions.intersection($0) } }
        tableFill = model.tables.map { table in enterable.map { table.maps.intersection($0) } }
        nmis = model.threads.indices.map { t in
            model.interrupts.indices.filter { model.interrupts[$0].kind == .nmi && model.interrupt($0, canStartOn: t) }
        }
        irqs = model.threads.indices.map { t in
            model.interrupts.indices.filter { model.interrupts[$0].kind == .irq && model.interrupt($0, canStartOn: t) }
        }
    }

    // MARK: Initial states

    /// Each thread's initial states on its own: it picks one of its guests and a first
    /// statement of `on vmentry` (a branch of an `either` may be first).
    package func initialChoices() -> [[SystemState.ThreadState]] {
        model.threads.indices.map { ti in
            // A host-only thread, and every thread under `sched core`, starts idle
            // (docs/SEMANTICS.md, "Idle threads").
            if model.startsIdle(ti) { return [idleState(thread: ti)] }
            return model.threads[ti].guests.flatMap { g in
                advance(SystemState.ThreadState(served: g, table: model.initialTable(thread: ti, servingGuest: g),
                                                base: .init(position: .ready)),
                        thread: ti, level: .base, block: .vmentry, targets: program.vmentryEntry)
            }
        }
    }

    /// Thread `ti` idle: no guest, in the table it starts in, interrupts on (the idle loop).
    func idleState(thread ti: Int) -> SystemState.ThreadState {
        SystemState.ThreadState(served: model.noGuest, table: model.initialTable(thread: ti, servingGuest: model.noGuest),
                                base: .init(position: .idle), interruptsOn: true)
    }

    /// Every initial state (the product of the threads' choices), or nil when there are more
    /// than `limit` of them: the product is counted before anything is built.
    public func initialStates(limit: Int = .max) -> [SystemState]? {
        let choices = initialChoices().map { Self.unique($0) }
        var count = 1
        for c in choices {
            let (product, overflow) = count.multipliedReportingOverflow(by: c.count)
            guard !overflow, product <= limit else { return nil }
            count = product
        }
        let empty = model.cores.map { _ in model.buffers.map { _ in RegionSet(count: model.regions.count) } }
        var states = [SystemState(threads: [], buffers: empty, flags: model.initialFlags)]
        for c in choices {
            states = states.flatMap { s in c.map { t in var n = s; n.threads.append(t); return n } }
        }
        return states
    }

    /// Whether `s` is an initial state, checked thread by thread (no product is built).
    public func isInitial(_ s: SystemState) -> Bool {
        let choices = initialChoices()
        return s.threads.count == choices.count
            && zip(s.threads, choices).allSatisfy { t, c in c.contains(t) }
            && s.buffers.allSatisfy { $0.allSatisfy(\.isEmpty) }
    }

    // MARK: Steps

    /// Every step of the system from `s`, thread by thread, in a fixed order.
    public func successors(of s: SystemState) -> [(Action, SystemState)] {
        var out: [(Action, SystemState)] = []
        successors(of: s, into: &out)
        return out
    }

    /// `successors(of:)` in `out`, which is emptied first (its capacity kept): a search
    /// calls this for every state, and the steps are appended where they are made, so that
    /// no array is allocated for them once `out` has grown.
    public func successors(of s: SystemState, into out: inout [(Action, SystemState)]) {
        if !out.isEmpty { out.removeAll(keepingCapacity: true) }
        for ti in model.threads.indices { appendMoves(of: ti, in: s, to: &out) }
    }

    /// Every step thread `ti` can take from `s` (none once the host has crashed). A step that
    /// reaches a `wait` inside an `nmi` handler is a crash: it is counted, and it ends the
    /// schedule.
    public func moves(of ti: Int, in s: SystemState) -> [(Action, SystemState)] {
        var out: [(Action, SystemState)] = []
        appendMoves(of: ti, in: s, to: &out)
        return out
    }

    /// `moves(of:in:)`, appended to `out`.
    private func appendMoves(of ti: Int, in s: SystemState, to out: inout [(Action, SystemState)]) {
        guard !s.isCrashed else { return }
        let start = out.count
        uncheckedMoves(of: ti, in: s, into: &out)
        var kept = start
        for k in start..<out.count {
            // Core scheduling: an idle thread is scheduled onto a guest only while no sibling
            // serves another one.
            if model.schedCore, case .schedule = out[k].0, !coScheduled(ti, in: out[k].1) { continue }
            if reachedWaitInNMI(out[k].1.threads[ti]) != nil { out[k].1.threads[ti].crashed = true }
            if kept != k { out.swapAt(kept, k) }
            kept += 1
        }
        if kept < out.count { out.removeLast(out.count - kept) }
    }

    /// Thread `ti` is idle or every sibling is idle or serves the same guest.
    func coScheduled(_ ti: Int, in s: SystemState) -> Bool {
        let g = s.threads[ti].served
        return g == model.noGuest || siblings[ti].allSatisfy { s.threads[$0].served == g || s.threads[$0].served == model.noGuest }
    }

    /// The `wait` instruction a thread is at inside an `nmi` handler, if it is at one.
    private func reachedWaitInNMI(_ t: SystemState.ThreadState) -> Int? {
        guard case .instruction(let q)? = t.nmi?.position, case .wait = program.instructions[q].op else { return nil }
        return q
    }

    private func uncheckedMoves(of ti: Int, in s: SystemState, into out: inout [(Action, SystemState)]) {
        let t = s.threads[ti]
        if t.inGuest {
            var filled = s
            fillGuest(&filled, thread: ti)
            let exits = t.kickPending ? [model.kickExit]
                : model.exits.indices.filter { !model.exits[$0].implicit }
            if !t.kickPending { out.append((.guestStep(thread: ti), filled)) }
            for x in exits {
                var nt = t
                nt.kickPending = false
                nt.exitReason = x
                steps(.exit(thread: ti, exit: x), thread: ti, in: filled,
                      advance(nt, thread: ti, level: .base, block: .vmexit, targets: program.vmexitEntry), into: &out)
            }
            return
        }

        mainMoves(of: ti, in: s, into: &out)
        // Interrupts: an nmi unless one runs; an irq only with interrupts on and none running.
        var starts: [(Int, SystemState.Level)] = []
        if t.nmi == nil { starts += nmis[ti].map { ($0, .nmi) } }
        if t.interruptsOn && t.irq == nil && t.nmi == nil { starts += irqs[ti].map { ($0, .irq) } }
        starts.sort { $0.0 < $1.0 }
        for (i, k) in starts {
            var filled = s
            fillHost(&filled, thread: ti, touched: nil)
            var nt = t
            if k == .nmi { nt.nmiSavedInterrupts = nt.interruptsOn }
            nt.interruptsOn = false
            nt.setFrame(k, .init(position: .ready))
            steps(.interrupt(thread: ti, interrupt: i), thread: ti, in: filled,
                  advance(nt, thread: ti, level: k, block: .interrupt(i), targets: program.interruptEntry[i]), into: &out)
        }
    }

    /// The steps of the active level of host-mode thread `ti`: the VM entry, or the
    /// instruction it is at (never an interrupt starting).
    private func mainMoves(of ti: Int, in s: SystemState, into out: inout [(Action, SystemState)]) {
        let level = s.threads[ti].activeLevel
        switch s.threads[ti].frame(level)!.position {
        case .guest:
            preconditionFailure("a host-mode thread is never at the guest position")
        case .ready:
            guard !isHeld(ti, in: s) else { return }
            var n = s
            fillGuest(&n, thread: ti)
            n.threads[ti].base = .init(position: .guest)
            out.append((.entry(thread: ti), n))
        case .idle:
            var idled = s
            fillHost(&idled, thread: ti, touched: nil)
            out.append((.idle(thread: ti), idled))
            for g in model.threads[ti].guests {
                var t = s.threads[ti]
                t.served = g
                steps(.schedule(thread: ti, guest: g), thread: ti, in: idled,
                      advance(t, thread: ti, level: .base, block: .vmentry, targets: program.vmentryEntry), into: &out)
            }
        case .instruction(let p):
            mainMoves(of: ti, at: p, level: level, in: s, into: &out)
        }
    }

    /// The `if`s a main step of thread `ti` from `s` passes through (choosing a branch is not a
    /// step of its own, DESIGN.md 6.1): the one it is at, and those its branch leads to.
    public func ifsPassed(by ti: Int, in s: SystemState) -> [Int] {
        var out: [Int] = []
        var pending = [s.threads[ti]]
        while let t = pending.popLast() {
            let level = t.activeLevel
            guard !t.inGuest, case .instruction(let q)? = t.frame(level)?.position,
                  case .ifFlag(let f, _, _, _) = program.instructions[q].op, !out.contains(q) else { continue }
            out.append(q)
            let instruction = program.instructions[q]
            pending += advance(t, thread: ti, level: level, block: instruction.block,
                               targets: instruction.branch(flag: s.flags[f][model.flagCopy(f, thread: ti)]))
        }
        return out
    }

    private func mainMoves(of ti: Int, at p: Int, level: SystemState.Level, in s: SystemState,
                           into out: inout [(Action, SystemState)]) {
        let t = s.threads[ti]
        let frame = t.frame(level)!
        guard case .touch(let refs) = program.instructions[p].op,
              firstUnmapped(refs, thread: t) != nil
        else {
            execute(p, thread: ti, level: level, threadState: t, faultedAt: nil, in: s, into: &out)
            return
        }
        // A page fault: straight to a first statement of `on fault`; where that crashes, the
        // step at the touch is the crash (one step whatever the reason: the state is the same).
        if faultCrash(at: p, level: level, thread: t) != nil {
            var n = s
            n.threads[ti].crashed = true
            out.append((.crash(thread: ti, instruction: p), n))
        }
        guard program.hasFaultHandler, !frame.retry, program.instructions[p].block != .fault else { return }
        for case .instruction(let q) in program.faultEntry where faultAlternativeCrash(q, level: level, thread: t) == nil {
            var nt = t
            var f = frame
            f.faultReturn = p
            nt.setFrame(level, f)
            execute(q, thread: ti, level: level, threadState: nt, faultedAt: p, in: s, into: &out)
        }
    }

    /// Runs instruction `q` as thread `ti`'s step at `level` (its frame already set up).
    private func execute(_ q: Int, thread ti: Int, level: SystemState.Level,
                         threadState t: SystemState.ThreadState, faultedAt: Int?,
                         in s: SystemState, into out: inout [(Action, SystemState)])
    {
        let instruction = program.instructions[q]
        if case .ifFlag(let f, _, _, _) = instruction.op {
            // Choosing the branch is not a step (DESIGN.md 6.1): the flag, read now, says where
            // the thread goes, and the step is its next one from there. Arriving at a wait
            // inside an nmi handler is that step (and a crash: `moves`).
            let flag = s.flags[f][model.flagCopy(f, thread: ti)]
            let here = Action.statement(thread: ti, instruction: q, faultedAt: faultedAt)
            for r in advance(t, thread: ti, level: level, block: instruction.block, targets: instruction.branch(flag: flag)) {
                var there = s
                there.threads[ti] = r
                if reachedWaitInNMI(r) != nil {
                    out.append((here, there))
                    continue
                }
                // An idle loop's step reached through the `if` is a step at the `if`, a move
                // like any other (not an idle step: the thread left a handler).
                let start = out.count
                mainMoves(of: ti, in: there, into: &out)
                for k in start..<out.count where out[k].0.isIdle { out[k].0 = here }
            }
            return
        }
        var n = s
        var nt = t
        switch instruction.op {
        case .touch(let refs):
            fillHost(&n, thread: ti, touched: refs.map { model.region($0, servingGuest: t.served) })
        default:
            fillHost(&n, thread: ti, touched: nil)
        }
        switch instruction.op {
        case .touch:
            break
        case .switchTable(let ref):
            nt.table = model.table(ref, servingGuest: t.served)
        case .kickSiblings, .holdSiblings:
            for u in siblings[ti] where n.threads[u].inGuest { n.threads[u].kickPending = true }
            if instruction.op == .holdSiblings {
                for u in siblings[ti] { nt.holds |= 1 << UInt64(u) }
            }
        case .releaseSiblings:
            nt.holds = 0
        case .idle:
            // The vCPU task blocks: the rest of the handler does not run, the thread is idle in
            // the table it has, with interrupts on (the idle loop's).
            nt.served = model.noGuest
            nt.base = .init(position: .idle)
            nt.interruptsOn = true
            n.threads[ti] = nt
            out.append((.statement(thread: ti, instruction: q, faultedAt: faultedAt), n))
            return
        case .wait(let condition):
            guard waitHolds(condition, thread: ti, in: s) else { return }
        case .flush(let b):
            if !n.buffers[model.threads[ti].core][b].isEmpty { n.buffers[model.threads[ti].core][b].removeAll() }
        case .irqs(let on):
            nt.interruptsOn = on
        case .setFlag(let f, let value):
            n.flags[f][model.flagCopy(f, thread: ti)] = value
        case .either:
            preconditionFailure("lowering removes either")
        case .ifFlag:
            preconditionFailure("handled above")
        }
        let action = Action.statement(thread: ti, instruction: q, faultedAt: faultedAt)
        steps(action, thread: ti, in: n, advance(nt, thread: ti, level: level, block: instruction.block, targets: instruction.next),
              into: &out)
    }

    /// `s` with thread `ti` in each of `outcomes`: the steps `action` can lead to, appended.
    private func steps(_ action: Action, thread ti: Int, in s: SystemState,
                       _ outcomes: [SystemState.ThreadState], into out: inout [(Action, SystemState)]) {
        for r in outcomes {
            var n = s
            n.threads[ti] = r
            out.append((action, n))
        }
    }

    /// Moves a level of a thread to each of `targets` of `block`, following block ends.
    func advance(_ t: SystemState.ThreadState, thread ti: Int, level: SystemState.Level,
                 block: Program.BlockID, targets: [Program.Target]) -> [SystemState.ThreadState]
    {
        var out: [SystemState.ThreadState] = []
        for target in targets {
            var n = t
            switch target {
            case .instruction(let j):
                var f = n.frame(level)!
                f.position = .instruction(j)
                f.retry = false
                n.setFrame(level, f)
                out.append(n)
            case .end:
                switch block {
                case .fault:
                    var f = n.frame(level)!
                    f.position = .instruction(f.faultReturn!)
                    f.faultReturn = nil
                    f.retry = true
                    n.setFrame(level, f)
                    out.append(n)
                case .interrupt:
                    if level == .irq {
                        n.irq = nil
                        n.interruptsOn = true
                    } else {
                        n.nmi = nil
                        n.interruptsOn = n.nmiSavedInterrupts
                        n.nmiSavedInterrupts = false
                    }
                    out.append(n)
                case .vmexit:
                    let x = n.exitReason!
                    n.exitReason = nil
                    out += advance(n, thread: ti, level: .base, block: .exit(x), targets: program.exitEntry[x])
                case .exit:
                    // The host's scheduler may switch the thread to another of its guests here;
                    // under core scheduling only through `idle` (a context switch).
                    for g in model.threads[ti].guests where !model.schedCore || g == n.served {
                        var m = n
                        m.served = g
                        out += advance(m, thread: ti, level: .base, block: .vmentry, targets: program.vmentryEntry)
                    }
                case .vmentry:
                    n.base = .init(position: .ready)
                    out.append(n)
                }
            }
        }
        return out
    }

    // MARK: Fills, conditions

    // The fills write a buffer only when they add to it: most steps add nothing, and writing
    // would copy the state's buffer arrays, which it shares with the state it came from.
    private func fillGuest(_ s: inout SystemState, thread ti: Int) {
        let core = model.threads[ti].core
        let fill = guestFill[s.threads[ti].served]
        for b in model.buffers.indices where !fill[b].isSubset(of: s.buffers[core][b]) {
            s.buffers[core][b].formUnion(fill[b])
        }
    }

    private func fillHost(_ s: inout SystemState, thread ti: Int, touched: [Int]?) {
        let core = model.threads[ti].core
        let fill = tableFill[s.threads[ti].table]
        for (b, buffer) in model.buffers.enumerated() {
            switch buffer.fill {
            case .mapped:
                if !fill[b].isSubset(of: s.buffers[core][b]) { s.buffers[core][b].formUnion(fill[b]) }
            case .touched:
                for r in touched ?? [] where enterable[b].contains(r) && !s.buffers[core][b].contains(r) {
                    s.buffers[core][b].insert(r)
                }
            }
        }
    }

    /// Whether any sibling holds thread `ti`.
    public func isHeld(_ ti: Int, in s: SystemState) -> Bool {
        siblings[ti].contains { s.threads[$0].holds & (1 << UInt64(ti)) != 0 }
    }

    private func waitHolds(_ condition: Model.WaitCondition, thread ti: Int, in s: SystemState) -> Bool {
        siblings[ti].allSatisfy { u in
            let other = s.threads[u]
            switch condition {
            case .outOfGuest: return !other.inGuest
            case .notIn(let d): return other.inGuest || model.tables[other.table].decl != d
            case .in(let d): return !other.inGuest && model.tables[other.table].decl == d
            }
        }
    }

    private func firstUnmapped(_ refs: [Model.RegionRef], thread t: SystemState.ThreadState) -> Int? {
        // A loop, not `refs.lazy.map`: that closure escapes into the lazy sequence and
        // copies the whole interpreter (a dozen retains) on every touch a step looks at.
        let maps = model.tables[t.table].maps
        for ref in refs {
            let r = model.region(ref, servingGuest: t.served)
            if !maps.contains(r) { return r }
        }
        return nil
    }

    // MARK: Findings

    /// Why thread `ti` crashed, in a state where it has (nil where it has not).
    public func crash(of ti: Int, in s: SystemState) -> CrashReason? {
        let t = s.threads[ti]
        guard t.crashed else { return nil }
        if let q = reachedWaitInNMI(t) { return .waitInNMI(instruction: q) }
        guard case .instruction(let p) = t.frame(t.activeLevel)!.position else { return nil }
        return faultCrash(at: p, level: t.activeLevel, thread: t)
    }

    /// Why the access of instruction `p` at `level` crashes now, if it does: it faults, and
    /// there is no `on fault`, or this is the retry, or it is inside `on fault`, or a first
    /// statement of `on fault` crashes at once (an unmapped touch, a wait inside an `nmi`
    /// handler, or an empty path back to the same access).
    private func faultCrash(at p: Int, level: SystemState.Level, thread t: SystemState.ThreadState) -> CrashReason? {
        let instruction = program.instructions[p]
        let frame = t.frame(level)!
        guard case .touch(let refs) = instruction.op, let r = firstUnmapped(refs, thread: t) else { return nil }
        if !program.hasFaultHandler { return .noFaultHandler(instruction: p, region: r) }
        if frame.retry { return .stillUnmapped(instruction: p, region: r) }
        if instruction.block == .fault { return .faultInFaultHandler(instruction: p, region: r) }
        for target in program.faultEntry {
            switch target {
            case .end: return .stillUnmapped(instruction: p, region: r)
            case .instruction(let q):
                if let reason = faultAlternativeCrash(q, level: level, thread: t) { return reason }
            }
        }
        return nil
    }

    /// Whether going straight to instruction `q` of `on fault` crashes at once.
    private func faultAlternativeCrash(_ q: Int, level: SystemState.Level, thread t: SystemState.ThreadState)
        -> CrashReason?
    {
        switch program.instructions[q].op {
        case .wait where level == .nmi: return .waitInNMI(instruction: q)
        case .touch(let refs):
            if let r = firstUnmapped(refs, thread: t) { return .faultInFaultHandler(instruction: q, region: r) }
            return nil
        default: return nil
        }
    }

    /// What thread `ti` is exposed to: its table's regions in host mode, its guest's own in guest mode.
    public func exposure(of ti: Int, in s: SystemState) -> RegionSet {
        let t = s.threads[ti]
        return t.inGuest ? owned[t.served] : model.tables[t.table].maps
    }

    /// The first finding of `check` in `s` (threads, siblings and regions in index order).
    /// Deadlock needs the state's successors: pass them when known.
    public func finding(_ check: Model.Check, in s: SystemState,
                        successors: [(Action, SystemState)]? = nil) -> Finding? {
        switch check {
        case .corun:
            // Nothing but the crash is reported from a crashed state.
            guard !s.isCrashed else { return nil }
            for (ti, t) in s.threads.enumerated() where t.inGuest {
                for u in siblings[ti] {
                    let exposed = exposure(of: u, in: s)
                    // Most states leak nothing: test before building the intersection.
                    guard !exposed.isDisjoint(with: secretToSiblings[t.served]) else { continue }
                    if let r = exposed.intersection(secretToSiblings[t.served]).first(where: { _ in true }) {
                        return .corun(thread: ti, guest: t.served, sibling: u, region: r)
                    }
                }
            }
            return nil
        case .residue(let b):
            guard !s.isCrashed else { return nil }
            for (ti, t) in s.threads.enumerated() where t.inGuest {
                let held = s.buffers[model.threads[ti].core][b]
                guard !held.isDisjoint(with: secretInBuffer[b][t.served]) else { continue }
                if let r = held.intersection(secretInBuffer[b][t.served]).first(where: { _ in true }) {
                    return .residue(thread: ti, guest: t.served, buffer: b, region: r)
                }
            }
            return nil
        case .crash:
            for ti in s.threads.indices {
                if let reason = crash(of: ti, in: s) { return .crash(thread: ti, reason: reason) }
            }
            return nil
        case .deadlock:
            // A crashed state is no deadlock; a thread about to crash can move (into the crash).
            // An idle loop spinning is no move: a system in which nothing else can move is stuck.
            guard !s.isCrashed else { return nil }
            let moves = successors ?? self.successors(of: s)
            return moves.allSatisfy({ if case .idle = $0.0 { true } else { false } }) ? .deadlock : nil
        case .progress:
            // A starvation is a loop, not a state (`LassoSearch`).
            return nil
        }
    }

    /// The finding a state shows for the model's checks, by priority (leak, crash, deadlock).
    public func finding(in s: SystemState, successors: [(Action, SystemState)]? = nil) -> Finding? {
        for check in model.checksByPriority {
            if let f = finding(check, in: s, successors: successors) { return f }
        }
        return nil
    }

    static func unique<T: Hashable>(_ values: [T]) -> [T] {
        var seen = Set<T>()
        return values.filter { seen.insert($0).inserted }
    }
}
