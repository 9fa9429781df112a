import LeakSemantics
import LeakTrace

/// Renders a schedule as a table a reviewer can follow: one row per step, one column per
/// thread (mode and table), what the step put into or took out of the buffers, and the
/// statement with its line; then the finding in one sentence.
public struct TraceRenderer: Sendable {
    public let model: Model
    public let program: Program

    public init(model: Model) {
        self.model = model
        self.program = Program(model)
    }

    public func render(_ trace: Trace) -> String {
        var rows: [[String]] = [["step", "thread", "action"] + model.threads.map(\.name) + ["buffers"]]
        rows.append(["0", "", "initial state"] + model.threads.indices.map { cell(trace.initial, $0) } + [""])
        for (k, step) in trace.steps.enumerated() {
            if k == trace.loopStart {
                // A lasso: the rows below repeat forever.
                rows.append(["loop", "", Trace.loopSteps(k, trace.length)]
                            + model.threads.map { _ in "" } + [""])
            }
            let before = trace.state(after: k)
            rows.append(["\(k + 1)", model.threads[step.action.thread].name, describe(step.action, before)]
                        + model.threads.indices.map { cell(step.state, $0) }
                        + [bufferDelta(before, step.state)])
        }
        if let l = trace.loopStart {
            rows.append(["", "", "back to the state after step \(l)"] + model.threads.map { _ in "" } + [""])
        }
        var out = TextTable.render(rows)
        out += "\n" + explain(trace) + "\n"
        if let note = startNote(trace) { out += note + "\n" }
        return out
    }

    /// For a finding before any thread has left its guest: the schedule runs from the start
    /// state, so say where the threads started (a model may choose it with `start`).
    public func startNote(_ trace: Trace) -> String? {
        guard !trace.steps.contains(where: { if case .exit = $0.action { true } else { false } }) else { return nil }
        var groups: [(table: Int, byDefault: Bool, threads: [String])] = []
        for t in model.threads.indices {
            let d = model.startTableDecl(thread: t), byDefault = model.threads[t].startTable == nil
            if let i = groups.firstIndex(where: { $0.table == d && $0.byDefault == byDefault }) {
                groups[i].threads.append(model.threads[t].name)
            } else {
                groups.append((d, byDefault, [model.threads[t].name]))
            }
        }
        let starts = groups.map { g in
            "\(g.threads.joined(separator: " and ")) in \(model.tableDecls[g.table].name)\(g.byDefault ? ", the first table declared" : ", by a start line")"
        }
        return "before any VM exit: the schedule runs from the start state (\(starts.joined(separator: "; "))); 'start THREAD in TABLE' chooses another"
    }

    // MARK: Cells

    /// A thread's mode and table, with what else matters right now.
    func cell(_ s: SystemState, _ t: Int) -> String {
        let ts = s.threads[t]
        var words: [String] = []
        if ts.inGuest {
            words.append("guest \(model.guests[ts.served].name)")
        } else {
            words.append("host \(model.tables[ts.table].name)")
            if ts.nmi != nil { words.append("[nmi]") } else if ts.irq != nil { words.append("[irq]") }
            if ts.base.position == .ready { words.append("ready") }
            if ts.base.position == .idle { words.append("idle") }
        }
        if isHeld(t, s) { words.append("held") }
        if ts.kickPending { words.append("kicked") }
        // The flags set that this thread reads: its own, and its core's ("name@core").
        for f in model.flags.indices where s.flags[f][model.flagCopy(f, thread: t)] {
            words.append(model.flags[f].scope == .thread ? model.flags[f].name
                         : "\(model.flags[f].name)@\(model.cores[model.threads[t].core].name)")
        }
        if ts.crashed { words.append("CRASHED") }
        return words.joined(separator: " ")
    }

    private func isHeld(_ t: Int, _ s: SystemState) -> Bool {
        model.siblings(of: t).contains { s.threads[$0].holds & (1 << UInt64(t)) != 0 }
    }

