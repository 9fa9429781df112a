import LeakSemantics

/// `leakcheck cost`: what a design costs per VM-exit, path by path through the handlers, and
/// weighted by an exit mix, beside two baselines: kicking and holding the sibling on every
/// exit, and SMT off (docs/COST.md).
///
/// A VM exit runs `on vmexit`, the exit's handler and `on vmentry`, starting in the table that
/// `on vmentry` leaves loaded. Every `either` branch and both sides of every `if` make a path
/// (the flag's value depends on the schedule); a `touch` of a region the loaded table does not
/// map is a fault and runs `on fault` on that path. What a path costs depends only on the
/// handlers: the counts are per statement executed (a kick counts whether or not the sibling is
/// in its guest, so IPIs are an upper bound); the cycles come from a `CostTable`. Wherever
/// interrupts may be on (after `irqs on`, or from VM exit when some path enters the guest with
/// them on), one `irq` handler may start before a statement, another path; NMIs, which may
/// arrive anywhere, are not counted. Paths that do the same are merged.
public struct CostAnalysis: Sendable {
    /// What a path does, counted.
    public struct Counts: Sendable, Hashable {
        public var kicks = 0
        public var holds = 0
        public var switches = 0
        public var faults = 0
        /// Per buffer of the model.
        public var flushes: [Int]
        /// The path ends in a crash (a fault `on fault` cannot resolve).
        public var crashes = false
        public var ipis: Int { kicks + holds }
        public var flushCount: Int { flushes.reduce(0, +) }
        init(buffers: Int) { flushes = Array(repeating: 0, count: buffers) }
    }

    /// One path through the handlers of an exit.
    public struct Path: Sendable {
        /// The choices that make this path: "either branch 2 (line 33)", "if l1d_dirty (line 40)".
        public var choices: [String]
        public var counts: Counts
        public var cycles: Double
    }

    /// An exit's paths.
    public struct ExitCost: Sendable {
        public var exit: Int
        public var paths: [Path]
        /// More paths than `pathLimit`: only the first are shown and weighed.
        public var truncated: Bool
        public var minCycles: Double { paths.map(\.cycles).min() ?? 0 }
        public var maxCycles: Double { paths.map(\.cycles).max() ?? 0 }
        /// Whether every path costs the same: the cost does not depend on the schedule.
        public var scheduleIndependent: Bool { Set(paths.map(\.counts)).count <= 1 }
    }

    /// Expected counts and cycles per VM-exit for one design, as a range over the paths.
    public struct PerExit: Sendable {
        public var name: String
        public var ipis: ClosedRange<Double>
        public var switches: ClosedRange<Double>
        public var flushes: ClosedRange<Double>
        public var faults: ClosedRange<Double>
        public var cycles: ClosedRange<Double>
        /// What the number leaves out ("and the sibling threads' throughput: ...").
        public var note: String?
    }

    public static let pathLimit = 256

    public var model: Model
    public var table: CostTable
    /// The table every exit starts in (nil when `on vmentry` may leave several).
    public var startTable: Int?
    public var exits: [ExitCost]
    public var mix: ExitMix?
    /// One match per mix entry (empty without a mix).
    public var matches: [ExitMix.Match]
    /// The share of each exit of `exits` among the exits the model handles.
    public var shares: [Double]
    /// The fraction of the mix's exits that the model does not handle.
    public var unhandledShare: Double
    /// The model's design, then kick-and-hold on every exit, then SMT off.
    public var designs: [PerExit]

    /// A mix whose reasons the model handles not at all.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(model: Model, table: CostTable = .defaults, mix: ExitMix? = nil, mapping: [String: String] = [:]) throws(Failure) {
        let declared = model.exits.indices.filter { !model.exits[$0].implicit }
        guard !declared.isEmpty else { throw Failure(message: "the model declares no exit: there is nothing to cost per VM-exit") }
        for (reason, target) in mapping.sorted(by: { $0.key < $1.key })
        where !declared.contains(where: { ExitMix.normalized(model.exits[$0].name) == ExitMix.normalized(target) }) {
            throw Failure(message: "--map \(reason)=\(target): the model has no exit '\(target)' (its exits: \(declared.map { model.exits[$0].name }.joined(separator: ", ")))")
        }
        // Where every exit starts: the table on vmentry leaves loaded; a path of on vmentry that
        // switches nothing leaves the first declared table (the initial one) in this reading.
        let ends = FastPathPlan.lastSwitches(model.onVMEntry.statements, model, from: [nil])
        let starts = Array(Set(ends.map { $0 ?? 0 })).sorted()
        var walker = Walker(model: model, table: table)
        var exits = declared.map { walker.exitCost($0, starts: starts, irqsOnAtExit: false) }
        // VM entry and exit leave the interrupt flag as it is: when some path ends with
        // interrupts on, every exit may also start with them on.
        if walker.endedWithIrqsOn {
            exits = declared.map { walker.exitCost($0, starts: starts, irqsOnAtExit: true) }
        }

