import LeakSemantics
import LeakTrace

// MARK: - Rendering

extension Explainer.Explanation {
    /// The explanation as aligned text tables.
    public func renderText() -> String {
        let model = baseline.model
        var out = "\(ReportRenderer().headline(baseline))\n"
        for line in ReportRenderer().perCheckLines(baseline) { out += line + "\n" }
        out += "\n"
        if isVacuous {
            out += "the model is vacuous: no guest ever runs in it, so no mitigation protects anything and explain has nothing to weigh\n"
            out += "(make a guest run first: `leakcheck check` lists what some schedule reaches)\n"
            return out
        }
        out += "without each mitigation (checked with the same engines):\n\n"
        var rows: [[String]] = [["line", "statement", "without it"]]
        for r in removals {
            rows.append([r.candidate.line.map(String.init) ?? "", r.candidate.text, r.judgement])
        }
        if removals.isEmpty { rows.append(["", "(the model has no mitigation statements)", ""]) }
        out += TextTable.render(rows)
        if !additions.isEmpty {
            out += "\nsingle additions (for the \(baseline.outcome.verdictWord) above):\n\n"
            var rows: [[String]] = [["line", "change", "with it"]]
            for r in additions {
                rows.append([r.candidate.line.map(String.init) ?? "", r.candidate.text, r.judgement])
            }
            out += TextTable.render(rows)
            let fixes = additions.filter { $0.status == "fixes" || $0.status == "fixesBounded" }
            let unchecked = additions.filter { $0.status == "unknown" }.count
            out += "\n" + (fixes.isEmpty && unchecked > 0
                            ? "no single addition of those checked removes the finding (\(unchecked) undecided or not checked)"
                            : fixes.isEmpty ? "no single addition of the catalogue removes the finding"
                            : "\(fixes.count) of \(additions.count) single additions remove the finding") + "\n"
        }
        _ = model
        return out
    }

    /// Each check's own answer in a report: check, verdict, and a finding's length.
    static func perCheck(_ report: Checker.Report) -> JSONValue {
        .array(report.perCheck.map { a in
            var m: [JSONValue.Member] = [.init("check", .string(a.model.name(of: a.model.checks[0]))),
                                         .init("verdict", .string(a.verdict.word))]
            if case .finding(let t) = a.outcome { m.append(.init("length", .int(t.length))) }
            return .object(m)
        })
    }

    /// The explanation as JSON (schema `leakcheck-explain/1`, see docs/OUTPUTS.md).
    public func json(tool: ToolInfo = ToolInfo()) -> JSONValue {
        func row(_ r: Explainer.Row) -> JSONValue {
            var m: [JSONValue.Member] = [
                .init("kind", .string(r.candidate.kind)),
                .init("text", .string(r.candidate.text)),
                .init("line", r.candidate.line.map { .int($0) } ?? .null),
                .init("status", .string(r.status)),
                .init("judgement", .string(r.judgement)),
            ]
            if let rep = r.report {
                m.append(.init("verdict", .string(rep.verdict.word)))
                m.append(.init("engine", .string(rep.engine)))
                if case .finding(let t) = rep.outcome {
                    m.append(.init("check", .string(JSONReport.checkName(t.finding.check, rep.model))))
                    m.append(.init("length", .int(t.length)))
                }
                if !rep.perCheck.isEmpty { m.append(.init("perCheck", Self.perCheck(rep))) }
            }
            if let e = r.error { m.append(.init("error", .string(e))) }
            return .object(m)
        }
        return .obj([
            "schema": .string("leakcheck-explain/1"),
            "tool": .obj(["name": .string(tool.name), "version": .string(tool.version), "z3": .string(tool.z3Version)]),
            "file": .string(baseline.model.file.path),
            "sha256": .string(ContentHash.sha256(baseline.model.file.bytes)),
            "verdict": .string(baseline.verdict.word),
            "summary": .string(ReportRenderer().verdictPhrase(baseline)),
            "perCheck": Self.perCheck(baseline),
            "removals": .array(removals.map(row)),
            "additions": .array(additions.map(row)),
        ])
    }
}
