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
/// in its guest, so IPIs are an upper bound); the cycles come from a `CostTable`. Where an exit
/// turns interrupts on, each `irq` handler may run once there, as another path; NMIs, which may
/// arrive anywhere, are not counted.
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
        let ends = FastPathPlan.lastSwitches(model.onVMEntry.statements, model, from: [0])
        var walker = Walker(model: model, table: table)
        let exits = model.exits.indices.filter { !model.exits[$0].implicit }
            .map { walker.exitCost($0, start: ends.compactMap { $0 }.min() ?? 0) }

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
        self.startTable = ends.count == 1 ? (ends.first ?? nil) : nil
        self.exits = exits; self.matches = matches; self.shares = shares; self.unhandledShare = unhandledShare
        self.designs = [design, holdEvery, smtOff]
    }

    // MARK: Paths

    struct State {
        var table: Int
        var counts: Counts
        var choices: [String]
        var ended = false
    }

    struct Walker {
        let model: Model
        let table: CostTable
        /// The guest whose copies a per-guest table and region stand for.
        let guest: Int
        var truncated = false

        init(model: Model, table: CostTable) {
            self.model = model; self.table = table
            guest = model.threads.first?.guests.first ?? 0
        }

        mutating func exitCost(_ x: Int, start: Int) -> ExitCost {
            truncated = false
            var states = [State(table: start, counts: Counts(buffers: model.buffers.count), choices: [])]
            for block in [model.onVMExit, model.exits[x].body, model.onVMEntry] {
                states = walk(block.statements, states, inFault: false)
            }
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
            s.span == .none ? "" : " (line \(model.file.position(of: s.span.start).line))"
        }

        mutating func walk(_ statements: [Model.Statement], _ start: [State], inFault: Bool) -> [State] {
            var states = start
            for s in statements {
                var next: [State] = []
                for var st in states {
                    if st.ended { next.append(st); continue }
                    switch s.kind {
                    case .touch(let refs):
                        var out = [st]
                        for ref in refs {
                            out = out.flatMap { cur -> [State] in
                                guard !cur.ended, !mapped(ref, in: cur.table) else { return [cur] }
                                var f = cur
                                f.counts.faults += 1
                                guard !inFault, let fault = model.onFault else {
                                    f.counts.crashes = true; f.ended = true; return [f]
                                }
                                return walk(fault.statements, [f], inFault: true).map { after in
                                    var a = after
                                    if !a.ended, !mapped(ref, in: a.table) { a.counts.crashes = true; a.ended = true }
                                    return a
                                }
                            }
                        }
                        next += out
                        continue
                    case .switchTable(let ref):
                        st.counts.switches += 1
                        st.table = FastPathPlan.decl(of: ref, model)
                    case .kickSiblings: st.counts.kicks += 1
                    case .holdSiblings: st.counts.holds += 1
                    case .flush(let b): st.counts.flushes[b] += 1
                    case .either(let branches):
                        for (k, b) in branches.enumerated() {
                            var c = st
                            c.choices.append("either branch \(k + 1)\(line(s))")
                            next += walk(b.statements, [c], inFault: inFault)
                        }
                        continue
                    case .ifFlag(let f, let value, let then, let otherwise):
                        let name = model.flags[f].name
                        var a = st
                        a.choices.append("if \(value ? "" : "not ")\(name)\(line(s))")
                        next += walk(then.statements, [a], inFault: inFault)
                        var b = st
                        b.choices.append("if \(value ? "not " : "")\(name)\(line(s))")
                        next += otherwise.map { walk($0.statements, [b], inFault: inFault) } ?? [b]
                        continue
                    case .irqs(on: true) where !inFault:
                        // Interrupts on: each irq handler may run here (once), or none does. What
                        // an exit enables interrupts for (external_interrupt) is usually one.
                        next.append(st)
                        for interrupt in model.interrupts where interrupt.kind == .irq {
                            var c = st
                            c.choices.append("irq \(interrupt.name) arrives\(line(s))")
                            next += walk(interrupt.body.statements, [c], inFault: false)
                        }
                        continue
                    case .releaseSiblings, .wait, .irqs, .setFlag: break
                    }
                    next.append(st)
                }
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
