import Foundation
import LeakSemantics
import LeakTrace

// MARK: - Rendering

extension CostAnalysis {
    /// "1,200" or "1,200-4,950".
    static func number(_ r: ClosedRange<Double>, digits: Int = 0) -> String {
        let lo = format(r.lowerBound, digits), hi = format(r.upperBound, digits)
        return lo == hi ? lo : "\(lo)-\(hi)"
    }

    static func format(_ x: Double, _ digits: Int) -> String {
        // Beyond what an Int holds exactly (costs and counts are capped well below it).
        guard x.isFinite, abs(x) < 1e15 else { return String(format: "%.3g", x) }
        if digits == 0 {
            let n = Int(x.rounded())
            let s = String(abs(n))
            var out = ""
            for (i, c) in s.enumerated() {
                if i > 0, (s.count - i) % 3 == 0 { out += "," }
                out.append(c)
            }
            return (n < 0 ? "-" : "") + out
        }
        return String(format: "%.\(digits)f", x)
    }

    private func name(_ e: ExitCost) -> String { model.exits[e.exit].name }

    /// "either branch 2 (line 36), irq timer arrives before line 40", or for the path without
    /// choices "(one path)" when it is the only one.
    static func pathText(_ p: Path, of e: ExitCost) -> String {
        p.choices.isEmpty ? (e.paths.count == 1 ? "(one path)" : "(no branch, no interrupt)") : p.choices.joined(separator: ", ")
    }

    /// How a mix entry was matched, in words: "ept (alias)", "not handled by the model".
    public func matchText(_ m: ExitMix.Match) -> String {
        switch m {
        case .mapped(let x): "\(model.exits[x].name) (--map)"
        case .sameName(let x): model.exits[x].name
        case .alias(let x): "\(model.exits[x].name) (alias)"
        case .unhandled: "NOT HANDLED by the model: not counted"
        }
    }

    /// The analysis as text: per exit and path, the mix and its matching, and the designs side
    /// by side per VM-exit.
    public func renderText() -> String {
        var out = "\(model.file.path.terminalEscaped): cost per VM-exit\n"
        let start = startTable.map { model.tableDecls[$0].name } ?? "(on vmentry may leave several tables)"
        out += "  every exit starts in table \(start); cycles per action below (override with --cost KEY=CYCLES or --costs FILE)\n\n"

        out += "per exit, per path through on vmexit, the handler and on vmentry (a fault runs on fault):\n\n"
        var rows: [[String]] = [["", "exit", "path", "IPIs", "switches", "flushes", "faults", "cycles"]]
        for e in exits {
            for (k, p) in e.paths.enumerated() {
                let path = Self.pathText(p, of: e)
                rows.append(["", k == 0 ? name(e) : "", path + (p.counts.crashes ? " (crashes)" : ""), "\(p.counts.ipis)",
                             "\(p.counts.switches)", "\(p.counts.flushCount)", "\(p.counts.faults)", Self.format(p.cycles, 0)])
            }
        }
        out += TextTable.render(rows)
        let fixed = exits.filter(\.scheduleIndependent).map(name)
        let varying = exits.filter { !$0.scheduleIndependent }.map(name)
        if !fixed.isEmpty { out += "schedule-independent (every path costs the same): \(fixed.joined(separator: ", "))\n" }
        if !varying.isEmpty { out += "depends on the branch or flag the schedule takes: \(varying.joined(separator: ", "))\n" }
        for e in exits where e.truncated { out += "exit \(name(e)): more than \(Self.pathLimit) paths; only the first \(Self.pathLimit) are shown and weighed\n" }

        out += "\n"
        if let mix {
            out += "exit mix: \(mix.format.rawValue), \(mix.path.terminalEscaped), \(Self.format(mix.total, 0)) exits\n\n"
            var rows: [[String]] = [["", "reason", "count", "share", "model exit"]]
            for (e, m) in zip(mix.entries, matches) {
                rows.append(["", e.reason.terminalEscaped, Self.format(e.count, 0), Self.format(100 * e.count / mix.total, 2) + "%", matchText(m)])
            }
            out += TextTable.render(rows)
            if unhandledShare > 0 {
                out += "\n\(Self.format(100 * unhandledShare, 2))% of the exits of the mix have no handler in the model: the figures below are per handled exit\n"
            }
        } else {
            out += "exit mix: none given (--mix FILE): every exit of the model equally often\n"
        }

        out += "\nper VM-exit, weighted by the mix (ranges: cheapest to dearest path of each exit):\n\n"
        var design: [[String]] = [["", "design", "IPIs", "switches", "flushes", "faults", "cycles"]]
        for d in designs {
            design.append(["", d.name, Self.number(d.ipis, digits: 2), Self.number(d.switches, digits: 2),
                           Self.number(d.flushes, digits: 2), Self.number(d.faults, digits: 2), Self.number(d.cycles)])
        }
        out += TextTable.render(design)
        for d in designs { if let note = d.note { out += "\(d.name): \(note)\n" } }
        out += "IPIs count every kick and hold statement on the path (an upper bound: a sibling not in its guest gets none).\n"

        out += "\ncycles per action:\n\n"
        var costs: [[String]] = [["", "action", "cycles", "source"]]
        for e in table.entries { costs.append(["", e.action.rawValue, Self.format(e.cycles, 0), e.source]) }
        costs.append(["", "smt_gain", Self.format(table.smtGain, 2), table.smtGainSource])
        out += TextTable.render(costs)
        return out
    }

