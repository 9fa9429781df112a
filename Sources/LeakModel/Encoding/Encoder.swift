import LeakSMT
import LeakSemantics

/// Encodes the semantics of DESIGN.md section 3 as SMT constraints over `SymbolicState`s.
///
/// A step is one guarded command of one thread, chosen by the selector constant `step@k`.
/// Commands are generated in the same order at every step, so a selector value decodes to an
/// `Action` through `descriptors` (the symbol table) without parsing any name.
final class Encoder {
    let ctx: Z3Context
    var context: Z3Context { ctx }
    let model: Model
    let program: Program
    let layout: StateLayout

    /// One guarded command: its action, its guard over the current state, and its update.
    struct Command {
        var action: Action
        var guardExpr: Z3Expr
        var update: Update
        /// Whether it kicks the siblings (kick or hold).
        var kicks: Bool
    }

    /// New values of the acting thread's variables and its core's buffers; nil keeps the value.
    struct Update {
        var pc: [Z3Expr?] = [nil, nil, nil]
        var faultReturn: [Z3Expr?] = [nil, nil, nil]
        var retry: [Z3Expr?] = [nil, nil, nil]
        var served: Z3Expr?
        /// The scheduler's pick: the next served guest is any of these.
        var pick: [Int]?
        var table: Z3Expr?
        var exitReason: Z3Expr?
        var interruptsOn: Z3Expr?
        var nmiSaved: Z3Expr?
        var holds: Z3Expr?
        var kickPending: Z3Expr?
        var crashed: Z3Expr?
        var buffers: [Z3Expr?]
    }

    /// The action of every selector value (identical at every step).
    private(set) var descriptors: [Action] = []
    /// Selector values of each thread's commands (contiguous, in thread order).
    private(set) var threadRanges: [Range<Int>] = []

    /// Polled while commands and steps are built (a huge model takes long to encode): a
    /// reason stops the encoding with `Stopped`.
    var stopReason: () -> String? = { nil }

    /// The encoding was stopped (time limit, Ctrl-C) before it was complete.
    struct Stopped: Error { var reason: String }

    private func poll() throws {
        if let reason = stopReason() { throw Stopped(reason: reason) }
    }

    private let siblings: [[Int]]
    private let levelsOf: [[SystemState.Level]]
    private var zeroRegions: Z3Expr!
    private var tableMaps: [Z3Expr] = []
    private var guestOwn: [Z3Expr] = []
    private var guestSecret: [Z3Expr] = []

    init(context: Z3Context, model: Model, program: Program) throws {
        ctx = context
        self.model = model
        self.program = program
        layout = StateLayout(model: model, program: program)
        siblings = model.threads.indices.map { model.siblings(of: $0) }
        levelsOf = program.levels
        zeroRegions = try regions(RegionSet(count: model.regions.count))
        tableMaps = try model.tables.map { try regions($0.maps) }
        guestOwn = try model.guests.indices.map { try regions(model.owned(by: $0)) }
        guestSecret = try model.guests.indices.map { try regions(model.secret(to: $0)) }
    }

    // MARK: Constants

    private func regions(_ set: RegionSet) throws -> Z3Expr {
        guard model.regions.count > 64 else {
            return try ctx.bitVector(set.words[0], width: layout.regionWidth)
        }
        // Wider than one word: concatenate 64-bit chunks, most significant first.
        var expr: Z3Expr?
        for (k, word) in set.words.enumerated() {
            let width = min(64, model.regions.count - 64 * k)
            let chunk = try ctx.bitVector(width == 64 ? word : word & ((1 << UInt64(width)) - 1), width: width)
            expr = try expr.map { try ctx.concat(chunk, $0) } ?? chunk
        }
        return expr!
    }

    private func pc(_ code: UInt64) throws -> Z3Expr { try ctx.bitVector(code, width: layout.pcWidth) }
    private func pc(instruction i: Int) throws -> Z3Expr { try pc(StateLayout.code(instruction: i)) }

    private func isZero(_ e: Z3Expr) throws -> Z3Expr { try ctx.eq(e, ctx.bitVector(0, width: e.width)) }

