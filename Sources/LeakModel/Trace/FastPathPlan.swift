import LeakSemantics
import LeakSyntax

/// How `leakcheck fastpath` reads a model's design: the restricted table, the slow path, and
/// what a restricted table must map for a chosen set of exits to run on the fast path.
///
/// The design is derived, not declared (docs/FASTPATH.md): the *restricted table* is the table
/// that `on vmentry` leaves loaded on every path (so every exit starts in it), and the *slow
/// path* is the body of `on fault` (the kick or hold, the wait and the switch that a fault in
/// the restricted table runs). An exit on the **fast path** runs its handler as written in the
/// restricted table, which then maps everything the handler touches; an exit on the **slow
/// path** runs the slow path first and then its handler. `variant(fast:)` is the model where
/// exactly the exits of a set are fast and the restricted table maps exactly what runs in it
/// needs (`needs(fast:)`): the tightest `kvm_mm` that set allows.
public struct FastPathPlan: Sendable {
    public var model: Model
    /// The restricted table's declaration (index into `model.tableDecls`).
    public var restricted: Int
    /// The table declaration the slow path switches to on every path, if one.
    public var fullTable: Int?
    /// The slow path: the statements of `on fault`.
    public var slowPath: [Model.Statement]
    /// The exits that may be fast or slow: every declared exit (not the implicit `kick`) but
    /// those in `leaveOnTheirOwn`, in source order.
    public var exits: [Int]
    /// Exits whose handler kicks, holds or switches to another table itself on some path: they
    /// are never fast (DESIGN's fast path has no kick and no switch) and run as written in
    /// every variant.
    public var leaveOnTheirOwn: [Int]

