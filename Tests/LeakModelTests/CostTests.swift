import Foundation
import Testing
@testable import LeakModel
@testable import LeakTrace
@testable import LeakReport

/// `leakcheck cost`: the mix readers on real `perf kvm stat report` output, the matching of
/// exit reasons to a model's exits, and path costs derived by hand from the handlers.
@Suite("Cost")
struct CostTests {
    static func mixText(_ name: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent("Tests/LeakModelTests/Golden/mix").appendingPathComponent(name), encoding: .utf8)
    }

    /// Each sample's rows, and their sum against the `Total Samples:` line perf prints.
    @Test(arguments: [
        ("perf-kvm-stat-2020-sysbench.txt", 9, "MSR_WRITE", 9167.0),
        ("perf-kvm-stat-2023-stdio.txt", 7, "MSR_WRITE", 520.0),
        ("perf-kvm-stat-synthetic.txt", 13, "MSR_WRITE", 412388.0),
    ])
    func perfReports(file: String, rows: Int, first: String, count: Double) throws {
        let text = try Self.mixText(file)
        let mix = try ExitMix(text: text, path: file)
        #expect(mix.format == .perf)
        #expect(mix.entries.count == rows)
        #expect(mix.entries.first?.reason == first)
        #expect(mix.entries.first?.count == count)
        let footer = try #require(text.split(separator: "\n").first { $0.contains("Total Samples:") })
        let total = footer.split(separator: ":")[1].split(separator: ",")[0]
        #expect(mix.total == Double(total))
    }

    /// perf prints "unknown kvm exit code:N on VMX" between rows for codes its table lacks.
    @Test func unknownExitCodeLinesAreSkipped() throws {
        let text = """
                         VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time

            unknown kvm exit code:75 on VMX
                             HLT        100    50.00%    90.00%      0.50us   1000.00us     20.00us ( +-   5.00% )
                         UNKNOWN        100    50.00%    10.00%      0.50us     10.00us      2.00us ( +-   5.00% )

            Total Samples:200, Total events handled time:2200.00us.
            """
        let mix = try ExitMix(text: text, path: "m.txt")
        #expect(mix.entries.map(\.reason) == ["HLT", "UNKNOWN"])
    }

    @Test(arguments: [
        ("      IO Port Access    Samples  Samples%\n\n         0xc090:POUT        383   100.00%\n", 1, "ioport, mmio or msr event"),
        ("             VM-EXIT    Samples\n\n                 HLT       many\n", 3, "expected a sample count after 'HLT', found 'many'"),
        ("exit,count\ncpuid,12\nhlt,lots\n", 3, "expected a count after 'hlt', found 'lots'"),
        ("# nothing\n\n", 1, "no exits in the mix"),
        ("cpuid,0\n", 1, "every count in the mix is 0"),
    ])
    func malformedMixes(text: String, line: Int, message: String) {
        do {
            _ = try ExitMix(text: text, path: "m")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    /// Models/asi.leak by hand, with the default cycles (vmexit 1,200, ipi 3,000, switch 250,
    /// flush_l1d 2,500, fault 2,500). Every exit starts in `restricted`, which maps vcpu_state.
    /// cpuid: touch vcpu_state (mapped), then on vmentry: 1 switch and 1 flush: 1,200 + 250 +
    /// 2,500 = 3,950. ept, second branch: touch host_heap faults; on fault holds (1 IPI) and
    /// switches to kernel; the retry is mapped; on vmentry switches back and flushes: 1,200 +
    /// 3,000 + 2 * 250 + 2,500 + 2,500 = 9,700. hlt: as cpuid.
    @Test func asiPathsByHand() throws {
        let cost = try CostAnalysis(model: ShippedModelsTests.load("asi.leak"))
        let rows = cost.exits.flatMap { e in
            e.paths.map { p in "\(cost.model.exits[e.exit].name) \(p.choices) ipis \(p.counts.ipis) switches \(p.counts.switches) flushes \(p.counts.flushCount) faults \(p.counts.faults) = \(Int(p.cycles))" }
        }
        #expect(rows == [
            "cpuid [] ipis 0 switches 1 flushes 1 faults 0 = 3950",
            "ept [\"either branch 1 (line 36)\"] ipis 0 switches 1 flushes 1 faults 0 = 3950",
            "ept [\"either branch 2 (line 36)\"] ipis 1 switches 2 flushes 1 faults 1 = 9700",
            "hlt [] ipis 0 switches 1 flushes 1 faults 0 = 3950",
        ])
        #expect(cost.exits.map(\.scheduleIndependent) == [true, false, true])
    }

    /// Weighted by Golden/mix/asi.csv: cpuid 2,160, ept 303, hlt 2,232 and MSR_WRITE 9,167,
    /// which asi.leak does not handle. Per handled exit: cheapest 3,950; dearest 3,950 + 303 /
    /// 4,695 * 5,750 = 4,321.09. Kick and hold every exit: 1,200 + 3,000 + 2,500 = 6,700; SMT
    /// off: 1,200 + 2,500 = 3,700.
    @Test func asiWeightedByACSVMix() throws {
        let mix = try ExitMix(text: Self.mixText("asi.csv"), path: "asi.csv")
        #expect(mix.format == .csv)
        let cost = try CostAnalysis(model: ShippedModelsTests.load("asi.leak"), mix: mix)
        #expect(cost.matches.map { $0.exit.map { cost.model.exits[$0].name } ?? "-" } == ["cpuid", "ept", "hlt", "-"])
        #expect(abs(cost.unhandledShare - 9167.0 / 13862.0) < 1e-9)
        let design = cost.designs[0]
        #expect(abs(design.cycles.lowerBound - 3950) < 1e-9)
        #expect(abs(design.cycles.upperBound - (3950 + 303.0 / 4695 * 5750)) < 1e-9)
        #expect(cost.designs[1].cycles == 6700...6700)
        #expect(cost.designs[2].cycles == 3700...3700)
        let text = cost.renderText()
        #expect(text.contains("MSR_WRITE  9,167  66.13%  NOT HANDLED by the model: not counted"))
        #expect(text.contains("66.13% of the exits of the mix have no handler in the model"))
    }

    /// perf's names: the same name first (MSR_WRITE and msr_write), then the alias table
    /// (EPT_MISCONFIG and ept), and --map before both.
    @Test func reasonsMatchByNameAliasAndMap() throws {
        let mix = try ExitMix(text: Self.mixText("perf-kvm-stat-2020-sysbench.txt"), path: "p")
        let mixModel = try ShippedModelsTests.load("asi-exit-mix.leak")
        let names = { (model: Model, matches: [ExitMix.Match]) in
            matches.map { m -> String in
                switch m {
                case .sameName(let x): model.exits[x].name
                case .alias(let x): "alias " + model.exits[x].name
                case .mapped(let x): "map " + model.exits[x].name
                case .unhandled: "-"
                }
            }
        }
        #expect(names(mixModel, mix.matches(mixModel, mapping: [:])) == [
            "msr_write", "external_interrupt", "preemption_timer", "hlt", "cpuid", "pause_instruction", "ept_misconfig", "-", "-",
        ])
        let asi = try ShippedModelsTests.load("asi.leak")
        #expect(names(asi, mix.matches(asi, mapping: [:])) == ["-", "-", "-", "hlt", "cpuid", "-", "alias ept", "-", "-"])
        #expect(names(asi, mix.matches(asi, mapping: ["MSR_WRITE": "cpuid", "PAUSE_INSTRUCTION": "nope"]))
                == ["map cpuid", "-", "-", "hlt", "cpuid", "-", "alias ept", "-", "-"])
    }

    @Test func aMixTheModelDoesNotHandleIsAnError() throws {
        let mix = try ExitMix(text: "MSR_WRITE,10\n", path: "m")
        #expect(throws: CostAnalysis.Failure.self) { try CostAnalysis(model: ShippedModelsTests.load("asi.leak"), mix: mix) }
    }

    @Test func overrides() throws {
        var table = CostTable.defaults
        try table.override("ipi=4000", source: "--cost ipi=4000")
        try table.override(file: "# mine\nswitch = 300\nsmt_gain = 0.3\n", path: "c.txt")
        #expect(table[.ipi] == 4000)
        #expect(table[.switch] == 300)
        #expect(table.smtGain == 0.3)
        #expect(table.entries.first { $0.action == .switch }?.source == "c.txt:2")
        #expect(throws: CostTable.Failure.self) { try table.override("cr3=5", source: "") }
        #expect(throws: CostTable.Failure.self) { try table.override("ipi=-1", source: "") }
        #expect(throws: CostTable.Failure.self) { try table.override("ipi", source: "") }
        do { try table.override(file: "ipi = x\n", path: "c.txt") } catch { #expect(error.message.hasPrefix("c.txt:1: ")) }
        let cost = try CostAnalysis(model: ShippedModelsTests.load("asi.leak"), table: table)
        // The ept slow path: 1,200 + 4,000 + 2 * 300 + 2,500 + 2,500.
        #expect(cost.exits[1].maxCycles == 10_800)
    }

    /// An irq handler that turns interrupts on itself starts no irq inside it (irqs do not
    /// nest): the walk ends, with a path per place an irq can arrive.
    @Test func irqsDoNotNest() throws {
        let cost = try CostAnalysis(model: loadModel("""
            core c0 { t0 }
            host host
            guest vm1
            region heap owner host
            region vcpu per guest
            table kernel maps all
            run vm1 on t0
            exit hlt { irqs on; irqs off }
            interrupt irq softirq { irqs on; touch heap; irqs off }
            check corun
            """))
        let paths = cost.exits[0].paths.map { CostAnalysis.pathText($0, of: cost.exits[0]) }
        #expect(paths == ["(no branch, no interrupt)", "irq softirq arrives before line 8"])
    }

    /// `touch a, b` with both unmapped is one fault, one run of on fault, one retry (DESIGN.md
    /// section 3), not one per region.
    @Test func oneFaultPerTouch() throws {
        let cost = try CostAnalysis(model: loadModel("""
            core c0 { t0 }
            host host
            guest vm1
            region a owner host
            region b owner host
            region vcpu per guest
            table restricted per guest maps vcpu
            table kernel maps all
            run vm1 on t0
            on fault { hold siblings; switch kernel }
            on vmentry { switch restricted }
            exit x { touch a, b }
            check corun
            """))
        let p = try #require(cost.exits.first?.paths.first)
        #expect(p.counts.faults == 1)
        #expect(p.counts.holds == 1)
        #expect(p.counts.switches == 2)
    }

    /// AMD: SVM reason names may have blanks ("PF excp") and are perf's own strings.
    @Test func svmReports() throws {
        let text = """
                         VM-EXIT    Samples  Samples%     Time%    Min Time    Max Time         Avg time

                       interrupt       1000    50.00%    10.00%      0.50us     10.00us      2.00us ( +-   5.00% )
                         PF excp        500    25.00%    10.00%      0.50us     10.00us      2.00us ( +-   5.00% )
                             npf        500    25.00%    80.00%      0.50us     10.00us      2.00us ( +-   5.00% )

            Total Samples:2000, Total events handled time:4000.00us.
            """
        let mix = try ExitMix(text: text, path: "svm.txt")
        #expect(mix.entries.map(\.reason) == ["interrupt", "PF excp", "npf"])
        let model = try ShippedModelsTests.load("asi-exit-mix.leak")
        #expect(mix.matches(model, mapping: [:]).map { $0.exit.map { model.exits[$0].name } ?? "-" } == ["external_interrupt", "-", "-"])
        let asi = try ShippedModelsTests.load("asi.leak")
        #expect(mix.matches(asi, mapping: [:]).map { $0.exit.map { asi.exits[$0].name } ?? "-" } == ["-", "-", "ept"])
    }

    @Test func refusals() throws {
        let asi = try ShippedModelsTests.load("asi.leak")
        #expect(throws: CostAnalysis.Failure.self) { try CostAnalysis(model: asi, mapping: ["CPUID": "cpuidd"]) }
        let bare = try loadModel("core c0 { t0 }\nhost host\nguest vm1\nregion r per guest\ntable k maps all\nrun vm1 on t0\ncheck corun\n")
        #expect(throws: CostAnalysis.Failure.self) { try CostAnalysis(model: bare) }
        var table = CostTable.defaults
        #expect(throws: CostTable.Failure.self) { try table.override("vmexit=1e19", source: "") }
        #expect(throws: ExitMix.Failure.self) { try ExitMix(text: "cpuid,1e19\n", path: "m") }
        #expect(throws: ExitMix.Failure.self) { try ExitMix(text: "      MSR Access    Samples\n", path: "m") }
        #expect(CostAnalysis.format(3e20, 0) == "3e+20")
    }
}
