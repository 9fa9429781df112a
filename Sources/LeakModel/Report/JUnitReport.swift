import Foundation
import LeakSemantics
import LeakTrace

/// `leakcheck check --format junit`: JUnit XML as CI servers read it. One `testsuite` for the
/// run; one `testcase` per model and check (`classname` the model file, `name` the check).
///
/// A testcase passes when what leakcheck established for its check agrees with the model's
/// `expect` line:
///
/// - the check that produced the finding passes when the model expects that kind of finding
///   and fails otherwise (the failure carries the verdict and the schedule as text);
/// - when the model is proved safe, a check passes unless the model expects its kind of finding;
/// - when each check was answered on its own (`Checker.Report.perCheck`), a check with a
///   finding of its own passes when the model's expectation is met and fails otherwise; a
///   check proved safe passes unless the model's expectation is not met and names its kind;
/// - otherwise, a check the search did not get to (a shorter finding of another check ended
///   it) passes when the model's expectation is met and is skipped otherwise, since nothing
///   was established about it;
/// - an undecided verdict (unknown, or safe only up to the bound when the model needs a proof)
///   is an `error`, as are model errors (one testcase named `model`) and internal errors.
public struct JUnitReport: Sendable {
    public var tool: ToolInfo

    public init(tool: ToolInfo = ToolInfo()) { self.tool = tool }

    /// The outcome of one testcase.
    public enum CaseResult: Equatable, Sendable {
        case pass(output: String?)
        case failure(message: String, text: String)
        case error(message: String, text: String)
        case skipped(message: String)
    }

    public struct TestCase: Sendable {
        public var classname: String
        public var name: String
        public var seconds: Double
        public var result: CaseResult
        public var file: String
        public var line: Int?
    }

    /// The testcases of one model.
    public func cases(_ entry: RunEntry) -> [TestCase] {
        switch entry {
        case .modelError(let path, let file, let diagnostics):
            let text = file.map { DiagnosticRenderer(file: $0, colored: false).render(diagnostics) }
                ?? diagnostics.map(\.message).joined(separator: "\n")
            let first = diagnostics.first { $0.severity == .error }
            return [TestCase(classname: path, name: "model", seconds: 0,
                             result: .error(message: first.map { "error[\($0.code)]: \($0.message)" } ?? "model error", text: text),
                             file: path, line: first.flatMap { d in file.map { $0.position(of: d.span.start).line } })]
        case .internalError(let model, let message):
            return model.checks.map {
                TestCase(classname: model.file.path, name: JSONReport.checkName($0, model), seconds: 0,
                         result: .error(message: "internal error: \(message)", text: message), file: model.file.path, line: nil)
            }
        case .checked(let r):
            return r.model.checks.enumerated().map { i, check in
                let answer = r.perCheck.isEmpty ? nil : r.perCheck[i]
                return TestCase(classname: r.model.file.path, name: JSONReport.checkName(check, r.model),
                                seconds: answer.map { ReportRenderer.checkedAlone($0, of: r) ? $0.totalSeconds : 0 }
                                    ?? r.seconds / Double(max(1, r.model.checks.count)),
                                result: answer.map { result(answer: $0, of: r) } ?? result(for: check, r),
                                file: r.model.file.path,
                                line: r.model.expect.map { r.model.file.position(of: $0.span.start).line })
            }
        }
    }

    /// Whether one check passes by its own answer `a` (an element of `r.perCheck`).
    public func result(answer a: Checker.Report, of r: Checker.Report) -> CaseResult {
        let check = a.model.checks[0]
        let renderer = ReportRenderer()
        let verdict = renderer.verdictPhrase(a)
        let expected = r.model.expect?.verdict
        let expectText = expected.map { "the model expects \($0.rawValue) (its verdict: \(renderer.verdictPhrase(r)))" }
            ?? "the model has no expect line"
        switch a.outcome {
        case .finding(let trace):
            let schedule = TraceRenderer(model: r.model).render(trace)
            if r.expectation == .met { return .pass(output: "\(verdict)\n\n\(schedule)") }
            return .failure(message: "\(verdict); \(expectText)", text: "\(renderer.headline(r))\n\(verdict)\n\n\(schedule)")
        case .proved:
            if a.guestRuns == false { return .failure(message: verdict, text: renderer.headline(r)) }
            if r.expectation != .met, expected == check.verdictKind {
                return noFinding(check, verdict: verdict, expectText: expectText, r)
            }
            return .pass(output: verdict)
        case .unknown where r.expectation == .met:
            return .skipped(message: "not decided on its own: \(verdict)")
        case .noFindingWithin, .unknown:
            return undecided(check, verdict: verdict, expectText: expectText, r)
        }
    }

    /// A check without a finding while the model expects its kind of finding.
    private func noFinding(_ check: Model.Check, verdict: String, expectText: String, _ r: Checker.Report) -> CaseResult {
        .failure(message: "no \(JSONReport.checkName(check, r.model)) finding: \(verdict); \(expectText)",
                 text: ReportRenderer().headline(r))
    }

