import LeakSemantics
import LeakTrace

// MARK: - Rendering

extension FastPathAnalyzer.Analysis {
    private var model: Model { plan.model }

    /// Whether every pair of exits was checked (not for a greedy search).
    var pairsChecked: Bool {
        if case .maximal = search { return false }
        return true
    }

    /// "cpuid, hlt", or "none".
    public func exitNames(_ fast: [Int]) -> String {
        fast.isEmpty ? "none" : fast.map { model.exits[$0].name }.joined(separator: ", ")
    }

    /// The answer for a set in words: "can be fast (proved safe)", "cannot: leak (corun) in 6 steps".
    public func judgement(_ a: FastPathAnalyzer.Answer) -> String {
        switch a.status {
        case .safe: return "safe (proved for all schedules)"
        case .bounded: return "safe up to \(a.report?.bound ?? 0) steps (not proved beyond)"
        case .unsafe:
            guard let report = a.report, case .finding(let t) = report.outcome else { return "unsafe" }
            return "unsafe: \(t.phrase(in: report.model))"
        case .vacuous: return "vacuous: no guest ever runs"
        case .unknown: return a.report.map { "unknown: " + ReportRenderer().verdictPhrase($0) } ?? "unknown"
        case .error: return "error: \(a.error ?? "?")"
        }
    }

    /// "vcpu_state, host_heap", or "nothing".
    public func needNames(_ needs: [FastPathPlan.Need]) -> String {
        needs.isEmpty ? "nothing" : needs.map { plan.name(of: $0.region) }.joined(separator: ", ")
    }

    /// "host_heap (secret to vm1)" per region, for the regions the set needs beyond `base`.
    private func extraNeeds(_ a: FastPathAnalyzer.Answer) -> String {
        let base = Set(allSlow.needs.map(\.region))
        let extra = a.needs.filter { !base.contains($0.region) }
        if extra.isEmpty { return "nothing more" }
        return extra.map { need in
            let secret = plan.secretTo(need.region)
            return plan.name(of: need.region) + (secret.isEmpty ? "" : " (secret to \(secret.joined(separator: ", ")))")
        }.joined(separator: ", ")
    }

    /// The analysis as text: the design, each exit alone, conflicting pairs, the largest set
    /// and its restricted table, then the schedule behind every "unsafe".
    public func renderText() -> String {
        let table = model.tableDecls[plan.restricted].name
        var out = "\(model.file.path.terminalEscaped): fast paths\n"
        out += "  restricted table: \(table) (on vmentry leaves it loaded, so every exit starts in it)\n"
        let full = plan.fullTable.map { " (to \(model.tableDecls[$0].name))" } ?? ""
        out += "  slow path: on fault \(model.text(of: Model.Block(statements: plan.slowPath, span: .none)))\(full), run before a slow exit's handler\n"
        out += "  each set is checked for: \(model.checks.map { model.name(of: $0) }.joined(separator: ", ")) (engine \(allSlow.report?.engine ?? "?"))\n"
        if !plan.leaveOnTheirOwn.isEmpty {
            out += "  never fast (their handlers kick, hold or switch tables themselves; they run as written in every set): \(exitNames(plan.leaveOnTheirOwn))\n"
        }
        if undecided > 0 {
            out += "  UNDECIDED: \(undecided) of the \(variantsChecked) sets checked were not decided (timeout or limits): what follows holds only for the sets that were\n"
        }
        out += "\n"

        out += "every exit slow: \(judgement(allSlow)); the restricted table needs \(needNames(allSlow.needs))\n"
        if !allSlow.keepsChecks {
            out += "the design fails with every exit on the slow path (the schedule below): an exit safe only on the fast path can still be found\n"
        }
        out += "\neach exit fast alone (the others slow):\n\n"
        var rows: [[String]] = [["", "exit", "fast path", "the restricted table also needs"]]
        for a in alone { rows.append(["", model.exits[a.fast[0]].name, judgement(a), extraNeeds(a)]) }
        out += TextTable.render(rows)

        if pairsChecked, alone.count > 1 {
            let pairs = alone.count * (alone.count - 1) / 2
            out += "\npairs whose answer together differs from their answers alone: "
            if jointDiffers.isEmpty { out += "none (\(pairs) pair\(pairs == 1 ? "" : "s") checked)\n" }
            else {
                out += "\(jointDiffers.count) of \(pairs)\n\n"
                var rows: [[String]] = [["", "exits", "alone", "together"]]
                for c in jointDiffers {
                    let each = c.fast.map { x in alone.first { $0.fast == [x] }.map { "\(model.exits[x].name): \($0.status.rawValue)" } ?? "" }
                    rows.append(["", exitNames(c.fast), each.joined(separator: ", "), judgement(c)])
                }
                out += TextTable.render(rows)
            }
        }

        if best == nil {
            switch search {
            case .maximum: out += "\nno set of exits is safe, not even every exit slow (every set checked)\n"
            case .maximal: out += "\nthe greedy search found no safe set, not even every exit slow\n"
            case .undecided(let open): out += "\nno set was found safe; \(open) set\(open == 1 ? " was" : "s were") not decided\n"
            }
        }
        if let best {
            out += "\nlargest set of exits fast together: \(exitNames(best.fast))\n"
            switch search {
            case .maximum(0):
                out += "  maximum: every exit (\(variantsChecked) variants checked)\n"
            case .maximum(let larger):
                out += "  maximum: none of the \(larger) larger set\(larger == 1 ? "" : "s") of the \(plan.exits.count) exits is safe (every one checked; \(variantsChecked) variants in all)\n"
            case .maximal(let reason):
                out += "  maximal, not proved maximum: \(reason)\n"
            case .undecided(let open):
                out += "  not proved maximum: \(open) larger set\(open == 1 ? " was" : "s were") not decided\n"
            }
            if !ties.isEmpty { out += "  as large and also safe: \(ties.map { "{\(exitNames($0))}" }.joined(separator: ", "))\n" }
            if let report = best.report { out += "  that design: \(ReportRenderer().verdictPhrase(report))\n" }
            out += "\nthe restricted table '\(table)' for that set:\n\n"
            out += needsTable(best.needs)
            let needed = Set(best.needs.map(\.region))
            let unneeded = plan.declaredContents.filter { !needed.contains($0) }
            if !unneeded.isEmpty {
                out += "\nmapped as written but not needed by that set: \(unneeded.map { plan.name(of: $0) }.joined(separator: ", "))\n"
            }
        }

        for a in [allSlow] + alone + jointDiffers where a.status == .unsafe {
            guard let report = a.report, case .finding(let trace) = report.outcome else { continue }
            let what = a.fast.isEmpty ? "every exit slow" : "fast: \(exitNames(a.fast))"
            out += "\nwhy \(what) is unsafe (\(trace.phrase(in: report.model))):\n"
            let secret = a.needs.filter { !plan.secretTo($0.region).isEmpty }
            if !secret.isEmpty {
                out += "the restricted table then maps " + secret.map { n in
                    "\(plan.name(of: n.region)) (needed by \(n.neededBy.joined(separator: ", ")); secret to \(plan.secretTo(n.region).joined(separator: ", ")))"
                }.joined(separator: ", ") + "\n"
            }
            out += "\n"
            out += TraceRenderer(model: report.model).render(trace)
        }
        return out
    }

