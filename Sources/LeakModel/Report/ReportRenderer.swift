import Foundation
import LeakTrace

/// Renders a `Checker.Report` as text: a verdict line, then the schedule or the proof.
public struct ReportRenderer: Sendable {
    public init() {}

    /// `Models/asi.leak: leak (corun) in 9 steps [bmc, 0.12 s]: as expected`. Always one line:
    /// control characters of the path or of a solver's reason are escaped (`terminalEscaped`).
    public func headline(_ report: Checker.Report) -> String {
        let path = report.model.file.path
        var timing = "[\(report.engine), \(Self.seconds(report.seconds))"
        for phase in report.otherPhases {
            timing += "; \(phase.engine.rawValue): \(phase.result), \(Self.seconds(phase.seconds))"
        }
        timing += "]"
        return "\(path): \(verdictPhrase(report)) \(timing): \(expectationPhrase(report))".terminalEscaped
    }

    /// The verdict in words, e.g. "leak (corun) in 9 steps" or "safe: proved for all schedules (...)".
    public func verdictPhrase(_ report: Checker.Report) -> String {
        switch report.outcome {
        case .finding(let trace):
            var text = trace.phrase(in: report.model)
            if trace.length > report.bound { text += " (beyond the bound of \(report.bound))" }
            return text
        case .proved(let proof):
            if report.guestRuns == false {
                // The explicit engine saw every reachable state; the others looked for a
                // guest run up to the bound only.
                let scope = report.engines == [.explicit] ? "no guest ever runs" : "no guest runs within \(report.bound) steps"
                return "vacuous: no finding, but \(scope) (\(proof.summary))"
            }
            return "safe: proved for all schedules (\(proof.summary))"
        case .noFindingWithin(let bound):
            return "no finding within \(bound) steps; not proved for longer schedules"
        case .unknown(let reason, let completed):
            guard let done = completed, done >= 0 else {
                return "unknown: no bound completed; stopped after \(Self.seconds(report.seconds)) (\(reason))"
            }
            let reached = "no finding within \(done) step\(done == 1 ? "" : "s")"
            return "unknown: \(reached); stopped at bound \(done + 1) after \(Self.seconds(report.seconds)) (\(reason))"
        }
    }

    public func expectationPhrase(_ report: Checker.Report) -> String {
        let expected = report.model.expect?.verdict.rawValue
        switch report.expectation {
        case .met: return "as expected"
        case .mismatch: return "MISMATCH: the model expects \(expected ?? "?")"
        case .noExpectation: return "no expect line"
        case .unexpectedFinding: return "FINDING: the model has no expect line"
        case .undecided:
            guard let expected else { return "UNDECIDED: the search did not finish" }
            return "UNDECIDED: the model expects \(expected), which was not established"
        }
    }

    /// One line per check under the headline, when the report answers each check
    /// (`Report.perCheck`): `  check residue l1d: safe: proved for all schedules (...) [explicit, 3 ms]`.
    public func perCheckLines(_ report: Checker.Report) -> [String] {
        report.perCheck.map { answer in
            let name = "  check \(report.model.name(of: answer.model.checks[0])): "
            if Self.checkedAlone(answer, of: report) {
                return (name + "\(verdictPhrase(answer)) [\(answer.engine), \(Self.seconds(answer.totalSeconds))]").terminalEscaped
            }
            if case .finding = answer.outcome { return (name + "\(verdictPhrase(answer)) (the schedule below)").terminalEscaped }
            return name + "\(answer.verdict.word) (the verdict's \(Self.outcomeNoun(answer.outcome)))"
        }
    }

    /// What a reused answer rests on: "the verdict's proof".
    static func outcomeNoun(_ outcome: Outcome) -> String {
        switch outcome {
        case .finding: "finding"
        case .proved: "proof"
        case .noFindingWithin: "bounded search"
        case .unknown: "undecided search"
        }
    }

    /// Whether a check's answer comes from a run of its own (not from the verdict's).
    public static func checkedAlone(_ answer: Checker.Report, of report: Checker.Report) -> Bool {
        guard case .finding(let trace) = report.outcome else { return false }
        return trace.finding.check != answer.model.checks[0]
    }

    /// The headline, each check's answer, then the schedule (for a finding).
    public func render(_ report: Checker.Report) -> String {
        var out = headline(report) + "\n"
        for line in perCheckLines(report) { out += line + "\n" }
        if case .finding(let trace) = report.outcome {
            out += "\n" + TraceRenderer(model: report.model).render(trace)
        }
        if case .proved(let proof) = report.outcome, let invariant = proof.invariant {
            out += "\nInductive invariant (holds initially, after every step, and excludes every finding):\n"
            out += invariant.outline()
        }
        if let coverage = report.coverage {
            out += "\nReachable: \(coverage.summary(for: report.model))\n"
        }
        return out
    }

    static func seconds(_ s: Double) -> String {
        let ms = Int((s * 1000).rounded())
        return ms < 1000 ? "\(ms) ms" : "\(ms / 1000).\(String(format: "%02d", (ms % 1000) / 10)) s"
    }
}
