import Foundation
import LeakSemantics
import LeakTrace

/// The swim-lane picture of a schedule, and the page's CSS and script.
extension HTMLReport {
    struct Layout {
        static let labelWidth = 96
        static let laneHeight = 48
        static let laneGap = 28
        static let flagLane = 26
        static let top = 34
        static let regionLine = 13

        /// Columns shrink for long schedules so that up to ~18 steps fit a 1400-pixel page.
        static func columnWidth(_ columns: Int) -> Int { max(64, min(88, (1290 - labelWidth) / max(1, columns))) }
    }

    /// One lane (`g.lane`) per thread, one column per state (the initial state and the state
    /// after each step), then one lane per core buffer (`g.buffer-lane`) listing what it holds;
    /// `g.step` per column with the step number, arrows for kicks and holds, and
    /// `#finding-step` around the last column.
    func svg(_ trace: Trace, _ model: Model, victim: Int) -> String {
        let renderer = TraceRenderer(model: model)
        let program = renderer.program
        let n = model.threads.count
        let columns = trace.length + 1
        let w = Layout.columnWidth(columns)
        let chars = max(6, (w - 10) * 10 / 63)
        let left = Layout.labelWidth, lh = Layout.laneHeight, gap = Layout.laneGap, top = Layout.top
        let secret = model.secret(to: victim)
        // Buffer lanes: one per core and buffer, as tall as the most lines it ever needs: every
        // region it holds is shown whole, a long name wrapped over several lines.
        var bufferLanes: [(core: Int, buffer: Int, height: Int)] = []
        for c in model.cores.indices {
            for b in model.buffers.indices {
                let most = (0...trace.length).map { k in
                    trace.state(after: k).buffers[c][b].map { wrap(model.regions[$0].name, chars).count }.reduce(0, +)
                }.max() ?? 0
                bufferLanes.append((c, b, 22 + Layout.regionLine * max(1, most)))
            }
        }
        // Flag lanes: one per copy of each flag (its thread's or its core's).
        let flagLanes = model.flags.indices.flatMap { f in (0..<model.flagCopies(f)).map { (flag: f, copy: $0) } }
        let lanesBottom = top + n * (lh + gap)
        let height = lanesBottom + bufferLanes.reduce(0) { $0 + $1.height + 10 } + flagLanes.count * (Layout.flagLane + 10) + 22
            + (trace.loopStart == nil ? 0 : 24)
        let width = left + columns * w + 16
        func laneY(_ i: Int) -> Int { top + i * (lh + gap) }
        func colX(_ k: Int) -> Int { left + k * w }

        var s = "<svg id=\"schedule\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"the schedule as swim lanes\">\n"
        s += """
            <defs>
            <pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="8" fill="rgba(255,255,255,0.45)"/></pattern>
            <marker id="arrow-kick" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#e67e22"/></marker>
            <marker id="arrow-hold" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#7b2cbf"/></marker>
            <marker id="arrow-loop" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#d62828"/></marker>
            <marker id="arrow-release" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker>
            </defs>

            """
        // Column bands and step numbers (behind the lanes); the finding's column in red.
        s += "<g class=\"steps\">\n"
        for k in 0..<columns {
            let actor = k > 0 ? model.threads[trace.steps[k - 1].action.thread].name : ""
            let fill = k == trace.length ? "#ffe3e0" : k % 2 == 0 ? "#ffffff" : "#f3f4f7"
            s += "<g class=\"step\(k == trace.length ? " final" : "")\" id=\"step-\(k)\" data-step=\"\(k)\"\(actor.isEmpty ? "" : " data-thread=\"\(esc(actor))\"")>"
            s += "<rect class=\"band\" x=\"\(colX(k))\" y=\"\(top - 24)\" width=\"\(w)\" height=\"\(height - top + 20)\" fill=\"\(fill)\"/>"
            let label = k == 0 ? "start" : "step \(k)"
            s += "<text class=\"axis\(k == trace.length ? " finding-label" : "")\" x=\"\(colX(k) + w / 2)\" y=\"\(top - 9)\" text-anchor=\"middle\">\(esc(label))</text>"
            s += "</g>\n"
        }
        s += "</g>\n"

