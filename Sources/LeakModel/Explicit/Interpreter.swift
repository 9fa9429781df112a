import LeakSemantics

/// The semantics of DESIGN.md section 3 on concrete states, in plain Swift (no Z3).
///
/// This is the reference the SMT encoding is tested against: the explicit checker explores
/// it breadth-first, and every counterexample found by the solver is replayed through it.
public struct Interpreter: Sendable {
    public var model: Model { tables.model }
    public var program: Program { tables.program }
    /// Everything the interpreter reads, behind one reference: the step functions hand their
    /// steps to closures that capture `self`, and a copy of a struct holding a dozen arrays
    /// (and the model's and the program's) would cost a retain for each.
    private let tables: Tables

    private final class Tables: Sendable {
        let model: Model
        let program: Program
        let siblings: [[Int]]
        /// `secretToSiblings[g]`: what guest g reads of its siblings' exposure (`corun`).
        let secretToSiblings: [RegionSet]
        /// `secretInBuffer[b][g]`: what guest g reads of buffer b (`residue`).
        let secretInBuffer: [[RegionSet]]
        let owned: [RegionSet]
        /// `enterable[b]`: the regions that may enter buffer b (no uncached one in a cache).
        let enterable: [RegionSet]
        /// `guestFill[g][b]`, `tableFill[x][b]`: what a step fills buffer b with while running
        /// guest g, or in host mode with table x loaded (`fill mapped`): computed once, not per
        /// step.
        let guestFill: [[RegionSet]]
        let tableFill: [[RegionSet]]
        /// `interruptStarts[t]`: the interrupts that may start on thread t, in interrupt order,
        /// with the level each runs at.
        let interruptStarts: [[(interrupt: Int, level: SystemState.Level)]]
        /// The exits a guest step may take: the explicit ones, or the kick's alone when a kick
        /// is pending (built once, not in every state a search expands).
        let explicitExits: [Int]
        let kickExitOnly: [Int]

        init(model: Model, program: Program) {
            self.model = model
            self.program = program
            siblings = model.threads.indices.map { model.siblings(of: $0) }
            secretToSiblings = model.guests.indices.map { model.secret(to: $0, via: .siblings) }
            secretInBuffer = model.buffers.indices.map { b in model.guests.indices.map { model.secret(to: $0, via: .buffer(b)) } }
            let owned = model.guests.indices.map { model.owned(by: $0) }
            let enterable = model.buffers.indices.map { model.enterable(buffer: $0) }
            self.owned = owned
            self.enterable = enterable
            guestFill = owned.map { regions in enterable.map { regions.intersection($0) } }
            tableFill = model.tables.map { table in enterable.map { table.maps.intersection($0) } }
            interruptStarts = model.threads.indices.map { t in
                model.interrupts.indices.filter { model.interrupt($0, canStartOn: t) }
                    .map { ($0, model.interrupts[$0].kind == .nmi ? .nmi : .irq) }
            }
            explicitExits = model.exits.indices.filter { !model.exits[$0].implicit }
            kickExitOnly = [model.kickExit]
        }
    }

    private var siblings: [[Int]] { tables.siblings }
    private var secretToSiblings: [RegionSet] { tables.secretToSiblings }
    private var secretInBuffer: [[RegionSet]] { tables.secretInBuffer }
    private var owned: [RegionSet] { tables.owned }
    private var enterable: [RegionSet] { tables.enterable }
    private var guestFill: [[RegionSet]] { tables.guestFill }
    private var tableFill: [[RegionSet]] { tables.tableFill }
    private var interruptStarts: [[(interrupt: Int, level: SystemState.Level)]] { tables.interruptStarts }
    private var explicitExits: [Int] { tables.explicitExits }
    private var kickExitOnly: [Int] { tables.kickExitOnly }

    public init(model: Model, program: Program? = nil) {
        tables = Tables(model: model, program: program ?? Program(model))
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
        forEachStep(of: s) { action, base, moved in out.append((action, base.replacing(action.thread, with: moved))) }
        return out
    }

