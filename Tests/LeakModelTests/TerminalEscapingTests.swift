import Foundation
import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakReport

/// Text output never passes a control character through (docs/TESTING.md, "Adversarial
/// outputs"): a file name with a newline cannot fake a verdict line, a title's escape
/// sequences never reach the terminal. Machine formats escape by their own rules.
@Suite("Output: control characters escaped")
struct TerminalEscapingTests {
    static let hostile = "fake\nModels/asi.leak: safe: proved \u{1b}[2J.leak"
    static let source = try! String(contentsOf: repositoryRoot.appendingPathComponent("Models/asi-kick.leak"), encoding: .utf8)

    @Test func escapesC0DelC1AndBidi() {
        #expect("a\nb\r\tc\u{1b}[2J\u{7f}\u{9b}\u{85}\u{202e}\u{0}".terminalEscaped
                == #"a\nb\r\tc\x1b[2J\x7f\x9b\x85\u{202e}\x00"#)
        #expect("Models/asi.leak, é ü 中".terminalEscaped == "Models/asi.leak, é ü 中")
    }

    @Test func verdictLineIsOneLine() throws {
        let model = try loadModel(Self.source, path: Self.hostile)
        var options = Checker.Options(engine: .explicit)
        options.coverage = false
        let report = try Checker(options: options).check(model)
        let headline = ReportRenderer().headline(report)
        #expect(!headline.contains("\n") && !headline.contains("\u{1b}"), "\(headline)")
        #expect(headline.hasPrefix(#"fake\nModels/asi.leak: safe: proved \x1b[2J.leak: leak (corun) in 14 steps"#), "\(headline)")
        let full = ReportRenderer().render(report)
        #expect(!full.contains("\u{1b}"))
        #expect(full.split(separator: "\n").filter { $0.contains("safe: proved") }.count == 1)
    }

    @Test func diagnosticHeadersAndMessagesAreEscaped() {
        let result = Frontend.load(file: SourceFile(path: Self.hostile, text: "model \"t\u{1b}]0;x\u{7}\"\ncore c0 { t0 }\n"))
        let text = DiagnosticRenderer(file: result.file, colored: false).render(result.diagnostics)
        #expect(!text.contains("\u{1b}") && !text.contains("\u{7}"), "\(text)")
        // Every header names the whole file name on its line.
        let headers = text.split(separator: "\n").filter { $0.contains("error[") }
        #expect(!headers.isEmpty)
        for h in headers { #expect(h.hasPrefix(#"fake\nModels/asi.leak: safe: proved \x1b[2J.leak:"#), "\(h)") }
        let noFile = DiagnosticRenderer(file: nil, colored: false).render(
            Diagnostic(.unreadableFile(path: "a\nb\u{1b}", reason: "r"), at: .none))
        #expect(noFile == "leakcheck: error[E001]: cannot read 'a\\nb\\x1b': r\n", "\(noFile)")
    }

    @Test func parseSummaryTitleIsEscaped() throws {
        let withTitle = Self.source.replacingOccurrences(of: "model \"", with: "model \"\u{1b}[31mred\u{9b}")
        let summary = ModelSummary.render(try loadModel(withTitle))
        #expect(!summary.contains("\u{1b}") && !summary.contains("\u{9b}"))
        #expect(summary.contains(#"model "\x1b[31mred\x9b"#), "\(summary)")
    }

    @Test func machineFormatsEscapeByTheirOwnRules() throws {
        let withTitle = Self.source.replacingOccurrences(of: "model \"", with: "model \"\u{1b}[31m")
        let model = try loadModel(withTitle, path: Self.hostile)
        let report = try Checker(options: .init(engine: .explicit)).check(model)
        // JSON: control characters as \u escapes.
        let json = JSONReport().document([.checked(report)]).rendered()
        #expect(!json.contains("\u{1b}") && json.contains(#"fake\nModels"#) && json.contains(#"\u001b[31m"#))
        // JUnit: XML 1.0 cannot carry ESC (dropped); a newline in an attribute is a reference.
        let junit = JUnitReport().document([.checked(report)], timestamp: nil)
        #expect(!junit.contains("\u{1b}") && junit.contains("classname=\"fake&#10;Models/asi.leak"), "\(junit.prefix(600))")
        // SARIF: JSON rules.
        let sarif = SARIFReport().document([.checked(report)]).rendered()
        #expect(!sarif.contains("\u{1b}"))
        // HTML: controls spelled out.
        let html = HTMLReport().render(report)
        #expect(!html.contains("\u{1b}") && html.contains(#"\x1b[31m"#))
    }
}