        var matches: [ExitMix.Match] = []
        var shares = exits.map { _ in 1 / Double(max(1, exits.count)) }
        var unhandledShare = 0.0
        if let mix {
            matches = mix.matches(model, mapping: mapping)
            var counts = Array(repeating: 0.0, count: exits.count)
            var handled = 0.0
            for (e, m) in zip(mix.entries, matches) {
                guard let x = m.exit, let i = exits.firstIndex(where: { $0.exit == x }) else { continue }
                counts[i] += e.count
                handled += e.count
            }
            guard handled > 0 else {
                throw Failure(message: "the model handles none of the exits of the mix (\(mix.entries.map(\.reason).joined(separator: ", "))): name its exits as perf does, or map them with --map REASON=EXIT")
            }
            shares = counts.map { $0 / handled }
            unhandledShare = 1 - handled / mix.total
        }

        func range(_ value: (Path) -> Double) -> ClosedRange<Double> {
            var lo = 0.0, hi = 0.0
            for (e, share) in zip(exits, shares) where share > 0 {
                let values = e.paths.map(value)
                lo += share * (values.min() ?? 0)
                hi += share * (values.max() ?? 0)
            }
            return lo...hi
        }
        let design = PerExit(name: "this model", ipis: range { Double($0.counts.ipis) }, switches: range { Double($0.counts.switches) },
                             flushes: range { Double($0.counts.flushCount) }, faults: range { Double($0.counts.faults) },
                             cycles: range(\.cycles), note: nil)
        // The baselines flush every buffer of the model at VM entry, as the model's own design must.
        let flushAll = model.buffers.reduce(0.0) { $0 + walker.flushCost($1) }
        let buffers = Double(model.buffers.count)
        let hold = table[.vmexit] + table[.ipi] + flushAll
        let holdEvery = PerExit(name: "kick and hold the sibling on every exit", ipis: 1...1, switches: 0...0,
                                flushes: buffers...buffers, faults: 0...0, cycles: hold...hold, note: nil)
        let off = table[.vmexit] + flushAll
        let percent = Int((table.smtGain * 100).rounded())
        let smtOff = PerExit(name: "SMT off", ipis: 0...0, switches: 0...0, flushes: buffers...buffers, faults: 0...0,
                             cycles: off...off,
                             note: "and the sibling threads' throughput: about \(percent)% of each core (assumed: smt_gain \(table.smtGain); \(table.smtGainSource))")