    /// `value(g)` for the guest the thread serves (an ite over the thread's guests).
    private func byGuest(_ v: SymbolicState.ThreadVars, thread t: Int, _ value: (Int) throws -> Z3Expr) throws -> Z3Expr {
        let guests = model.threads[t].guests
        var expr = try value(guests.last!)
        for g in guests.dropLast().reversed() {
            expr = try ctx.ite(ctx.eq(v.served, ctx.bitVector(UInt64(g), width: layout.guestWidth)), value(g), expr)
        }
        return expr
    }

    /// The regions the loaded table maps.
    private func maps(_ v: SymbolicState.ThreadVars) throws -> Z3Expr {
        var expr = tableMaps.last!
        for k in model.tables.indices.dropLast().reversed() {
            expr = try ctx.ite(ctx.eq(v.table, ctx.bitVector(UInt64(k), width: layout.tableWidth)), tableMaps[k], expr)
        }
        return expr
    }

    private func touched(_ refs: [Model.RegionRef], _ v: SymbolicState.ThreadVars, thread t: Int) throws -> Z3Expr {
        try byGuest(v, thread: t) { g in
            try regions(RegionSet(count: model.regions.count, refs.map { model.region($0, servingGuest: g) }))
        }
    }

    private func mapped(_ refs: [Model.RegionRef], _ v: SymbolicState.ThreadVars, thread t: Int) throws -> Z3Expr {
        let mask = try touched(refs, v, thread: t)
        return try ctx.eq(ctx.bvAnd(maps(v), mask), mask)
    }

    private func inGuest(_ v: SymbolicState.ThreadVars) throws -> Z3Expr {
        try ctx.eq(v.pc[0], pc(StateLayout.guestCode))
    }

    private func active(_ v: SymbolicState.ThreadVars, _ level: SystemState.Level) throws -> Z3Expr {
        switch level {
        case .base: try ctx.and([isZero(v.pc[1]), isZero(v.pc[2])])
        case .irq: try ctx.and([isZero(v.pc[2]), ctx.not(isZero(v.pc[1]))])
        case .nmi: try ctx.not(isZero(v.pc[2]))
        }
    }

    private func threadBit(_ u: Int) throws -> Z3Expr {
        try ctx.bitVector(1 << UInt64(u), width: layout.threadWidth)
    }

    // MARK: Initial state

    func initial(_ s: SymbolicState) throws -> Z3Expr {
        var parts: [Z3Expr] = []
        for (t, thread) in model.threads.enumerated() {
            let v = s.threads[t]
            var starts: [Z3Expr] = []
            for g in thread.guests {
                for alt in baseAlternatives(program.vmentryEntry, in: .vmentry, exit: nil) {
                    starts.append(try ctx.and([
                        ctx.eq(v.served, ctx.bitVector(UInt64(g), width: layout.guestWidth)),
                        ctx.eq(v.table, ctx.bitVector(UInt64(model.initialTable(servingGuest: g)), width: layout.tableWidth)),
                        ctx.eq(v.pc[0], pc(alt.code)),
                    ]))
                }
            }
            parts.append(try ctx.or(starts))
            for l in 0..<3 {
                if l > 0 { parts.append(try isZero(v.pc[l])) }
                parts.append(try isZero(v.faultReturn[l]))
                parts.append(try ctx.not(v.retry[l]))
            }
            parts += try [isZero(v.exitReason), ctx.not(v.interruptsOn), ctx.not(v.nmiSaved),
                          isZero(v.holds), ctx.not(v.kickPending), ctx.not(v.crashed)]
        }
        for core in s.buffers { for b in core { parts.append(try isZero(b)) } }
        return try ctx.and(parts)
    }

    // MARK: Commands

    /// Where the base program goes from `targets` of `block`, following block ends statically.
    struct BaseAlternative {
        var code: UInt64
        /// Passed the end of an exit handler: the scheduler picks the next guest.
        var pick: Bool
        /// Passed the end of `on vmexit`: the exit reason is cleared.
        var leftVMExit: Bool
    }

