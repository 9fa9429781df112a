import LeakSemantics

/// DESIGN.md section 3 stated once, as guarded commands over `StateSpace` (`TransitionSystem`).
///
/// For every thread: the guest step and the exits (guest mode), the VM entry, every
/// instruction at every level it can run at (directly, or as a first statement of `on fault`
/// straight after a page fault of a touch), the crash of a touch that faults with no way out,
/// and the start of every interrupt handler. A step with several outcomes (the successor of a
/// statement after an `either`, the scheduler's pick of a guest at the end of an exit handler)
/// is one command per outcome, so every command is deterministic. The explicit interpreter
/// reads the same sentences on its own, as the reference these rules are tested against.
public struct StepRules {
    let model: Model
    let program: Program
    package let space: StateSpace
    let siblings: [[Int]]
    /// `enterable[b]`: the regions that may enter buffer b, or nil where every region may (so
    /// that a model without `uncached` regions keeps its terms as they were).
    let enterable: [RegionSet?]

    public init(model: Model, program: Program) {
        self.model = model
        self.program = program
        space = StateSpace(model: model, program: program)
        siblings = model.threads.indices.map { model.siblings(of: $0) }
        enterable = model.buffers.indices.map { b in
            let set = model.enterable(buffer: b)
            return set.count == model.regions.count && model.regions.indices.allSatisfy(set.contains) ? nil : set
        }
    }

    /// The transition system of the model.
    public func system() -> TransitionSystem { system(poll: {}) }

    /// The transition system of the model. `poll` is called now and then while the commands
    /// are built (a huge model takes long) and may throw to stop.
    public func system(poll: () throws -> Void) rethrows -> TransitionSystem {
        var commands: [GuardedCommand] = [], ranges: [Range<Int>] = []
        for t in model.threads.indices {
            let start = commands.count
            guestCommands(t, into: &commands)
            try hostCommands(t, into: &commands, poll: poll)
            ranges.append(start..<commands.count)
        }
        let halted = StepTerm.or(model.threads.indices.map { v(.crashed(thread: $0)) })
        return TransitionSystem(
            space: space, commands: commands, threadRanges: ranges,
            threadCores: model.threads.map(\.core), initial: model.threads.indices.map(initialChoices),
            halted: halted, wellFormed: wellFormed(), someGuestRuns: .or(model.threads.indices.map(inGuest)),
            corun: corun(), residue: model.buffers.indices.map(residue))
    }

    // MARK: Terms

    func v(_ role: StateVar.Role) -> StepTerm { .variable(space[role]) }

    private func sort(_ role: StateVar.Role) -> StateVar.Sort { space.vars[space[role]].sort }

    /// The code `value` for the variable of `role`.
    func code(_ value: Int, for role: StateVar.Role) -> StepTerm {
        guard case .code(let range) = sort(role) else { preconditionFailure("\(role) holds no code") }
        return .code(value, range: range)
    }

    func pcCode(_ t: Int, _ level: SystemState.Level, _ value: Int) -> StepTerm {
        code(value, for: .pc(thread: t, level: level))
    }

    func regions(_ set: RegionSet) -> StepTerm { .set(set) }

    func threadSet(_ members: [Int]) -> StepTerm { .set(RegionSet(count: model.threads.count, members)) }

    func inGuest(_ t: Int) -> StepTerm { .eq(v(.pc(thread: t, level: .base)), pcCode(t, .base, StateSpace.guestCode)) }

    func inactive(_ t: Int, _ level: SystemState.Level) -> StepTerm { .eq(v(.pc(thread: t, level: level)), pcCode(t, level, 0)) }

    /// The level runs next: no inner handler is active.
    func active(_ t: Int, _ level: SystemState.Level) -> StepTerm {
        switch level {
        case .base: .and([inactive(t, .irq), inactive(t, .nmi)])
        case .irq: .and([inactive(t, .nmi), .not(inactive(t, .irq))])
        case .nmi: .not(inactive(t, .nmi))
        }
    }

    /// `value(g)` for the guest that thread `t` serves. An idle thread serves none: it gets the
    /// last guest's value, which nothing reads (it is not in guest mode, and the resolver keeps
    /// per-guest names out of the code it runs, E031).
    func byGuest(_ t: Int, _ value: (Int) -> StepTerm) -> StepTerm {
        let guests = model.threads[t].guests.isEmpty ? [0] : model.threads[t].guests
        var term = value(guests.last!)
        for g in guests.dropLast().reversed() {
            term = .ite(.eq(v(.served(thread: t)), code(g, for: .served(thread: t))), value(g), term)
        }
        return term
    }