    /// A step as the step functions hand it on: its action, and the state after it, given as
    /// `base` with thread `action.thread` in state `moved`. The moving thread is kept apart so
    /// that a search that only packs the states it reaches (`StateCodec.encode(_:replacing:
    /// with:into:)`) copies no thread array for a step, and keeps no array of steps.
    package typealias StepSink = (_ action: Action, _ base: SystemState, _ moved: SystemState.ThreadState) -> Void

    /// Calls `step` with each step of `successors(of:)`, in its order, as the step is made.
    package func forEachStep(of s: SystemState, _ step: StepSink) {
        for ti in model.threads.indices { moves(of: ti, in: s, step) }
    }

    /// Every step thread `ti` can take from `s` (none once the host has crashed). A step that
    /// reaches a `wait` inside an `nmi` handler is a crash: it is counted, and it ends the
    /// schedule.
    public func moves(of ti: Int, in s: SystemState) -> [(Action, SystemState)] {
        var out: [(Action, SystemState)] = []
        moves(of: ti, in: s) { action, base, moved in out.append((action, base.replacing(ti, with: moved))) }
        return out
    }

    /// `moves(of:in:)`, each handed to `step`.
    private func moves(of ti: Int, in s: SystemState, _ step: StepSink) {
        guard !s.isCrashed else { return }
        uncheckedMoves(of: ti, in: s) { action, base, moved in
            // Core scheduling: an idle thread is scheduled onto a guest only while no sibling
            // serves another one.
            if model.schedCore, case .schedule = action, !coScheduled(ti, serving: moved.served, in: base) { return }
            guard reachedWaitInNMI(moved) != nil else { return step(action, base, moved) }
            var crashed = moved
            crashed.crashed = true
            step(action, base, crashed)
        }
    }

    /// Thread `ti`, serving guest `g`, is idle or every sibling (as in `s`) is idle or serves
    /// the same guest.
    private func coScheduled(_ ti: Int, serving g: Int, in s: SystemState) -> Bool {
        g == model.noGuest || siblings[ti].allSatisfy { s.threads[$0].served == g || s.threads[$0].served == model.noGuest }
    }

    /// The `wait` instruction a thread is at inside an `nmi` handler, if it is at one.
    private func reachedWaitInNMI(_ t: SystemState.ThreadState) -> Int? {
        guard case .instruction(let q)? = t.nmi?.position, case .wait = program.instructions[q].op else { return nil }
        return q
    }

    private func uncheckedMoves(of ti: Int, in s: SystemState, _ step: StepSink) {
        let t = s.threads[ti]
        if t.inGuest {
            withFill(guestFilled(s, thread: ti), or: s) { filled in
                if !t.kickPending { step(.guestStep(thread: ti), filled, t) }
                for x in t.kickPending ? kickExitOnly : explicitExits {
                    var nt = t
                    nt.kickPending = false
                    nt.exitReason = x
                    steps(.exit(thread: ti, exit: x), thread: ti, in: filled,
                          from: nt, level: .base, block: .vmexit, targets: program.vmexitEntry, step)
                }
            }
            return
        }

        mainMoves(of: ti, in: s, step)
        // Interrupts: an nmi unless one runs; an irq only with interrupts on and none running.
        let nmiMayStart = t.nmi == nil
        let irqMayStart = t.interruptsOn && t.irq == nil && t.nmi == nil
        let starts = interruptStarts[ti]
        guard starts.contains(where: { $0.level == .nmi ? nmiMayStart : irqMayStart }) else { return }
        withFill(hostFilled(s, thread: ti, touched: nil), or: s) { filled in
            for (i, k) in starts where k == .nmi ? nmiMayStart : irqMayStart {
                var nt = t
                if k == .nmi { nt.nmiSavedInterrupts = nt.interruptsOn }
                nt.interruptsOn = false
                nt.setFrame(k, .init(position: .ready))
                steps(.interrupt(thread: ti, interrupt: i), thread: ti, in: filled,
                      from: nt, level: k, block: .interrupt(i), targets: program.interruptEntry[i], step)
            }
        }
    }