    private func baseAlternatives(_ targets: [Program.Target], in block: Program.BlockID, exit: Int?) -> [BaseAlternative] {
        targets.flatMap { target -> [BaseAlternative] in
            switch target {
            case .instruction(let j):
                return [BaseAlternative(code: StateLayout.code(instruction: j), pick: false, leftVMExit: false)]
            case .end:
                switch block {
                case .vmexit:
                    return baseAlternatives(program.exitEntry[exit!], in: .exit(exit!), exit: nil)
                        .map { var a = $0; a.leftVMExit = true; return a }
                case .exit:
                    return baseAlternatives(program.vmentryEntry, in: .vmentry, exit: nil)
                        .map { var a = $0; a.pick = true; return a }
                case .vmentry:
                    return [BaseAlternative(code: StateLayout.readyCode, pick: false, leftVMExit: false)]
                case .fault, .interrupt:
                    preconditionFailure("fault and interrupt blocks end dynamically")
                }
            }
        }
    }

    /// Every command of every thread at state `s`, in the fixed order of `descriptors`.
    func commands(at s: SymbolicState) throws -> [Command] {
        var out: [Command] = []
        var ranges: [Range<Int>] = []
        for t in model.threads.indices {
            let start = out.count
            try guestCommands(t, s, into: &out)
            try hostCommands(t, s, into: &out)
            ranges.append(start..<out.count)
        }
        if descriptors.isEmpty {
            descriptors = out.map(\.action)
            threadRanges = ranges
        } else {
            precondition(descriptors == out.map(\.action), "commands must be generated in the same order at every step")
        }
        return out
    }

    private func blankUpdate() -> Update { Update(buffers: Array(repeating: nil, count: model.buffers.count)) }

    private func guestCommands(_ t: Int, _ s: SymbolicState, into out: inout [Command]) throws {
        let v = s.threads[t], core = model.threads[t].core
        let running = try inGuest(v)
        let own = try byGuest(v, thread: t) { guestOwn[$0] }
        var filled = blankUpdate()
        filled.buffers = try s.buffers[core].map { try ctx.bvOr($0, own) }

        out.append(Command(action: .guestStep(thread: t), guardExpr: try ctx.and([running, ctx.not(v.kickPending)]),
                           update: filled, kicks: false))
        for (x, exit) in model.exits.enumerated() {
            let allowed: Z3Expr
            if x == model.kickExit {
                allowed = exit.implicit ? v.kickPending : try ctx.bool(true)
            } else {
                allowed = try ctx.not(v.kickPending)
            }
            for alt in baseAlternatives(program.vmexitEntry, in: .vmexit, exit: x) {
                var u = filled
                u.pc[0] = try pc(alt.code)
                u.exitReason = try ctx.bitVector(alt.leftVMExit ? 0 : UInt64(x + 1), width: layout.exitWidth)
                u.kickPending = try ctx.bool(false)
                if alt.pick { u.pick = model.threads[t].guests }
                out.append(Command(action: .exit(thread: t, exit: x), guardExpr: try ctx.and([running, allowed]),
                                   update: u, kicks: false))
            }
        }
    }

