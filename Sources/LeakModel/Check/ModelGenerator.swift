import LeakSemantics
import LeakSyntax

/// Writes ASI-style models of a chosen size, safe or with one planted flaw, for scaling
/// benchmarks and tests (`leakcheck generate`).
///
/// The safe design follows Models/asi.leak: exits run in a restricted per-guest table that
/// maps only public and guest-owned regions; an access to host data faults, and `on fault`
/// holds the siblings, waits for them to leave the guest and only then loads the kernel
/// table; `on vmentry` switches back, waits for the siblings to leave the kernel table,
/// flushes L1D and only then releases them. Siblings serve the same guest (core scheduling),
/// interrupt handlers touch only what every table maps. Each flaw changes one thing of that
/// design, chosen so that its finding is the shortest one (see `Flaw`).
public struct ModelGenerator: Sendable {
    /// The planted flaw, and the verdict it gives.
    public enum Flaw: String, Sendable, CaseIterable {
        /// The safe design.
        case none
        /// The restricted table also maps host-owned `percpu`: a sibling handling an exit
        /// exposes host data while the guest runs (needs two threads per core).
        case corun
        /// `on vmentry` does not flush L1D: host data the kernel table let in stays there
        /// at VM entry.
        case residue
        /// An NMI handler touches `percpu`, unmapped in the restricted table: the fault path
        /// reaches its wait inside the NMI.
        case crash
        /// `on vmentry` waits for the siblings to leave the kernel table before leaving it
        /// itself: siblings wait for each other (needs two threads per core, and no interrupt
        /// handlers: a waiting thread can still take an interrupt).
        case deadlock

        /// The `expect` verdict of a model with this flaw.
        public var expected: Model.ExpectedVerdict {
            switch self {
            case .none: .safe
            case .corun, .residue: .leak
            case .crash: .crash
            case .deadlock: .deadlock
            }
        }
    }

    /// The size and shape of a generated model.
    public struct Parameters: Hashable, Sendable {
        public var cores = 1
        public var threadsPerCore = 2
        public var guests = 1
        public var exits = 3
        /// Concrete regions: a `per guest` region counts once per guest.
        public var regions = 5
        public var interrupts = 0
        public var flaw = Flaw.none
        public var seed: UInt64 = 1
        public var bound = 20
        public init() {}
    }

    /// Allowed ranges of the parameters.
    public static let coreRange = 1...4
    public static let threadsPerCoreRange = 1...2
    public static let guestRange = 1...4
    public static let exitRange = 1...64
    public static let regionRange = 1...64
    public static let interruptRange = 0...8
    public static let boundRange = Model.Bound.validRange

    /// Parameters outside the ranges, or a combination the design cannot express.
    public struct InvalidParameters: Error, CustomStringConvertible {
        public var description: String
    }

    public let parameters: Parameters

