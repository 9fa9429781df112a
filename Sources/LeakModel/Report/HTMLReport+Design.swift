import LeakSemantics
import LeakTrace

/// The report's sections on the design's fast paths and costs (`leakcheck fastpath`, `leakcheck
/// cost`), from the same analyses as the commands' text and JSON.
extension HTMLReport {
    func fastPathSection(_ a: FastPathAnalyzer.Analysis) -> String {
        let model = a.plan.model
        var h = "<section id=\"fastpath\">\n<h2>Which exits can run on the fast path</h2>\n"
        h += "<p class=\"note\">The restricted table is <code>\(esc(model.tableDecls[a.plan.restricted].name))</code> (what on vmentry leaves loaded); "
        h += "the slow path is on fault <code>\(esc(model.text(of: Model.Block(statements: a.plan.slowPath, span: .none))))</code>. "
        h += "Each set of fast exits was checked with the restricted table mapping exactly what runs in it needs (docs/FASTPATH.md).</p>\n"
        h += "<p>Every exit slow: \(esc(a.judgement(a.allSlow))).</p>\n"
        h += "<table id=\"fastpath-alone\" class=\"grid\">\n<thead><tr><th>exit</th><th>fast path alone</th><th>the restricted table needs</th></tr></thead>\n<tbody>\n"
        for x in a.alone {
            let cls = x.keepsChecks ? "not-needed" : x.status == .unsafe ? "needed" : "unknown"
            h += "<tr class=\"\(cls)\"><td><code>\(esc(a.exitNames(x.fast)))</code></td><td>\(esc(a.judgement(x)))</td><td>\(esc(a.needNames(x.needs)))</td></tr>\n"
        }
        h += "</tbody></table>\n"
        for c in a.jointDiffers {
            h += "<p>Together, <code>\(esc(a.exitNames(c.fast)))</code>: \(esc(a.judgement(c))) (not what their answers alone give).</p>\n"
        }
        if let best = a.best {
            let how: String
            switch a.search {
            case .maximum(let larger): how = larger == 0 ? "every exit" : "a maximum: none of the \(larger) larger sets is safe"
            case .maximal(let reason): how = "maximal, not proved maximum: \(reason)"
            case .undecided(let open): how = "not proved maximum: \(open) larger sets were not decided"
            }
            h += "<p>Largest set fast together: <b><code>\(esc(a.exitNames(best.fast)))</code></b> (\(esc(how))).</p>\n"
            h += "<table id=\"fastpath-table\" class=\"grid\">\n<thead><tr><th>region</th><th>needed by</th><th>secret to</th></tr></thead>\n<tbody>\n"
            for n in best.needs {
                let secret = a.plan.secretTo(n.region)
                h += "<tr><td><code>\(esc(a.plan.name(of: n.region)))</code></td><td>\(esc(n.neededBy.joined(separator: "; ")))</td><td>\(esc(secret.isEmpty ? "no guest" : secret.joined(separator: ", ")))</td></tr>\n"
            }
            if best.needs.isEmpty { h += "<tr><td colspan=\"3\">nothing</td></tr>\n" }
            h += "</tbody></table>\n"
        } else {
            h += "<p class=\"warn\">No set of exits was found safe, not even every exit slow.</p>\n"
        }
        return h + "</section>\n"
    }

    func costSection(_ c: CostAnalysis) -> String {
        let model = c.model
        var h = "<section id=\"cost\">\n<h2>What the design costs per VM-exit</h2>\n"
        if let mix = c.mix {
            h += "<p class=\"note\">Exit mix: \(esc(mix.format.rawValue)) <code>\(esc(displayPath(mix.path)))</code>, \(esc(CostAnalysis.format(mix.total, 0))) exits"
            let unhandled = zip(mix.entries, c.matches).filter { $0.1 == .unhandled }.map(\.0.reason)
            if !unhandled.isEmpty {
                h += "; not handled by the model (\(esc(CostAnalysis.format(100 * c.unhandledShare, 2)))%, not counted): \(esc(unhandled.joined(separator: ", ")))"
            }
            h += ".</p>\n"
        } else {
            h += "<p class=\"note\">No exit mix given: every exit of the model equally often.</p>\n"
        }
        h += "<table id=\"cost-designs\" class=\"grid\">\n<thead><tr><th>design</th><th>IPIs</th><th>switches</th><th>flushes</th><th>cycles per exit</th></tr></thead>\n<tbody>\n"
        for d in c.designs {
            h += "<tr><td>\(esc(d.name))</td><td class=\"num\">\(CostAnalysis.number(d.ipis, digits: 2))</td><td class=\"num\">\(CostAnalysis.number(d.switches, digits: 2))</td>"
            h += "<td class=\"num\">\(CostAnalysis.number(d.flushes, digits: 2))</td><td class=\"num\">\(CostAnalysis.number(d.cycles))</td></tr>\n"
        }
        h += "</tbody></table>\n"
        for d in c.designs { if let note = d.note { h += "<p class=\"note\">\(esc(d.name)): \(esc(note))</p>\n" } }
        h += "<table id=\"cost-paths\" class=\"grid\">\n<thead><tr><th>exit</th><th>path</th><th>IPIs</th><th>switches</th><th>flushes</th><th>faults</th><th>cycles</th></tr></thead>\n<tbody>\n"
        for e in c.exits {
            for p in e.paths {
                h += "<tr><td><code>\(esc(model.exits[e.exit].name))</code></td><td>\(esc(CostAnalysis.pathText(p, of: e)))</td>"
                h += "<td class=\"num\">\(p.counts.ipis)</td><td class=\"num\">\(p.counts.switches)</td><td class=\"num\">\(p.counts.flushCount)</td>"
                h += "<td class=\"num\">\(p.counts.faults)</td><td class=\"num\">\(CostAnalysis.format(p.cycles, 0))</td></tr>\n"
            }
        }
        h += "</tbody></table>\n<p class=\"note\">Cycles per action: "
        h += c.table.entries.map { "\(esc($0.action.rawValue)) \(esc(CostAnalysis.format($0.cycles, 0)))" }.joined(separator: ", ")
        h += " (sources in docs/COST.md).</p>\n"
        return h + "</section>\n"
    }
}