    private func hostCommands(_ t: Int, _ s: SymbolicState, into out: inout [Command]) throws {
        let v = s.threads[t], core = model.threads[t].core
        let host = try ctx.not(inGuest(v))

        // The VM entry: a guest-mode step, it fills with the guest's own regions.
        var held: [Z3Expr] = []
        for u in siblings[t] { held.append(try ctx.not(isZero(ctx.bvAnd(s.threads[u].holds, threadBit(t))))) }
        var entry = blankUpdate()
        let own = try byGuest(v, thread: t) { guestOwn[$0] }
        entry.buffers = try s.buffers[core].map { try ctx.bvOr($0, own) }
        entry.pc[0] = try pc(StateLayout.guestCode)
        out.append(Command(action: .entry(thread: t),
                           guardExpr: try ctx.and([active(v, .base), ctx.eq(v.pc[0], pc(StateLayout.readyCode)),
                                                   ctx.not(ctx.or(held))]),
                           update: entry, kicks: false))

        // Instructions, at every level they can run at, directly or straight after a fault.
        for (q, instruction) in program.instructions.enumerated() {
            if q % 64 == 0 { try poll() }
            for level in levelsOf[q] {
                let l = level.rawValue
                let here = try ctx.and([host, active(v, level), ctx.eq(v.pc[l], pc(instruction: q))])
                if case .touch(let refs) = instruction.op {
                    try execute(q, t, s, level: level, faultReturn: v.faultReturn[l], faultedAt: nil,
                                guard: ctx.and([here, mapped(refs, v, thread: t)]), into: &out)
                    // The access faults with no way out: the step is the crash, nothing else changes.
                    var crash = blankUpdate()
                    crash.crashed = try ctx.bool(true)
                    out.append(Command(action: .crash(thread: t, instruction: q),
                                       guardExpr: try faultCrashes(q, refs, level: level, v, thread: t, here: here),
                                       update: crash, kicks: false))
                    guard program.hasFaultHandler, instruction.block != .fault else { continue }
                    let faulting = try ctx.and([here, ctx.not(v.retry[l]), ctx.not(mapped(refs, v, thread: t))])
                    for case .instruction(let e) in program.faultEntry {
                        var g = faulting
                        switch program.instructions[e].op {
                        case .wait where level == .nmi: continue
                        case .touch(let refs2): g = try ctx.and([g, mapped(refs2, v, thread: t)])
                        default: break
                        }
                        try execute(e, t, s, level: level, faultReturn: pc(instruction: q), faultedAt: q,
                                    guard: g, into: &out)
                    }
                } else {
                    if case .wait = instruction.op, level == .nmi { continue }
                    try execute(q, t, s, level: level, faultReturn: v.faultReturn[l], faultedAt: nil,
                                guard: here, into: &out)
                }
            }
        }

        // Interrupt handlers starting.
        for (i, interrupt) in model.interrupts.enumerated() {
            let level: SystemState.Level = interrupt.kind == .nmi ? .nmi : .irq
            let l = level.rawValue
            let enabled = level == .nmi
                ? try ctx.and([host, isZero(v.pc[2])])
                : try ctx.and([host, v.interruptsOn, isZero(v.pc[1]), isZero(v.pc[2])])
            var base = blankUpdate()
            base.buffers = try hostFill(t, s, touched: nil)
            for target in program.interruptEntry[i] {
                var u = base
                if case .instruction(let j) = target {
                    u.pc[l] = try pc(instruction: j)
                    u.interruptsOn = try ctx.bool(false)
                    if level == .nmi { u.nmiSaved = v.interruptsOn }
                    if program.crashesOnArrival(j, at: level) { u.crashed = try ctx.bool(true) }
                }
                // An empty handler returns at once: the interrupt flag is as it was.
                out.append(Command(action: .interrupt(thread: t, interrupt: i), guardExpr: enabled, update: u, kicks: false))
            }
        }
    }

    /// The buffers of the thread's core after a host-mode step's fill.
    private func hostFill(_ t: Int, _ s: SymbolicState, touched: Z3Expr?) throws -> [Z3Expr?] {
        let v = s.threads[t], core = model.threads[t].core
        let m = try maps(v)
        return try model.buffers.indices.map { b in
            switch model.buffers[b].fill {
            case .mapped: try ctx.bvOr(s.buffers[core][b], m)
            case .touched: try touched.map { try ctx.bvOr(s.buffers[core][b], $0) }
            }
        }
    }

