import Foundation
import LeakSemantics
import LeakSyntax

/// The semantics of a model (DESIGN.md section 3) as a Promela model for SPIN, generated from
/// the checked `Model` and its lowered `Program` (never from source text); no Z3 involved.
///
/// One process runs a `do` loop. Each branch of the loop is one `d_step` guarded by exactly
/// the condition under which one thread can take one step with one outcome (interleaving:
/// one thread acts per loop iteration, and every step is one SPIN transition). A step with
/// several outcomes (a branch of `either` taken next, the scheduler's pick of a guest after
/// an exit handler, a first statement of `on fault`) is one branch per outcome, so that the
/// `d_step`s stay deterministic; picks and `either` choices are not steps, as in the
/// interpreter. The initial state is chosen by the first transition (one `if` option per
/// combination of the threads' initial choices).
///
/// A second process, `checks`, asserts `!FINDING` in a loop that never changes the state:
/// SPIN can run that assertion in every reachable state, so it fails exactly when a state
/// with a finding is reachable. `FINDING` is the disjunction of the model's checks, with
/// `DEADLOCK` being "no guard of the main loop holds" (exactly: no thread can move). Being
/// one statement, the property is compiled once (an assertion in every step would repeat it
/// in every branch). With a breadth-first search (`-DBFS`) SPIN reports the violation "at
/// depth n + `depthOffset`" for a shortest finding of n steps: SPIN's start state is at
/// depth 0, the model's initial state (after the first transition) at depth 1, the state
/// after n steps at depth n + 1, and the violating assertion starts from that state.
/// SPIN stores one state more than the model has reachable states (its start state).
public struct PromelaExport: Sendable {
    public let model: Model
    let program: Program

    /// SPIN's reported depth of the violation (`-DBFS`) minus the length of the shortest
    /// finding: the first transition picks the initial state, so the state after n steps is
    /// at depth n + 1, and the assertion fails in a transition from that state.
    public static let depthOffset = 1

    /// At most this many initial states (the product of the threads' initial choices).
    public static let initialStateLimit = 4096

    /// A model that cannot be exported.
    public struct ExportError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(model: Model) {
        self.model = model
        self.program = Program(model)
    }

    /// The Promela text.
    public func promela() throws -> String {
        var writer = Writer(model: model, program: program)
        return try writer.render()
    }
}

extension PromelaExport {
    /// One possible result of moving a control level through `Program.Target`s: extra guard
    /// conditions (on the exit reason being handled) and assignments, in order.
    fileprivate struct Outcome {
        var guards: [String] = []
        var assigns: [String] = []
        var notes: [String] = []

        func then(_ o: Outcome) -> Outcome {
            Outcome(guards: guards + o.guards, assigns: assigns + o.assigns, notes: notes + o.notes)
        }
    }

    /// One branch of the main loop: a guard and a deterministic body.
    fileprivate struct Branch {
        var thread: Int
        var comment: String
        var guards: [String]
        var body: [String]
    }