        // Thread lanes.
        for (i, thread) in model.threads.enumerated() {
            let y = laneY(i)
            s += "<g class=\"lane\" id=\"lane-\(esc(thread.name))\" data-thread=\"\(esc(thread.name))\">\n"
            s += "<text class=\"lane-label\" x=\"8\" y=\"\(y + lh / 2 - 2)\">\(esc(thread.name))</text>"
            s += "<text class=\"lane-sub\" x=\"8\" y=\"\(y + lh / 2 + 13)\">core \(esc(model.cores[thread.core].name))</text>\n"
            for k in 0..<columns {
                let st = trace.state(after: k)
                let ts = st.threads[i]
                let acting = k > 0 && trace.steps[k - 1].action.thread == i
                let color = ts.inGuest ? Self.guestColor(ts.served) : Self.tableColor(ts.table, model)
                let x = colX(k) + 2, cw = w - 4
                var tip = "step \(k): \(thread.name): \(renderer.cell(st, i))"
                var actionLabel = ""
                if acting {
                    let a = trace.steps[k - 1].action
                    tip += "\n\(renderer.describe(a, trace.state(after: k - 1)))"
                    actionLabel = shortLabel(a, trace.state(after: k - 1), model, program)
                }
                let classes = ["cell", ts.inGuest ? "guest" : "host", acting ? "acting" : nil, k == trace.length ? "final" : nil]
                    .compactMap { $0 }.joined(separator: " ")
                s += "<g class=\"\(classes)\" data-step=\"\(k)\"><title>\(esc(tip))</title>"
                s += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cw)\" height=\"\(lh)\" rx=\"5\" fill=\"\(color)\""
                s += acting ? " stroke=\"#111\" stroke-width=\"2.5\"/>" : "/>"
                if isHeld(i, st, model) {
                    s += "<rect class=\"held\" x=\"\(x)\" y=\"\(y)\" width=\"\(cw)\" height=\"\(lh)\" rx=\"5\" fill=\"url(#hatch)\"/>"
                }
                if ts.nmi != nil || ts.irq != nil {
                    s += "<rect class=\"irq-strip\" x=\"\(x + 3)\" y=\"\(y + lh - 9)\" width=\"\(cw - 6)\" height=\"6\" rx=\"2\" fill=\"#111\" fill-opacity=\"0.75\"/>"
                }
                if ts.kickPending {
                    s += "<path class=\"kick-pending\" d=\"M\(x + cw - 14),\(y + 2) L\(x + cw - 2),\(y + 2) L\(x + cw - 2),\(y + 14) z\" fill=\"#f6c344\"/>"
                }
                let mode = ts.inGuest ? model.guests[ts.served].name
                    : tableLabel(ts.table, served: ts.served, model)
                s += "<text class=\"cell-mode\" x=\"\(x + 6)\" y=\"\(y + 17)\">\(esc(fit(mode, chars)))</text>"
                if !actionLabel.isEmpty {
                    s += "<text class=\"cell-action\" x=\"\(x + 6)\" y=\"\(y + 33)\">\(esc(fit(actionLabel, chars + 1)))</text>"
                } else if !ts.inGuest, ts.base.position == .ready, ts.nmi == nil, ts.irq == nil {
                    s += "<text class=\"cell-note\" x=\"\(x + 6)\" y=\"\(y + 33)\">ready</text>"
                }
                s += "</g>\n"
            }
            s += "</g>\n"
        }

        // Buffer lanes: what each buffer holds after each step; secret to the victim in red,
        // new at that step in bold.
        var y = lanesBottom
        for lane in bufferLanes {
            let name = model.cores.count > 1 ? "\(model.cores[lane.core].name).\(model.buffers[lane.buffer].name)" : model.buffers[lane.buffer].name
            s += "<g class=\"buffer-lane\" id=\"buffer-\(esc(name))\" data-buffer=\"\(esc(name))\">\n"
            s += "<text class=\"lane-label\" x=\"8\" y=\"\(y + 16)\">\(esc(name))</text>"
            s += "<text class=\"lane-sub\" x=\"8\" y=\"\(y + 31)\">buffer, core \(esc(model.cores[lane.core].name))</text>\n"
            for k in 0..<columns {
                let content = trace.state(after: k).buffers[lane.core][lane.buffer].map { $0 }
                let old = k > 0 ? trace.state(after: k - 1).buffers[lane.core][lane.buffer] : nil
                let x = colX(k) + 2
                s += "<g class=\"buffer-cell\" data-step=\"\(k)\"><title>\(esc("step \(k): \(name) holds " + (content.isEmpty ? "nothing" : content.map { model.regions[$0].name }.joined(separator: ", "))))</title>"
                s += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(w - 4)\" height=\"\(lane.height)\" rx=\"5\" fill=\"#ffffff\" stroke=\"#c9ccd4\"/>"
                if content.isEmpty {
                    let flushed = old.map { !$0.isEmpty } ?? false
                    s += "<text class=\"region-empty\" x=\"\(x + 6)\" y=\"\(y + 16)\">\(flushed ? "flushed" : "empty")</text>"
                }
                var line = 0
                for r in content {
                    var cls = ["region-name"]
                    if secret.contains(r) { cls.append("secret") }
                    if let old, !old.contains(r) { cls.append("new") }
                    // One text per region, its name whole (wrapped into tspans), with a tooltip.
                    let name = model.regions[r].name
                    s += "<text class=\"\(cls.joined(separator: " "))\" data-region=\"\(esc(name))\" x=\"\(x + 6)\" y=\"\(y + 16 + line * Layout.regionLine)\"><title>\(esc(name))</title>"
                    for (i, piece) in wrap(name, chars).enumerated() {
                        s += "<tspan x=\"\(x + 6)\"\(i == 0 ? "" : " dy=\"\(Layout.regionLine)\"")>\(esc(piece))</tspan>"
                        line += 1
                    }
                    s += "</text>"
                }
                s += "</g>\n"
            }
            s += "</g>\n"
            y += lane.height + 10
        }

        // Flag lanes: whether each copy is set after each step; a change in bold.
        for lane in flagLanes {
            let name = model.flagCopyName(lane.flag, copy: lane.copy)
            s += "<g class=\"flag-lane\" id=\"flag-\(esc(name))\" data-flag=\"\(esc(name))\">\n"
            s += "<text class=\"lane-label\" x=\"8\" y=\"\(y + 17)\">\(esc(name))</text>\n"
            for k in 0..<columns {
                let set = trace.state(after: k).flags[lane.flag][lane.copy]
                let changed = k > 0 && trace.state(after: k - 1).flags[lane.flag][lane.copy] != set
                let x = colX(k) + 2
                s += "<g class=\"flag-cell\(set ? " set" : "")\(changed ? " changed" : "")\" data-step=\"\(k)\"><title>\(esc("step \(k): \(name) \(set ? "set" : "clear")"))</title>"
                s += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(w - 4)\" height=\"\(Layout.flagLane)\" rx=\"5\" fill=\"\(set ? "#fff1c2" : "#ffffff")\" stroke=\"#c9ccd4\"/>"
                s += "<text class=\"flag-value\(changed ? " new" : "")\" x=\"\(x + 6)\" y=\"\(y + 17)\">\(set ? "set" : "clear")</text>"
                s += "</g>\n"
            }
            s += "</g>\n"
            y += Layout.flagLane + 10
        }

        // Kicks, holds and releases as arrows from the actor to the siblings the step changed:
        // a kick made pending, a hold put on, a hold dropped. A kick to a sibling already in
        // host mode, or a release with nothing held, changes nothing and draws nothing.
        s += "<g class=\"arrows\">\n"
        for k in 1..<max(1, columns) {
            let a = trace.steps[k - 1].action
            guard case .statement(let t, let q, _) = a else { continue }
            let kind: String
            switch program.instructions[q].op {
            case .kickSiblings: kind = "kick"
            case .holdSiblings: kind = "hold"
            case .releaseSiblings: kind = "release"
            case .idle: kind = "idle"
            default: continue
            }
            let before = trace.state(after: k - 1), after = trace.state(after: k)
            func holds(_ s: SystemState, _ u: Int) -> Bool { s.threads[t].holds & (1 << UInt64(u)) != 0 }
            func changed(_ u: Int) -> Bool {
                let kicked = !before.threads[u].kickPending && after.threads[u].kickPending
                switch kind {
                case "kick": return kicked
                case "hold": return kicked || (!holds(before, u) && holds(after, u))
                default: return holds(before, u) && !holds(after, u)
                }
            }
            let siblings = model.siblings(of: t)
            for (j, u) in siblings.enumerated() where changed(u) {
                let x = colX(k) + w / 2 + (j - siblings.count / 2) * 8
                let (y1, y2) = t < u ? (laneY(t) + lh, laneY(u)) : (laneY(t), laneY(u) + lh)
                let dash = kind == "kick" ? " stroke-dasharray=\"5 3\"" : kind == "release" ? " stroke-dasharray=\"2 3\"" : ""
                let color = kind == "kick" ? "#e67e22" : kind == "hold" ? "#7b2cbf" : "#888"
                s += "<g class=\"arrow \(kind)\" data-step=\"\(k)\"><title>step \(k): \(esc(model.threads[t].name)) \(kind == "kick" ? "kicks" : kind == "hold" ? "holds" : "releases") \(esc(model.threads[u].name))</title>"
                s += "<line x1=\"\(x)\" y1=\"\(y1)\" x2=\"\(x)\" y2=\"\(y2)\" stroke=\"\(color)\" stroke-width=\"2.5\"\(dash) marker-end=\"url(#arrow-\(kind))\"/></g>\n"
            }
        }
        s += "</g>\n"

        // The finding's column, outlined on top; for a lasso, the loop's columns, with an
        // arrow from its last step back to its first: they repeat forever.
        let first = trace.loopStart.map { $0 + 1 } ?? trace.length
        let fx = colX(first), fw = (trace.length - first + 1) * w
        let loopData = trace.loopStart.map { " data-loop-from=\"\($0 + 1)\" data-loop-to=\"\(trace.length)\"" } ?? ""
        s += "<g id=\"finding-step\" class=\"finding-step\(trace.loopStart == nil ? "" : " loop")\" data-step=\"\(trace.length)\"\(loopData)><title>\(esc(renderer.explain(trace)))</title>"
        s += "<rect x=\"\(fx)\" y=\"\(top - 24)\" width=\"\(fw)\" height=\"\(height - top + 20)\" fill=\"none\" stroke=\"#d62828\" stroke-width=\"2.5\" stroke-dasharray=\"6 3\" rx=\"4\"/>"
        if let l = trace.loopStart {
            let y = height - 22, x1 = fx + fw - 8, x2 = fx + 8
            s += "<path class=\"loop-arrow\" d=\"M\(x1),\(y) C\(x1),\(y + 14) \(x2),\(y + 14) \(x2),\(y)\" fill=\"none\" stroke=\"#d62828\" stroke-width=\"2\" marker-end=\"url(#arrow-loop)\"/>"
            s += "<text class=\"finding-label\" x=\"\(fx + fw / 2)\" y=\"\(height - 26)\" text-anchor=\"middle\">\(esc(fw >= 220 ? "STARVATION: " + Trace.loopSteps(l, trace.length) : "LOOP"))</text></g>\n"
        } else {
            s += "<text class=\"finding-label\" x=\"\(fx + w / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\">\(esc(trace.finding.check.verdictKind.rawValue.uppercased()))</text></g>\n"
        }
        s += "</svg>"
        return s
    }

    /// A table's name in a lane: the declaration's name for the copy of the guest served.
    func tableLabel(_ t: Int, served g: Int, _ model: Model) -> String {
        let decl = model.tableDecls[model.tables[t].decl]
        return decl.perGuest && g < decl.copies.count && decl.copies[g] == t ? decl.name : model.tables[t].name
    }

    private func isHeld(_ t: Int, _ s: SystemState, _ model: Model) -> Bool {
        model.siblings(of: t).contains { s.threads[$0].holds & (1 << UInt64(t)) != 0 }
    }

    private func fit(_ s: String, _ n: Int) -> String {
        s.count <= n ? s : String(s.prefix(n - 1)) + "…"
    }

    /// A name cut into lines of at most `n` characters, after an `_` where one is near the
    /// end of a line; nothing is dropped (the pieces joined are the name).
    func wrap(_ s: String, _ n: Int) -> [String] {
        var lines: [String] = []
        var rest = Substring(s)
        while rest.count > n {
            let head = rest.prefix(n)
            var cut = head.endIndex
            if let underscore = head.lastIndex(of: "_"), head.distance(from: head.startIndex, to: underscore) >= n / 2 {
                cut = head.index(after: underscore)
            }
            lines.append(String(rest[..<cut]))
            rest = rest[cut...]
        }
        lines.append(String(rest))
        return lines
    }

    /// A few words for what an action did, to fit in a lane cell.
    func shortLabel(_ a: Action, _ before: SystemState, _ model: Model, _ program: Program) -> String {
        switch a {
        case .guestStep: return "runs"
        case .exit(_, let x): return "exit \(model.exits[x].name)"
        case .entry: return "VM entry"
        case .interrupt(_, let i):
            let interrupt = model.interrupts[i]
            return interrupt.name == interrupt.kind.rawValue ? "\(interrupt.name) starts" : "\(interrupt.kind.rawValue) \(interrupt.name)"
        case .statement(_, let q, let faultedAt):
            let word = model.shortText(of: program.instructions[q].op, source: TraceRenderer(model: model).statementText(q))
            return faultedAt != nil ? "fault: \(word)" : word
        case .crash:
            return "fault: crash"
        case .idle:
            return "idle"
        case .schedule(_, let g):
            return "to \(model.guests[g].name)"
        }
    }

    // MARK: Style and script

    static let css = """
        :root { --fg: #1d2230; --muted: #5b6275; --line: #d9dce3; --bg: #ffffff; --soft: #f6f7f9; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg);
               background: var(--bg); margin: 0 auto; padding: 20px 28px 40px; max-width: 1500px; }
        h1 { font-size: 22px; margin: 0 0 2px; }
        h2 { font-size: 18px; margin: 26px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
        h3 { font-size: 15px; margin: 18px 0 6px; }
        code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
        .file { color: var(--muted); margin: 0; }
        .hash { font-size: 11px; }
        .note { color: var(--muted); font-size: 12.5px; margin: 4px 0 8px; }
        .warn { background: #fff4e0; border-left: 4px solid #e69b00; padding: 8px 12px; }
        .verdict { display: flex; gap: 18px; align-items: center; margin: 14px 0 6px; padding: 12px 16px;
                   border-radius: 8px; border: 1px solid var(--line); background: var(--soft); }
        .verdict .badge { font-weight: 700; font-size: 20px; letter-spacing: .06em; color: #fff; padding: 10px 18px;
                          border-radius: 6px; background: #666; min-width: 110px; text-align: center; }
        .verdict.leak .badge { background: #c0392b; } .verdict.crash .badge { background: #8e44ad; }
        .verdict.deadlock .badge { background: #b9770e; } .verdict.safe .badge { background: #2e8b57; }
        .verdict.undecided .badge { background: #7f8c8d; }
        .verdict p { margin: 2px 0; }
        .verdict .phrase { font-weight: 600; font-size: 15px; }
        .verdict .meta { color: var(--muted); font-size: 12.5px; }
        .expect.met { color: #1e7d45; font-weight: 600; } .expect.unmet { color: #c0392b; font-weight: 700; }
        .scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; padding: 6px; background: #fff; }
        svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
        .lane-label { font-weight: 700; font-size: 14px; fill: var(--fg); }
        .lane-sub { font-size: 11px; fill: var(--muted); }
        .axis { font-size: 11px; fill: var(--muted); }
        .cell-mode { font-size: 11px; font-weight: 600; fill: #fff; }
        .cell-action { font-size: 10.5px; fill: #fff; }
        .cell-note { font-size: 10.5px; fill: #fff; font-style: italic; opacity: .9; }
        .cell { cursor: pointer; }
        .cell:not(.acting) rect:first-of-type { opacity: .82; }
        .axis.finding-label, .finding-label { font-size: 11px; font-weight: 700; fill: #d62828; }
        .region-name { font-size: 10.5px; fill: #3b4252; font-family: "DejaVu Sans Mono", monospace; }
        .region-name.secret { fill: #c0392b; font-weight: 700; }
        .region-name.new { text-decoration: underline; }
        .region-empty { font-size: 10.5px; fill: #9aa0ad; font-style: italic; }
        .flag-value { font-size: 11px; fill: #6b7080; }
        .flag-cell.set .flag-value { fill: #7a5200; font-weight: 600; }
        .flag-value.new { text-decoration: underline; }
        .step.selected .band { fill: #fff3b0; }
        .legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 8px 0 4px; font-size: 12.5px; }
        .legend .item { display: inline-flex; align-items: center; gap: 6px; }
        .swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; vertical-align: -2px; margin-right: 4px; }
        .swatch.held { background: repeating-linear-gradient(45deg, #999, #999 3px, #ddd 3px, #ddd 6px); }
        .swatch.nmi { background: #333; height: 6px; }
        .swatch.kicked { background: linear-gradient(225deg, #f6c344 50%, #ccc 50%); }
        table.grid { border-collapse: collapse; font-size: 12.5px; }
        table.grid th, table.grid td { border: 1px solid var(--line); padding: 3px 7px; text-align: left; vertical-align: top; }
        table.grid thead th { background: var(--soft); position: sticky; top: 0; }
        td.num { text-align: right; color: var(--muted); }
        table.matrix td { text-align: center; min-width: 44px; color: #2b3a55; }
        .matrix th.region-col span { display: block; }
        .matrix th.region-col small, .matrix small { color: var(--muted); font-weight: 400; }
        .matrix td.mapped { background: #e9eef8; }
        .guest-picker { margin: 6px 0; font-size: 12.5px; }
        .guest-picker button { font: inherit; margin-left: 4px; padding: 2px 10px; border-radius: 12px; border: 1px solid var(--line);
                               background: #fff; cursor: pointer; }
        .guest-picker button.active { background: #1d2230; color: #fff; border-color: #1d2230; }
        .cards { display: flex; flex-wrap: wrap; gap: 14px; }
        .card { border: 1px solid var(--line); border-radius: 8px; padding: 4px 14px 10px; min-width: 250px; background: var(--soft); }
        .card ul { margin: 4px 0; padding-left: 18px; }
        .core { margin: 6px 0; }
        .core-name { font-weight: 700; margin-right: 8px; padding: 1px 6px; background: #1d2230; color: #fff; border-radius: 4px; }
        .thread { display: inline-block; margin-right: 10px; padding: 1px 8px; border: 1px solid var(--line); border-radius: 10px; background: #fff; }
        .handlers { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 8px; }
        .handler { border: 1px solid var(--line); border-radius: 6px; background: #fff; }
        .handler .hname { font-weight: 700; font-size: 12.5px; padding: 3px 8px; background: var(--soft); border-bottom: 1px solid var(--line); }
        .handler .hname small { font-weight: 400; color: var(--muted); }
        .handler pre { margin: 0; padding: 6px 8px; white-space: pre-wrap; }
        .steps td.cell { white-space: nowrap; }
        .steps tr.finding td { background: #ffe3e0; font-weight: 600; }
        .steps tr.selected td { background: #fff3b0; }
        .region { display: inline-block; padding: 0 5px; margin: 1px 1px; border-radius: 3px; background: #eef0f4; white-space: nowrap; }
        .region.secret { background: #fadbd8; color: #922b21; }
        .region.new { font-weight: 700; outline: 1px solid #999; }
        .flushed { color: var(--muted); font-style: italic; }
        .causes { margin: 4px 0; }
        .causes .loc { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; background: #1d2230; color: #fff; padding: 0 5px; border-radius: 3px; }
        #mitigations tr.needed td:last-child { color: #c0392b; font-weight: 600; }
        #mitigations tr.not-needed td:last-child { color: #5b6275; }
        footer { margin-top: 30px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
        """

    /// Secret cells in red for the chosen guest: one rule per guest.
    static func matrixRules(_ guests: Int) -> String {
        (0..<guests).map {
            "\ntable.matrix.show-g\($0) td.secret-g\($0).mapped { background: #f5b7b1; color: #7b241c; font-weight: 700; }"
            + "\ntable.matrix.show-g\($0) td.secret-g\($0) { box-shadow: inset 0 -3px 0 #e6b0aa; }"
        }.joined()
    }

    static let script = """
        (function () {
          var matrix = document.getElementById('matrix');
          var finding = document.getElementById('finding-step');
          if (finding) finding.addEventListener('click', function () { select(finding.getAttribute('data-step')); });
          document.querySelectorAll('.guest-picker button').forEach(function (b) {
            b.addEventListener('click', function () {
              document.querySelectorAll('.guest-picker button').forEach(function (o) { o.classList.remove('active'); });
              b.classList.add('active');
              matrix.className = matrix.className.replace(/show-g[0-9]+/, 'show-' + b.dataset.guest);
            });
          });
          function select(step) {
            document.querySelectorAll('.selected').forEach(function (e) { e.classList.remove('selected'); });
            var band = document.getElementById('step-' + step);
            var row = document.getElementById('row-' + step);
            if (band) band.classList.add('selected');
            if (row) { row.classList.add('selected'); row.scrollIntoView({block: 'nearest'}); }
          }
          document.querySelectorAll('#schedule .cell, #schedule .step').forEach(function (e) {
            e.addEventListener('click', function () { select(e.getAttribute('data-step')); });
          });
          document.querySelectorAll('#steps tbody tr').forEach(function (r) {
            r.addEventListener('click', function () { select(r.getAttribute('data-step')); });
          });
          // Tells a headless browser test that the script ran to its end.
          document.documentElement.setAttribute('data-report-ready', 'yes');
        })();
        """
}
