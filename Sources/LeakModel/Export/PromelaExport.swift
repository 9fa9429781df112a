import Foundation
import LeakSemantics
import LeakSteps
import LeakSyntax

/// The semantics of a model (DESIGN.md section 3) as a Promela model for SPIN: a total
/// translation of the model's `TransitionSystem` (the step rules, `StepRules`), which never
/// looks at a statement kind; no Z3 involved.
///
/// One process runs a `do` loop. Each branch of the loop is one `d_step`: one guarded command,
/// guarded by exactly the condition under which one thread can take one step with one outcome
/// (interleaving: one thread acts per loop iteration, and every step is one SPIN transition).
/// Every command is deterministic (a step with several outcomes is several commands), so the
/// `d_step`s are too. The initial state is chosen by the first transition (one `if` option
/// per combination of the threads' initial choices).
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
    let system: TransitionSystem

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
        let program = Program(model)
        self.program = program
        self.system = StepRules(model: model, program: program).system()
    }

    /// The Promela text.
    public func promela() throws -> String {
        try Writer(model: model, program: program, system: system).render()
    }
}

extension PromelaExport {
    /// One branch of the main loop: a guard and a deterministic body.
    fileprivate struct Branch {
        var thread: Int
        /// The step starts an interrupt handler (no such step is in a fair loop, DESIGN.md 6.2).
        var startsInterrupt: Bool
        /// An idle thread's idle step: no move for deadlock, no step for fairness.
        var idles: Bool
        var comment: String
        var guardText: String
        var body: [String]
    }