    /// Commands that run instruction `q` at `level`, one per successor alternative.
    private func execute(_ q: Int, _ t: Int, _ s: SymbolicState, level: SystemState.Level, faultReturn: Z3Expr,
                         faultedAt: Int?, guard guardExpr: Z3Expr, into out: inout [Command]) throws {
        let v = s.threads[t]
        let l = level.rawValue
        let instruction = program.instructions[q]
        var u = blankUpdate()
        var g = guardExpr
        var kicks = false
        switch instruction.op {
        case .touch(let refs):
            u.buffers = try hostFill(t, s, touched: touched(refs, v, thread: t))
        default:
            u.buffers = try hostFill(t, s, touched: nil)
        }
        switch instruction.op {
        case .touch:
            break
        case .switchTable(let ref):
            u.table = try byGuest(v, thread: t) {
                try ctx.bitVector(UInt64(model.table(ref, servingGuest: $0)), width: layout.tableWidth)
            }
        case .kick:
            kicks = true
        case .hold:
            kicks = true
            var mask: UInt64 = 0
            for sib in siblings[t] { mask |= 1 << UInt64(sib) }
            u.holds = try ctx.bvOr(v.holds, ctx.bitVector(mask, width: layout.threadWidth))
        case .release:
            u.holds = try ctx.bitVector(0, width: layout.threadWidth)
        case .wait(let condition):
            g = try ctx.and([g, waitCondition(condition, thread: t, s)])
        case .flush(let b):
            u.buffers[b] = zeroRegions
        case .irqs(let on):
            u.interruptsOn = try ctx.bool(on)
        }
        let action = Action.statement(thread: t, instruction: q, faultedAt: faultedAt)
        let zeroPC = try pc(0)
        for target in instruction.next {
            switch target {
            case .instruction(let j):
                var n = u
                n.pc[l] = try pc(instruction: j)
                n.retry[l] = try ctx.bool(false)
                n.faultReturn[l] = instruction.block == .fault ? faultReturn : zeroPC
                if program.crashesOnArrival(j, at: level) { n.crashed = try ctx.bool(true) }
                out.append(Command(action: action, guardExpr: g, update: n, kicks: kicks))
            case .end:
                switch instruction.block {
                case .fault:
                    var n = u
                    n.pc[l] = faultReturn
                    n.faultReturn[l] = zeroPC
                    n.retry[l] = try ctx.bool(true)
                    out.append(Command(action: action, guardExpr: g, update: n, kicks: kicks))
                case .interrupt:
                    var n = u
                    n.pc[l] = zeroPC
                    n.faultReturn[l] = zeroPC
                    n.retry[l] = try ctx.bool(false)
                    if level == .irq {
                        n.interruptsOn = try ctx.bool(true)
                    } else {
                        n.interruptsOn = v.nmiSaved
                        n.nmiSaved = try ctx.bool(false)
                    }
                    out.append(Command(action: action, guardExpr: g, update: n, kicks: kicks))
                case .vmexit:
                    for x in model.exits.indices {
                        let gx = try ctx.and([g, ctx.eq(v.exitReason, ctx.bitVector(UInt64(x + 1), width: layout.exitWidth))])
                        for alt in baseAlternatives([.end], in: .vmexit, exit: x) {
                            out.append(Command(action: action, guardExpr: gx, update: try baseMove(u, alt, t), kicks: kicks))
                        }
                    }
                case .exit, .vmentry:
                    for alt in baseAlternatives([.end], in: instruction.block, exit: nil) {
                        out.append(Command(action: action, guardExpr: g, update: try baseMove(u, alt, t), kicks: kicks))
                    }
                }
            }
        }
    }

    private func baseMove(_ u: Update, _ alt: BaseAlternative, _ t: Int) throws -> Update {
        var n = u
        n.pc[0] = try pc(alt.code)
        n.retry[0] = try ctx.bool(false)
        n.faultReturn[0] = try pc(0)
        if alt.leftVMExit { n.exitReason = try ctx.bitVector(0, width: layout.exitWidth) }
        if alt.pick { n.pick = model.threads[t].guests }
        return n
    }

    private func waitCondition(_ condition: Model.WaitCondition, thread t: Int, _ s: SymbolicState) throws -> Z3Expr {
        try ctx.and(siblings[t].map { u in
            let w = s.threads[u]
            let running = try inGuest(w)
            switch condition {
            case .outOfGuest:
                return try ctx.not(running)
            case .notIn(let d):
                return try ctx.or([running, ctx.not(inTables(w, decl: d))])
            case .in(let d):
                return try ctx.and([ctx.not(running), inTables(w, decl: d)])
            }
        })
    }

