import Foundation
import Testing
@testable import LeakModel
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakExplicit
@testable import LeakReport

// Golden tests of `TraceRenderer`: the rendered counterexample of every shipped model with a
// finding, as the explicit engine finds it (breadth-first, deterministic), compared with
// Tests/LeakModelTests/Golden/traces/NAME.txt.
//
// To (re)record the golden files after an intended change of the output:
//
//     LEAKCHECK_RECORD=1 swift test --filter TraceRenderingTests
//
// A recording run writes the files into the source tree and FAILS on purpose, so that it can
// never pass silently; review the diff (`git diff Tests/LeakModelTests/Golden`), then run the
// tests again without LEAKCHECK_RECORD.

/// The golden trace files, in the source tree (read and written there, so that a recording
/// run updates the files under version control, not a copy in the build folder).
let goldenTraces: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().appendingPathComponent("Golden/traces", isDirectory: true)

var isRecording: Bool { ProcessInfo.processInfo.environment["LEAKCHECK_RECORD"] == "1" }

/// Shipped models (Models/NAME.leak) whose explicit search ends in a finding.
let modelsWithFinding = [
    "asi-kick", "asi-kprobe-no-fault-path", "asi-nmi", "asi-no-release", "asi-percpu-mapped", "asi-release-early", "asi-taint",
    "entry-deadlock", "irq-hold-one-branch", "kvm-l1tf-cond-flush-late-irqs-off", "l1tf-one-untrusted-guest", "kvm-l1tf-cond-flush-smt", "mds-ept-off", "l1tf-irq-not-steered", "l1tf-irq-local-timer", "coresched-no-stun", "nosmt-no-flush", "smt-flush-no-kick", "smt-no-kick", "two-guests",
]

func loadShippedModel(_ name: String) throws -> Model {
    let path = repositoryRoot.appendingPathComponent("Models/\(name).leak").path
    let result = Frontend.load(path: path)
    guard let model = result.model else {
        throw ModelLoadError(text: DiagnosticRenderer(file: result.file, colored: false).render(result.diagnostics))
    }
    return model
}

/// Compares `actual` with the golden file `name`, or records it when LEAKCHECK_RECORD=1.
func assertGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let file = goldenTraces.appendingPathComponent(name)
    if isRecording {
        try FileManager.default.createDirectory(at: goldenTraces, withIntermediateDirectories: true)
        try Data(actual.utf8).write(to: file)
        Issue.record("recorded \(file.path); run again without LEAKCHECK_RECORD=1 to compare",
                     sourceLocation: sourceLocation)
        return
    }
    guard let data = FileManager.default.contents(atPath: file.path) else {
        Issue.record("no golden file \(file.path); record it with LEAKCHECK_RECORD=1", sourceLocation: sourceLocation)
        return
    }
    let expected = String(decoding: data, as: UTF8.self)
    guard actual != expected else { return }
    // Point at the first line that differs; the whole text follows for context.
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let k = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
    let got = k < a.count ? String(a[k]) : "<end>"
    let want = k < e.count ? String(e[k]) : "<end>"
    Issue.record("""
        \(name) differs from the golden file at line \(k + 1):
          golden: \(want)
          actual: \(got)
        (LEAKCHECK_RECORD=1 re-records it after an intended change.) Actual output:
        \(actual)
        """, sourceLocation: sourceLocation)
}

@Suite("TraceRenderer")
struct TraceRenderingTests {
    @Test(arguments: modelsWithFinding)
    func explicitCounterexample(_ name: String) throws {
        let model = try loadShippedModel(name)
        let (outcome, _) = ExplicitChecker(model: model).check(bound: nil)
        guard case .finding(let trace) = outcome else {
            Issue.record("\(name): expected a finding, got \(outcome.verdictWord)")
            return
        }
        try assertGolden(TraceRenderer(model: model).render(trace), "\(name).txt")
    }

