import LeakExplicit
import LeakSemantics
import LeakTrace

/// A model with the surplus guests of each symmetric class left out (`GuestSymmetry`), and
/// the way back: a schedule of the reduced model is one of the original (the kept guests keep
/// their names), rebuilt step by step in the original's states.
///
/// Soundness (docs/SEMANTICS.md, "Symmetric guests"): the reduced model has a finding of
/// check C in L steps exactly when the original has one, so the verdict, the deciding check
/// and the shortest length are those of the original.
public struct SymmetryReduction: Sendable {
    public let original: Model
    /// The model with only the kept guests (and their copies of per-guest regions and tables).
    public let reduced: Model
    public let symmetry: GuestSymmetry
    /// Index maps from the reduced model to the original.
    public let guestMap: [Int], regionMap: [Int], tableMap: [Int]

    /// The reduction of `model`, or nil when no class has more guests than it needs.
    public init?(_ model: Model) {
        // The argument of docs/SEMANTICS.md is about states with findings; it is not made for
        // fair loops, so a model with `check progress` is checked with every guest.
        guard !model.checks.contains(.progress) else { return nil }
        // Nor for core scheduling, where which guest a sibling serves decides who may run.
        guard !model.schedCore else { return nil }
        let symmetry = GuestSymmetry(model: model)
        guard symmetry.reduces else { return nil }
        self.init(model, symmetry: symmetry)
    }

    init(_ model: Model, symmetry: GuestSymmetry) {
        original = model
        self.symmetry = symmetry
        var dropped = Set<Int>()
        for c in symmetry.classes { dropped.formUnion(c.guests.dropFirst(c.needed)) }
        let guestMap = model.guests.indices.filter { !dropped.contains($0) }
        var guestNew = [Int?](repeating: nil, count: model.guests.count)
        for (n, g) in guestMap.enumerated() { guestNew[g] = n }
        func keptOwner(_ o: Model.Owner) -> Bool {
            if case .guest(let g) = o { return guestNew[g] != nil }
            return true
        }
        let regionMap = model.regions.indices.filter { keptOwner(model.regions[$0].owner) }
        var regionNew = [Int?](repeating: nil, count: model.regions.count)
        for (n, r) in regionMap.enumerated() { regionNew[r] = n }
        let owners = GuestSymmetry.copyOwners(model)
        let tableMap = model.tables.indices.filter { owners.tables[$0].map { guestNew[$0] != nil } ?? true }
        var tableNew = [Int?](repeating: nil, count: model.tables.count)
        for (n, t) in tableMap.enumerated() { tableNew[t] = n }

        var m = model
        m.guests = guestMap.map { model.guests[$0] }
        m.regions = regionMap.map { r in
            var region = model.regions[r]
            if case .guest(let g) = region.owner { region.owner = .guest(guestNew[g]!) }
            return region
        }
        m.regionDecls = model.regionDecls.map { d in
            var n = d
            n.copies = d.perGuest ? guestMap.map { regionNew[d.copies[$0]]! } : d.copies.map { regionNew[$0]! }
            return n
        }
        m.tables = tableMap.map { t in
            var table = model.tables[t]
            table.maps = RegionSet(count: regionMap.count, table.maps.compactMap { regionNew[$0] })
            return table
        }
        m.tableDecls = model.tableDecls.map { d in
            var n = d
            n.copies = d.perGuest ? guestMap.map { tableNew[d.copies[$0]]! } : d.copies.map { tableNew[$0]! }
            return n
        }
        m.threads = model.threads.map { t in
            var n = t
            n.guests = t.guests.compactMap { guestNew[$0] }
            return n
        }
        // Statements name plain regions and tables only (`GuestSymmetry` checks it): renumber.
        func block(_ b: Model.Block) -> Model.Block {
            var n = b
            n.statements = b.statements.map { s in
                var t = s
                switch s.kind {
                case .touch(let refs):
                    t.kind = .touch(refs.map { ref in
                        if case .region(let r) = ref { return .region(regionNew[r]!) }
                        return ref
                    })
                case .switchTable(.table(let x)): t.kind = .switchTable(.table(tableNew[x]!))
                default: t.kind = s.kind.mappingBranches(block)
                }
                return t
            }
            return n
        }
        m.onVMExit = block(model.onVMExit)
        m.onVMEntry = block(model.onVMEntry)
        m.onFault = model.onFault.map(block)
        m.exits = model.exits.map { var x = $0; x.body = block($0.body); return x }
        m.interrupts = model.interrupts.map { var i = $0; i.body = block($0.body); return i }
        reduced = m
        self.guestMap = guestMap
        self.regionMap = regionMap
        self.tableMap = tableMap
    }