    private func inTables(_ w: SymbolicState.ThreadVars, decl d: Int) throws -> Z3Expr {
        try ctx.or(model.tableDecls[d].copies.map {
            try ctx.eq(w.table, ctx.bitVector(UInt64($0), width: layout.tableWidth))
        })
    }

    // MARK: Transition

    /// The step from `s` to `n`: exactly one command, chosen by `selector`.
    func transition(from s: SymbolicState, commands: [Command], to n: SymbolicState, selector: Z3Expr) throws -> Z3Expr {
        let width = try selector.width
        func sel(_ i: Int) throws -> Z3Expr { try ctx.eq(selector, ctx.bitVector(UInt64(i), width: width)) }
        var parts: [Z3Expr] = [try ctx.bvUlt(selector, ctx.bitVector(UInt64(commands.count), width: width)),
                               try ctx.not(crashed(s))]
        for (i, c) in commands.enumerated() {
            if i % 256 == 0 { try poll() }
            let t = c.action.thread
            parts.append(try ctx.implies(sel(i), ctx.and([c.guardExpr, effect(c.update, thread: t, s, n)])))
        }
        for t in model.threads.indices {
            let r = threadRanges[t]
            let acting = try ctx.and([ctx.bvUle(ctx.bitVector(UInt64(r.lowerBound), width: width), selector),
                                      ctx.bvUlt(selector, ctx.bitVector(UInt64(r.upperBound), width: width))])
            let v = s.threads[t], w = n.threads[t]
            var kickers: [Z3Expr] = []
            for u in siblings[t] {
                for i in threadRanges[u] where commands[i].kicks { kickers.append(try sel(i)) }
            }
            var frame: [Z3Expr] = []
            let cur = s.all(of: t), next = n.all(of: t)
            for k in cur.indices where !(cur[k] === v.kickPending) {
                frame.append(try ctx.eq(next[k], cur[k]))
            }
            frame.append(try ctx.iff(w.kickPending, ctx.or([v.kickPending, ctx.and([inGuest(v), ctx.or(kickers)])])))
            parts.append(try ctx.implies(ctx.not(acting), ctx.and(frame)))
        }
        for (c, core) in model.cores.enumerated() {
            let first = threadRanges[core.threads.first!].lowerBound
            let last = threadRanges[core.threads.last!].upperBound
            let acting = try ctx.and([ctx.bvUle(ctx.bitVector(UInt64(first), width: width), selector),
                                      ctx.bvUlt(selector, ctx.bitVector(UInt64(last), width: width))])
            let same = try zip(s.buffers[c], n.buffers[c]).map { try ctx.eq($1, $0) }
            parts.append(try ctx.implies(ctx.not(acting), ctx.and(same)))
        }
        return try ctx.and(parts)
    }

    private func effect(_ u: Update, thread t: Int, _ s: SymbolicState, _ n: SymbolicState) throws -> Z3Expr {
        let v = s.threads[t], w = n.threads[t]
        var parts: [Z3Expr] = []
        func set(_ next: Z3Expr, _ value: Z3Expr?, _ current: Z3Expr) throws {
            parts.append(try next.isBool ? ctx.iff(next, value ?? current) : ctx.eq(next, value ?? current))
        }
        for l in 0..<3 {
            try set(w.pc[l], u.pc[l], v.pc[l])
            try set(w.faultReturn[l], u.faultReturn[l], v.faultReturn[l])
            try set(w.retry[l], u.retry[l], v.retry[l])
        }
        if let pick = u.pick {
            parts.append(try ctx.or(pick.map { try ctx.eq(w.served, ctx.bitVector(UInt64($0), width: layout.guestWidth)) }))
        } else {
            try set(w.served, u.served, v.served)
        }
        try set(w.table, u.table, v.table)
        try set(w.exitReason, u.exitReason, v.exitReason)
        try set(w.interruptsOn, u.interruptsOn, v.interruptsOn)
        try set(w.nmiSaved, u.nmiSaved, v.nmiSaved)
        try set(w.holds, u.holds, v.holds)
        try set(w.kickPending, u.kickPending, v.kickPending)
        try set(w.crashed, u.crashed, v.crashed)
        let core = model.threads[t].core
        for b in model.buffers.indices { try set(n.buffers[core][b], u.buffers[b], s.buffers[core][b]) }
        return try ctx.and(parts)
    }

