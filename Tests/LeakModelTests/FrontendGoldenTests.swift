import Foundation
import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics
@testable import LeakReport

/// Rendered diagnostics of bad (and warning-only) model files, compared with golden files.
///
/// Each `Golden/diagnostics/NAME.leak` is loaded under the path `NAME.leak` (so the output does
/// not depend on where the bundle is) and its diagnostics rendered without colour, followed by
/// the count line, must equal `NAME.expected`. Files named `warn-*` must still resolve to a
/// model; all others must be rejected. `LEAKCHECK_RECORD=1` re-records (see GoldenSupport).
@Suite struct FrontendGoldenTests {
    static let cases = GoldenSupport.names(in: "diagnostics", ext: "leak")

    @Test func thereAreEnoughGoldenCases() {
        #expect(Self.cases.count >= 30)
    }

    @Test(arguments: cases)
    func diagnostics(_ name: String) throws {
        let bytes = try GoldenSupport.bytes("diagnostics", name + ".leak")
        let result = Frontend.load(file: SourceFile(path: name + ".leak", bytes: bytes))
        var rendered = DiagnosticRenderer(file: result.file).render(result.diagnostics)
        if let summary = DiagnosticRenderer.summary(of: result.diagnostics) { rendered += "\n" + summary + "\n" }
        try GoldenSupport.check(rendered, against: "diagnostics", name + ".expected")

        #expect(!result.diagnostics.isEmpty, "a golden case must produce diagnostics")
        if name.hasPrefix("warn-") {
            #expect(result.model != nil)
            #expect(!result.hasErrors)
        } else {
            #expect(result.model == nil)
            #expect(result.hasErrors)
        }
        // Sorted by position; file-level errors (E022, E023) after them, then the frontend's
        // own notes.
        let fileLevel: Set<String> = [DiagnosticCode.missingDeclaration.rawValue, DiagnosticCode.missingCheck.rawValue]
        let located = result.diagnostics.filter { !($0.severity == .note && $0.code.isEmpty) && !fileLevel.contains($0.code) }
        #expect(located.map(\.span.start) == located.map(\.span.start).sorted())
        if let firstFileLevel = result.diagnostics.firstIndex(where: { fileLevel.contains($0.code) }) {
            #expect(result.diagnostics[firstFileLevel...].allSatisfy { fileLevel.contains($0.code) || $0.code.isEmpty },
                    "file-level errors come after every positioned diagnostic")
        }
    }

    @Test func designExampleSummary() throws {
        let bytes = try GoldenSupport.bytes("models", "design-example.leak")
        let result = Frontend.load(file: SourceFile(path: "design-example.leak", bytes: bytes))
        let model = try #require(result.model)
        try GoldenSupport.check(ModelSummary.render(model), against: "models", "design-example.summary")
    }

    @Test func twoGuestSummary() throws {
        let bytes = try GoldenSupport.bytes("models", "two-guests.leak")
        let result = Frontend.load(file: SourceFile(path: "two-guests.leak", bytes: bytes))
        let model = try #require(result.model)
        try GoldenSupport.check(ModelSummary.render(model), against: "models", "two-guests.summary")
    }
}