    /// The steps of the active level of host-mode thread `ti`: the VM entry, or the
    /// instruction it is at (never an interrupt starting).
    private func mainMoves(of ti: Int, in s: SystemState, _ step: StepSink) {
        let level = s.threads[ti].activeLevel
        switch s.threads[ti].frame(level)!.position {
        case .guest:
            preconditionFailure("a host-mode thread is never at the guest position")
        case .ready:
            guard !isHeld(ti, in: s) else { return }
            var entered = s.threads[ti]
            entered.base = .init(position: .guest)
            withFill(guestFilled(s, thread: ti), or: s) { step(.entry(thread: ti), $0, entered) }
        case .idle:
            let t = s.threads[ti]
            withFill(hostFilled(s, thread: ti, touched: nil), or: s) { idled in
                step(.idle(thread: ti), idled, t)
                for g in model.threads[ti].guests {
                    var scheduled = t
                    scheduled.served = g
                    steps(.schedule(thread: ti, guest: g), thread: ti, in: idled,
                          from: scheduled, level: .base, block: .vmentry, targets: program.vmentryEntry, step)
                }
            }
        case .instruction(let p):
            mainMoves(of: ti, at: p, level: level, in: s, step)
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
                           _ step: StepSink) {
        let t = s.threads[ti]
        let frame = t.frame(level)!
        guard case .touch(let refs) = program.instructions[p].op,
              firstUnmapped(refs, thread: t) != nil
        else {
            execute(p, thread: ti, level: level, threadState: t, faultedAt: nil, in: s, step)
            return
        }
        // A page fault: straight to a first statement of `on fault`; where that crashes, the
        // step at the touch is the crash (one step whatever the reason: the state is the same).
        if faultCrash(at: p, level: level, thread: t) != nil {
            var crashed = t
            crashed.crashed = true
            step(.crash(thread: ti, instruction: p), s, crashed)
        }
        guard program.hasFaultHandler, !frame.retry, program.instructions[p].block != .fault else { return }
        for case .instruction(let q) in program.faultEntry where faultAlternativeCrash(q, level: level, thread: t) == nil {
            var nt = t
            var f = frame
            f.faultReturn = p
            nt.setFrame(level, f)
            execute(q, thread: ti, level: level, threadState: nt, faultedAt: p, in: s, step)
        }
    }

    /// Runs instruction `q` as thread `ti`'s step at `level` (its frame already set up).
    private func execute(_ q: Int, thread ti: Int, level: SystemState.Level,
                         threadState t: SystemState.ThreadState, faultedAt: Int?,
                         in s: SystemState, _ step: StepSink)
    {
        let instruction = program.instructions[q]
        if case .ifFlag(let f, _, _, _) = instruction.op {
            // Choosing the branch is not a step (DESIGN.md 6.1): the flag, read now, says where
            // the thread goes, and the step is its next one from there. Arriving at a wait
            // inside an nmi handler is that step (and a crash: `moves`).
            let flag = s.flags[f][model.flagCopy(f, thread: ti)]
            let here = Action.statement(thread: ti, instruction: q, faultedAt: faultedAt)
            advance(t, thread: ti, level: level, block: instruction.block, targets: instruction.branch(flag: flag)) { r in
                if reachedWaitInNMI(r) != nil { return step(here, s, r) }
                // An idle loop's step reached through the `if` is a step at the `if`, a move
                // like any other (not an idle step: the thread left a handler).
                mainMoves(of: ti, in: s.replacing(ti, with: r)) { action, base, moved in
                    step(action.isIdle ? here : action, base, moved)
                }
            }
            return
        }
        // The thread's own changes go to `nt`; the rest of the state is `s` after the fill, and
        // after what the statement changes beyond its thread (`sharedEffect`), copied only
        // where something changes.
        var nt = t
        var touched: [Model.RegionRef]?
        switch instruction.op {
        case .touch(let refs):
            touched = refs
        case .switchTable(let ref):
            nt.table = model.table(ref, servingGuest: t.served)
        case .holdSiblings:
            for u in siblings[ti] { nt.holds |= 1 << UInt64(u) }
        case .releaseSiblings:
            nt.holds = 0
        case .idle:
            // The vCPU task blocks: the rest of the handler does not run, the thread is idle in
            // the table it has, with interrupts on (the idle loop's).
            nt.served = model.noGuest
            nt.base = .init(position: .idle)
            nt.interruptsOn = true
        case .wait(let condition):
            guard waitHolds(condition, thread: ti, in: s) else { return }
        case .irqs(let on):
            nt.interruptsOn = on
        case .kickSiblings, .flush, .setFlag:
            break
        case .either:
            preconditionFailure("lowering removes either")
        case .ifFlag:
            preconditionFailure("handled above")
        }
        let action = Action.statement(thread: ti, instruction: q, faultedAt: faultedAt)
        let moved = nt
        withFill(hostFilled(s, thread: ti, touched: touched), or: s) { filled in
            withFill(sharedEffect(of: instruction.op, thread: ti, in: filled), or: filled) { n in
                if case .idle = instruction.op { return step(action, n, moved) }
                steps(action, thread: ti, in: n, from: moved, level: level, block: instruction.block,
                      targets: instruction.next, step)
            }
        }
    }

    /// `s` with what statement `op` of thread `ti` changes beyond the thread itself (the
    /// siblings a kick reaches, the buffer a flush empties, the flag a `set` writes), or nil
    /// where it changes none of them.
    private func sharedEffect(of op: Program.Op, thread ti: Int, in s: SystemState) -> SystemState? {
        switch op {
        case .kickSiblings, .holdSiblings:
            guard siblings[ti].contains(where: { s.threads[$0].inGuest && !s.threads[$0].kickPending }) else { return nil }
            var n = s
            for u in siblings[ti] where n.threads[u].inGuest { n.threads[u].kickPending = true }
            return n
        case .flush(let b):
            let core = model.threads[ti].core
            guard !s.buffers[core][b].isEmpty else { return nil }
            var n = s
            n.buffers[core][b].removeAll()
            return n
        case .setFlag(let f, let value):
            let copy = model.flagCopy(f, thread: ti)
            guard s.flags[f][copy] != value else { return nil }
            var n = s
            n.flags[f][copy] = value
            return n
        default:
            return nil
        }
    }

    /// `s` with thread `ti` in each outcome of `advance(t, ...)`: the steps `action` can lead
    /// to, each handed to `step`.
    private func steps(_ action: Action, thread ti: Int, in s: SystemState, from t: SystemState.ThreadState,
                       level: SystemState.Level, block: Program.BlockID, targets: [Program.Target],
                       _ step: StepSink) {
        for target in targets {
            // The usual target, an instruction, without a closure: one that captures `s` would
            // copy it (a retain of each of its arrays) for every step.
            guard case .instruction(let j) = target else {
                advance(t, thread: ti, level: level, block: block, to: target) { step(action, s, $0) }
                continue
            }
            step(action, s, Self.moved(t, level: level, to: j))
        }
    }

    /// `t` with its frame at `level` moved to instruction `j` (not a retry).
    private static func moved(_ t: SystemState.ThreadState, level: SystemState.Level, to j: Int) -> SystemState.ThreadState {
        var n = t
        var f = n.frame(level)!
        f.position = .instruction(j)
        f.retry = false
        n.setFrame(level, f)
        return n
    }

    /// Moves a level of a thread to each of `targets` of `block`, following block ends.
    func advance(_ t: SystemState.ThreadState, thread ti: Int, level: SystemState.Level,
                 block: Program.BlockID, targets: [Program.Target]) -> [SystemState.ThreadState]
    {
        var out: [SystemState.ThreadState] = []
        advance(t, thread: ti, level: level, block: block, targets: targets) { out.append($0) }
        return out
    }

    /// `advance(...)`, each outcome handed to `outcome` as it is made: a search moves a thread
    /// in every step, and no array is allocated for the outcomes.
    private func advance(_ t: SystemState.ThreadState, thread ti: Int, level: SystemState.Level,
                         block: Program.BlockID, targets: [Program.Target],
                         _ outcome: (SystemState.ThreadState) -> Void)
    {
        for target in targets { advance(t, thread: ti, level: level, block: block, to: target, outcome) }
    }

    /// `advance(...)` to one target.
    private func advance(_ t: SystemState.ThreadState, thread ti: Int, level: SystemState.Level,
                         block: Program.BlockID, to target: Program.Target,
                         _ outcome: (SystemState.ThreadState) -> Void)
    {
        var n = t
        switch target {
        case .instruction(let j):
            outcome(Self.moved(t, level: level, to: j))
        case .end:
            switch block {
            case .fault:
                var f = n.frame(level)!
                f.position = .instruction(f.faultReturn!)
                f.faultReturn = nil
                f.retry = true
                n.setFrame(level, f)
                outcome(n)
            case .interrupt:
                if level == .irq {
                    n.irq = nil
                    n.interruptsOn = true
                } else {
                    n.nmi = nil
                    n.interruptsOn = n.nmiSavedInterrupts
                    n.nmiSavedInterrupts = false
                }
                outcome(n)
            case .vmexit:
                let x = n.exitReason!
                n.exitReason = nil
                advance(n, thread: ti, level: .base, block: .exit(x), targets: program.exitEntry[x], outcome)
            case .exit:
                // The host's scheduler may switch the thread to another of its guests here;
                // under core scheduling only through `idle` (a context switch).
                for g in model.threads[ti].guests where !model.schedCore || g == n.served {
                    var m = n
                    m.served = g
                    advance(m, thread: ti, level: .base, block: .vmentry, targets: program.vmentryEntry, outcome)
                }
            case .vmentry:
                n.base = .init(position: .ready)
                outcome(n)
            }
        }
    }

    // MARK: Fills, conditions

    // A fill copies the state only when it adds to a buffer (nil: it adds nothing, the step
    // goes on from the state as it was): most steps add nothing, and a copy would cost a
    // retain of each of the state's arrays, and writing a buffer a copy of its arrays. Each
    // buffer's fill reads only that buffer, so `s`'s buffers say what a fill adds.

    /// `s` after a step of thread `ti`'s guest fills its core's buffers.
    private func guestFilled(_ s: SystemState, thread ti: Int) -> SystemState? {
        let core = model.threads[ti].core
        let fill = guestFill[s.threads[ti].served]
        var n: SystemState?
        for b in model.buffers.indices where !fill[b].isSubset(of: s.buffers[core][b]) {
            if n == nil { n = s }
            n!.buffers[core][b].formUnion(fill[b])
        }
        return n
    }

    /// `s` after a host-mode step of thread `ti` fills its core's buffers; `touched`: the
    /// regions a `touch` names, for the thread's guest.
    private func hostFilled(_ s: SystemState, thread ti: Int, touched: [Model.RegionRef]?) -> SystemState? {
        let core = model.threads[ti].core
        let fill = tableFill[s.threads[ti].table]
        var n: SystemState?
        for b in model.buffers.indices {
            switch model.buffers[b].fill {
            case .mapped:
                guard !fill[b].isSubset(of: s.buffers[core][b]) else { continue }
                if n == nil { n = s }
                n!.buffers[core][b].formUnion(fill[b])
            case .touched:
                for ref in touched ?? [] {
                    let r = model.region(ref, servingGuest: s.threads[ti].served)
                    guard enterable[b].contains(r), !s.buffers[core][b].contains(r) else { continue }
                    if n == nil { n = s }
                    n!.buffers[core][b].insert(r)
                }
            }
        }
        return n
    }

    /// Calls `body` with `changed`, or with `s` where nothing changed (not a copy of it).
    @inline(__always)
    private func withFill(_ changed: SystemState?, or s: SystemState, _ body: (SystemState) -> Void) {
        if let changed { body(changed) } else { body(s) }
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
        finding(check, in: s, onlyIdleSteps: successors.map { $0.allSatisfy(\.0.isIdle) })
    }

    /// `finding(_:in:successors:)` knowing only whether every step from `s` is an idle step
    /// (nil: not known), which is all a deadlock needs of the steps.
    package func finding(_ check: Model.Check, in s: SystemState, onlyIdleSteps: Bool?) -> Finding? {
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
            return onlyIdleSteps ?? successors(of: s).allSatisfy(\.0.isIdle) ? .deadlock : nil
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

extension SystemState {
    /// This state with thread `t` in state `thread`.
    package func replacing(_ t: Int, with thread: ThreadState) -> SystemState {
        var n = self
        n.threads[t] = thread
        return n
    }
}