    fileprivate struct Writer {
        let model: Model
        let program: Program
        let siblings: [[Int]]
        let levelsOf: [[SystemState.Level]]

        init(model: Model, program: Program) {
            self.model = model
            self.program = program
            siblings = model.threads.indices.map { model.siblings(of: $0) }
            levelsOf = program.levels
        }

        // MARK: Names

        func v(_ t: Int, _ field: String) -> String { "T\(t)_\(field)" }
        func pc(_ t: Int, _ l: SystemState.Level) -> String { "T\(t)_pc[\(l.rawValue)]" }
        func fret(_ t: Int, _ l: SystemState.Level) -> String { "T\(t)_fret[\(l.rawValue)]" }
        func retry(_ t: Int, _ l: SystemState.Level) -> String { "T\(t)_retry[\(l.rawValue)]" }
        func hold(_ t: Int, _ u: Int) -> String { "H\(t)_\(u)" }
        func buffer(_ c: Int, _ b: Int) -> String { "B\(c)_\(b)" }
        func code(_ q: Int) -> Int { q + 2 }

        // MARK: Expressions

        func or(_ parts: [String]) -> String {
            let p = unique(parts.filter { $0 != "false" })
            if p.contains("true") { return "true" }
            if p.isEmpty { return "false" }
            return p.count == 1 ? p[0] : "(" + p.joined(separator: " || ") + ")"
        }

        func and(_ parts: [String]) -> String {
            let p = unique(parts.filter { $0 != "true" })
            if p.contains("false") { return "false" }
            if p.isEmpty { return "true" }
            return p.count == 1 ? p[0] : "(" + p.joined(separator: " && ") + ")"
        }

        func not(_ e: String) -> String {
            switch e {
            case "true": "false"
            case "false": "true"
            default: "!" + (e.hasPrefix("(") ? e : "(\(e))")
            }
        }

        func inGuest(_ t: Int) -> String { "(\(pc(t, .base)) == 0)" }
        func host(_ t: Int) -> String { "(\(pc(t, .base)) != 0)" }

        /// The level runs next: host mode, and no inner handler active.
        func active(_ t: Int, _ l: SystemState.Level) -> String {
            switch l {
            case .base: and([host(t), "\(pc(t, .irq)) == 0", "\(pc(t, .nmi)) == 0"])
            case .irq: and([host(t), "\(pc(t, .irq)) != 0", "\(pc(t, .nmi)) == 0"])
            case .nmi: and([host(t), "\(pc(t, .nmi)) != 0"])
            }
        }

        func tableIn(_ t: Int, _ tables: [Int]) -> String {
            or(tables.map { "\(v(t, "table")) == \($0)" })
        }

        /// The tables mapping region `r`.
        func tablesMapping(_ r: Int) -> [Int] {
            model.tables.indices.filter { model.tables[$0].maps.contains(r) }
        }

        /// Whether the loaded table of `t` maps what `ref` names for the guest it serves.
        func mapped(_ t: Int, _ ref: Model.RegionRef) -> String {
            switch ref {
            case .region(let r): return tableIn(t, tablesMapping(r))
            case .perGuest:
                return or(model.threads[t].guests.map { g in
                    and(["\(v(t, "served")) == \(g)", tableIn(t, tablesMapping(model.region(ref, servingGuest: g)))])
                })
            }
        }

        func mapped(_ t: Int, _ refs: [Model.RegionRef]) -> String { and(refs.map { mapped(t, $0) }) }

        func waitHolds(_ c: Model.WaitCondition, _ t: Int) -> String {
            and(siblings[t].map { u in
                switch c {
                case .outOfGuest: host(u)
                case .notIn(let d): or([inGuest(u), not(tableIn(u, model.tableDecls[d].copies))])
                case .in(let d): and([host(u), tableIn(u, model.tableDecls[d].copies)])
                }
            })
        }

        func isHeld(_ t: Int) -> String { or(siblings[t].map { "\(hold($0, t)) == 1" }) }

        // MARK: Statements

        /// A deterministic `if` over cases (skipped when there are none).
        func cases(_ options: [(String, [String])]) -> [String] {
            let live = options.filter { !$0.1.isEmpty }
            if live.isEmpty { return [] }
            return ["if " + live.map { ":: \($0.0) -> \($0.1.joined(separator: "; ")) " }.joined() + ":: else -> skip fi"]
        }

        func setRegions(_ c: Int, _ b: Int, _ set: RegionSet, to value: Int) -> [String] {
            set.map { "\(buffer(c, b))[\($0)] = \(value)" }
        }

        /// A guest-mode step (the VM entry included): every buffer of the core gets the guest's regions.
        func fillGuest(_ t: Int) -> [String] {
            let c = model.threads[t].core
            return cases(model.threads[t].guests.map { g in
                ("\(v(t, "served")) == \(g)",
                 model.buffers.indices.flatMap { setRegions(c, $0, model.owned(by: g), to: 1) })
            })
        }

        /// A host-mode step: `fill mapped` buffers get the loaded table, `fill touched` ones the touched regions.
        func fillHost(_ t: Int, touched: [Model.RegionRef]) -> [String] {
            let c = model.threads[t].core
            var out: [String] = []
            let mappedBuffers = model.buffers.indices.filter { model.buffers[$0].fill == .mapped }
            let touchedBuffers = model.buffers.indices.filter { model.buffers[$0].fill == .touched }
            if !mappedBuffers.isEmpty {
                out += cases(model.tables.indices.map { k in
                    ("\(v(t, "table")) == \(k)", mappedBuffers.flatMap { setRegions(c, $0, model.tables[k].maps, to: 1) })
                })
            }
            for ref in touched where !touchedBuffers.isEmpty {
                switch ref {
                case .region(let r):
                    out += touchedBuffers.map { "\(buffer(c, $0))[\(r)] = 1" }
                case .perGuest:
                    out += cases(model.threads[t].guests.map { g in
                        let r = model.region(ref, servingGuest: g)
                        return ("\(v(t, "served")) == \(g)", touchedBuffers.map { "\(buffer(c, $0))[\(r)] = 1" })
                    })
                }
            }
            return out
        }

        // MARK: Control

        /// Every way level `l` of thread `t` moves to `targets` of `block`, following block ends
        /// (as `Interpreter.advance`). `exit` is the exit reason when known statically.
        func advance(_ t: Int, _ l: SystemState.Level, _ block: Program.BlockID, _ targets: [Program.Target],
                     exit: Int?) -> [Outcome] {
            var out: [Outcome] = []
            for target in targets {
                switch target {
                case .instruction(let j):
                    // Reaching a wait inside an nmi handler is a crash: the schedule ends here.
                    let crash = program.crashesOnArrival(j, at: l)
                    out.append(Outcome(assigns: ["\(pc(t, l)) = \(code(j))", "\(retry(t, l)) = 0"]
                                            + (crash ? ["\(v(t, "crashed")) = 1"] : []),
                                       notes: ["next: \(describe(j))" + (crash ? " (a wait inside an nmi handler: crash)" : "")]))
                case .end:
                    switch block {
                    case .fault:
                        out.append(Outcome(assigns: ["\(pc(t, l)) = \(fret(t, l))", "\(fret(t, l)) = 0",
                                                     "\(retry(t, l)) = 1"],
                                           notes: ["on fault done: retry the touch"]))
                    case .interrupt:
                        if l == .irq {
                            out.append(Outcome(assigns: ["\(pc(t, .irq)) = 0", "\(fret(t, .irq)) = 0",
                                                         "\(retry(t, .irq)) = 0", "\(v(t, "if")) = 1"],
                                               notes: ["irq handler returns"]))
                        } else {
                            out.append(Outcome(assigns: ["\(pc(t, .nmi)) = 0", "\(fret(t, .nmi)) = 0",
                                                         "\(retry(t, .nmi)) = 0", "\(v(t, "if")) = \(v(t, "nmisaved"))",
                                                         "\(v(t, "nmisaved")) = 0"],
                                               notes: ["nmi handler returns"]))
                        }
                    case .vmexit:
                        for x in exit.map({ [$0] }) ?? Array(model.exits.indices) {
                            let head = Outcome(guards: exit == nil ? ["\(v(t, "exit")) == \(x + 1)"] : [],
                                               assigns: ["\(v(t, "exit")) = 0"])
                            out += advance(t, .base, .exit(x), program.exitEntry[x], exit: x).map { head.then($0) }
                        }
                    case .exit:
                        for g in model.threads[t].guests {
                            let head = Outcome(assigns: ["\(v(t, "served")) = \(g)"],
                                               notes: model.threads[t].guests.count > 1 ? ["picks \(model.guests[g].name)"] : [])
                            out += advance(t, .base, .vmentry, program.vmentryEntry, exit: nil).map { head.then($0) }
                        }
                    case .vmentry:
                        out.append(Outcome(assigns: ["\(pc(t, .base)) = 1", "\(fret(t, .base)) = 0", "\(retry(t, .base)) = 0"],
                                           notes: ["ready to enter"]))
                    }
                }
            }
            return out
        }

        func describe(_ q: Int) -> String {
            safe("\(program.text(of: q, in: model)) (line \(program.line(of: q, in: model)), \(program.instructions[q].block.name(in: model)))")
        }

        /// Text that cannot end a Promela comment.
        func safe(_ s: String) -> String { s.replacingOccurrences(of: "*/", with: "* /") }

        /// Instruction `q` as thread `t`'s step at level `l` (its frame already set up).
        func execute(_ q: Int, _ t: Int, _ l: SystemState.Level) -> [(guards: [String], body: [String], notes: [String])] {
            let instruction = program.instructions[q]
            var guards: [String] = []
            var body: [String] = []
            let c = model.threads[t].core
            if case .touch(let refs) = instruction.op {
                body += fillHost(t, touched: refs)
            } else {
                body += fillHost(t, touched: [])
            }
            switch instruction.op {
            case .touch:
                break
            case .switchTable(let ref):
                switch ref {
                case .table(let k): body.append("\(v(t, "table")) = \(k)")
                case .perGuest:
                    body += cases(model.threads[t].guests.map { g in
                        ("\(v(t, "served")) == \(g)", ["\(v(t, "table")) = \(model.table(ref, servingGuest: g))"])
                    })
                }
            case .kick, .hold:
                for u in siblings[t] { body += cases([(inGuest(u), ["\(v(u, "kick")) = 1"])]) }
                if instruction.op == .hold { body += siblings[t].map { "\(hold(t, $0)) = 1" } }
            case .release:
                body += siblings[t].map { "\(hold(t, $0)) = 0" }
            case .wait(let condition):
                guards.append(waitHolds(condition, t))
            case .flush(let b):
                body += setRegions(c, b, RegionSet(count: model.regions.count, model.regions.indices), to: 0)
            case .irqs(let on):
                body.append("\(v(t, "if")) = \(on ? 1 : 0)")
            }
            return advance(t, l, instruction.block, instruction.next, exit: nil).map { o in
                (guards + o.guards, body + o.assigns, o.notes)
            }
        }

        // MARK: Branches

        func branches(of t: Int) -> [Branch] {
            let name = model.threads[t].name
            var out: [Branch] = []
            // Guest mode.
            let running = "\(name) runs its guest"
            out.append(Branch(thread: t, comment: "\(name): keeps running its guest",
                              guards: [inGuest(t), "\(v(t, "kick")) == 0"], body: fillGuest(t)))
            var exits: [(Int, Bool)] = model.exits.indices.filter { !model.exits[$0].implicit }.map { ($0, false) }
            exits.append((model.kickExit, true))
            for (x, forced) in exits {
                let head = fillGuest(t) + (forced ? ["\(v(t, "kick")) = 0"] : []) + ["\(v(t, "exit")) = \(x + 1)"]
                for o in advance(t, .base, .vmexit, program.vmexitEntry, exit: x) {
                    out.append(Branch(thread: t,
                                      comment: "\(running): exit \(model.exits[x].name)\(forced ? " (forced by a pending kick)" : "")"
                                        + (o.notes.isEmpty ? "" : "; " + o.notes.joined(separator: ", ")),
                                      guards: [inGuest(t), "\(v(t, "kick")) == \(forced ? 1 : 0)"] + o.guards,
                                      body: head + o.assigns))
                }
            }
            // The VM entry.
            out.append(Branch(thread: t, comment: "\(name): enters the guest it serves",
                              guards: [active(t, .base), "\(pc(t, .base)) == 1", not(isHeld(t))],
                              body: fillGuest(t) + ["\(pc(t, .base)) = 0", "\(fret(t, .base)) = 0", "\(retry(t, .base)) = 0"]))
            // Statements.
            for (q, instruction) in program.instructions.enumerated() {
                for l in levelsOf[q] {
                    let at = [active(t, l), "\(pc(t, l)) == \(code(q))"]
                    let what = "\(name) (\(levelName(l))): \(describe(q))"
                    if case .wait = instruction.op, l == .nmi { continue }
                    if case .touch(let refs) = instruction.op {
                        for e in execute(q, t, l) {
                            out.append(Branch(thread: t, comment: what + notes(e.notes), guards: at + [mapped(t, refs)] + e.guards,
                                              body: e.body))
                        }
                        out.append(Branch(thread: t, comment: "\(what) faults with no way out: crash",
                                          guards: at + [faultCrashes(t, q, refs, l)], body: ["\(v(t, "crashed")) = 1"]))
                        guard program.hasFaultHandler, instruction.block != .fault else { continue }
                        for case .instruction(let f) in program.faultEntry {
                            var alternative: [String] = []
                            switch program.instructions[f].op {
                            case .wait where l == .nmi: continue
                            case .touch(let refs2): alternative.append(mapped(t, refs2))
                            default: break
                            }
                            for e in execute(f, t, l) {
                                out.append(Branch(thread: t,
                                                  comment: "\(what) faults: \(describe(f))" + notes(e.notes),
                                                  guards: at + [not(mapped(t, refs)), "\(retry(t, l)) == 0"] + alternative + e.guards,
                                                  body: ["\(fret(t, l)) = \(code(q))"] + e.body))
                            }
                        }
                    } else {
                        for e in execute(q, t, l) {
                            out.append(Branch(thread: t, comment: what + notes(e.notes), guards: at + e.guards, body: e.body))
                        }
                    }
                }
            }
            // Interrupt starts.
            for (i, interrupt) in model.interrupts.enumerated() {
                let l: SystemState.Level = interrupt.kind == .nmi ? .nmi : .irq
                let can = interrupt.kind == .nmi
                    ? [host(t), "\(pc(t, .nmi)) == 0"]
                    : [host(t), "\(v(t, "if")) == 1", "\(pc(t, .irq)) == 0", "\(pc(t, .nmi)) == 0"]
                var head = fillHost(t, touched: [])
                if interrupt.kind == .nmi { head.append("\(v(t, "nmisaved")) = \(v(t, "if"))") }
                head += ["\(v(t, "if")) = 0", "\(fret(t, l)) = 0", "\(retry(t, l)) = 0"]
                for o in advance(t, l, .interrupt(i), program.interruptEntry[i], exit: nil) {
                    out.append(Branch(thread: t,
                                      comment: "\(name): starts \(interrupt.kind.rawValue) \(interrupt.name) (line \(line(interrupt.span)))" + notes(o.notes),
                                      guards: can + o.guards, body: head + o.assigns))
                }
            }
            return out
        }

        func notes(_ n: [String]) -> String { n.isEmpty ? "" : "; " + n.joined(separator: ", ") }
        func levelName(_ l: SystemState.Level) -> String { ["base", "irq", "nmi"][l.rawValue] }
        func line(_ span: SourceSpan) -> Int { model.file.position(of: span.start).line }

        // MARK: Checks

        func corun() -> String {
            var parts: [String] = []
            for t in model.threads.indices {
                for g in model.threads[t].guests {
                    let secret = model.secret(to: g)
                    for u in siblings[t] {
                        let guestsExposing = model.threads[u].guests.filter { !model.owned(by: $0).isDisjoint(with: secret) }
                        let tablesExposing = model.tables.indices.filter { !model.tables[$0].maps.isDisjoint(with: secret) }
                        let exposed = or([
                            and([inGuest(u), or(guestsExposing.map { "\(v(u, "served")) == \($0)" })]),
                            and([host(u), tableIn(u, tablesExposing)]),
                        ])
                        parts.append(and([inGuest(t), "\(v(t, "served")) == \(g)", exposed]))
                    }
                }
            }
            return or(parts)
        }

        func residue(_ b: Int) -> String {
            or(model.threads.indices.flatMap { t in
                model.threads[t].guests.map { g in
                    and([inGuest(t), "\(v(t, "served")) == \(g)",
                         or(model.secret(to: g).map { "\(buffer(model.threads[t].core, b))[\($0)] == 1" })])
                }
            })
        }

        /// Some thread crashed: the schedule has ended.
        func crashed() -> String { or(model.threads.indices.map { "\(v($0, "crashed")) == 1" }) }

        /// The touch `q` at level `l` faults with no way out (`Program.faultCrashes`).
        func faultCrashes(_ t: Int, _ q: Int, _ refs: [Model.RegionRef], _ l: SystemState.Level) -> String {
            let why = program.faultCrashes(q, at: l).map { condition in
                switch condition {
                case .always: "true"
                case .retry: "\(retry(t, l)) == 1"
                case .unmapped(let refs2): not(mapped(t, refs2))
                }
            }
            return and([not(mapped(t, refs)), or(why)])
        }

        // MARK: Rendering

        func type(for count: Int) -> String { count <= 255 ? "byte" : "short" }

        mutating func render() throws -> String {
            var out: [String] = []
            let regionCount = max(1, model.regions.count)
            out.append("/* leakcheck \(LeakModelVersion.string): Promela export of \(model.file.path)")
            if let title = model.title { out.append(safe("   model \"\(title)\"")) }
            out += [
                "   The assertion of process checks fails exactly when a state is reachable in which one",
                "   of the model's checks finds something (\(checkNames().joined(separator: ", "))), in a schedule of",
                "   any length. Each step of a schedule is one SPIN transition (one d_step of the loop in",
                "   process schedule); its first transition picks the initial state. With pan compiled",
                "   with -DBFS, SPIN reports the violation \"at depth n + \(PromelaExport.depthOffset)\" where n is the length of",
                "   the shortest finding (the state after n steps is at depth n + 1).",
                "   Run: spin -a FILE.pml && gcc -O2 -DBFS -DSAFETY -DNOREDUCE -o pan pan.c && ./pan",
                "",
                "   Threads (T<i>_ variables):",
            ]
            for (t, th) in model.threads.enumerated() {
                out.append("     T\(t) = \(th.name) (core \(model.cores[th.core].name)), serves "
                           + th.guests.map { "\($0) = \(model.guests[$0].name)" }.joined(separator: ", "))
            }
            out.append("   Tables (T<i>_table): " + model.tables.enumerated().map { "\($0.offset) = \($0.element.name)" }.joined(separator: ", "))
            out.append("   Regions (buffer bit): " + model.regions.enumerated().map { "\($0.offset) = \($0.element.name)" }.joined(separator: ", "))
            out.append("   Buffers (B<core>_<buffer>): " + model.cores.enumerated().flatMap { c in
                model.buffers.enumerated().map { "B\(c.offset)_\($0.offset) = \($0.element.name) of \(c.element.name)" }
            }.joined(separator: ", "))
            out += [
                "   pc codes per level [0 base, 1 irq, 2 nmi]: 0 = guest mode (base) or inactive (irq, nmi),",
                "   1 = ready for the VM entry, n >= 2 = about to run instruction n - 2:",
            ]
            for q in program.instructions.indices { out.append("     \(code(q)): \(describe(q))") }
            out.append("   T<i>_exit: exit reason + 1 while in on vmexit: "
                       + model.exits.enumerated().map { "\($0.offset + 1) = \($0.element.name)" }.joined(separator: ", "))
            out.append("   H<i>_<j> = 1: thread i holds thread j. */")
            out.append("")

            // State.
            let pcType = type(for: program.instructions.count + 2)
            for (t, th) in model.threads.enumerated() {
                out.append("/* \(th.name) */")
                out.append("\(pcType) T\(t)_pc[3]; \(pcType) T\(t)_fret[3]; bit T\(t)_retry[3];")
                out.append("\(type(for: model.guests.count)) T\(t)_served; \(type(for: model.tables.count)) T\(t)_table; "
                           + "\(type(for: model.exits.count + 1)) T\(t)_exit;")
                out.append("bit T\(t)_if; bit T\(t)_nmisaved; bit T\(t)_kick; bit T\(t)_crashed;")
                let holds = siblings[t].map { "bit \(hold(t, $0));" }
                if !holds.isEmpty { out.append(holds.joined(separator: " ")) }
            }
            for (c, core) in model.cores.enumerated() {
                for (b, buf) in model.buffers.enumerated() {
                    out.append("bit \(buffer(c, b))[\(regionCount)];  /* \(buf.name) of \(core.name), fill \(buf.fill.rawValue) */")
                }
            }
            out.append("bit started;  /* the initial state has been chosen */")
            out.append("")

            // Branches and guards.
            var branches: [Branch] = []
            for t in model.threads.indices { branches += self.branches(of: t) }
            branches = branches.filter { and($0.guards) != "false" }
            // A crash ends the schedule: no step from a crashed state.
            for i in branches.indices { branches[i].guards.insert("!CRASHED", at: 0) }
            var guardNames: [String: String] = [:]
            var guardOrder: [String] = []
            var branchGuards: [String] = []
            for b in branches {
                let g = and(b.guards)
                if guardNames[g] == nil {
                    guardNames[g] = "G\(guardOrder.count)"
                    guardOrder.append(g)
                }
                branchGuards.append(guardNames[g]!)
            }

            // Checks.
            out.append("/* The checks, on the current state. Nothing but the crash is reported from a")
            out.append("   crashed state, and it is no deadlock. */")
            out.append("#define CRASHED \(paren(crashed()))")
            var findingParts: [String] = []
            for check in model.checks {
                switch check {
                case .corun:
                    out.append("#define CORUN (!CRASHED && \(paren(corun())))")
                    findingParts.append("CORUN")
                case .residue(let b):
                    out.append("#define RESIDUE_\(b) (!CRASHED && \(paren(residue(b))))  /* residue \(model.buffers[b].name) */")
                    findingParts.append("RESIDUE_\(b)")
                case .crash:
                    out.append("#define CRASH CRASHED")
                    findingParts.append("CRASH")
                case .deadlock:
                    out.append("#define DEADLOCK (!CRASHED && !\(paren(or(guardOrder.indices.map { "G\($0)" }))))  /* no guard of the loop holds */")
                    findingParts.append("DEADLOCK")
                }
            }
            out.append("#define FINDING \(paren(or(findingParts)))")
            out.append("")
            out.append("/* Guards: exactly when a thread can take a step with that outcome. */")
            for (i, g) in guardOrder.enumerated() { out.append("#define G\(i) \(paren(g))") }
            out.append("")

            // Initial states.
            let choices = model.threads.indices.map { t in initialChoices(t) }
            var count = 1
            for c in choices {
                count *= c.count
                guard count <= PromelaExport.initialStateLimit else {
                    throw ExportError(description: "more than \(PromelaExport.initialStateLimit) initial states: too many to export to Promela")
                }
            }
            var combos: [[Int]] = [[]]
            for c in choices { combos = combos.flatMap { p in c.indices.map { p + [$0] } } }

            out.append("active proctype schedule()")
            out.append("{")
            out.append("    /* The initial state: every thread picks a guest it may serve and a first statement of on vmentry. */")
            out.append("    if")
            for combo in combos {
                let parts = combo.enumerated().map { choices[$0.offset][$0.element] }
                out.append("    :: d_step { " + parts.flatMap(\.assigns).joined(separator: "; ") + "; started = 1 }")
                out.append("       /* " + parts.map(\.comment).joined(separator: "; ") + " */")
            }
            out.append("    fi;")
            out.append("    /* One step per iteration: one thread acts. */")
            out.append("end_loop:")
            out.append("    do")
            var lastThread = -1
            for (b, name) in zip(branches, branchGuards) {
                if b.thread != lastThread {
                    out.append("    /* \(model.threads[b.thread].name) */")
                    lastThread = b.thread
                }
                out.append("    :: d_step { \(name) -> " + (b.body.isEmpty ? "skip" : b.body.joined(separator: "; ")) + " }")
                out.append("       /* \(b.comment.replacingOccurrences(of: "*/", with: "* /")) */")
            }
            out.append("    od")
            out.append("}")
            out.append("")
            out.append("/* The checks in every reachable state (after the initial choice): SPIN may run this")
            out.append("   assertion in any state, and running it leaves the state as it is. */")
            out.append("active proctype checks()")
            out.append("{")
            out.append("end_checks:")
            out.append("    do")
            out.append("    :: assert(!started || !FINDING)")
            out.append("    od")
            out.append("}")
            return out.joined(separator: "\n") + "\n"
        }

        func initialChoices(_ t: Int) -> [(assigns: [String], comment: String)] {
            var out: [(assigns: [String], comment: String)] = []
            var seen = Set<[String]>()
            for g in model.threads[t].guests {
                let head = ["\(v(t, "served")) = \(g)", "\(v(t, "table")) = \(model.initialTable(servingGuest: g))",
                            "\(pc(t, .base)) = 1"]
                for o in advance(t, .base, .vmentry, program.vmentryEntry, exit: nil) {
                    let assigns = head + o.assigns
                    guard seen.insert(assigns).inserted else { continue }
                    out.append((assigns, "\(model.threads[t].name) serves \(model.guests[g].name)" + notes(o.notes)))
                }
            }
            return out
        }

        func checkNames() -> [String] {
            model.checks.map { check in
                switch check {
                case .corun: "corun"
                case .residue(let b): "residue \(model.buffers[b].name)"
                case .crash: "crash"
                case .deadlock: "deadlock"
                }
            }
        }

        func paren(_ e: String) -> String { e.hasPrefix("(") ? e : "(\(e))" }

        func unique(_ values: [String]) -> [String] {
            var seen = Set<String>()
            return values.filter { seen.insert($0).inserted }
        }
    }
}
