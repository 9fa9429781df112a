import Foundation
import Testing
@testable import LeakModel
@testable import LeakTrace
@testable import LeakReport

/// The HTML report shows what happened and nothing else (docs/TESTING.md, "Adversarial
/// outputs"): the model's path as the user would write it, every region a buffer holds, an
/// arrow only where a step changed a sibling, one bound and one time.
@Suite("HTML report: honest pictures")
struct HTMLReportHonestyTests {
    static func report(_ file: String, bound: Int? = nil) throws -> Checker.Report {
        try Checker(options: .init(bound: bound, engine: .explicit)).check(try ShippedModelsTests.load(file))
    }

    /// The model was loaded by its absolute path: the page shows it relative to the working
    /// directory (or `baseDirectory`), never the absolute path unless asked (base "/").
    @Test func theModelPathIsRelative() throws {
        let report = try Self.report("asi-nmi.leak")
        #expect(report.model.file.path.hasPrefix("/"))
        let atRoot = HTMLReport(baseDirectory: repositoryRoot).render(report)
        #expect(atRoot.contains("<code>Models/asi-nmi.leak</code>"))
        #expect(!atRoot.contains(repositoryRoot.path + "/"), "the page embeds an absolute path")
        let inSources = HTMLReport(baseDirectory: repositoryRoot.appendingPathComponent("Sources")).render(report)
        #expect(inSources.contains("<code>../Models/asi-nmi.leak</code>"))
        let asked = HTMLReport(baseDirectory: URL(fileURLWithPath: "/")).render(report)
        #expect(asked.contains("<code>\(repositoryRoot.resolvingSymlinksInPath().path)/Models/asi-nmi.leak</code>"))
    }

