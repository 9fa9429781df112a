import Foundation
import Testing
@testable import LeakModel
@testable import LeakTrace

/// `leakcheck fastpath`: each answer derived by hand from the model and DESIGN.md section 3,
/// checked with the explicit engine (proofs and shortest findings, no Z3).
@Suite("Fast paths")
struct FastPathTests {
    static let analyzer = FastPathAnalyzer(checker: Checker(options: .init(engine: .explicit)))

    static func analyze(_ model: Model, limit: Int = 8) throws -> FastPathAnalyzer.Analysis {
        var a = analyzer
        a.exhaustiveLimit = limit
        return try a.analyze(model)
    }

    /// "cpuid: safe" per exit alone.
    static func alone(_ a: FastPathAnalyzer.Analysis) -> [String] {
        a.alone.map { "\(a.exitNames($0.fast)): \($0.status.rawValue)" }
    }

    static func needs(_ a: FastPathAnalyzer.Answer, _ plan: FastPathPlan) -> [String] {
        a.needs.map { "\(plan.name(of: $0.region)) <- \($0.neededBy.joined(separator: "; "))" }
    }

    /// Models/asi.leak by hand: on vmexit and on vmentry touch nothing and there is no NMI, so
    /// with every exit slow the restricted table needs nothing. cpuid touches only the guest's
    /// own vcpu_state: fast is safe. ept may touch host_heap, host data secret to vm1: mapped in
    /// the restricted table, a sibling sitting in it exposes host_heap while vm1 runs, a corun
    /// leak (6 steps: both switch restricted, t0 waits, flushes, releases, enters). hlt touches
    /// nothing. So {cpuid, hlt} is the maximum, and the table needs vcpu_state only; kvm_text,
    /// which the model lists, is needed by none.
    @Test func asiByHand() throws {
        let a = try Self.analyze(ShippedModelsTests.load("asi.leak"))
        #expect(a.allSlow.status == .safe)
        #expect(a.allSlow.needs.isEmpty)
        #expect(Self.alone(a) == ["cpuid: safe", "ept: unsafe", "hlt: safe"])
        let ept = a.alone[1]
        guard case .finding(let trace)? = ept.report?.outcome else { Issue.record("ept: no finding"); return }
        #expect(trace.phrase(in: ept.report!.model) == "leak (corun) in 6 steps")
        #expect(a.jointDiffers.isEmpty)
        #expect(a.best.map { a.exitNames($0.fast) } == "cpuid, hlt")
        #expect(a.search == .maximum(largerSetsChecked: 1))
        #expect(Self.needs(a.best!, a.plan) == ["vcpu_state <- exit cpuid"])
        #expect(a.plan.declaredContents.map(a.plan.name(of:)) == ["kvm_text", "vcpu_state"])
        let text = a.renderText()
        #expect(text.contains("mapped as written but not needed by that set: kvm_text"))
        #expect(text.contains("the restricted table then maps host_heap (needed by exit ept; secret to vm1)"))
    }