    // MARK: JSON

    /// The analysis as JSON (schema `leakcheck-cost/1`, docs/COST.md).
    public func json(tool: ToolInfo = ToolInfo()) -> JSONValue {
        func range(_ r: ClosedRange<Double>) -> JSONValue { .obj(["min": .double(r.lowerBound), "max": .double(r.upperBound)]) }
        let exitValues: [JSONValue] = exits.map { e in
            .obj([
                "exit": .string(name(e)),
                "scheduleIndependent": .bool(e.scheduleIndependent),
                "truncated": .bool(e.truncated),
                "paths": .array(e.paths.map { p in
                    .obj(["choices": .array(p.choices.map(JSONValue.string)),
                          "kicks": .int(p.counts.kicks), "holds": .int(p.counts.holds), "ipis": .int(p.counts.ipis),
                          "switches": .int(p.counts.switches), "faults": .int(p.counts.faults),
                          "flushes": .object(model.buffers.indices.map { .init(model.buffers[$0].name, .int(p.counts.flushes[$0])) }),
                          "crashes": .bool(p.counts.crashes), "cycles": .double(p.cycles)])
                }),
            ])
        }
        var mixValue: JSONValue = .null
        if let mix {
            mixValue = .obj([
                "format": .string(mix.format.rawValue),
                "path": .string(mix.path),
                "total": .double(mix.total),
                "unhandledShare": .double(unhandledShare),
                "entries": .array(zip(mix.entries, matches).map { e, m in
                    .obj(["reason": .string(e.reason), "count": .double(e.count),
                          "exit": m.exit.map { .string(model.exits[$0].name) } ?? .null,
                          "match": .string({ switch m { case .mapped: "map"; case .sameName: "sameName"; case .alias: "alias"; case .unhandled: "unhandled" } }())])
                }),
            ])
        }
        return .obj([
            "schema": .string("leakcheck-cost/1"),
            "tool": .obj(["name": .string(tool.name), "version": .string(tool.version), "z3": .string(tool.z3Version)]),
            "file": .string(model.file.path),
            "sha256": .string(ContentHash.sha256(model.file.bytes)),
            "startTable": startTable.map { .string(model.tableDecls[$0].name) } ?? .null,
            "exits": .array(exitValues),
            "mix": mixValue,
            "designs": .array(designs.map { d in
                .obj(["name": .string(d.name), "ipis": range(d.ipis), "switches": range(d.switches),
                      "flushes": range(d.flushes), "faults": range(d.faults), "cycles": range(d.cycles),
                      "note": JSONValue.str(d.note) ?? .null])
            }),
            "costs": .array(table.entries.map { .obj(["action": .string($0.action.rawValue), "cycles": .double($0.cycles), "source": .string($0.source)]) }),
            "smtGain": .obj(["fraction": .double(table.smtGain), "source": .string(table.smtGainSource)]),
        ])
    }
}
