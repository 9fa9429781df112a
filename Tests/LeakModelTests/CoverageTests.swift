import Testing
@testable import LeakModel
@testable import LeakTrace
@testable import LeakExplicit
@testable import LeakEngines
@testable import LeakReport

/// Which exits, interrupts and statements some schedule runs, and the W007 warnings.
@Suite("Coverage: what some schedule reaches")
struct CoverageTests {
    /// The irq never starts (interrupts are never on) and the exit `stuck` waits for a table
    /// nobody loads: its `touch heap` and the irq handler are dead.
    static let deadCode = """
        core c0 { t0 t1 }
        host host
        guest vm1
        region heap owner host
        region vcpu per guest
        table kernel maps all
        table restricted per guest maps vcpu
        table never maps vcpu
        run vm1 on t0, t1
        on vmentry { switch restricted }
        exit io { touch vcpu }
        exit stuck { switch kernel; wait until siblings in never; touch heap }
        interrupt irq timer { touch heap }
        check corun
        bound 6
        """

    /// The bit sets behind `Coverage` are sets: random inserts and unions against `Set<Int>`,
    /// and equal sets compare and hash equal however they were built.
    @Test(arguments: 1...8)
    func indexBitsAreSets(seed: UInt64) {
        var rng = RandomModel.Generator(state: seed)
        var a = IndexBits(), b = IndexBits(), sa = Set<Int>(), sb = Set<Int>()
        for _ in 0..<200 {
            let i = Int(rng.next() % 300)
            if rng.next() % 2 == 0 { a.insert(i); sa.insert(i) } else { b.insert(i); sb.insert(i) }
        }
        #expect(a.members == sa && b.members == sb)
        #expect(sa.allSatisfy(a.contains) && !(0..<400).contains { a.contains($0) != sa.contains($0) })
        var union = a
        union.formUnion(b)
        #expect(union.members == sa.union(sb))
        // The same set, inserted in the other order, and as b ∪ a.
        var reverse = IndexBits()
        for i in sa.union(sb).sorted().reversed() { reverse.insert(i) }
        var other = b
        other.formUnion(a)
        #expect(union == reverse && union == other && union.hashValue == reverse.hashValue)
        #expect(IndexBits() != a || sa.isEmpty)
    }