        self.model = model; self.table = table; self.mix = mix
        self.startTable = starts.count == 1 ? starts[0] : nil
        self.exits = exits; self.matches = matches; self.shares = shares; self.unhandledShare = unhandledShare
        self.designs = [design, holdEvery, smtOff]
    }

    // MARK: Paths

    struct State {
        var table: Int
        var counts: Counts
        var choices: [String]
        var ended = false
        var irqOn: Bool
        /// An irq handler ran on this path (at most one is counted per exit).
        var irqTaken = false

        /// What the cost and the rest of the walk depend on: paths alike in it are one.
        var key: [Int] {
            [table, ended ? 1 : 0, irqOn ? 1 : 0, irqTaken ? 1 : 0, counts.kicks, counts.holds, counts.switches,
             counts.faults, counts.crashes ? 1 : 0] + counts.flushes
        }
    }

    /// Where a walk is: in a handler, in `on fault`, or in an interrupt handler (where no irq
    /// starts: interrupts are off there, and irqs do not nest).
    enum Context { case handler, fault, interrupt }

    struct Walker {
        let model: Model
        let table: CostTable
        /// The guest whose copies a per-guest table and region stand for.
        let guest: Int
        var truncated = false
        /// Some path of some exit ended with interrupts on.
        var endedWithIrqsOn = false

        init(model: Model, table: CostTable) {
            self.model = model; self.table = table
            guest = model.threads.first?.guests.first ?? 0
        }

        mutating func exitCost(_ x: Int, starts: [Int], irqsOnAtExit: Bool) -> ExitCost {
            truncated = false
            var states: [State] = []
            for t in starts {
                for on in irqsOnAtExit ? [false, true] : [false] {
                    var choices: [String] = []
                    if starts.count > 1 { choices.append("starts in \(model.tableDecls[t].name)") }
                    if on { choices.append("interrupts on at VM exit") }
                    states.append(State(table: t, counts: Counts(buffers: model.buffers.count), choices: choices, irqOn: on))
                }
            }
            for block in [model.onVMExit, model.exits[x].body, model.onVMEntry] {
                states = walk(block.statements, states, .handler)
            }
            // The last chance for an irq: after on vmentry, before the VM entry.
            states = merge(states + interruptsAt(states, where: "before the VM entry"))
            if states.contains(where: { $0.irqOn && !$0.ended }) { endedWithIrqsOn = true }
            let paths = states.map { Path(choices: $0.choices, counts: $0.counts, cycles: cycles($0.counts)) }
            return ExitCost(exit: x, paths: paths, truncated: truncated)
        }

        func flushCost(_ b: Model.Buffer) -> Double {
            b.name.lowercased().contains("l1d") ? table[.flushL1D] : table[.flushBuffers]
        }

        func cycles(_ c: Counts) -> Double {
            var total = table[.vmexit] + table[.ipi] * Double(c.ipis) + table[.switch] * Double(c.switches) + table[.fault] * Double(c.faults)
            for (b, n) in c.flushes.enumerated() { total += flushCost(model.buffers[b]) * Double(n) }
            return total
        }

        private func mapped(_ ref: Model.RegionRef, in d: Int) -> Bool {
            let decl = model.tableDecls[d]
            let t = decl.perGuest ? decl.copies[guest] : decl.copies[0]
            return model.tables[t].maps.contains(model.region(ref, servingGuest: guest))
        }

        private func line(_ s: Model.Statement) -> String {
            s.span == .none ? "" : "line \(model.file.position(of: s.span.start).line)"
        }

        /// The paths on which an irq handler starts here: one per irq, on each path with
        /// interrupts on and no irq yet. The handler runs with interrupts off and returns to the
        /// flag it interrupted, in the table it leaves loaded.
        mutating func interruptsAt(_ states: [State], where place: String) -> [State] {
            var out: [State] = []
            for st in states where st.irqOn && !st.irqTaken && !st.ended {
                for interrupt in model.interrupts where interrupt.kind == .irq {
                    var c = st
                    c.irqTaken = true
                    c.irqOn = false
                    c.choices.append("irq \(interrupt.name) arrives \(place)")
                    out += walk(interrupt.body.statements, [c], .interrupt).map { var a = $0; a.irqOn = true; return a }
                }
            }
            return out
        }

        /// One state per distinct `key`, the first (its choices name the path shown).
        func merge(_ states: [State]) -> [State] {
            var seen = Set<[Int]>()
            return states.filter { seen.insert($0.key).inserted }
        }

        mutating func walk(_ statements: [Model.Statement], _ start: [State], _ context: Context) -> [State] {
            var states = start
            for s in statements {
                if context == .handler { states = merge(states + interruptsAt(states, where: "before \(line(s))")) }
                var next: [State] = []
                for var st in states {
                    if st.ended { next.append(st); continue }
                    switch s.kind {
                    case .touch(let refs):
                        // One fault for the whole access: on fault runs, then the access is made
                        // again, and a region still unmapped then is a crash (DESIGN.md section 3).
                        guard refs.contains(where: { !mapped($0, in: st.table) }) else { break }
                        st.counts.faults += 1
                        guard context != .fault, let fault = model.onFault else {
                            st.counts.crashes = true; st.ended = true; break
                        }
                        next += walk(fault.statements, [st], .fault).map { after in
                            var a = after
                            if !a.ended, refs.contains(where: { !mapped($0, in: a.table) }) { a.counts.crashes = true; a.ended = true }
                            return a
                        }
                        continue
                    case .switchTable(let ref):
                        st.counts.switches += 1
                        st.table = FastPathPlan.decl(of: ref, model)
                    case .kickSiblings: st.counts.kicks += 1
                    case .holdSiblings: st.counts.holds += 1
                    case .flush(let b): st.counts.flushes[b] += 1
                    case .irqs(let on): st.irqOn = on
                    case .either(let branches):
                        for (k, b) in branches.enumerated() {
                            var c = st
                            c.choices.append("either branch \(k + 1) (\(line(s)))")
                            next += walk(b.statements, [c], context)
                        }
                        continue
                    case .ifFlag(let f, let value, let then, let otherwise):
                        let name = model.flags[f].name
                        var a = st
                        a.choices.append("if \(value ? "" : "not ")\(name) (\(line(s)))")
                        next += walk(then.statements, [a], context)
                        var b = st
                        b.choices.append("if \(value ? "not " : "")\(name) (\(line(s)))")
                        next += otherwise.map { walk($0.statements, [b], context) } ?? [b]
                        continue
                    case .releaseSiblings, .wait, .setFlag, .idle: break
                    }
                    next.append(st)
                }
                next = merge(next)
                if next.count > CostAnalysis.pathLimit {
                    truncated = true
                    next = Array(next.prefix(CostAnalysis.pathLimit))
                }
                states = next
            }
            return states
        }
    }
}