    /// Checks the parameters; the error message names the option and what is allowed.
    public init(_ parameters: Parameters) throws {
        let p = parameters
        func within(_ value: Int, _ range: ClosedRange<Int>, _ option: String) throws {
            guard range.contains(value) else {
                throw InvalidParameters(description: "--\(option) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
            }
        }
        try within(p.cores, Self.coreRange, "cores")
        try within(p.threadsPerCore, Self.threadsPerCoreRange, "threads-per-core")
        try within(p.guests, Self.guestRange, "guests")
        try within(p.exits, Self.exitRange, "exits")
        try within(p.regions, Self.regionRange, "regions")
        try within(p.interrupts, Self.interruptRange, "interrupts")
        try within(p.bound, Self.boundRange, "bound")
        if p.regions < p.guests {
            throw InvalidParameters(description:
                "--regions must be at least --guests (\(p.guests)): vcpu_state has one copy per guest")
        }
        if p.threadsPerCore == 2, p.guests > p.cores {
            // Siblings serving different guests leak to each other whatever the protocol
            // (Models/two-guests.leak): the design needs core scheduling, one guest per core.
            throw InvalidParameters(description:
                "with --threads-per-core 2, --guests (\(p.guests)) must be at most --cores (\(p.cores)): siblings serving different guests always leak to each other")
        }
        if p.threadsPerCore == 1, p.flaw == .corun || p.flaw == .deadlock {
            throw InvalidParameters(description: "--flaw \(p.flaw.rawValue) needs --threads-per-core 2 (it is between siblings)")
        }
        if p.flaw == .deadlock, p.interrupts > 0 {
            // A thread stuck in a wait can still take an NMI: the threads are then never all
            // unable to move, and the semantics has no deadlock (it would be vacuous instead).
            throw InvalidParameters(description: "--flaw deadlock needs --interrupts 0: a waiting thread can still take an interrupt, so nothing deadlocks")
        }
        if p.flaw == .corun || p.flaw == .residue || p.flaw == .crash, p.regions < p.guests + 1 {
            throw InvalidParameters(description:
                "--flaw \(p.flaw.rawValue) needs host data: --regions must be at least --guests + 1 (\(p.guests + 1))")
        }
        self.parameters = parameters
    }

    /// What one region declaration is.
    private enum RegionKind { case host, `public`, perGuest }

    /// The command line that generates this model.
    public var commandLine: String {
        let p = parameters
        return "leakcheck generate --cores \(p.cores) --threads-per-core \(p.threadsPerCore) --guests \(p.guests)"
            + " --exits \(p.exits) --regions \(p.regions) --interrupts \(p.interrupts) --flaw \(p.flaw.rawValue)"
            + " --seed \(p.seed) --bound \(p.bound)"
    }

    /// The model's source text.
    public func source() -> String {
        let p = parameters
        var rng = RandomModel.Generator(state: p.seed)
        var out: [String] = []
        func line(_ s: String = "") { out.append(s) }

        // Regions, in order of need: vcpu_state (one copy per guest), then host data (the
        // fault path needs some), public text, percpu, then extras of every kind.
        var decls: [(name: String, kind: RegionKind)] = [("vcpu_state", .perGuest)]
        var left = p.regions - p.guests
        for (name, kind) in [("host_heap", RegionKind.host), ("kvm_text", .public), ("percpu", .host)] where left > 0 {
            decls.append((name, kind)); left -= 1
        }
        var extra = 0
        while left > 0 {
            let kinds: [RegionKind] = left >= p.guests ? [.host, .public, .perGuest] : [.host, .public]
            let kind = rng.pick(kinds)
            switch kind {
            case .host: decls.append(("host\(extra)", .host)); left -= 1
            case .public: decls.append(("text\(extra)", .public)); left -= 1
            case .perGuest: decls.append(("state\(extra)", .perGuest)); left -= p.guests
            }
            extra += 1
        }
        let hostRegions = decls.filter { $0.kind == .host }.map(\.name)
        let restrictedRegions = decls.filter { $0.kind != .host }.map(\.name)
        // What the flaws use: percpu, or the only host region there is.
        let percpu = hostRegions.contains("percpu") ? "percpu" : hostRegions.first

        let threadCount = p.cores * p.threadsPerCore
        line("# Generated by `\(commandLine)`.")
        line("# An ASI-style design (like Models/asi.leak): \(p.cores) core(s) x \(p.threadsPerCore) thread(s) = \(threadCount) thread(s),")
        line("# \(p.guests) guest(s), \(p.exits) exit(s), \(p.regions) concrete region(s), \(p.interrupts) interrupt handler(s).")
        line("# Exits run in a restricted per-guest table; host data faults into `on fault`, which holds")
        line("# the siblings and waits for them to leave the guest before loading the kernel table;")
        line("# `on vmentry` switches back, waits for the siblings to leave the kernel table, flushes L1D")
        line("# and only then releases them. Siblings serve the same guest (core scheduling).")
        switch p.flaw {
        case .none: line("# Flaw: none. Expected: safe.")
        case .corun: line("# Flaw: the restricted table maps host-owned \(percpu!). Expected: leak (corun).")
        case .residue: line("# Flaw: `on vmentry` does not flush l1d. Expected: leak (residue l1d).")
        case .crash: line("# Flaw: an NMI handler touches \(percpu!), unmapped in the restricted table. Expected: crash.")
        case .deadlock: line("# Flaw: `on vmentry` waits for the siblings to leave kernel before leaving it. Expected: deadlock.")
        }
        line()
        line("model \"generated: \(p.cores)x\(p.threadsPerCore) threads, \(p.guests) guest(s), \(p.exits) exits, \(p.regions) regions, flaw \(p.flaw.rawValue), seed \(p.seed)\"")
        line()
        var threadNames: [[String]] = []
        for c in 0..<p.cores {
            let names = (0..<p.threadsPerCore).map { "t\(c)_\($0)" }
            threadNames.append(names)
            line("core c\(c) { \(names.joined(separator: " ")) }")
        }
        line()
        line("host host")
        let guests = (1...p.guests).map { "vm\($0)" }
        for g in guests { line("guest \(g)") }
        line()
        for d in decls {
            switch d.kind {
            case .host: line("region \(d.name) owner host")
            case .public: line("region \(d.name) public")
            case .perGuest: line("region \(d.name) per guest")
            }
        }
        line()
        var restrictedMaps = restrictedRegions
        if p.flaw == .corun { restrictedMaps.append(percpu!) }
        line("table kernel      maps all")
        line("table restricted  per guest maps \(restrictedMaps.joined(separator: ", "))")
        line()
        line("buffer l1d fill mapped")
        line()
        // Guest g runs on core g mod cores: siblings always serve the same guest.
        for c in 0..<p.cores {
            let placed = guests.indices.filter { $0 % p.cores == c }.map { guests[$0] }
            let served = placed.isEmpty ? [guests[c % p.guests]] : placed
            line("run \(served.joined(separator: ", ")) on \(threadNames[c].joined(separator: ", "))")
        }
        line()
        line("on vmexit  { }")
        line("on fault   { hold siblings; wait until siblings out of guest; switch kernel }")
        switch p.flaw {
        case .residue:
            line("on vmentry { switch restricted; wait until siblings not in kernel; release siblings }")
        case .deadlock:
            line("on vmentry { wait until siblings not in kernel; switch restricted; flush l1d; release siblings }")
        default:
            line("on vmentry { switch restricted; wait until siblings not in kernel; flush l1d; release siblings }")
        }
        line()

        // Exits: every region is touched by some exit (an unused region is a warning). Host
        // regions are touched on one branch of an `either`, so each such exit has a fast path
        // in the restricted table and a slow path through `on fault`.
        let irqs = (0..<p.interrupts).filter { $0 % 2 == 1 }.count
        var handlers: [[String]] = Array(repeating: [], count: p.exits)
        var cover = decls.map(\.name)
        if p.exits > 0 {
            // The first exits are the ones of Models/asi.leak.
            handlers[0].append("touch vcpu_state"); cover.removeAll { $0 == "vcpu_state" }
            if p.exits > 1, let h = hostRegions.first {
                handlers[1].append("either { touch vcpu_state } or { touch \(h) }"); cover.removeAll { $0 == h }
            }
        }
        let hlt = irqs > 0 ? min(2, p.exits - 1) : nil
        var x = p.exits > 2 ? 2 : 0
        for name in cover {
            let fast = rng.pick(restrictedRegions)
            if hostRegions.contains(name) {
                handlers[x].append("either { touch \(fast) } or { touch \(name) }")
            } else {
                handlers[x].append("touch \(name)")
            }
            x = (x + 1) % p.exits
        }
        for i in handlers.indices where handlers[i].isEmpty {
            if rng.chance(50) || hostRegions.isEmpty {
                handlers[i].append("touch \(rng.pick(restrictedRegions))")
            } else {
                handlers[i].append("either { touch \(rng.pick(restrictedRegions)) } or { touch \(rng.pick(hostRegions)) }")
            }
        }
        if let hlt { handlers[hlt].append("irqs on; irqs off") }
        for (i, body) in handlers.enumerated() {
            line("exit x\(i) { \(body.joined(separator: "; ")) }")
        }
        line()

        // Interrupts touch only what every table maps (a fault inside one would leave the
        // kernel table loaded past the entry protocol's checks). Alternately nmi and irq.
        let safeTouch = restrictedRegions.contains("kvm_text") ? "kvm_text" : "vcpu_state"
        for i in 0..<p.interrupts {
            if i % 2 == 0 {
                line("interrupt nmi nmi\(i) { touch \(safeTouch) }")
            } else {
                line("interrupt irq irq\(i) { touch \(rng.pick(restrictedRegions)) }")
            }
        }
        if p.flaw == .crash { line("interrupt nmi nmi_percpu { touch \(percpu!) }") }
        if p.interrupts > 0 || p.flaw == .crash { line() }

        line("check corun")
        line("check residue l1d")
        line("check crash")
        line("check deadlock")
        line("bound \(p.bound)")
        line("expect \(p.flaw.expected.rawValue)")
        return out.joined(separator: "\n") + "\n"
    }
}