    /// Models/asi-exit-mix.leak: external_interrupt touches nothing itself, but it turns
    /// interrupts on in the restricted table, so the irq host_timer may run there and needs
    /// host_heap: unsafe on the fast path only because of the interrupt. Without the
    /// interrupt the same exit is safe fast.
    @Test func unsafeOnlyBecauseOfAnInterrupt() throws {
        let model = try ShippedModelsTests.load("asi-exit-mix.leak")
        let a = try Self.analyze(model)
        #expect(Self.alone(a) == ["msr_write: safe", "preemption_timer: safe", "cpuid: safe", "external_interrupt: unsafe",
                                  "hlt: unsafe", "pause_instruction: unsafe", "ept_misconfig: unsafe"])
        let ext = a.alone[3]
        #expect(Self.needs(ext, a.plan) == ["host_heap <- irq host_timer (during exit external_interrupt)"])
        #expect(a.best.map { a.exitNames($0.fast) } == "msr_write, preemption_timer, cpuid")
        // Every set of 4 to 7 of the 7 exits: 35 + 21 + 7 + 1.
        #expect(a.search == .maximum(largerSetsChecked: 64))
        #expect(Self.needs(a.best!, a.plan) == ["vcpu_state <- exit msr_write; exit cpuid",
                                                "lapic_state <- exit msr_write; exit preemption_timer"])

        var quiet = model
        quiet.interrupts = []
        let b = try Self.analyze(quiet)
        #expect(b.alone[3].status == .safe)
        #expect(b.alone[3].needs.isEmpty)
    }

    /// Two exits whose answer together differs from their answers alone. Each waits until the
    /// sibling is not in the kernel table. Slow, it waits in the kernel table itself, so two
    /// threads in the slow path of the same exit wait for each other: with x fast alone, both
    /// threads can take y slowly and deadlock (and the same for y). With both fast, every wait
    /// runs in the restricted table and is met. So neither is safe alone, and the pair is.
    @Test func aPairDiffersFromItsExitsAlone() throws {
        let a = try Self.analyze(loadModel(Self.pairModel))
        #expect(a.allSlow.report?.outcome.verdictWord == "deadlock")
        #expect(Self.alone(a) == ["x: unsafe", "y: unsafe"])
        #expect(a.alone.allSatisfy { $0.report?.outcome.verdictWord == "deadlock" })
        #expect(a.jointDiffers.map(\.fast) == [[0, 1]])
        #expect(a.best?.fast == [0, 1])
        #expect(a.best?.status == .safe)
        #expect(a.renderText().contains("x, y   x: unsafe, y: unsafe  safe (proved for all schedules)"))
    }

    static let pairModel = """
        core c0 { t0 t1 }
        host host
        guest vm1
        region vcpu_state per guest
        region guest_mem per guest
        table kernel maps all
        table restricted per guest maps vcpu_state
        run vm1 on t0, t1
        on fault   { hold siblings; wait until siblings out of guest; switch kernel }
        on vmentry { switch restricted; wait until siblings not in kernel; release siblings }
        exit x { wait until siblings not in kernel }
        exit y { wait until siblings not in kernel }
        check corun
        check deadlock
        """

    /// Greedy adds one exit at a time, so it cannot reach {x, y} on the pair model (neither is
    /// safe alone): it says it found nothing, never that nothing exists; the exhaustive search
    /// finds the pair.
    @Test func greedyClaimsOnlyWhatItFound() throws {
        let greedy = try Self.analyze(loadModel(Self.pairModel), limit: 1)
        #expect(greedy.best == nil)
        let text = greedy.renderText()
        #expect(text.contains("the greedy search found no safe set, not even every exit slow"))
        #expect(!text.contains("pairs whose answer"))
        #expect(try Self.analyze(loadModel(Self.pairModel)).best?.fast == [0, 1])
    }

    /// A set that was not decided is said, and no maximum is claimed past it.
    @Test func undecidedSetsAreNotUnsafe() throws {
        var options = Checker.Options(engine: .explicit)
        options.stateLimit = 50
        let a = try FastPathAnalyzer(checker: Checker(options: options)).analyze(ShippedModelsTests.load("asi-exit-mix.leak"))
        #expect(a.undecided > 0)
        if case .maximum = a.search { Issue.record("claims a maximum with undecided sets: \(a.search)") }
        #expect(a.renderText().contains("UNDECIDED: "))
    }

    /// An exit whose handler holds and switches itself is never fast: it runs as written.
    @Test func exitsThatLeaveTheTableThemselvesAreNeverFast() throws {
        let a = try Self.analyze(loadModel("""
            core c0 { t0 t1 }
            host host
            guest vm1
            region heap owner host
            region vcpu per guest
            table kernel maps all
            table restricted per guest maps vcpu
            buffer l1d fill mapped
            run vm1 on t0, t1
            on fault   { hold siblings; wait until siblings out of guest; switch kernel }
            on vmentry { switch restricted; wait until siblings not in kernel; flush l1d; release siblings }
            exit cpuid { touch vcpu }
            exit ept { hold siblings; wait until siblings out of guest; switch kernel; touch heap }
            check corun
            check residue l1d
            """))
        #expect(a.plan.leaveOnTheirOwn.map { a.plan.model.exits[$0].name } == ["ept"])
        #expect(a.plan.exits.map { a.plan.model.exits[$0].name } == ["cpuid"])
        #expect(a.best.map { a.exitNames($0.fast) } == "cpuid")
        #expect(a.renderText().contains("never fast (their handlers kick, hold or switch tables themselves; they run as written in every set): ept"))
    }

    /// Above the exhaustive limit the set is found greedily and said to be maximal only.
    @Test func greedyIsOnlyMaximal() throws {
        let a = try Self.analyze(ShippedModelsTests.load("asi.leak"), limit: 2)
        #expect(a.best.map { a.exitNames($0.fast) } == "cpuid, hlt")
        guard case .maximal(let reason) = a.search else { Issue.record("not maximal: \(a.search)"); return }
        #expect(reason.contains("a larger set may exist"))
        #expect(a.renderText().contains("maximal, not proved maximum"))
    }

    /// An NMI may arrive at any host-mode step, the first after VM-exit included: its handler
    /// always runs in the restricted table, so percpu is needed even with every exit slow, and
    /// mapping host data there is a corun leak (DESIGN.md section 4, "map percpu ... instead and
    /// it is a corun leak").
    @Test func nmiNeedsAreAlwaysThere() throws {
        let a = try Self.analyze(ShippedModelsTests.load("asi-nmi.leak"))
        #expect(Self.needs(a.allSlow, a.plan) == ["percpu <- nmi nmi"])
        #expect(a.allSlow.report?.outcome.verdictWord == "leak")
        #expect(a.best == nil)
        #expect(a.search == .maximum(largerSetsChecked: 1 << 3))
        #expect(a.renderText().contains("no set of exits is safe, not even every exit slow (every set checked)"))
    }

    /// The variant is the model's own protocol: a slow exit runs `on fault` first; the
    /// restricted table maps exactly the needs.
    @Test func variantPrependsTheSlowPath() throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let plan = try FastPathPlan(model: model)
        let v = plan.variant(fast: [model.exits.firstIndex { $0.name == "cpuid" }!])
        let ept = v.exits.first { $0.name == "ept" }!
        #expect(v.text(of: ept.body).hasPrefix("{ hold siblings; wait until siblings out of guest; switch kernel; either"))
        #expect(v.text(of: v.exits.first { $0.name == "cpuid" }!.body) == "{ touch vcpu_state[*] }")
        let restricted = v.tableDecls[plan.restricted].copies[0]
        #expect(Array(v.tables[restricted].maps).map { v.regions[$0].name } == ["vcpu_state[vm1]"])
    }

    /// A model without the design fastpath reads is refused with the reason and a place.
    @Test(arguments: [
        ("nosmt-flush.leak", "fastpath needs an 'on fault' block"),
        ("hold-every-exit.leak", "fastpath needs an 'on fault' block"),
    ])
    func modelsWithoutAFastPathDesign(file: String, message: String) throws {
        let model = try ShippedModelsTests.load(file)
        #expect(throws: FastPathPlan.Failure.self) { try FastPathPlan(model: model) }
        do { _ = try FastPathPlan(model: model) } catch { #expect(error.message.hasPrefix(message)) }
    }

    @Test func entryThatSwitchesOnlyOnOnePathIsRefused() throws {
        let model = try loadModel("""
            core c0 { t0 }
            host host
            guest vm1
            region r owner host
            table kernel maps all
            table restricted maps r
            flag f per thread
            run vm1 on t0
            on fault { switch kernel }
            on vmentry { if f { switch restricted } }
            exit x { touch r }
            check corun
            """)
        do {
            _ = try FastPathPlan(model: model)
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("does not switch on every path"))
        }
    }
}
