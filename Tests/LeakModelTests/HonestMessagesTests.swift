import Foundation
import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakReport

/// Messages that say what happened (docs/TESTING.md, "Adversarial outputs"): the first real
/// syntax error first, no "within -1 steps", a verdict time that covers every phase, and no
/// mitigation weighed on a model where no guest runs.
@Suite("Output: honest messages")
struct HonestMessagesTests {
    /// A syntax error on line 1 made the file declare nothing: the syntax error comes first,
    /// its consequences (E022, E023) after it.
    @Test func theFirstSyntaxErrorComesFirst() {
        let source = "model \"x\" core c0 { t0 }\nguest vm1\n"
        let result = Frontend.load(file: SourceFile(path: "x.leak", text: source))
        let codes = result.diagnostics.map(\.code)
        #expect(codes.first != DiagnosticCode.missingDeclaration.rawValue && codes.first != DiagnosticCode.missingCheck.rawValue, "\(codes)")
        let firstConsequence = codes.firstIndex { $0 == DiagnosticCode.missingDeclaration.rawValue || $0 == DiagnosticCode.missingCheck.rawValue }
        let lastPositioned = codes.lastIndex { $0 != DiagnosticCode.missingDeclaration.rawValue && $0 != DiagnosticCode.missingCheck.rawValue && !$0.isEmpty }
        #expect(firstConsequence != nil && lastPositioned != nil && lastPositioned! < firstConsequence!, "\(codes)")
    }

    /// An engine stopped before its first bound completed nothing: no output says "within -1
    /// steps" or prints a completed bound of -1.
    @Test func noWithinMinusOneSteps() throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let report = try Checker(options: .init(engine: .bmc, deadline: .now())).check(model)
        guard case .unknown(_, let completed) = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(completed == nil)
        let outputs = [ReportRenderer().render(report), HTMLReport().render(report),
                       JSONReport().document([.checked(report)]).rendered(),
                       SARIFReport().document([.checked(report)]).rendered(),
                       JUnitReport().document([.checked(report)])]
        for text in outputs {
            #expect(!text.contains("-1 step") && !text.contains("\"completedBound\": -1") && !text.contains("bound 0"),
                    "\(text.prefix(300))")
        }
        #expect(ReportRenderer().headline(report).contains("unknown: no bound completed; stopped after"))
    }

    /// The verdict line's time covers every phase that ran: the explicit probe before BMC
    /// confirmed its finding, and the coverage visit.
    @Test func theVerdictTimeCoversEveryPhase() throws {
        let model = try ShippedModelsTests.load("asi-kick.leak")
        let start = DispatchTime.now().uptimeNanoseconds
        let report = try Checker(options: .init(engine: .auto, coverage: true)).check(model)
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        #expect(report.engine == "bmc")
        #expect(report.otherPhases.map(\.engine) == [.explicit, .coverage], "\(report.otherPhases)")
        let counted = report.seconds + report.otherPhases.reduce(0) { $0 + $1.seconds }
        #expect(counted <= wall && counted >= 0.5 * wall, "counted \(counted) s of \(wall) s")
        let headline = ReportRenderer().headline(report)
        #expect(headline.contains("; explicit: leak in 14 steps, confirmed by bmc on its schedule, ") && headline.contains("; coverage: "), "\(headline)")
    }

    /// On a model where no guest ever runs, explain weighs nothing: it says the model is
    /// vacuous instead of calling removals "needed".
    @Test func explainOnAVacuousModelSaysSo() throws {
        let source = try String(contentsOf: repositoryRoot.appendingPathComponent("Models/asi.leak"), encoding: .utf8)
            .replacingOccurrences(of: "on vmentry { switch restricted; ", with: "on vmentry { ")
        let model = try loadModel(source)
        let options = Checker.Options(engine: .explicit)
        let explanation = try Explainer(checker: Checker(options: options)).explain(model)
        #expect(explanation.isVacuous)
        #expect(explanation.removals.isEmpty && explanation.additions.isEmpty)
        let text = explanation.renderText()
        #expect(text.contains("the model is vacuous: no guest ever runs in it, so no mitigation protects anything and explain has nothing to weigh"), "\(text)")
        #expect(!text.contains("needed"), "\(text)")
        let json = explanation.json().rendered()
        #expect(json.contains("\"verdict\": \"vacuous\"") && json.contains("\"removals\": []"), "\(json)")
        let html = HTMLReport(explanation: explanation).render(explanation.baseline)
        #expect(html.contains("None can be weighed: the model is vacuous") && !html.contains("id=\"mitigations\""))
    }
}