    /// Why a model has no fast/slow design to analyse.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var span: SourceSpan
        public var description: String { message }
    }

    /// A region the restricted table must map, and what runs there and touches it.
    public struct Need: Hashable, Sendable {
        /// The region as handlers name it (a per-guest one: the copy of the guest served).
        public var region: Model.RegionRef
        /// "exit cpuid", "on vmexit", "slow path of exit ept", "nmi perf", "irq timer (during exit hlt)".
        public var neededBy: [String]
    }

    public init(model: Model) throws(Failure) {
        self.model = model
        guard let fault = model.onFault, !fault.statements.isEmpty else {
            throw Failure(message: "fastpath needs an 'on fault' block: its statements are the slow path (the kick or hold and the switch to the full table)",
                          span: model.onVMEntry.span)
        }
        let entryTables = Self.lastSwitches(model.onVMEntry.statements, model, from: [nil])
        guard entryTables.count == 1, let only = entryTables.first, let table = only else {
            throw Failure(message: "fastpath needs 'on vmentry' to switch to one restricted table on every path (e.g. 'switch restricted'); here it \(entryTables.contains(nil) ? "does not switch on every path" : "may leave different tables loaded")",
                          span: model.onVMEntry.span)
        }
        if model.listedRegions(tableDecl: table) == nil {
            throw Failure(message: "table '\(model.tableDecls[table].name)', which on vmentry loads, maps all: there is no restricted table to run exits in",
                          span: model.tableDecls[table].span)
        }
        for interrupt in model.interrupts where Self.switches(interrupt.body.statements, to: table, model) {
            throw Failure(message: "\(interrupt.kind.rawValue) '\(interrupt.name)' switches to the restricted table '\(model.tableDecls[table].name)': fastpath cannot tell what the code it interrupted runs in",
                          span: interrupt.span)
        }
        if Self.leaves(model.onVMExit.statements, table, model) {
            throw Failure(message: "'on vmexit' kicks, holds or switches away from the restricted table '\(model.tableDecls[table].name)': no exit runs in it, so none can be fast",
                          span: model.onVMExit.span)
        }
        restricted = table
        let faultTables = Self.lastSwitches(fault.statements, model, from: [nil])
        fullTable = faultTables.count == 1 ? faultTables.first ?? nil : nil
        slowPath = fault.statements
        let declared = model.exits.indices.filter { !model.exits[$0].implicit }
        let own = declared.filter { Self.leaves(model.exits[$0].body.statements, table, model) }
        leaveOnTheirOwn = own
        exits = declared.filter { !own.contains($0) }
    }

    /// Whether a block kicks, holds, or switches to a table other than `restricted`, on some path.
    static func leaves(_ statements: [Model.Statement], _ restricted: Int, _ model: Model) -> Bool {
        statements.contains { s in
            switch s.kind {
            case .kickSiblings, .holdSiblings: return true
            case .switchTable(let ref): return decl(of: ref, model) != restricted
            default: return s.kind.branches.contains { leaves($0.statements, restricted, model) }
            }
        }
    }

    // MARK: The model with a set of fast exits

    /// The model where exactly the exits of `fast` run on the fast path, with the restricted
    /// table mapping exactly `needs` (`needs(fast:)`, computed once by the caller).
    public func variant(fast: Set<Int>, needs: [Need]? = nil) -> Model {
        var m = model
        for x in exits where !fast.contains(x) {
            m.exits[x].body.statements = slowPath + m.exits[x].body.statements
        }
        let needs = needs ?? self.needs(fast: fast)
        for (g, t) in m.tableDecls[restricted].copies.enumerated() {
            var maps = RegionSet(count: m.regions.count)
            for need in needs {
                switch need.region {
                case .region(let r): maps.insert(r)
                case .perGuest(let d):
                    // A per-guest table maps the copy of its guest; a plain one, every copy.
                    if m.tableDecls[restricted].perGuest { maps.insert(m.regionDecls[d].copies[g]) }
                    else { for c in m.regionDecls[d].copies { maps.insert(c) } }
                }
            }
            m.tables[t].maps = maps
        }
        return m
    }

    /// What the restricted table must map when the exits of `fast` are fast: every region that
    /// code may touch while the restricted table is loaded. That code is `on vmexit`, the fast
    /// handlers, the slow path up to its switch, `on vmentry` after its switch, every `nmi`
    /// handler (an NMI may arrive at any host-mode step) and every `irq` handler that may start
    /// while interrupts are on in the restricted table. An over-approximation: both branches of
    /// every `either` and `if`, and the interrupt flag on every path (docs/FASTPATH.md).
    public func needs(fast: Set<Int>) -> [Need] {
        var walker = Walker(model: model, restricted: restricted)
        // The first VM entry: from each thread's start table, interrupts off.
        let first = Set(model.threads.indices.map { State(inR: model.startTableDecl(thread: $0) == restricted, irqOn: false) })
        var entryEnd = walker.walk(model.onVMEntry.statements, from: first, by: "on vmentry")
        var starts = entryEnd
        while true {
            let afterExit = walker.walk(model.onVMExit.statements, from: starts, by: "on vmexit")
            var afterHandlers = Set<State>()
            for (x, exit) in model.exits.enumerated() {
                let name = "exit \(exit.name)"
                if exit.implicit || fast.contains(x) || leaveOnTheirOwn.contains(x) {
                    afterHandlers.formUnion(walker.walk(exit.body.statements, from: afterExit, by: name))
                } else {
                    let slow = walker.walk(slowPath, from: afterExit, by: "slow path of \(name)")
                    afterHandlers.formUnion(walker.walk(exit.body.statements, from: slow, by: name))
                }
            }
            entryEnd = walker.walk(model.onVMEntry.statements, from: afterHandlers, by: "on vmentry")
            let next = starts.union(entryEnd)
            if next == starts { break }
            starts = next
        }
        for (i, interrupt) in model.interrupts.enumerated() {
            let users = interrupt.kind == .nmi ? (walker.inRestricted ? ["any host-mode step"] : []) : walker.irqUsers
            guard !users.isEmpty else { continue }
            let who = interrupt.kind == .nmi ? "\(interrupt.kind.rawValue) \(interrupt.name)"
                : "\(interrupt.kind.rawValue) \(interrupt.name) (during \(users.joined(separator: ", ")))"
            _ = walker.walk(model.interrupts[i].body.statements, from: [State(inR: true, irqOn: false)], by: who, isInterrupt: true)
        }
        return walker.needs
    }

    /// Whether a region is secret to some guest that may run on the model, in words: "host",
    /// "vm1, vm2", or "" when it is secret to none.
    public func secretTo(_ ref: Model.RegionRef) -> [String] {
        switch ref {
        case .region(let r):
            return model.guests.indices.filter { model.secret(to: $0).contains(r) }.map { model.guests[$0].name }
        case .perGuest:
            // The copy a thread maps is its own guest's; it is secret to every other guest.
            return model.guests.count > 1 ? ["the other guests"] : []
        }
    }

    /// A region as a handler names it.
    public func name(of ref: Model.RegionRef) -> String {
        switch ref {
        case .region(let r): model.regions[r].name
        case .perGuest(let d): model.regionDecls[d].name
        }
    }

    /// The regions the restricted table lists as written, as handlers name them.
    public var declaredContents: [Model.RegionRef] {
        (model.listedRegions(tableDecl: restricted) ?? []).map { d in
            model.regionDecls[d].perGuest ? .perGuest(decl: d) : .region(model.regionDecls[d].copies[0])
        }
    }

    // MARK: The walk

    /// What the walk knows at a point of a handler: whether the restricted table may be
    /// loaded, and whether interrupts may be on.
    struct State: Hashable { var inR: Bool; var irqOn: Bool }

    struct Walker {
        let model: Model
        let restricted: Int
        var needs: [Need] = []
        /// Whether some host-mode step runs in the restricted table (an NMI may arrive then).
        var inRestricted = false
        /// Code during which an irq may start in the restricted table.
        var irqUsers: [String] = []

        init(model: Model, restricted: Int) { self.model = model; self.restricted = restricted }

        mutating func walk(_ statements: [Model.Statement], from start: Set<State>, by who: String, isInterrupt: Bool = false) -> Set<State> {
            var states = start
            for s in statements {
                if !isInterrupt { noteInterrupts(states, during: who) }
                switch s.kind {
                case .touch(let refs):
                    if states.contains(where: \.inR) { for ref in refs { need(ref, by: who) } }
                case .switchTable(let ref):
                    let inR = FastPathPlan.decl(of: ref, model) == restricted
                    states = Set(states.map { State(inR: inR, irqOn: $0.irqOn) })
                case .irqs(let on):
                    states = Set(states.map { State(inR: $0.inR, irqOn: on) })
                case .either(let branches):
                    states = branches.reduce(into: Set<State>()) { $0.formUnion(walk($1.statements, from: states, by: who, isInterrupt: isInterrupt)) }
                case .ifFlag(_, _, let then, let otherwise):
                    let a = walk(then.statements, from: states, by: who, isInterrupt: isInterrupt)
                    states = a.union(otherwise.map { walk($0.statements, from: states, by: who, isInterrupt: isInterrupt) } ?? states)
                default: break
                }
            }
            if !isInterrupt { noteInterrupts(states, during: who) }
            return states
        }

        private mutating func noteInterrupts(_ states: Set<State>, during who: String) {
            if states.contains(where: \.inR) { inRestricted = true }
            if states.contains(where: { $0.inR && $0.irqOn }), !irqUsers.contains(who) { irqUsers.append(who) }
        }

        private mutating func need(_ ref: Model.RegionRef, by who: String) {
            if let i = needs.firstIndex(where: { $0.region == ref }) {
                if !needs[i].neededBy.contains(who) { needs[i].neededBy.append(who) }
            } else {
                needs.append(Need(region: ref, neededBy: [who]))
            }
        }
    }

    static func decl(of ref: Model.TableRef, _ model: Model) -> Int {
        switch ref {
        case .table(let t): model.tables[t].decl
        case .perGuest(let d): d
        }
    }

    /// The table declarations a block may leave loaded by its last `switch` on each path (nil:
    /// a path with no switch).
    static func lastSwitches(_ statements: [Model.Statement], _ model: Model, from start: Set<Int?>) -> Set<Int?> {
        var current = start
        for s in statements {
            switch s.kind {
            case .switchTable(let ref): current = [decl(of: ref, model)]
            case .either(let branches):
                current = branches.reduce(into: Set<Int?>()) { $0.formUnion(lastSwitches($1.statements, model, from: current)) }
            case .ifFlag(_, _, let then, let otherwise):
                current = lastSwitches(then.statements, model, from: current)
                    .union(otherwise.map { lastSwitches($0.statements, model, from: current) } ?? current)
            default: break
            }
        }
        return current
    }

    /// Whether a block switches to table declaration `d` anywhere.
    static func switches(_ statements: [Model.Statement], to d: Int, _ model: Model) -> Bool {
        statements.contains { s in
            if case .switchTable(let ref) = s.kind, decl(of: ref, model) == d { return true }
            return s.kind.branches.contains { switches($0.statements, to: d, model) }
        }
    }
}