    /// What an action did, with the statement's line.
    public func describe(_ action: Action, _ before: SystemState) -> String {
        let text = describeAlone(action, before)
        let ifs = ifsPassed(action, before)
        guard !ifs.isEmpty else { return text }
        // Choosing a branch is not a step (DESIGN.md 6.1): say which the step took, and why.
        return text + " after " + ifs.map { q, set in
            "\(program.text(of: q, in: model).prefix { $0 != "{" }.trimmingCharacters(in: .whitespaces)) (line \(line(q))): \(set)"
        }.joined(separator: ", ")
    }

    /// The `if`s a main step of the acting thread passes through before its statement, each
    /// with the value the flag had, as far as the block it starts in goes and while the branch
    /// leads to one place. (`Interpreter.ifsPassed` follows every path, across block ends, for
    /// coverage; Report cannot see the interpreter, and a schedule's step took one path.)
    func ifsPassed(_ action: Action, _ before: SystemState) -> [(Int, Bool)] {
        switch action {
        case .statement, .crash, .entry, .schedule: break
        case .guestStep, .exit, .interrupt, .idle: return []
        }
        let t = action.thread
        let thread = before.threads[t]
        guard !thread.inGuest, case .instruction(var q)? = thread.frame(thread.activeLevel)?.position else { return [] }
        var out: [(Int, Bool)] = []
        while case .ifFlag(let f, _, _, _) = program.instructions[q].op, !out.contains(where: { $0.0 == q }) {
            let set = before.flags[f][model.flagCopy(f, thread: t)]
            out.append((q, set))
            // A branch that starts with an `either` has several targets: which one the step
            // took is not known here, so the walk stops.
            let targets = program.instructions[q].branch(flag: set)
            guard targets.count == 1, case .instruction(let next) = targets[0] else { break }
            q = next
        }
        return out
    }

    private func describeAlone(_ action: Action, _ before: SystemState) -> String {
        switch action {
        case .guestStep(let t):
            return "runs \(model.guests[before.threads[t].served].name)"
        case .exit(let t, let x):
            return "exits \(model.guests[before.threads[t].served].name): \(model.exits[x].name)"
        case .entry(let t):
            return "enters \(model.guests[before.threads[t].served].name)"
        case .interrupt(_, let i):
            let interrupt = model.interrupts[i]
            return "\(interrupt.kind.rawValue) '\(interrupt.name)' starts"
        case .statement(_, let q, let faultedAt):
            var text = "\(statementText(q)) (\(where_(q)))"
            if let p = faultedAt {
                text = "page fault at \(statementText(p)) (line \(line(p))); \(text)"
            }
            return text
        case .crash(_, let q):
            return "\(statementText(q)) (\(where_(q))) faults: crash"
        case .idle:
            return "idles"
        case .schedule(_, let g):
            return "is scheduled onto \(model.guests[g].name)"
        }
    }

    /// The statement's source text, on one line.
    public func statementText(_ q: Int) -> String { program.text(of: q, in: model) }

    public func line(_ q: Int) -> Int { program.line(of: q, in: model) }

    /// "line 12, exit ept" / "line 4, on fault".
    private func where_(_ q: Int) -> String {
        "line \(line(q)), \(program.instructions[q].block.name(in: model))"
    }

    private func bufferDelta(_ before: SystemState, _ after: SystemState) -> String {
        var parts: [String] = []
        for (c, core) in model.cores.enumerated() {
            for (b, buffer) in model.buffers.enumerated() {
                let old = before.buffers[c][b], new = after.buffers[c][b]
                guard old != new else { continue }
                let added = new.filter { !old.contains($0) }.map { model.regions[$0].name }
                let removed = old.filter { !new.contains($0) }
                let label = model.cores.count > 1 ? "\(core.name).\(buffer.name)" : buffer.name
                if new.isEmpty {
                    parts.append("\(label) flushed")
                } else {
                    var text = "\(label) +" + added.joined(separator: " +")
                    if !removed.isEmpty { text += " -" + removed.map { model.regions[$0].name }.joined(separator: " -") }
                    parts.append(text)
                }
            }
        }
        return parts.joined(separator: "; ")
    }

    // MARK: The finding

    private func owner(_ r: Int) -> String {
        switch model.regions[r].owner {
        case .public: "public"
        case .host(let h): "owned by \(model.hosts[h].name)"
        case .guest(let g): "owned by \(model.guests[g].name)"
        }
    }

    /// The finding in one sentence that names the guest, the threads, and the secret region.
    public func explain(_ trace: Trace) -> String {
        let s = trace.final
        let k = trace.length
        let name = { (t: Int) in self.model.threads[t].name }
        switch trace.finding {
        case .corun(let t, let g, let u, let r):
            let sib = s.threads[u]
            let exposure = sib.inGuest
                ? "runs \(model.guests[sib.served].name), whose own region \(model.regions[r].name) (\(owner(r))) it exposes"
                : "has table \(model.tables[sib.table].name) loaded, which maps \(model.regions[r].name) (\(owner(r)))"
            return "step \(k): \(name(t)) runs \(model.guests[g].name) while its sibling \(name(u)) \(exposure)"
        case .residue(let t, let g, let b, let r):
            let core = model.cores[model.threads[t].core]
            var text = "step \(k): \(name(t)) runs \(model.guests[g].name) while \(model.buffers[b].name) of core \(core.name) holds \(model.regions[r].name) (\(owner(r)))"
            if let (when, action) = entered(r, buffer: b, core: model.threads[t].core, trace) {
                text += "; it entered at step \(when) (\(name(action.thread)): \(describe(action, trace.state(after: when - 1))))"
            }
            return text
        case .crash(let t, let reason):
            let ts = s.threads[t]
            let level = ts.nmi != nil ? "in an nmi handler" : ts.irq != nil ? "in an irq handler" : "in its \(ts.base.position == .ready ? "entry path" : "handler")"
            let table = model.tables[ts.table].name
            switch reason {
            case .noFaultHandler(let q, let r):
                return "step \(k): \(name(t)) \(level) runs \(statementText(q)) (line \(line(q))); table \(table) does not map \(model.regions[r].name) and the model has no on fault block: crash"
            case .faultInFaultHandler(let q, let r):
                return "step \(k): \(name(t)) \(level) faults inside on fault at \(statementText(q)) (line \(line(q))): table \(table) does not map \(model.regions[r].name): crash"
            case .stillUnmapped(let q, let r):
                return "step \(k): \(name(t)) \(level) retries \(statementText(q)) (line \(line(q))) after on fault, and table \(table) still does not map \(model.regions[r].name): crash"
            case .waitInNMI(let q):
                return "step \(k): \(name(t)) reaches \(statementText(q)) (line \(line(q))) inside an nmi handler, where it can never wait: crash"
            }
        case .deadlock:
            let why = model.threads.indices.map { "\(name($0)) \(stuck($0, s))" }.joined(separator: ", ")
            return "after step \(k) no thread can move: \(why)"
        case .starvation(let t):
            let l = trace.loopStart ?? k
            let movers = Array(Set(trace.steps[l...].map(\.action.thread))).sorted().map(name)
            return "\(Trace.loopSteps(l, k)), and \(name(t)) never runs its guest in the loop; at its start \(name(t)) \(loopPosition(t, s)). "
                + "The loop is fair: no interrupt starts in it, and every thread that can move in it moves (\(movers.joined(separator: ", ")))"
        }
    }

    /// Where a starving thread is in the loop, in words.
    private func loopPosition(_ t: Int, _ s: SystemState) -> String {
        let ts = s.threads[t]
        let frame = ts.frame(ts.activeLevel)!
        switch frame.position {
        case .guest: return "runs its guest"
        case .ready:
            return isHeld(t, s) ? "is held before VM entry by \(holders(of: t, s).joined(separator: ", "))" : "is ready to enter"
        case .idle: return "is idle"
        case .instruction(let q):
            if case .wait = program.instructions[q].op { return "waits at \(statementText(q)) (line \(line(q)))" }
            return "is at \(statementText(q)) (line \(line(q)))"
        }
    }

    /// The siblings that hold thread `t` in `s`.
    func holders(of t: Int, _ s: SystemState) -> [String] {
        model.siblings(of: t).filter { s.threads[$0].holds & (1 << UInt64(t)) != 0 }.map { model.threads[$0].name }
    }

    /// The last step at which region `r` entered the buffer and stayed.
    private func entered(_ r: Int, buffer b: Int, core c: Int, _ trace: Trace) -> (Int, Action)? {
        var k = trace.length
        while k > 0 {
            if !trace.state(after: k - 1).buffers[c][b].contains(r) { return (k, trace.steps[k - 1].action) }
            k -= 1
        }
        return nil
    }

    private func stuck(_ t: Int, _ s: SystemState) -> String {
        let ts = s.threads[t]
        let frame = ts.frame(ts.activeLevel)!
        switch frame.position {
        case .guest: return "runs its guest"
        case .ready: return isHeld(t, s) ? "is held before VM entry" : "is ready to enter"
        case .idle: return "is idle"
        case .instruction(let q): return "waits at \(statementText(q)) (line \(line(q)))"
        }
    }

}

