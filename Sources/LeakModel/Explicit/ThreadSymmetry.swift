import LeakSemantics

/// Interchangeable threads: siblings the model cannot tell apart, whose states the explicit
/// search may permute.
///
/// Two threads are interchangeable when they are on the same core and have the same guests,
/// the same start table and the same interrupts that may start on them. Nothing else in a
/// model names a thread: statements say `siblings`, the checks ask whether some thread
/// leaks, crashes or whether none can move. So for a permutation π of interchangeable
/// threads (applied to the thread states, to the `holds` bits and to per-thread flag
/// copies), the steps from π(s) are π of the steps from s, and s shows a finding of a check
/// exactly when π(s) does. Storing `normalized(s)`, a π(s), instead of s therefore keeps
/// every finding reachable at the same depth and every proof a proof (docs/SEMANTICS.md,
/// "Interchangeable threads").
///
/// `normalized` sorts each class by the thread states without their `holds` bits, so it is
/// not always the one least member of an orbit: two states of one orbit may both be stored,
/// which costs states but never merges states of different orbits.
public struct ThreadSymmetry: Sendable {
    /// Classes of two or more interchangeable threads, each ascending.
    public let classes: [[Int]]
    private let perThreadFlags: [Int]

    /// The model's interchangeable threads, or nil when no two threads are.
    public init?(_ model: Model) {
        var groups: [[Int]] = []
        for t in model.threads.indices {
            if let k = groups.firstIndex(where: { Self.interchangeable($0[0], t, model) }) {
                groups[k].append(t)
            } else {
                groups.append([t])
            }
        }
        classes = groups.filter { $0.count > 1 }
        guard !classes.isEmpty else { return nil }
        perThreadFlags = model.flags.indices.filter { model.flags[$0].scope == .thread }
    }

    static func interchangeable(_ a: Int, _ b: Int, _ model: Model) -> Bool {
        let x = model.threads[a], y = model.threads[b]
        return x.core == y.core && x.guests == y.guests && x.startTable == y.startTable
            && model.interrupts.indices.allSatisfy { model.interrupt($0, canStartOn: a) == model.interrupt($0, canStartOn: b) }
    }

    /// How many threads the classes hold.
    public var threadCount: Int { classes.reduce(0) { $0 + $1.count } }

    /// `s` with each class sorted (a permutation of interchangeable threads applied to it).
    public func normalized(_ s: SystemState) -> SystemState {
        var order = Array(s.threads.indices)   // order[new] = old
        var moved = false
        for c in classes {
            let sorted = c.sorted { a, b in
                switch compare(a, b, s) {
                case .some(let less): less
                case nil: a < b
                }
            }
            if sorted != c { moved = true }
            for (k, t) in c.enumerated() { order[t] = sorted[k] }
        }
        guard moved else { return s }
        var position = order   // position[old] = new
        for (new, old) in order.enumerated() { position[old] = new }
        var n = s
        for (new, old) in order.enumerated() {
            var t = s.threads[old]
            var holds: UInt64 = 0
            for u in s.threads.indices where t.holds & (1 << UInt64(u)) != 0 { holds |= 1 << UInt64(position[u]) }
            t.holds = holds
            n.threads[new] = t
            for f in perThreadFlags { n.flags[f][new] = s.flags[f][old] }
        }
        return n
    }

    /// Whether thread a goes before thread b (nil: they tie), by every variable of the thread
    /// but `holds` (its bit count only), then its per-thread flags.
    private func compare(_ a: Int, _ b: Int, _ s: SystemState) -> Bool? {
        let x = s.threads[a], y = s.threads[b]
        if x.served != y.served { return x.served < y.served }
        if x.table != y.table { return x.table < y.table }
        if x.base != y.base { return code(x.base) < code(y.base) }
        if x.irq != y.irq { return code(x.irq) < code(y.irq) }
        if x.nmi != y.nmi { return code(x.nmi) < code(y.nmi) }
        if x.exitReason != y.exitReason { return (x.exitReason ?? -1) < (y.exitReason ?? -1) }
        if bits(x) != bits(y) { return bits(x) < bits(y) }
        if x.holds.nonzeroBitCount != y.holds.nonzeroBitCount { return x.holds.nonzeroBitCount < y.holds.nonzeroBitCount }
        for f in perThreadFlags where s.flags[f][a] != s.flags[f][b] { return !s.flags[f][a] }
        return nil
    }

    private func bits(_ x: SystemState.ThreadState) -> Int {
        (x.interruptsOn ? 1 : 0) | (x.nmiSavedInterrupts ? 2 : 0) | (x.kickPending ? 4 : 0) | (x.crashed ? 8 : 0)
    }

    private func code(_ f: SystemState.Frame?) -> Int {
        guard let f else { return -1 }
        let p: Int = switch f.position {
        case .guest: 0
        case .ready: 1
        case .idle: 2
        case .instruction(let q): q + 3
        }
        return (p << 24) | ((f.faultReturn.map { $0 + 1 } ?? 0) << 1) | (f.retry ? 1 : 0)
    }
}
