import Foundation
import Testing
@testable import LeakModel
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakExplicit
@testable import LeakEncoding
@testable import LeakReport

/// The regression record of Models/: the check that fails first and the shortest length,
/// established by both engines, and the checker's verdict against each file's `expect`.
struct ShippedModel: CustomTestStringConvertible, Sendable {
    var file: String
    /// The first finding's check ("corun", "residue(buffer: 0)", "crash", "deadlock") or "none".
    var finding: String
    var length: Int?
    var testDescription: String { file }
}

let shippedModels: [ShippedModel] = [
    .init(file: "asi-nmi.leak", finding: "crash", length: 3),
    .init(file: "asi-kprobe-no-fault-path.leak", finding: "crash", length: 3),
    .init(file: "asi.leak", finding: "none", length: nil),
    .init(file: "asi-kick.leak", finding: "corun", length: 14),
    .init(file: "asi-release-early.leak", finding: "residue(buffer: 0)", length: 18),
    .init(file: "asi-percpu-mapped.leak", finding: "corun", length: 6),
    .init(file: "smt-no-kick.leak", finding: "corun", length: 1),
    .init(file: "nosmt-no-flush.leak", finding: "residue(buffer: 0)", length: 4),
    .init(file: "nosmt-flush.leak", finding: "none", length: nil),
    .init(file: "smt-flush-no-kick.leak", finding: "corun", length: 2),
    .init(file: "two-guests.leak", finding: "corun", length: 6),
    .init(file: "entry-deadlock.leak", finding: "deadlock", length: 0),
    // Flags and `if` (DESIGN.md 6.1).
    .init(file: "kvm-l1tf-cond-flush-smt.leak", finding: "corun", length: 2),
    .init(file: "kvm-l1tf-cond-flush-nosmt.leak", finding: "none", length: nil),
    .init(file: "kvm-l1tf-cond-flush-clear-early.leak", finding: "none", length: nil),
    .init(file: "kvm-l1tf-cond-flush-late-irqs-off.leak", finding: "residue(buffer: 0)", length: 13),
    .init(file: "asi-taint.leak", finding: "corun", length: 7),
    // Progress (DESIGN.md 6.2).
    .init(file: "asi-progress.leak", finding: "none", length: nil),
    .init(file: "asi-no-release.leak", finding: "progress", length: 17),
    .init(file: "irq-hold-one-branch.leak", finding: "progress", length: 18),
    .init(file: "hold-every-exit.leak", finding: "none", length: nil),
    // Fast paths and cost (`leakcheck fastpath`, `leakcheck cost`).
    .init(file: "asi-exit-mix.leak", finding: "none", length: nil),
    // Who attacks: trusted guests (Linux l1tf.rst, "Mitigation selection guide").
    .init(file: "l1tf-trusted-guests.leak", finding: "none", length: nil),
    .init(file: "l1tf-one-untrusted-guest.leak", finding: "corun", length: 1),
    // What a guest reads (l1tf.rst "5. Disabling EPT"; mds.rst), uncached memory (ACRN).
    .init(file: "l1tf-ept-off.leak", finding: "none", length: nil),
    .init(file: "mds-ept-off.leak", finding: "residue(buffer: 0)", length: 6),
    .init(file: "l1tf-uncached-secrets-nosmt.leak", finding: "none", length: nil),
    // Host-only threads and interrupt affinity (l1tf.rst "3. Interrupt affinity").
    .init(file: "l1tf-irq-steered.leak", finding: "none", length: nil),
    .init(file: "l1tf-irq-not-steered.leak", finding: "corun", length: 8),
    .init(file: "l1tf-irq-local-timer.leak", finding: "corun", length: 8),
    // Core scheduling (core-scheduling.rst).
    .init(file: "coresched-no-stun.leak", finding: "corun", length: 3),
    .init(file: "coresched-asi-hold.leak", finding: "none", length: nil),
]

@Suite("Shipped models")
struct ShippedModelsTests {
    static func load(_ file: String) throws -> Model {
        let path = repositoryRoot.appendingPathComponent("Models").appendingPathComponent(file).path
        let result = Frontend.load(path: path)
        guard let model = result.model else {
            throw ModelLoadError(text: DiagnosticRenderer(file: result.file, colored: false).render(result.diagnostics))
        }
        return model
    }