    /// The regions the loaded table of `t` maps (those of them in `within`, if given).
    func maps(_ t: Int, within: RegionSet? = nil) -> StepTerm {
        func mapped(_ k: Int) -> StepTerm { regions(within.map { model.tables[k].maps.intersection($0) } ?? model.tables[k].maps) }
        var term = mapped(model.tables.count - 1)
        for k in model.tables.indices.dropLast().reversed() {
            term = .ite(.eq(v(.table(thread: t)), code(k, for: .table(thread: t))), mapped(k), term)
        }
        return term
    }

    func touched(_ refs: [Model.RegionRef], _ t: Int, within: RegionSet? = nil) -> StepTerm {
        byGuest(t) { g in
            regions(RegionSet(count: model.regions.count,
                              refs.map { model.region($0, servingGuest: g) }.filter { within?.contains($0) ?? true }))
        }
    }

    func mapped(_ refs: [Model.RegionRef], _ t: Int) -> StepTerm { .subset(touched(refs, t), maps(t)) }

    func own(_ t: Int, within: RegionSet? = nil) -> StepTerm {
        byGuest(t) { g in regions(within.map { model.owned(by: g).intersection($0) } ?? model.owned(by: g)) }
    }

    /// The regions secret to the guest `t` serves that it reads through `channel`.
    func secret(_ t: Int, via channel: Model.Channel) -> StepTerm { byGuest(t) { regions(model.secret(to: $0, via: channel)) } }

    /// Thread `t` is idle: it serves no guest (`Model.noGuest`).
    func idle(_ t: Int) -> StepTerm {
        guard model.canIdle(t) else { return .false }
        return .eq(v(.served(thread: t)), code(model.noGuest, for: .served(thread: t)))
    }

    /// Core scheduling allows thread `t` to serve guest `g`: every sibling is idle or serves g.
    func coScheduled(_ t: Int, _ g: Int) -> StepTerm {
        guard model.schedCore else { return .true }
        return .and(siblings[t].map { u in .or([idle(u), .eq(v(.served(thread: u)), code(g, for: .served(thread: u)))]) })
    }

    func buffer(_ t: Int, _ b: Int) -> StepTerm { v(.buffer(core: model.threads[t].core, buffer: b)) }

    // MARK: Updates

    /// The assignments of one command under construction, by variable.
    struct Update {
        var values: [Int: StepTerm] = [:]
        var notes: [String] = []

        subscript(i: Int) -> StepTerm? {
            get { values[i] }
            set { values[i] = newValue }
        }

        var assignments: [GuardedCommand.Assignment] {
            values.keys.sorted().map { GuardedCommand.Assignment(variable: $0, value: values[$0]!) }
        }
    }

    func command(_ action: Action, _ guardTerm: StepTerm, _ u: Update) -> GuardedCommand {
        GuardedCommand(action: action, guard: guardTerm, updates: u.assignments, notes: u.notes)
    }

    /// A guest-mode step (the VM entry included): every buffer of the core gets the guest's own
    /// regions (no uncached one in a cache).
    func fillGuest(_ t: Int, _ u: inout Update) {
        for b in model.buffers.indices {
            u[space[.buffer(core: model.threads[t].core, buffer: b)]] = .union(buffer(t, b), own(t, within: enterable[b]))
        }
    }

    /// A host-mode step: `fill mapped` buffers get the loaded table, `fill touched` ones the
    /// touched regions (no uncached one in a cache).
    func fillHost(_ t: Int, touched refs: [Model.RegionRef]?, _ u: inout Update) {
        for (b, buf) in model.buffers.enumerated() {
            let i = space[.buffer(core: model.threads[t].core, buffer: b)]
            switch buf.fill {
            case .mapped: u[i] = .union(buffer(t, b), maps(t, within: enterable[b]))
            case .touched: if let refs { u[i] = .union(buffer(t, b), touched(refs, t, within: enterable[b])) }
            }
        }
    }

    func set(_ u: inout Update, _ role: StateVar.Role, _ value: StepTerm) { u[space[role]] = value }
}