    // MARK: Well-formed states

    /// What every reachable state satisfies by construction of the semantics: program
    /// counters only where their level can be, fault return addresses exactly inside
    /// `on fault`, the exit reason exactly inside `on vmexit`, and so on. k-induction starts
    /// from any state that satisfies this instead of from any assignment at all; `Tests`
    /// check that it holds on every state bounded model checking reaches.
    func wellFormed(_ s: SymbolicState) throws -> Z3Expr {
        var parts: [Z3Expr] = []
        func codes(_ set: [Int]) throws -> [Z3Expr] { try set.map { try pc(instruction: $0) } }
        func member(_ e: Z3Expr, _ values: [Z3Expr]) throws -> Z3Expr { try ctx.or(values.map { try ctx.eq(e, $0) }) }
        let all = program.instructions.indices
        let inBlock = { (q: Int, test: (Program.BlockID) -> Bool) in test(self.program.instructions[q].block) }
        let faultCodes = try codes(all.filter { inBlock($0) { $0 == .fault } })
        let vmexitCodes = try codes(all.filter { inBlock($0) { $0 == .vmexit } })
        for (t, thread) in model.threads.enumerated() {
            let v = s.threads[t]
            parts.append(try member(v.served, thread.guests.map { try ctx.bitVector(UInt64($0), width: layout.guestWidth) }))
            parts.append(try ctx.bvUle(v.table, ctx.bitVector(UInt64(model.tables.count - 1), width: layout.tableWidth)))
            for level in SystemState.Level.allCases {
                let l = level.rawValue
                let here = all.filter { levelsOf[$0].contains(level) }
                var allowed = try codes(here)
                allowed.append(try pc(0))
                if level == .base { allowed.append(try pc(StateLayout.readyCode)) }
                parts.append(try member(v.pc[l], allowed))
                // A retry is only ever pending at a touch.
                let touches = here.filter { if case .touch = program.instructions[$0].op { true } else { false } }
                parts.append(try ctx.implies(v.retry[l], member(v.pc[l], codes(touches))))
                // A fault return address exactly while in `on fault`, and it is a touch outside it.
                let inFault = try member(v.pc[l], faultCodes)
                parts.append(try ctx.iff(inFault, ctx.not(isZero(v.faultReturn[l]))))
                let returns = try codes(touches.filter { program.instructions[$0].block != .fault })
                parts.append(try ctx.or([isZero(v.faultReturn[l]), member(v.faultReturn[l], returns)]))
            }
            let inVMExit = try ctx.or([member(v.pc[0], vmexitCodes),
                                       ctx.and([member(v.pc[0], faultCodes), member(v.faultReturn[0], vmexitCodes)])])
            parts.append(try ctx.iff(inVMExit, ctx.not(isZero(v.exitReason))))
            parts.append(try ctx.bvUle(v.exitReason, ctx.bitVector(UInt64(model.exits.count), width: layout.exitWidth)))
            let running = try inGuest(v)
            parts.append(try ctx.implies(running, ctx.and([isZero(v.pc[1]), isZero(v.pc[2])])))
            parts.append(try ctx.implies(v.kickPending, running))
            parts.append(try ctx.implies(v.nmiSaved, ctx.not(isZero(v.pc[2]))))
            // A crash is a host-mode step of one thread; a wait inside an `nmi` handler is
            // only ever reached by a crash.
            parts.append(try ctx.implies(v.crashed, ctx.not(running)))
            for u in model.threads.indices where u > t {
                parts.append(try ctx.not(ctx.and([v.crashed, s.threads[u].crashed])))
            }
            let nmiWaits = try codes(all.filter { levelsOf[$0].contains(.nmi) && program.crashesOnArrival($0, at: .nmi) })
            if !nmiWaits.isEmpty { parts.append(try ctx.implies(member(v.pc[2], nmiWaits), v.crashed)) }
            var mask: UInt64 = 0
            for u in siblings[t] { mask |= 1 << UInt64(u) }
            parts.append(try isZero(ctx.bvAnd(v.holds, ctx.bitVector(~mask & ((1 << UInt64(layout.threadWidth)) &- 1), width: layout.threadWidth))))
        }
        return try ctx.and(parts)
    }

