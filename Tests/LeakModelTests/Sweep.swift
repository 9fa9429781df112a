import Foundation
import Testing
@testable import LeakModel

/// How much of the random sweeps a run covers (docs/TESTING.md, "Default run and nightly run").
///
/// The default run (`script/test`, CI) checks a *stratified* sample of each sweep's seeds:
/// every shape the generator can produce (see `strata`) is covered by some seeds, the smallest
/// seeds first, so the sample is the same on every run. `LEAKCHECK_NIGHTLY=1` (set by
/// `script/nightly`) runs every seed of every sweep. A per-sweep variable (e.g.
/// `LEAKCHECK_DIFF_COUNT=N`) runs seeds 1...N of that sweep, whatever the mode.
enum Sweep {
    static let environment = ProcessInfo.processInfo.environment

    /// Whether this is the nightly run (every seed of every sweep).
    static let nightly: Bool = {
        guard let value = environment["LEAKCHECK_NIGHTLY"] else { return false }
        return !value.isEmpty && value != "0"
    }()


    /// The seeds of `candidates`, in order, each taken when one of its strata has fewer than
    /// `perStratum` seeds so far: the smallest sample in which every stratum that occurs among
    /// the candidates has `perStratum` seeds (or all it has), found greedily.
    static func sample(_ candidates: [UInt64], perStratum: Int, strata: (UInt64) -> Set<String>) -> [UInt64] {
        var counts: [String: Int] = [:]
        var chosen: [UInt64] = []
        for seed in candidates {
            let s = strata(seed)
            if s.contains(where: { counts[$0, default: 0] < perStratum }) {
                chosen.append(seed)
                for k in s { counts[k, default: 0] += 1 }
            }
        }
        return chosen
    }

    /// The shape of a random model (`RandomModel`), as strata: one value of each category
    /// (seed class, cores and threads, interrupts) and every optional feature it has. The seed
    /// classes are the ones `RandomModel` decides by the seed alone: `seed % 4 == 3` declares a
    /// guest placed on no thread, odd seeds write interrupts name first.
    static func strata(of source: String, seed: UInt64) -> Set<String> {
        let lines = source.split(separator: "\n").map(String.init)
        var s: Set<String> = ["seed%4=\(seed % 4)"]
        let cores = lines.filter { $0.hasPrefix("core ") }
        let threads = cores.map { line in line.split(separator: " ").count - 4 }  // core cN { ... }
        s.insert("threads=" + threads.map(String.init).joined(separator: "+"))
        let interrupts = lines.filter { $0.hasPrefix("interrupt ") }
        let kinds = ["nmi", "irq"].filter { k in interrupts.contains { $0.contains(" \(k) ") || $0.contains(" \(k)0 ") } }
        s.insert("interrupts=" + (kinds.isEmpty ? "none" : kinds.joined(separator: "+")))
        // Pairs where the seed class meets the shape: the unplaced guest on one and on two
        // cores, and interrupts written name first (odd seeds) or kind first (even seeds).
        s.insert("seed%4=\(seed % 4), \(cores.count) cores")
        if !kinds.isEmpty { s.insert("interrupts, \(seed % 2 == 1 ? "odd" : "even") seed") }
        let features: [(String, (String) -> Bool)] = [
            ("far guest", { $0 == "guest far" }),
            ("two guests", { $0 == "guest vm2" }),
            ("region mem1", { $0.hasPrefix("region mem1") }),
            ("table small", { $0.hasPrefix("table small") }),
            ("buffer fb", { $0.hasPrefix("buffer fb") }),
            ("on fault", { $0.hasPrefix("on fault") }),
            ("exit kick", { $0.hasPrefix("exit kick") }),
            ("two exits", { $0.hasPrefix("exit x1") }),
            ("either", { $0.contains("either {") }),
            ("kick siblings", { $0.contains("kick siblings") }),
            ("hold siblings", { $0.contains("hold siblings") }),
            ("release siblings", { $0.contains("release siblings") }),
            ("wait out of guest", { $0.contains("wait until siblings out of guest") }),
            ("wait on a table", { $0.contains("wait until siblings in ") || $0.contains("wait until siblings not in ") }),
            ("flush", { $0.contains("flush ") }),
            ("irqs off", { $0.contains("irqs off") }),
            ("flag per thread", { $0.hasPrefix("flag f0 per thread") }),
            ("flag per core", { $0.hasPrefix("flag f1 per core") }),
            ("set", { $0.contains("set f") }),
            ("clear", { $0.contains("clear f") }),
            ("if", { $0.contains("if f") }),
            ("if not", { $0.contains("if not f") }),
            ("if else", { $0.contains("} else {") }),
            ("sched core", { $0 == "sched core" }),
            ("host-only core", { $0 == "core ch { th }" }),
            ("idle", { $0.contains("idle") && $0.hasPrefix("exit ") }),
            ("interrupt on", { $0.hasPrefix("interrupt ") && $0.contains(" on ") }),
            ("attack", { $0.hasPrefix("attack ") }),
            ("uncached", { $0.hasSuffix(" uncached") }),
        ]
        for (name, test) in features where lines.contains(where: test) { s.insert(name) }
        // The first table line is every thread's initial table.
        let tables = lines.filter { $0.hasPrefix("table ") }
        s.insert(!tables.contains { $0.hasPrefix("table restricted") } ? "tables=no restricted"
                 : tables[0].hasPrefix("table restricted") ? "tables=restricted first" : "tables=kernel first")
        return s
    }
}