    @Test func deadStatementsAreWarnedAboutInSourceOrder() throws {
        let model = try loadModel(Self.deadCode)
        let coverage = Coverage(model: model, stateLimit: 100_000)
        #expect(coverage.complete)
        #expect(coverage.guestRuns)
        #expect(coverage.exits == [0, 1])
        #expect(coverage.interrupts.isEmpty)
        let warnings = coverage.warnings(for: model)
        #expect(warnings.map(\.code) == ["W007", "W007", "W007"])
        #expect(warnings.map(\.message) == [
            "'wait until siblings in never' never runs: every schedule that reaches it blocks or crashes there",
            "'touch heap' never runs: no schedule reaches it",
            "'touch heap' never runs: no schedule reaches it",
        ])
        #expect(warnings.map { model.file.position(of: $0.span.start).line } == [12, 12, 13])
        #expect(coverage.summary(for: model) == "2 of 2 exits, 0 of 1 interrupt and 3 of 6 statements run; a guest runs")
    }

    /// A branch no schedule takes is dead code (W007), the `if` itself ran: `dirty` is never
    /// set, so `touch heap` never runs; `clear` is false's branch and runs; the nested `if`
    /// runs (the step at the outer one passes through it) but its `else` never does.
    @Test func aBranchNoScheduleTakesIsWarnedAbout() throws {
        let model = try loadModel("""
            core c0 { t0 }
            host host
            guest vm1
            region heap owner host
            region vcpu per guest
            table restricted per guest maps vcpu
            table kernel maps all
            flag dirty per thread
            run vm1 on t0
            on vmentry { if dirty { touch heap } else { if not dirty { clear dirty } else { flush l1d } } }
            exit x { touch vcpu }
            buffer l1d fill mapped
            check residue l1d
            """)
        let coverage = Coverage(model: model, stateLimit: 100_000)
        #expect(coverage.complete)
        let warnings = coverage.warnings(for: model)
        #expect(warnings.map(\.message) == ["'touch heap' never runs: no schedule reaches it",
                                            "'flush l1d' never runs: no schedule reaches it"])
        #expect(coverage.summary(for: model) == "1 of 1 exit, no interrupts and 4 of 6 statements run; a guest runs")
    }

    @Test func everyStatementOfTheShippedASIModelRuns() throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let coverage = Coverage(model: model, stateLimit: 100_000)
        #expect(coverage.complete)
        #expect(coverage.warnings(for: model).isEmpty)
        // 431 reachable states; t0 and t1 are interchangeable, and 226 are visited with the two
        // in one order (docs/SEMANTICS.md, "Interchangeable threads").
        #expect(coverage.states == 226)
    }

    @Test func anIncompleteVisitWarnsAboutNothing() throws {
        let model = try loadModel(Self.deadCode)
        let coverage = Coverage(model: model, stateLimit: 3)
        #expect(!coverage.complete)
        #expect(coverage.states == 3)
        #expect(coverage.warnings(for: model).isEmpty)
        #expect(coverage.summary(for: model).hasPrefix("at least "))
    }

    /// The visit and the breadth-first checker explore the same states: on random models they
    /// agree on the number of states, on whether a guest runs, and on everything the
    /// checker's own exploration records when it proves the model. (A model with more than
    /// 20,000 states is compared with nothing, and counted; at least half must be compared.)
    @Test(.exercised(atLeast: 0.5), arguments: sweep.seeds)
    func agreesWithTheExplicitEngine(seed: UInt64) throws {
        var model = try loadModel(RandomModel(seed: seed, bound: 6).source())
        // No checks: the checker then visits every reachable state, like the coverage visit.
        model.checks = []
        let (outcome, stats) = ExplicitChecker(model: model, stateLimit: 20_000).check(bound: nil)
        let proved = if case .proved = outcome { true } else { false }
        CaseTally.record(exercised: proved)
        guard proved else { return }
        let coverage = Coverage(model: model, stateLimit: 20_000)
        #expect(coverage.complete)
        #expect(coverage.states == stats.states, "seed \(seed)")
        #expect(coverage.guestRuns == stats.guestRuns, "seed \(seed)")
        // A proof's own exploration gives the same coverage (the checker reuses it).
        #expect(stats.coverage == coverage, "seed \(seed)")
    }

    @Test func theCheckerReportsCoverageWhenAsked() throws {
        let model = try loadModel(Self.deadCode)
        #expect(try Checker().check(model).coverage == nil)
        let report = try Checker(options: .init(coverage: true)).check(model)
        #expect(report.coverage?.complete == true)
        #expect(ReportRenderer().render(report).contains("\nReachable: 2 of 2 exits, 0 of 1 interrupt and 3 of 6 statements run; a guest runs\n"))
    }

    @Test func jsonListsTheDeadStatements() throws {
        let model = try loadModel(Self.deadCode)
        let report = try Checker(options: .init(coverage: true)).check(model)
        let entry = try jsonObject(JSONReport().entry(.checked(report)))
        let coverage = try #require(entry["coverage"] as? [String: Any])
        #expect(coverage["complete"] as? Bool == true)
        #expect(coverage["exits"] as? [String] == ["io", "stuck"])
        #expect(coverage["interrupts"] as? [String] == [])
        let dead = try #require(coverage["neverRuns"] as? [[String: Any]])
        #expect(dead.compactMap { $0["line"] as? Int } == [12, 12, 13])
    }

    /// Random models: seeds 1-40 at night (`LEAKCHECK_NIGHTLY=1`), a stratified sample by
    /// default (`Sweep`), seeds 1...N with `LEAKCHECK_COVERAGE_COUNT=N`.
    static let sweep = SweepPlan("coverage", "LEAKCHECK_COVERAGE_COUNT", candidates: Array(1...40), perStratum: 2) { seed in
        Sweep.strata(of: RandomModel(seed: seed, bound: 6).source(), seed: seed)
    }

    /// The models with more than one core among seeds 1-80 at night, a stratified sample of
    /// them by default, the first N with `LEAKCHECK_COVERAGE_CORES_COUNT=N`.
    static let multiCoreSweep = SweepPlan("coverage, core by core", "LEAKCHECK_COVERAGE_CORES_COUNT",
                                          candidates: (1...80).filter { seed in
        RandomModel(seed: seed, bound: 6).source().components(separatedBy: "\ncore ").count > 2
    }, perStratum: 2) { seed in
        Sweep.strata(of: RandomModel(seed: seed, bound: 6).source(), seed: seed)
    }

    /// Core by core (one visit per kind of core) gives what the visit of the whole product
    /// gives, on random models with more than one core. (A model whose product has more than
    /// 50,000 states is compared with nothing, and counted; at least half must be compared.)
    @Test(.exercised(atLeast: 0.5), arguments: multiCoreSweep.seeds)
    func coreByCoreEqualsTheWholeModel(seed: UInt64) throws {
        let model = try loadModel(RandomModel(seed: seed, bound: 6).source())
        try #require(model.cores.count > 1)
        let whole = Coverage(model: model, stateLimit: 50_000)
        CaseTally.record(exercised: whole.complete)
        guard whole.complete else { return }
        let merged = Coverage(merging: CoreDecomposition.classes(of: model).representatives.map {
            Coverage(model: CoreDecomposition.subModel(model, core: $0), stateLimit: 50_000)
        })
        #expect(merged.complete)
        #expect(merged.guestRuns == whole.guestRuns, "seed \(seed)")
        #expect(merged.exits == whole.exits, "seed \(seed)")
        #expect(merged.interrupts == whole.interrupts, "seed \(seed)")
        #expect(merged.ran == whole.ran, "seed \(seed)")
        #expect(merged.reached == whole.reached, "seed \(seed)")
        #expect(merged.warnings(for: model) == whole.warnings(for: model), "seed \(seed)")
    }
}