    fileprivate struct Writer {
        let model: Model
        let program: Program
        let system: TransitionSystem
        var space: StateSpace { system.space }

        // MARK: Terms

        /// A Boolean or code term as a Promela expression.
        func text(_ term: StepTerm) -> String {
            switch term {
            case .bool(let b): return b ? "true" : "false"
            case .code(let value, _): return "\(value)"
            case .set: preconditionFailure("a set term has no Promela value: it is rendered member by member")
            case .variable(let i): return space.vars[i].identifier
            case .negation(let a): return "!" + paren(text(a))
            case .all(let parts): return "(" + parts.map(text).joined(separator: " && ") + ")"
            case .any(let parts): return "(" + parts.map(text).joined(separator: " || ") + ")"
            case .equal(let a, let b):
                if let n = setSize(a) {
                    return text(.and((0..<n).map { .eq(.member(a, $0), .member(b, $0)) }))
                }
                return "(\(text(a)) == \(text(b)))"
            case .ite(let c, let a, let b): return "(\(text(c)) -> \(text(a)) : \(text(b)))"
            case .union: preconditionFailure("a set term has no Promela value: it is rendered member by member")
            case .intersects(let a, let b):
                return text(.or((0..<setSize(a, b)).map { .and([.member(a, $0), .member(b, $0)]) }))
            case .subset(let a, let b):
                return text(.and((0..<setSize(a, b)).map { .implies(.member(a, $0), .member(b, $0)) }))
            case .member(let a, let i):
                guard case .variable(let x) = a else { return text(.member(a, i)) }
                return "\(space.vars[x].identifier)[\(i)]"
            }
        }

        /// The number of possible members of a set term (nil for a term of another sort).
        func setSize(_ term: StepTerm) -> Int? {
            switch term {
            case .set(let s): return s.count
            case .variable(let i):
                if case .set(let n) = space.vars[i].sort { return n }
                return nil
            case .union(let a, let b), .ite(_, let a, let b): return setSize(a) ?? setSize(b)
            default: return nil
            }
        }

        func setSize(_ a: StepTerm, _ b: StepTerm) -> Int {
            guard let n = setSize(a) ?? setSize(b) else { preconditionFailure("not a set term: \(a)") }
            return n
        }

        func paren(_ e: String) -> String { e.hasPrefix("(") ? e : "(\(e))" }

        /// The assignments of a command as Promela statements, ordered so that every value is
        /// read before it is overwritten (the command reads the state before the step).
        func assignments(_ updates: [GuardedCommand.Assignment]) throws -> [String] {
            var pending = updates, out: [String] = []
            while !pending.isEmpty {
                // The next assignment: one whose variable no other pending value reads.
                guard let k = pending.indices.first(where: { k in
                    !pending.indices.contains { j in j != k && pending[j].value.reads.contains(pending[k].variable) }
                }) else {
                    throw ExportError(description: "a step swaps variables, which a sequence of assignments cannot express")
                }
                let a = pending.remove(at: k)
                let v = space.vars[a.variable]
                if case .set(let n) = v.sort {
                    for r in 0..<n {
                        let value = StepTerm.member(a.value, r)
                        if value != .member(.variable(a.variable), r) { out.append("\(v.identifier)[\(r)] = \(text(value))") }
                    }
                } else if a.value != .variable(a.variable) {
                    out.append("\(v.identifier) = \(text(a.value))")
                }
            }
            return out
        }

        /// Text that cannot end a Promela comment.
        func safe(_ s: String) -> String { s.replacingOccurrences(of: "*/", with: "* /") }

        func describe(_ q: Int) -> String {
            safe("\(program.text(of: q, in: model)) (line \(program.line(of: q, in: model)), \(program.instructions[q].block.name(in: model)))")
        }

        // MARK: Rendering

        func type(for count: Int) -> String { count <= 255 ? "byte" : "short" }

        func render() throws -> String {
            var out: [String] = []
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
            ]
            if model.checks.contains(.progress) {
                out += [
                    "   With check progress, the model has no process checks: the assertion is the first",
                    "   statement of each iteration of the loop (so the depths above do not hold), and the",
                    "   never claim at the end is for an acceptance-cycle search (see there).",
                ]
            }
            out += [
                "",
                "   Threads (T<i>_ variables):",
            ]
            for (t, th) in model.threads.enumerated() {
                let idle = model.canIdle(t) ? ["\(model.noGuest) = none (idle)"] : []
                out.append("     T\(t) = \(th.name) (core \(model.cores[th.core].name)), serves "
                           + (th.guests.map { "\($0) = \(model.guests[$0].name)" } + idle).joined(separator: ", "))
            }
            out.append("   Tables (T<i>_table): " + model.tables.enumerated().map { "\($0.offset) = \($0.element.name)" }.joined(separator: ", "))
            out.append("   Regions (buffer bit): " + model.regions.enumerated().map { "\($0.offset) = \($0.element.name)" }.joined(separator: ", "))
            out.append("   Buffers (B<core>_<buffer>): " + model.cores.enumerated().flatMap { c in
                model.buffers.enumerated().map { "B\(c.offset)_\($0.offset) = \($0.element.name) of \(c.element.name)" }
            }.joined(separator: ", "))
            out += [
                "   pc codes (T<i>_pc_base, _irq, _nmi; T<i>_fret_*): 0 = guest mode (base) or inactive (irq, nmi),",
                "   1 = ready for the VM entry, n >= \(StateSpace.instructionBase) = about to run instruction n - \(StateSpace.instructionBase):",
            ]
            for q in program.instructions.indices { out.append("     \(StateSpace.code(instruction: q)): \(describe(q))") }
            out.append("   T<i>_exit: exit reason + 1 while in on vmexit: "
                       + model.exits.enumerated().map { "\($0.offset + 1) = \($0.element.name)" }.joined(separator: ", "))
            out.append("   T<i>_holds[j] = 1: thread i holds thread j. */")
            out.append("")

            // State: one variable per state variable of the encoding (its SMT name in the comment).
            for v in space.vars {
                switch v.sort {
                case .bool: out.append("bit \(v.identifier);  /* \(safe(v.name)) */")
                case .code(let n): out.append("\(type(for: n)) \(v.identifier);  /* \(safe(v.name)) */")
                case .set(let n): out.append("bit \(v.identifier)[\(max(1, n))];  /* \(safe(v.name)) */")
                }
            }
            out.append("bit started;  /* the initial state has been chosen */")
            if model.checks.contains(.progress) {
                out.append("byte actor;  /* the thread of the last step + 1 (check progress) */")
                out.append("bit istart;  /* the last step started an interrupt handler (check progress) */")
                for t in model.threads.indices {
                    out.append("bit en\(t);  /* EN\(t) in the current state (check progress) */")
                }
            }
            out.append("")

            // Branches and guards. A crash ends the schedule: no step from a crashed state.
            let halted = text(system.halted)
            var branches: [Branch] = []
            let progress = model.checks.contains(.progress)
            for (t, range) in system.threadRanges.enumerated() {
                for c in system.commands[range] where c.guard != .false {
                    var interrupt = false
                    if case .interrupt = c.action { interrupt = true }
                    var body = try assignments(c.updates)
                    // Who stepped, and whether it started an interrupt handler: what the
                    // fairness of `check progress` is stated over. An idle step is nobody's.
                    if progress {
                        body += ["actor = \(c.action.isIdle ? 0 : t + 1)", "istart = \(interrupt ? 1 : 0)", "UPDATE_EN"]
                    }
                    branches.append(Branch(thread: t, startsInterrupt: interrupt, idles: c.action.isIdle,
                                           comment: c.notes.joined(separator: "; "),
                                           guardText: text(.and([.not(system.halted), c.guard])), body: body))
                }
            }
            var guardNames: [String: String] = [:]
            var guardOrder: [String] = []
            var branchGuards: [String] = []
            for b in branches {
                if guardNames[b.guardText] == nil {
                    guardNames[b.guardText] = "G\(guardOrder.count)"
                    guardOrder.append(b.guardText)
                }
                branchGuards.append(guardNames[b.guardText]!)
            }

            // Checks.
            out.append("/* The checks, on the current state. Nothing but the crash is reported from a")
            out.append("   crashed state, and it is no deadlock. */")
            out.append("#define CRASHED \(paren(halted))")
            var findingParts: [String] = []
            for check in model.checks {
                let predicate = system.predicate(of: check).map(text)
                switch check {
                case .progress:
                    continue
                case .corun:
                    out.append("#define CORUN \(paren(predicate!))")
                    findingParts.append("CORUN")
                case .residue(let b):
                    out.append("#define RESIDUE_\(b) \(paren(predicate!))  /* residue \(model.buffers[b].name) */")
                    findingParts.append("RESIDUE_\(b)")
                case .crash:
                    out.append("#define CRASH CRASHED")
                    findingParts.append("CRASH")
                case .deadlock:
                    // An idle step is no move (docs/SEMANTICS.md, "Idle threads").
                    var moving: [String] = []
                    for (b, g) in zip(branches, branchGuards) where !b.idles && !moving.contains(g) { moving.append(g) }
                    let any = moving.isEmpty ? "false" : "(" + moving.joined(separator: " || ") + ")"
                    out.append("#define DEADLOCK (!CRASHED && !\(any))  /* no guard of the loop holds */")
                    findingParts.append("DEADLOCK")
                }
            }
            out.append("#define FINDING \(findingParts.isEmpty ? "false" : "(" + findingParts.joined(separator: " || ") + ")")")
            out.append("")
            out.append("/* Guards: exactly when a thread can take a step with that outcome. */")
            for (i, g) in guardOrder.enumerated() { out.append("#define G\(i) \(paren(g))") }
            out.append("")
            if progress {
                out += progressDefinitions(branches, branchGuards)
            }

            // Initial states.
            var count = 1
            for choices in system.initial {
                count *= choices.count
                guard count <= PromelaExport.initialStateLimit else {
                    throw ExportError(description: "more than \(PromelaExport.initialStateLimit) initial states: too many to export to Promela")
                }
            }
            var combos: [[InitialChoice]] = [[]]
            for choices in system.initial { combos = combos.flatMap { p in choices.map { p + [$0] } } }

            out.append("active proctype schedule()")
            out.append("{")
            out.append("    /* The initial state: every thread picks a guest it may serve and a first statement of on vmentry. */")
            out.append("    if")
            for combo in combos {
                let assigns = try assignments(combo.flatMap(\.assignments))
                out.append("    :: d_step { " + (assigns + ["started = 1"] + (progress ? ["UPDATE_EN"] : [])).joined(separator: "; ") + " }")
                out.append("       /* " + safe(combo.map(\.note).joined(separator: "; ")) + " */")
            }
            out.append("    fi;")
            out.append("    /* One step per iteration: one thread acts. */")
            out.append("end_loop:")
            out.append("    do")
            if progress {
                // No second process: its steps would be loops in which no thread moves.
                out.append("    :: assert(!FINDING);")
                out.append("       if")
            }
            var lastThread = -1
            for (b, name) in zip(branches, branchGuards) {
                if b.thread != lastThread {
                    out.append("    /* \(model.threads[b.thread].name) */")
                    lastThread = b.thread
                }
                let indent = progress ? "       " : "    "
                out.append("\(indent):: d_step { \(name) -> " + (b.body.isEmpty ? "skip" : b.body.joined(separator: "; ")) + " }")
                out.append("\(indent)   /* \(safe(b.comment)) */")
            }
            if progress {
                out.append("       fi")
                out.append("    od")
                out.append("}")
                out.append("")
                out.append(progressClaim())
                return out.joined(separator: "\n") + "\n"
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

        /// `EN<t>`: thread t can take a step other than starting an interrupt handler;
        /// `GUEST<t>`: thread t is in guest mode.
        func progressDefinitions(_ branches: [Branch], _ guards: [String]) -> [String] {
            var out = ["/* check progress (DESIGN.md 6.2): EN<t> = thread t can take a step other than starting",
                       "   an interrupt handler; GUEST<t> = thread t is in guest mode. */"]
            for t in model.threads.indices {
                var own: [String] = []
                for (b, g) in zip(branches, guards) where b.thread == t && !b.startsInterrupt && !b.idles && !own.contains(g) {
                    own.append(g)
                }
                out.append("#define EN\(t) " + (own.isEmpty ? "false" : "(" + own.joined(separator: " || ") + ")"))
                out.append("#define GUEST\(t) (\(space.vars[space[.pc(thread: t, level: .base)]].identifier) == \(StateSpace.guestCode))")
            }
            // SPIN's LTL parser takes names, not the guards' long expressions: each step stores
            // EN<t> of the state it leads to in bit en<t>.
            out.append("#define UPDATE_EN " + model.threads.indices.map { "en\($0) = EN\($0)" }.joined(separator: "; "))
            out.append("")
            return out
        }

        /// The never claim whose acceptance cycles are exactly the fair starving runs, for
        /// SPIN's `-a` search. It waits, then guesses the point from which the run repeats its
        /// loop, the starving thread t and the set S of threads that can no longer move (other
        /// than by starting an interrupt handler); from there on it requires, in every state,
        /// no interrupt start, t out of guest mode and every thread of S unable to move, and
        /// accepts each time every other thread has stepped once more (strong fairness:
        /// "infinitely often able to move implies infinitely often steps" is "eventually never
        /// able, or infinitely often steps"). Written out rather than as an `ltl` formula,
        /// whose translation takes SPIN minutes for two threads.
        func progressClaim() -> String {
            let n = model.threads.count
            var out = [
                "/* check progress (DESIGN.md 6.2): SPIN's acceptance-cycle search (-a) finds a run this",
                "   claim accepts exactly when some fair loop starves a thread. Run: spin -a FILE.pml &&",
                "   gcc -O2 -DNOREDUCE -DNOSTUTTER -o pan pan.c && ./pan -a -m10000000 (NOSTUTTER: a state",
                "   where nothing can move is no loop). w<t>_<S>_<j>: thread t starves, the threads in bit",
                "   set S can no longer move, the j-th of the others is the next that must step. */",
                "never {",
                "start:",
                "    do",
                "    :: true -> goto start",
            ]
            var blocks: [String] = []
            for t in 0..<n where model.canStarve(t) {
                for set in 0..<(1 << n) {
                    let still = (0..<n).filter { set & (1 << $0) != 0 }
                    let movers = (0..<n).filter { set & (1 << $0) == 0 }
                    guard !movers.isEmpty else { continue }  // no step at all: no infinite run
                    let invariant = (["!istart", "!(\(space.vars[space[.pc(thread: t, level: .base)]].identifier) == \(StateSpace.guestCode))"]
                                     + still.map { "!en\($0)" }).joined(separator: " && ")
                    let name = { (j: Int) in "w\(t)_\(set)_\(j)" }
                    out.append("    :: (\(invariant)) -> goto \(name(0))")
                    for (j, i) in movers.enumerated() {
                        let next = j + 1 == movers.count ? "accept_\(t)_\(set)" : name(j + 1)
                        blocks += [
                            "\(name(j)):",
                            "    do",
                            "    :: (\(invariant) && actor == \(i + 1)) -> goto \(next)",
                            "    :: (\(invariant)) -> goto \(name(j))",
                            "    od;",
                        ]
                    }
                    blocks += [
                        "accept_\(t)_\(set):",
                        "    do",
                        "    :: (\(invariant)) -> goto \(name(0))",
                        "    od;",
                    ]
                }
            }
            out.append("    od;")
            return (out + blocks + ["}"]).joined(separator: "\n")
        }

        func checkNames() -> [String] {
            model.checks.map { check in
                switch check {
                case .corun: "corun"
                case .residue(let b): "residue \(model.buffers[b].name)"
                case .crash: "crash"
                case .deadlock: "deadlock"
                case .progress: "progress"
                }
            }
        }
    }
}
