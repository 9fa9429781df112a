import LeakSemantics

/// The one declared list of state variables of a model and how a `SystemState` reads in it.
///
/// Every symbolic backend iterates `vars`: the SMT constants of a step, the decoder of solver
/// models, the invariant translator, the Promela declarations. Adding state means adding a
/// role here and reading it in `values(of:)` / `state(from:)`.
public struct StateSpace: Sendable {
    public let vars: [StateVar]
    private let index: [StateVar.Role: Int]
    private let threadCount: Int
    private let coreCount: Int
    private let flagCopies: [Int]
    /// The `served` code of an idle thread (`Model.noGuest`), when some thread can be idle: an
    /// idle thread is `served = noGuest` with its base at `readyCode`.
    public let noGuest: Int?

    /// Program-counter codes: 0 = guest (base level) or inactive (handler levels), 1 = ready,
    /// `instructionBase + q` = about to run instruction q.
    public static let guestCode = 0
    public static let readyCode = 1
    public static let instructionBase = 2

    public init(model: Model, program: Program) {
        threadCount = model.threads.count
        coreCount = model.cores.count
        flagCopies = model.flags.indices.map(model.flagCopies)
        noGuest = model.hasIdle ? model.noGuest : nil
        let levels: [(SystemState.Level, String)] = [(.base, "base"), (.irq, "irq"), (.nmi, "nmi")]
        let pc = StateVar.Sort.code(program.instructions.count + Self.instructionBase)
        var vars: [StateVar] = []
        for (t, thread) in model.threads.enumerated() {
            func add(_ role: StateVar.Role, _ sort: StateVar.Sort, _ key: String) {
                vars.append(StateVar(role: role, sort: sort, owner: .thread(t), name: "\(thread.name).\(key)",
                                     identifier: "T\(t)_" + String(key.map { $0 == "." ? "_" : $0 })))
            }
            for (l, name) in levels { add(.pc(thread: t, level: l), pc, "pc.\(name)") }
            for (l, name) in levels { add(.faultReturn(thread: t, level: l), pc, "fret.\(name)") }
            for (l, name) in levels { add(.retry(thread: t, level: l), .bool, "retry.\(name)") }
            add(.served(thread: t), .code(model.guests.count + (model.hasIdle ? 1 : 0)), "served")
            add(.table(thread: t), .code(model.tables.count), "table")
            add(.exitReason(thread: t), .code(model.exits.count + 1), "exit")
            add(.interruptsOn(thread: t), .bool, "if")
            add(.nmiSaved(thread: t), .bool, "nmi_saved_if")
            add(.holds(thread: t), .set(model.threads.count), "holds")
            add(.kickPending(thread: t), .bool, "kick")
            add(.crashed(thread: t), .bool, "crashed")
        }
        for (c, core) in model.cores.enumerated() {
            for (b, buffer) in model.buffers.enumerated() {
                vars.append(StateVar(role: .buffer(core: c, buffer: b), sort: .set(model.regions.count), owner: .core(c),
                                     name: "\(core.name).\(buffer.name)", identifier: "B\(c)_\(b)"))
            }
        }
        for (f, flag) in model.flags.enumerated() {
            for copy in 0..<model.flagCopies(f) {
                let (owner, ownerName): (StateVar.Owner, String) = flag.scope == .thread
                    ? (.thread(copy), model.threads[copy].name) : (.core(copy), model.cores[copy].name)
                vars.append(StateVar(role: .flag(flag: f, copy: copy), sort: .bool, owner: owner,
                                     name: "\(ownerName).flag.\(flag.name)", identifier: "F\(f)_\(copy)"))
            }
        }
        self.vars = vars
        var index: [StateVar.Role: Int] = [:]
        for (i, v) in vars.enumerated() { index[v.role] = i }
        self.index = index
    }

    /// The index in `vars` of the variable with this role.
    public subscript(role: StateVar.Role) -> Int {
        guard let i = index[role] else { preconditionFailure("no state variable \(role)") }
        return i
    }

    /// Bits needed to hold the values `0..<n` (at least one).
    public static func bits(_ n: Int) -> Int {
        var w = 1
        while (1 << w) < n { w += 1 }
        return w
    }

    /// The initial value of variable `i` where no initial choice names it: every variable
    /// starts at 0, false or empty (Promela's globals start so too).
    public func zero(_ i: Int) -> StepTerm {
        switch vars[i].sort {
        case .bool: .false
        case .code(let range): .code(0, range: range)
        case .set(let count): .set(RegionSet(count: count))
        }
    }

    // MARK: Codes