    /// Region, what needs it, and whom it is secret to, as a text table.
    func needsTable(_ needs: [FastPathPlan.Need]) -> String {
        if needs.isEmpty { return "  nothing: every fast handler, hook and interrupt runs without touching data\n" }
        var rows: [[String]] = [["", "region", "needed by", "secret to"]]
        for n in needs {
            let secret = plan.secretTo(n.region)
            rows.append(["", plan.name(of: n.region), n.neededBy.joined(separator: "; "), secret.isEmpty ? "no guest" : secret.joined(separator: ", ")])
        }
        return TextTable.render(rows)
    }

    // MARK: JSON

    /// The analysis as JSON (schema `leakcheck-fastpath/1`, docs/FASTPATH.md).
    public func json(tool: ToolInfo = ToolInfo()) -> JSONValue {
        func needs(_ list: [FastPathPlan.Need]) -> JSONValue {
            .array(list.map { n in
                .obj(["region": .string(plan.name(of: n.region)),
                      "neededBy": .array(n.neededBy.map(JSONValue.string)),
                      "secretTo": .array(plan.secretTo(n.region).map(JSONValue.string))])
            })
        }
        func answer(_ a: FastPathAnalyzer.Answer) -> JSONValue {
            var m: [JSONValue.Member] = [
                .init("fast", .array(a.fast.map { .string(model.exits[$0].name) })),
                .init("status", .string(a.status.rawValue)),
                .init("judgement", .string(judgement(a))),
                .init("needs", needs(a.needs)),
            ]
            if let report = a.report {
                m.append(.init("engine", .string(report.engine)))
                if case .finding(let t) = report.outcome {
                    m.append(.init("check", .string(JSONReport.checkName(t.finding.check, report.model))))
                    m.append(.init("length", .int(t.length)))
                    m.append(.init("itf", JSONReport().itf(t, report)))
                }
            }
            if let e = a.error { m.append(.init("error", .string(e))) }
            return .object(m)
        }
        let searchValue: JSONValue
        switch search {
        case .maximum(let larger): searchValue = .obj(["kind": .string("maximum"), "largerSetsChecked": .int(larger)])
        case .maximal(let reason): searchValue = .obj(["kind": .string("maximal"), "reason": .string(reason)])
        case .undecided(let open): searchValue = .obj(["kind": .string("undecided"), "largerSetsUndecided": .int(open)])
        }
        return .obj([
            "schema": .string("leakcheck-fastpath/1"),
            "tool": .obj(["name": .string(tool.name), "version": .string(tool.version), "z3": .string(tool.z3Version)]),
            "file": .string(model.file.path),
            "sha256": .string(ContentHash.sha256(model.file.bytes)),
            "restrictedTable": .string(model.tableDecls[plan.restricted].name),
            "fullTable": plan.fullTable.map { .string(model.tableDecls[$0].name) } ?? .null,
            "slowPath": .string(model.text(of: Model.Block(statements: plan.slowPath, span: .none))),
            "exits": .array(plan.exits.map { .string(model.exits[$0].name) }),
            "neverFast": .array(plan.leaveOnTheirOwn.map { .string(model.exits[$0].name) }),
            "undecided": .int(undecided),
            "allSlow": answer(allSlow),
            "alone": .array(alone.map(answer)),
            "jointDiffers": .array(jointDiffers.map(answer)),
            "best": best.map(answer) ?? .null,
            "ties": .array(ties.map { .array($0.map { .string(model.exits[$0].name) }) }),
            "search": searchValue,
            "declaredContents": .array(plan.declaredContents.map { .string(plan.name(of: $0)) }),
            "variantsChecked": .int(variantsChecked),
        ])
    }
}
