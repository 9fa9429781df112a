import Foundation
import Testing
@testable import LeakModel
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakReport

/// The crashing step in every output: a fault crash is a step of its own, the last of the
/// schedule, and the thread is marked crashed in the state it leads to (DESIGN.md, "How
/// findings are counted"). Models/asi-kprobe-no-fault-path.leak crashes at its third step,
/// the NMI's touch of percpu with no `on fault`.
@Suite("Crash step in the outputs")
struct CrashOutputTests {
    static func crashReport() throws -> (Checker.Report, Trace) {
        let r = try report("asi-kprobe-no-fault-path.leak")
        guard case .finding(let trace) = r.outcome else { throw ModelLoadError(text: "expected a crash, got \(r.outcome.verdictWord)") }
        return (r, trace)
    }

    @Test func theTraceEndsWithTheCrashingTouch() throws {
        let (r, trace) = try Self.crashReport()
        #expect(trace.length == 3)
        guard case .crash(let t, let q) = trace.steps.last?.action else {
            Issue.record("last action \(String(describing: trace.steps.last?.action))")
            return
        }
        #expect(r.model.threads[t].name == "t0")
        #expect(Program(r.model).text(of: q, in: r.model) == "touch percpu")
        #expect(trace.final.threads[t].crashed)
        #expect((0..<trace.length).allSatisfy { !trace.state(after: $0).isCrashed }, "only the last state is crashed")
        let text = TraceRenderer(model: r.model).render(trace)
        #expect(text.contains("touch percpu (line 40, nmi perf) faults: crash"))
        #expect(text.contains("step 3: t0 in an nmi handler runs touch percpu (line 40)"))
    }

    @Test func jsonMarksTheCrashedThreadAndTheCrashStep() throws {
        let (r, trace) = try Self.crashReport()
        let doc = try jsonObject(JSONReport().entry(.checked(r)))
        let states = try #require((doc["trace"] as? [String: Any])?["states"] as? [[String: Any]])
        #expect(states.count == trace.length + 1)
        for (k, state) in states.enumerated() {
            let threads = try #require(state["threads"] as? [String: [String: Any]])
            let crashed = threads["t0"]?["crashed"] as? Bool
            #expect(crashed == (k == trace.length), "state \(k)")
        }
        let last = try #require((states.last?["#meta"] as? [String: Any])?["action"] as? [String: Any])
        #expect(last["kind"] as? String == "crash")
        #expect(last["statement"] as? String == "touch percpu")
    }

    @Test func sarifMarksTheCrashStepAsAnException() throws {
        let (r, _) = try Self.crashReport()
        let doc = try jsonObject(SARIFReport().document([.checked(r)]))
        let run = try #require((doc["runs"] as? [[String: Any]])?.first)
        let result = try #require((run["results"] as? [[String: Any]])?.first)
        let flows = try #require(((result["codeFlows"] as? [[String: Any]])?.first?["threadFlows"] as? [[String: Any]]))
        let steps = flows.flatMap { ($0["locations"] as? [[String: Any]]) ?? [] }
        let crash = steps.filter { ($0["kinds"] as? [String])?.contains("exception") == true }
        #expect(crash.count == 1)
        let order = crash.first?["executionOrder"] as? Int
        #expect(order == 3)
    }

    @Test func htmlLabelsTheCrashStep() throws {
        let (r, _) = try Self.crashReport()
        let html = HTMLReport().render(r)
        #expect(html.contains("fault: crash"))
        #expect(html.contains("id=\"finding-step\""))
    }
}
