import Foundation
import Testing

/// `leakcheck fastpath` and `leakcheck cost` as a user runs them: exit statuses, the lines a
/// reader looks for, JSON that parses, errors with file:line:col.
@Suite("Fast path and cost CLI")
struct DesignCLITests {
    static let sysbench = "Tests/LeakModelTests/Golden/mix/perf-kvm-stat-2020-sysbench.txt"

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func fastpathOnTheASIModel() throws {
        let r = try leakcheck(["fastpath", "Models/asi.leak", "--engine", "explicit"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("  ept    unsafe: leak (corun) in 6 steps  vcpu_state, host_heap (secret to vm1)"))
        #expect(r.stdout.contains("largest set of exits fast together: cpuid, hlt\n"))
        #expect(r.stdout.contains("mapped as written but not needed by that set: kvm_text"))
    }

    @Test func fastpathJSON() throws {
        let r = try leakcheck(["fastpath", "Models/asi-exit-mix.leak", "--engine", "explicit", "--format", "json"])
        #expect(r.status == 0, "\(r)")
        let doc = try Self.json(r.stdout)
        #expect(doc["schema"] as? String == "leakcheck-fastpath/1")
        let best = try #require(doc["best"] as? [String: Any])
        #expect(best["fast"] as? [String] == ["msr_write", "preemption_timer", "cpuid"])
        let alone = try #require(doc["alone"] as? [[String: Any]])
        let ext = try #require(alone.first { ($0["fast"] as? [String]) == ["external_interrupt"] })
        #expect(ext["status"] as? String == "unsafe")
        #expect(ext["check"] as? String == "corun")
        #expect(ext["itf"] != nil)
        #expect((doc["search"] as? [String: Any])?["kind"] as? String == "maximum")
    }

    /// A model without an on fault block has no slow path: exit 2 with the place.
    @Test func fastpathRefusesAModelWithoutTheDesign() throws {
        let r = try leakcheck(["fastpath", "Models/nosmt-flush.leak"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("Models/nosmt-flush.leak:26:12: error: fastpath needs an 'on fault' block"), "\(r.stderr)")
    }

    @Test func costWithARealPerfReport() throws {
        let r = try leakcheck(["cost", "Models/asi-exit-mix.leak", "--mix", Self.sysbench])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("  EOI_INDUCED         37     0.14%   NOT HANDLED by the model: not counted"))
        #expect(r.stdout.contains("  kick and hold the sibling on every exit  1.00       0.00       1.00     0.00       6,700"))
        #expect(r.stdout.contains("  SMT off                                  0.00       0.00       1.00     0.00       3,700"))
        let j = try leakcheck(["cost", "Models/asi-exit-mix.leak", "--mix", Self.sysbench, "--cost", "ipi=5000", "--format", "json"])
        #expect(j.status == 0)
        let doc = try Self.json(j.stdout)
        #expect(doc["schema"] as? String == "leakcheck-cost/1")
        let designs = try #require(doc["designs"] as? [[String: Any]])
        #expect(((designs[1]["cycles"] as? [String: Any])?["min"] as? Double) == 8700)
    }

    @Test(arguments: [
        (["--mix", "missing.txt"], "cannot read the exit mix 'missing.txt'"),
        (["--cost", "cr3=5"], "unknown cost 'cr3'"),
        (["--map", "HLT"], "--map expects REASON=EXIT"),
    ])
    func costUsageErrors(arguments: [String], message: String) throws {
        let r = try leakcheck(["cost", "Models/asi.leak"] + arguments)
        #expect(r.status == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func aMalformedMixIsPlaced() throws {
        let dir = try TemporaryDirectory()
        let mix = try dir.write("mix.csv", "exit,count\ncpuid,12\nhlt,lots\n")
        let r = try leakcheck(["cost", "Models/asi.leak", "--mix", mix])
        #expect(r.status == 2)
        #expect(r.stderr.contains("mix.csv:3:5: error: expected a count after 'hlt', found 'lots'"), "\(r.stderr)")
    }

    @Test func reportHasBothSections() throws {
        let dir = try TemporaryDirectory()
        let out = dir.path("r.html")
        let r = try leakcheck(["report", "Models/asi.leak", "--mix", Self.sysbench, "-o", out])
        #expect(r.status == 0, "\(r)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.contains("<section id=\"fastpath\">"))
        #expect(html.contains("Largest set fast together: <b><code>cpuid, hlt</code></b>"))
        #expect(html.contains("<table id=\"cost-designs\""))
        #expect(html.contains("not handled by the model"))
        let skipped = try leakcheck(["report", "Models/asi.leak", "--no-fastpath", "-o", dir.path("s.html")])
        #expect(skipped.status == 0)
        #expect(!(try String(contentsOfFile: dir.path("s.html"), encoding: .utf8)).contains("id=\"fastpath\""))
    }
}