/// One random sweep: its candidate seeds (all of them run at night), how many seeds of each
/// stratum the default run takes, and the seeds this run checks: seeds 1...N when the variable
/// `countVariable` says N; all candidates at night; otherwise the stratified sample.
struct SweepPlan: Sendable, CustomTestStringConvertible {
    var name: String
    var countVariable: String
    var candidates: [UInt64]
    var perStratum: Int
    var strata: @Sendable (UInt64) -> Set<String>
    var seeds: [UInt64]

    init(_ name: String, _ countVariable: String, candidates: [UInt64], perStratum: Int,
         strata: @escaping @Sendable (UInt64) -> Set<String>) {
        self.name = name
        self.countVariable = countVariable
        self.candidates = candidates
        self.perStratum = perStratum
        self.strata = strata
        if let n = Sweep.environment[countVariable].flatMap({ Int($0) }) {
            seeds = Array(candidates.prefix(n))
        } else if Sweep.nightly {
            seeds = candidates
        } else {
            seeds = Sweep.sample(candidates, perStratum: perStratum, strata: strata)
        }
    }

    var testDescription: String { name }
}

@Suite("Sweeps: the default sample of each random sweep")
struct SweepTests {
    static let plans: [SweepPlan] = [DifferentialTests.sweep, ProofEngineTests.sweep, SymmetryTests.sweep,
                                     CoreDecompositionTests.sweep, ExportTests.sweep, CoverageTests.sweep,
                                     CoverageTests.multiCoreSweep]

    /// Every stratum that occurs among a sweep's candidates has `perStratum` seeds in its sample
    /// (or as many as the candidates have), every seed class of `RandomModel` among them; and
    /// the sample is smaller than the nightly sweep.
    @Test(arguments: plans)
    func theSampleCoversEveryStratum(_ plan: SweepPlan) {
        let sample = Sweep.sample(plan.candidates, perStratum: plan.perStratum, strata: plan.strata)
        var available: [String: Int] = [:], taken: [String: Int] = [:]
        for seed in plan.candidates { for k in plan.strata(seed) { available[k, default: 0] += 1 } }
        for seed in sample { for k in plan.strata(seed) { taken[k, default: 0] += 1 } }
        for (k, n) in available.sorted(by: { $0.key < $1.key }) {
            #expect(taken[k, default: 0] >= min(n, plan.perStratum), "\(plan.name): stratum '\(k)' has \(taken[k, default: 0]) seeds in the sample, \(n) among the candidates")
        }
        #expect(Set(sample.map { $0 % 4 }) == Set(plan.candidates.map { $0 % 4 }), "\(plan.name): a seed class is missing")
        #expect(Set(sample).isSubset(of: plan.candidates))
        #expect(sample.count < plan.candidates.count, "\(plan.name): the sample is the whole sweep")
        print("\(plan.name): \(plan.seeds.count) seeds this run (sample \(sample.count) of \(plan.candidates.count), \(available.count) strata): \(plan.seeds)")
    }