    /// A check whose search ended without a finding or a proof (bounded or unknown).
    private func undecided(_ check: Model.Check, verdict: String, expectText: String, _ r: Checker.Report) -> CaseResult {
        switch r.expectation {
        case .met, .noExpectation: return .pass(output: verdict)
        case .undecided: return .error(message: "undecided: \(verdict); \(expectText)", text: ReportRenderer().headline(r))
        case .mismatch, .unexpectedFinding:
            if r.model.expect?.verdict == check.verdictKind { return noFinding(check, verdict: verdict, expectText: expectText, r) }
            return .pass(output: verdict)
        }
    }

    /// Whether one check of a checked model passes (see the type's documentation).
    public func result(for check: Model.Check, _ r: Checker.Report) -> CaseResult {
        let renderer = ReportRenderer()
        let verdict = renderer.verdictPhrase(r)
        let expected = r.model.expect?.verdict
        let expectText = expected.map { "the model expects \($0.rawValue)" } ?? "the model has no expect line"
        switch r.outcome {
        case .finding(let trace):
            let schedule = TraceRenderer(model: r.model).render(trace)
            if trace.finding.check == check {
                if r.expectation == .met { return .pass(output: "\(verdict)\n\n\(schedule)") }
                return .failure(message: "\(verdict); \(expectText)", text: "\(renderer.headline(r))\n\n\(schedule)")
            }
            if r.expectation == .met {
                return .pass(output: "not examined beyond the \(verdict) the model expects")
            }
            return .skipped(message: "not examined: the search stopped at a shorter finding (\(verdict))")
        case .proved:
            if r.guestRuns == false {
                return .failure(message: "\(verdict)", text: renderer.headline(r))
            }
            if expected == check.verdictKind { return noFinding(check, verdict: verdict, expectText: expectText, r) }
            return .pass(output: verdict)
        case .noFindingWithin, .unknown:
            return undecided(check, verdict: verdict, expectText: expectText, r)
        }
    }

    /// The XML document for a run. `timestamp` is ISO 8601 (left out when nil).
    public func document(_ entries: [RunEntry], timestamp: String? = nil) -> String {
        let cases = entries.flatMap(self.cases)
        func count(_ f: (CaseResult) -> Bool) -> Int { cases.filter { f($0.result) }.count }
        let failures = count { if case .failure = $0 { true } else { false } }
        let errors = count { if case .error = $0 { true } else { false } }
        let skipped = count { if case .skipped = $0 { true } else { false } }
        let seconds = entries.reduce(0.0) { sum, e in if case .checked(let r) = e { sum + r.seconds } else { sum } }
        let counts = "tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(Self.time(seconds))\""
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"\(tool.name)\" \(counts)>\n"
        out += "  <testsuite name=\"\(tool.name) check\" \(counts)\(timestamp.map { " timestamp=\"\(Self.escapeAttribute($0))\"" } ?? "")>\n"
        out += "    <properties>\n"
        out += "      <property name=\"leakcheck.version\" value=\"\(Self.escapeAttribute(tool.version))\"/>\n"
        out += "      <property name=\"z3.version\" value=\"\(Self.escapeAttribute(tool.z3Version))\"/>\n"
        out += "    </properties>\n"
        for c in cases {
            var attributes = "classname=\"\(Self.escapeAttribute(c.classname))\" name=\"\(Self.escapeAttribute(c.name))\" time=\"\(Self.time(c.seconds))\" file=\"\(Self.escapeAttribute(c.file))\""
            if let line = c.line { attributes += " line=\"\(line)\"" }
            switch c.result {
            case .pass(let output):
                if let output {
                    out += "    <testcase \(attributes)>\n"
                    out += "      <system-out>\(Self.escape(output))</system-out>\n"
                    out += "    </testcase>\n"
                } else {
                    out += "    <testcase \(attributes)/>\n"
                }
            case .failure(let message, let text):
                out += "    <testcase \(attributes)>\n"
                out += "      <failure message=\"\(Self.escapeAttribute(message))\" type=\"mismatch\">\(Self.escape(text))</failure>\n"
                out += "    </testcase>\n"
            case .error(let message, let text):
                out += "    <testcase \(attributes)>\n"
                out += "      <error message=\"\(Self.escapeAttribute(message))\" type=\"error\">\(Self.escape(text))</error>\n"
                out += "    </testcase>\n"
            case .skipped(let message):
                out += "    <testcase \(attributes)>\n"
                out += "      <skipped message=\"\(Self.escapeAttribute(message))\"/>\n"
                out += "    </testcase>\n"
            }
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    static func time(_ s: Double) -> String { String(format: "%.3f", s) }

    /// Text escaped for an XML attribute: as `escape`, with newlines and tabs as character
    /// references, which attribute-value normalization would otherwise turn into spaces (a
    /// file name with a newline keeps it).
    public static func escapeAttribute(_ s: String) -> String {
        escape(s).replacingOccurrences(of: "\n", with: "&#10;").replacingOccurrences(of: "\t", with: "&#9;")
    }

    /// Text escaped for XML attributes and content; characters XML 1.0 cannot carry are dropped.
    public static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t": out.unicodeScalars.append(u)
            case "\r": out += "&#13;"
            case _ where u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF: break
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