    /// The list above is exactly the shipped models with a finding, and every golden file
    /// belongs to one of them (no stale goldens).
    @Test func listCoversTheShippedModels() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("Models").path)
            .filter { $0.hasSuffix(".leak") }.map { String($0.dropLast(5)) }.sorted()
        var withFinding: [String] = []
        for name in files {
            let model = try loadShippedModel(name)
            if case .finding = ExplicitChecker(model: model).check(bound: nil).0 { withFinding.append(name) }
        }
        #expect(withFinding == modelsWithFinding.sorted())
        if !isRecording {
            let goldens = (try? FileManager.default.contentsOfDirectory(atPath: goldenTraces.path)) ?? []
            #expect(goldens.filter { $0.hasSuffix(".txt") }.sorted() == modelsWithFinding.map { "\($0).txt" }.sorted())
        }
    }

    // MARK: Hand-built traces

    /// Two siblings serving vm1; the first table maps everything.
    static let tinySource = """
        core c0 { t0 t1 }
        host host
        guest vm1
        region kvm_text   public
        region host_heap  owner host
        region vcpu_state per guest
        table kernel maps all
        buffer l1d fill mapped
        run vm1 on t0, t1
        exit cpuid { touch vcpu_state }
        check corun
        """

    /// t1 enters vm1 while t0 still has the kernel table loaded: the corun sentence names the
    /// running thread and guest, the exposed sibling, its table, and the secret region.
    @Test func corunWithSiblingInHostTable() throws {
        let model = try loadModel(Self.tinySource)
        let region = { (name: String) in try #require(model.regions.firstIndex { $0.name == name }, "no region \(name)") }
        let kernel = try #require(model.tables.firstIndex { $0.name == "kernel" })
        let vm1 = try #require(model.guests.firstIndex { $0.name == "vm1" })
        let (t0, t1) = (0, 1)
        #expect(model.threads.map(\.name) == ["t0", "t1"])

        let host = SystemState.ThreadState(served: vm1, table: kernel, base: .init(position: .ready))
        let empty = RegionSet(count: model.regions.count)
        let initial = SystemState(threads: [host, host], buffers: [[empty]])
        var after = initial
        after.threads[t1].base.position = .guest
        after.buffers[0][0].insert(try region("vcpu_state[vm1]"))

        let trace = Trace(initial: initial,
                          steps: [.init(action: .entry(thread: t1), state: after)],
                          finding: .corun(thread: t1, guest: vm1, sibling: t0, region: try region("host_heap")))

        // The hand-built schedule is one the semantics allows.
        let replayed = try Replay(interpreter: Interpreter(model: model))
            .validate(initial: trace.initial, steps: trace.steps, check: .corun)
        guard case .corun(t1, vm1, t0, _) = replayed else {
            Issue.record("replay finds \(replayed)")
            return
        }

        let renderer = TraceRenderer(model: model)
        let sentence = "step 1: t1 runs vm1 while its sibling t0 has table kernel loaded, which maps host_heap (owned by host)"
        #expect(renderer.explain(trace) == sentence)
        #expect(renderer.render(trace) == """
            step  thread  action         t0                 t1                 buffers
            ----  ------  -------------  -----------------  -----------------  --------------------
               0          initial state  host kernel ready  host kernel ready
               1  t1      enters vm1     host kernel ready  guest vm1          l1d +vcpu_state[vm1]

            \(sentence)
            before any VM exit: the schedule runs from the start state (t0 and t1 in kernel, the first table declared); 'start THREAD in TABLE' chooses another

            """)
    }

    /// vm1 on t0 and vm2 on t1, both running: the sibling exposes its own guest's region.
    @Test func corunWithSiblingInAnotherGuest() throws {
        let model = try loadModel("""
            core c0 { t0 t1 }
            host host
            guest vm1
            guest vm2
            region vcpu_state per guest
            table restricted per guest maps vcpu_state
            table kernel maps all
            run vm1 on t0
            run vm2 on t1
            exit cpuid { touch vcpu_state }
            check corun
            """)
        let vm1 = try #require(model.guests.firstIndex { $0.name == "vm1" })
        let vm2 = try #require(model.guests.firstIndex { $0.name == "vm2" })
        let restricted = { (g: Int) in try #require(model.tables.firstIndex { $0.name == "restricted[\(model.guests[g].name)]" }) }
        let vcpu2 = try #require(model.regions.firstIndex { $0.name == "vcpu_state[vm2]" })

        let initial = SystemState(
            threads: [.init(served: vm1, table: try restricted(vm1), base: .init(position: .ready)),
                      .init(served: vm2, table: try restricted(vm2), base: .init(position: .ready))],
            buffers: [[]])
        var s1 = initial
        s1.threads[0].base.position = .guest
        var s2 = s1
        s2.threads[1].base.position = .guest
        let trace = Trace(initial: initial,
                          steps: [.init(action: .entry(thread: 0), state: s1), .init(action: .entry(thread: 1), state: s2)],
                          finding: .corun(thread: 0, guest: vm1, sibling: 1, region: vcpu2))
        _ = try Replay(interpreter: Interpreter(model: model)).validate(initial: trace.initial, steps: trace.steps, check: .corun)

        #expect(TraceRenderer(model: model).explain(trace)
                == "step 2: t0 runs vm1 while its sibling t1 runs vm2, whose own region vcpu_state[vm2] (owned by vm2) it exposes")
    }
}