    /// Some thread runs its guest.
    func someGuestRuns(_ s: SymbolicState) throws -> Z3Expr {
        try ctx.or(s.threads.map { try inGuest($0) })
    }

    /// The two states differ in some variable (for simple-path constraints).
    func differ(_ a: SymbolicState, _ b: SymbolicState) throws -> Z3Expr {
        var parts: [Z3Expr] = []
        for t in model.threads.indices {
            for (x, y) in zip(a.all(of: t), b.all(of: t)) {
                parts.append(try x.isBool ? ctx.not(ctx.iff(x, y)) : ctx.not(ctx.eq(x, y)))
            }
        }
        for (ca, cb) in zip(a.buffers, b.buffers) {
            for (x, y) in zip(ca, cb) { parts.append(try ctx.not(ctx.eq(x, y))) }
        }
        return try ctx.or(parts)
    }

    // MARK: Properties

    /// Some thread crashed: the schedule has ended.
    func crashed(_ s: SymbolicState) throws -> Z3Expr {
        try ctx.or(s.threads.map(\.crashed))
    }

    /// The state predicate of a check (deadlock needs the commands at `s`). Nothing but the
    /// crash is reported from a crashed state, and a crashed state is no deadlock.
    func property(_ check: Model.Check, at s: SymbolicState, commands: [Command]) throws -> Z3Expr {
        switch check {
        case .crash:
            return try crashed(s)
        case .deadlock:
            return try ctx.and([ctx.not(crashed(s)), ctx.not(ctx.or(commands.map(\.guardExpr)))])
        case .corun, .residue:
            return try ctx.and([ctx.not(crashed(s)), leak(check, at: s)])
        }
    }

    private func leak(_ check: Model.Check, at s: SymbolicState) throws -> Z3Expr {
        switch check {
        case .corun:
            var parts: [Z3Expr] = []
            for t in model.threads.indices {
                let v = s.threads[t]
                let secret = try byGuest(v, thread: t) { guestSecret[$0] }
                for u in siblings[t] {
                    let w = s.threads[u]
                    let exposed = try ctx.ite(inGuest(w), byGuest(w, thread: u) { guestOwn[$0] }, maps(w))
                    parts.append(try ctx.and([inGuest(v), ctx.not(isZero(ctx.bvAnd(exposed, secret)))]))
                }
            }
            return try ctx.or(parts)
        case .residue(let b):
            return try ctx.or(model.threads.indices.map { t in
                let v = s.threads[t]
                let secret = try byGuest(v, thread: t) { guestSecret[$0] }
                let held = s.buffers[model.threads[t].core][b]
                return try ctx.and([inGuest(v), ctx.not(isZero(ctx.bvAnd(held, secret)))])
            })
        case .crash, .deadlock:
            preconditionFailure("not a leak check")
        }
    }

    /// The touch `q` at `level` (where `here` says the thread is) faults with no way out
    /// (`Program.faultCrashes`).
    private func faultCrashes(_ q: Int, _ refs: [Model.RegionRef], level: SystemState.Level,
                              _ v: SymbolicState.ThreadVars, thread t: Int, here: Z3Expr) throws -> Z3Expr {
        let why = try program.faultCrashes(q, at: level).map { condition -> Z3Expr in
            switch condition {
            case .always: try ctx.bool(true)
            case .retry: v.retry[level.rawValue]
            case .unmapped(let refs2): try ctx.not(mapped(refs2, v, thread: t))
            }
        }
        return try ctx.and([here, ctx.not(mapped(refs, v, thread: t)), ctx.or(why)])
    }
}