    /// Twelve regions with long names in L1D: each is in its buffer cell whole (wrapped, with a
    /// tooltip), none cut with "…" or hidden behind "+N more".
    @Test func bufferCellsShowEveryRegionWhole() throws {
        var source = try String(contentsOf: repositoryRoot.appendingPathComponent("Models/nosmt-no-flush.leak"), encoding: .utf8)
        let names = (1...12).map { "host_region_with_a_rather_long_name_number_\($0)" }
        source = source.replacingOccurrences(of: "region host_heap   owner host",
                                             with: "region host_heap   owner host\n" + names.map { "region \($0) owner host" }.joined(separator: "\n"))
        let model = try loadModel(source)
        let report = try Checker(options: .init(engine: .explicit)).check(model)
        guard case .finding(let trace) = report.outcome else { Issue.record("\(report.outcome)"); return }
        let html = HTMLReport().render(report)
        let lanes = try #require(html.range(of: "<g class=\"buffer-lane\""))
        let arrows = try #require(html.range(of: "<g class=\"arrows\">"))
        let buffers = String(html[lanes.lowerBound..<arrows.lowerBound])
        #expect(!buffers.contains("…") && !buffers.contains(" more<"), "a region name is cut")
        let final = trace.state(after: trace.length).buffers[0][0].map { model.regions[$0].name }
        #expect(final.count >= 12)
        for name in names {
            #expect(final.contains(name))
            #expect(buffers.contains("data-region=\"\(name)\""), "\(name) missing from the buffer lane")
        }
        // The tspans of one region, joined, are its whole name.
        let pattern = #/data-region="([a-z_0-9]+)"[^>]*><title>[^<]*</title>((?:<tspan[^>]*>[^<]*</tspan>)+)</text>/#
        var seen = 0
        for m in buffers.matches(of: pattern) {
            let joined = String(m.2).replacing(#/<[^>]*>/#, with: "")
            #expect(joined == String(m.1), "\(m.1) shown as \(joined)")
            seen += 1
        }
        #expect(seen > 12)
    }

    /// asi-kick: the kick at step 10 reaches a sibling already in host mode, and the releases
    /// of `on vmentry` drop no hold: no arrow for any of them. asi-release-early: one hold put
    /// on, one dropped.
    @Test func arrowsOnlyWhereASiblingChanged() throws {
        let kick = HTMLReport().render(try Self.report("asi-kick.leak"))
        #expect(!kick.contains("class=\"arrow kick\"") && !kick.contains("class=\"arrow release\""))
        let early = HTMLReport().render(try Self.report("asi-release-early.leak"))
        #expect(early.components(separatedBy: "class=\"arrow hold\"").count - 1 == 1)
        #expect(early.components(separatedBy: "class=\"arrow release\"").count - 1 == 1)
    }

    /// asi-taint: the fault handler sets the per-core flag `tainted` at step 6. Its lane shows
    /// it clear in columns 0-5 and set, underlined as a change, in column 6 and after; a model
    /// without flags draws no flag lane.
    @Test func flagLanesShowEachChange() throws {
        let report = try Self.report("asi-taint.leak")
        guard case .finding(let trace) = report.outcome else { Issue.record("\(report.outcome)"); return }
        let html = HTMLReport().render(report)
        let lane = try #require(html.range(of: "<g class=\"flag-lane\" id=\"flag-tainted@c0\""))
        let end = try #require(html.range(of: "<g class=\"arrows\">", range: lane.upperBound..<html.endIndex))
        let cells = html[lane.lowerBound..<end.lowerBound].matches(of: #/<g class="flag-cell( set)?( changed)?" data-step="(\d+)">/#)
        #expect(cells.count == trace.length + 1)
        let firstSet = (0...trace.length).first { trace.state(after: $0).flags[0][0] }
        #expect(firstSet != nil)
        for m in cells {
            let k = Int(m.3)!
            #expect((m.1 != nil) == trace.state(after: k).flags[0][0], "step \(k)")
            #expect((m.2 != nil) == (k == firstSet), "step \(k)")
        }
        #expect(!HTMLReport().render(try Self.report("asi-kick.leak")).contains("flag-lane"))
    }

    /// Several checks, each answered: a row per check under the verdict.
    @Test func perCheckTableUnderTheVerdict() throws {
        var options = Checker.Options(engine: .explicit)
        options.answerEachCheck = true
        let report = try Checker(options: options).check(try ShippedModelsTests.load("kvm-l1tf-cond-flush-smt.leak"))
        let html = HTMLReport().render(report)
        let table = try #require(html.range(of: "<table id=\"per-check\""))
        let verdictEnd = try #require(html.range(of: "</section>", range: table.upperBound..<html.endIndex))
        let rows = html[table.lowerBound..<verdictEnd.lowerBound].components(separatedBy: "<tr class=").count - 1
        #expect(rows == 2)
        #expect(html.contains("<code>check residue l1d</code></td><td>leak (residue l1d) in "))
        #expect(!HTMLReport().render(try Self.report("kvm-l1tf-cond-flush-smt.leak")).contains("id=\"per-check\""))
    }

    /// `--bound 30` on a model that says 20: the header and the model card show the same bound
    /// with where it came from; the header's time is every phase's.
    @Test func oneBoundAndTheWholeTime() throws {
        let report = try Self.report("asi-nmi.leak", bound: 30)
        let html = HTMLReport().render(report)
        let bounds = html.matches(of: #/<span class="bound">([^<]*)</span>/#).map { String($0.1) }
        #expect(bounds == ["30 (--bound; the model says 20)", "30 (--bound; the model says 20)"], "\(bounds)")
        let own = HTMLReport().render(try Self.report("asi-nmi.leak"))
        #expect(own.matches(of: #/<span class="bound">([^<]*)</span>/#).map { String($0.1) } == ["20 (from the model)", "20 (from the model)"])
        var timed = report
        timed.seconds = 1.5
        timed.otherPhases = [.init(engine: .coverage, seconds: 2.25, result: "9 states")]
        #expect(HTMLReport().render(timed).contains("· 3.75 s ·"))
    }
}