    public static func code(_ p: SystemState.Position) -> Int {
        switch p {
        case .guest: guestCode
        case .ready, .idle: readyCode
        case .instruction(let q): code(instruction: q)
        }
    }

    public static func code(instruction q: Int) -> Int { q + instructionBase }

    public static func position(_ code: Int) -> SystemState.Position {
        switch code {
        case guestCode: .guest
        case readyCode: .ready
        default: .instruction(code - instructionBase)
        }
    }

    /// The instruction a fault return address names (nil for 0, outside `on fault`).
    public static func instruction(faultReturn code: Int) -> Int? {
        code < instructionBase ? nil : code - instructionBase
    }

    // MARK: Reading states

    /// The values of every variable in `state`, in the order of `vars`.
    public func values(of state: SystemState) -> [StateValue] {
        vars.map { v in
            switch v.role {
            case .pc(let t, let l):
                return .code(state.threads[t].frame(l).map { Self.code($0.position) } ?? 0)
            case .faultReturn(let t, let l):
                return .code(state.threads[t].frame(l)?.faultReturn.map { Self.code(instruction: $0) } ?? 0)
            case .retry(let t, let l): return .bool(state.threads[t].frame(l)?.retry ?? false)
            case .served(let t): return .code(state.threads[t].served)
            case .table(let t): return .code(state.threads[t].table)
            case .exitReason(let t): return .code(state.threads[t].exitReason.map { $0 + 1 } ?? 0)
            case .interruptsOn(let t): return .bool(state.threads[t].interruptsOn)
            case .nmiSaved(let t): return .bool(state.threads[t].nmiSavedInterrupts)
            case .holds(let t):
                let holds = state.threads[t].holds
                return .set(RegionSet(count: threadCount, (0..<threadCount).filter { holds & (1 << UInt64($0)) != 0 }))
            case .kickPending(let t): return .bool(state.threads[t].kickPending)
            case .crashed(let t): return .bool(state.threads[t].crashed)
            case .buffer(let c, let b): return .set(state.buffers[c][b])
            case .flag(let f, let copy): return .bool(state.flags[f][copy])
            }
        }
    }

    /// The `SystemState` that `values` (in the order of `vars`) describe.
    public func state(from values: [StateValue]) -> SystemState {
        func code(_ role: StateVar.Role) -> Int {
            guard case .code(let c) = values[self[role]] else { preconditionFailure("\(role) is no code") }
            return c
        }
        func bool(_ role: StateVar.Role) -> Bool {
            guard case .bool(let b) = values[self[role]] else { preconditionFailure("\(role) is no Boolean") }
            return b
        }
        func set(_ role: StateVar.Role) -> RegionSet {
            guard case .set(let s) = values[self[role]] else { preconditionFailure("\(role) is no set") }
            return s
        }
        var threads: [SystemState.ThreadState] = []
        for t in 0..<threadCount {
            let frames: [SystemState.Frame?] = SystemState.Level.allCases.map { l in
                let pc = code(.pc(thread: t, level: l))
                if l != .base && pc == 0 { return nil }
                return SystemState.Frame(position: Self.position(pc),
                                         faultReturn: Self.instruction(faultReturn: code(.faultReturn(thread: t, level: l))),
                                         retry: bool(.retry(thread: t, level: l)))
            }
            let exit = code(.exitReason(thread: t))
            var holds: UInt64 = 0
            for u in set(.holds(thread: t)) { holds |= 1 << UInt64(u) }
            let served = code(.served(thread: t))
            var base = frames[0]!
            if served == noGuest && base.position == .ready { base.position = .idle }
            threads.append(SystemState.ThreadState(
                served: served, table: code(.table(thread: t)),
                base: base, irq: frames[1], nmi: frames[2],
                exitReason: exit == 0 ? nil : exit - 1,
                interruptsOn: bool(.interruptsOn(thread: t)), nmiSavedInterrupts: bool(.nmiSaved(thread: t)),
                holds: holds, kickPending: bool(.kickPending(thread: t)), crashed: bool(.crashed(thread: t))))
        }
        var buffers: [[RegionSet]] = Array(repeating: [], count: coreCount)
        for v in vars {
            guard case .buffer(let c, let b) = v.role else { continue }
            precondition(b == buffers[c].count, "buffers are declared core by core, in order")
            buffers[c].append(set(v.role))
        }
        let flags = flagCopies.indices.map { f in (0..<flagCopies[f]).map { bool(.flag(flag: f, copy: $0)) } }
        return SystemState(threads: threads, buffers: buffers, flags: flags)
    }
}