    /// One line for the report: "1000 interchangeable guests (g0 ... g999 on t0 t1) checked as 5".
    public var summary: String {
        symmetry.classes.filter { $0.guests.count > $0.needed }.map { c in
            let names = c.guests.map { original.guests[$0].name }
            let shown = names.count > 3 ? "\(names[0]) ... \(names[names.count - 1])" : names.joined(separator: " ")
            let on = c.threads.isEmpty ? "placed on no thread" : "on " + c.threads.map { original.threads[$0].name }.joined(separator: " ")
            return "\(c.guests.count) interchangeable guests (\(shown) \(on)) checked as \(c.needed)"
        }.joined(separator: "; ")
    }

    /// A state of the reduced model in the original's terms, buffers left empty (they are
    /// rebuilt by `lift`).
    func threads(_ s: SystemState) -> [SystemState.ThreadState] {
        s.threads.map { t in
            var n = t
            n.served = t.served == reduced.noGuest ? original.noGuest : guestMap[t.served]
            n.table = tableMap[t.table]
            return n
        }
    }

    /// A finding of the reduced model in the original's terms.
    func finding(_ f: Finding) -> Finding {
        switch f {
        case .corun(let t, let g, let u, let r): .corun(thread: t, guest: guestMap[g], sibling: u, region: regionMap[r])
        case .residue(let t, let g, let b, let r): .residue(thread: t, guest: guestMap[g], buffer: b, region: regionMap[r])
        case .crash(let t, let reason):
            switch reason {
            case .noFaultHandler(let q, let r): .crash(thread: t, reason: .noFaultHandler(instruction: q, region: regionMap[r]))
            case .faultInFaultHandler(let q, let r): .crash(thread: t, reason: .faultInFaultHandler(instruction: q, region: regionMap[r]))
            case .stillUnmapped(let q, let r): .crash(thread: t, reason: .stillUnmapped(instruction: q, region: regionMap[r]))
            case .waitInNMI: f
            }
        case .deadlock, .starvation: f
        }
    }

    /// The same schedule in the original model: the same actions, the kept guests' indices,
    /// and the original's buffers (which also hold the left-out guests' copies that a table
    /// mapping every copy lets in). Every step is taken through the original's interpreter.
    public func lift(_ trace: Trace) throws -> Trace {
        let interpreter = Interpreter(model: original)
        var state = SystemState(threads: threads(trace.initial),
                                buffers: original.cores.map { _ in original.buffers.map { _ in RegionSet(count: original.regions.count) } },
                                flags: trace.initial.flags)
        let initial = state
        var steps: [Trace.Step] = []
        for (k, step) in trace.steps.enumerated() {
            let want = threads(step.state)
            // A scheduling step names a guest: the reduced model's index, the original's here.
            var action = step.action
            if case .schedule(let t, let g) = action { action = .schedule(thread: t, guest: guestMap[g]) }
            guard let next = interpreter.moves(of: action.thread, in: state)
                .first(where: { $0.0 == action && $0.1.threads == want })?.1 else {
                throw Replay.Failure(step: k + 1, reason: "the schedule of the reduced model (symmetric guests left out) is no schedule of the model")
            }
            steps.append(.init(action: action, state: next))
            state = next
        }
        let lifted = Trace(initial: initial, steps: steps, finding: finding(trace.finding), loopStart: trace.loopStart)
        _ = try Replay(interpreter: interpreter).validate(lifted)
        return lifted
    }
}