    /// The sampler takes a seed only for a stratum that still needs one.
    @Test func theSamplerTakesNoSeedItDoesNotNeed() {
        let strata: @Sendable (UInt64) -> Set<String> = { ["class \($0 % 3)"] }
        #expect(Sweep.sample(Array(1...30), perStratum: 2, strata: strata) == [1, 2, 3, 4, 5, 6])
        #expect(Sweep.sample(Array(1...30), perStratum: 1, strata: { _ in ["one"] }) == [1])
    }
}

/// Counts, for one parameterized test, how many of its cases ran and how many of them compared
/// something; with `.exercised(atLeast:)`, the test fails when too few did (a sweep whose cases
/// all skip would otherwise pass having checked nothing).
final class CaseTally: @unchecked Sendable {
    @TaskLocal static var current: CaseTally?

    private let lock = NSLock()
    private var ran = 0
    private var exercised = 0

    /// Called by every case: whether it compared something or had to skip.
    static func record(exercised: Bool) {
        guard let tally = current else { return }
        tally.lock.lock()
        tally.ran += 1
        if exercised { tally.exercised += 1 }
        tally.lock.unlock()
    }

    var counts: (ran: Int, exercised: Int) {
        lock.lock(); defer { lock.unlock() }
        return (ran, exercised)
    }
}

/// The trait that asserts a share of a parameterized test's cases were exercised
/// (`CaseTally.record(exercised:)`), once all its cases have run.
struct ExercisedTrait: TestTrait, TestScoping {
    var fraction: Double

    func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        // Once around all the cases of the test function, not around each case.
        testCase == nil && !test.isSuite ? self : nil
    }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let tally = CaseTally()
        try await CaseTally.$current.withValue(tally) { try await function() }
        let (ran, exercised) = tally.counts
        #expect(ran > 0, "\(test.name): no case recorded whether it was exercised")
        #expect(Double(exercised) >= fraction * Double(ran),
                "\(test.name): only \(exercised) of \(ran) cases were exercised (at least \(Int(fraction * 100))% must be)")
        if ran > 0 { print("\(test.name): \(exercised) of \(ran) cases exercised") }
    }
}

extension Trait where Self == ExercisedTrait {
    /// At least `fraction` of the cases that ran must have been exercised (and one case must run).
    static func exercised(atLeast fraction: Double) -> Self { ExercisedTrait(fraction: fraction) }
}

/// Values computed once per test process and shared by the tests that need them (an expensive
/// proof, an engine's verdict on a model several tests compare with). Each key is computed
/// once, even when tests ask for it at the same time; a thrown error is kept and rethrown.
final class Memo<Key: Hashable & Sendable, Value>: @unchecked Sendable {
    private final class Slot {
        let lock = NSLock()
        var value: Result<Value, any Error>?
    }

    private let lock = NSLock()
    private var slots: [Key: Slot] = [:]

    func callAsFunction(_ key: Key, _ compute: () throws -> Value) throws -> Value {
        lock.lock()
        let slot = slots[key] ?? Slot()
        slots[key] = slot
        lock.unlock()
        slot.lock.lock()
        defer { slot.lock.unlock() }
        if let value = slot.value { return try value.get() }
        let value = Result { try compute() }
        slot.value = value
        return try value.get()
    }
}