    @Test func everyShippedModelIsListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("Models").path)
            .filter { $0.hasSuffix(".leak") }.sorted()
        #expect(files == shippedModels.map(\.file).sorted())
    }

    /// The explicit engine's exhaustive search of each shipped model, computed once per test
    /// run and shared (the determinism tests compare reorderings and a second run with it).
    static let explicitResults = Memo<String, (Outcome, ExplicitChecker.Statistics)>()

    static func explicitResult(_ file: String) throws -> (Outcome, ExplicitChecker.Statistics) {
        try explicitResults(file) { ExplicitChecker(model: try load(file)).check(bound: nil) }
    }

    @Test(arguments: shippedModels)
    func explicitEngine(_ m: ShippedModel) throws {
        let (outcome, stats) = try Self.explicitResult(m.file)
        let (finding, length) = summary(outcome)
        #expect(finding == m.finding)
        #expect(length == m.length)
        if m.finding == "none" {
            // A proof must cover schedules in which guests run, or it says nothing.
            #expect(stats.guestRuns)
            guard case .proved = outcome else { Issue.record("\(m.file): not proved: \(outcome)"); return }
        }
    }

    /// BMC's search of each shipped model to its bound, computed once per test run and shared
    /// (the SMT-LIB export test solves the export at the same bound and compares with it).
    static let bmcResults = Memo<String, Outcome>()

    static func bmcResult(_ file: String) throws -> Outcome {
        try bmcResults(file) {
            let model = try load(file)
            return try BMCChecker(model: model).check(bound: model.bound?.value ?? CheckDefaults.bound).0
        }
    }

    @Test(arguments: shippedModels)
    func smtEngine(_ m: ShippedModel) throws {
        let outcome = try Self.bmcResult(m.file)
        let (finding, length) = summary(outcome)
        #expect(finding == m.finding)
        #expect(length == m.length)
    }

    /// The default checker's report on each shipped model, computed once per test run and
    /// shared (the determinism and certificate tests compare theirs with it).
    static let defaultReports = Memo<String, Checker.Report>()

    static func defaultReport(_ file: String) throws -> Checker.Report {
        try defaultReports(file) { try Checker().check(try load(file)) }
    }

    @Test(arguments: shippedModels)
    func verdictMatchesExpect(_ m: ShippedModel) throws {
        let report = try Self.defaultReport(m.file)
        #expect(report.expectation == .met, "\(m.file): \(ReportRenderer().headline(report))")
    }

    /// `auto` explores explicitly up to `--state-limit` before any bounded search: with the
    /// limit at the model's 58 reachable states it proves the model there; one state fewer
    /// and the explicit phase gives up holding its 57 (listed first, with how far it got), BMC and Spacer
    /// take over, and the verdict is the same.
    @Test func autoExploresUpToTheStateLimitFirst() throws {
        let model = try Self.load("kvm-l1tf-cond-flush-nosmt.leak")
        let whole = try Checker(options: .init(engine: .auto, stateLimit: 58)).check(model)
        #expect(whole.engines == [.explicit] && whole.otherPhases.isEmpty, "\(ReportRenderer().headline(whole))")
        #expect(whole.verdict == .safe)
        let short = try Checker(options: .init(engine: .auto, stateLimit: 57)).check(model)
        #expect(short.verdict == .safe, "\(ReportRenderer().headline(short))")
        #expect(short.otherPhases.first?.engine == .explicit)
        #expect(short.otherPhases.first?.result.hasPrefix("gave up after 57 states") == true, "\(short.otherPhases)")
        #expect(short.otherPhases.dropFirst().first?.engine == .bmc)
    }
}

/// `auto`'s confirmation of an explicit finding (`BMCChecker.confirm`) is pinned to the
/// schedule's actions: the explicit schedule comes back action for action; the same actions
/// in another order (the last two swapped: the entry before what enables it) are refused.
@Suite("Confirming the explicit engine's schedule")
struct ConfirmTests {
    @Test(arguments: ["asi-kick.leak", "asi-release-early.leak", "kvm-l1tf-cond-flush-late-irqs-off.leak"])
    func theScheduleItselfAndNothingElse(_ file: String) throws {
        let model = try ShippedModelsTests.load(file)
        guard case .finding(let trace) = ExplicitChecker(model: model).check(bound: nil).0 else {
            Issue.record("\(file): no explicit finding")
            return
        }
        guard case .finding(let confirmed) = try BMCChecker(model: model).confirm(trace) else {
            Issue.record("\(file): the encoding does not admit the explicit schedule")
            return
        }
        #expect(confirmed.steps.map(\.action) == trace.steps.map(\.action), "\(file)")
        #expect(confirmed.finding.check == trace.finding.check)
        var swapped = trace
        swapped.steps.swapAt(trace.length - 1, trace.length - 2)
        let refused = try BMCChecker(model: model).confirm(swapped)
        #expect(refused.verdictWord != "leak" && refused.verdictWord != "crash", "\(file): \(refused.verdictWord)")
    }
}
