import LeakSemantics
import LeakSyntax

/// What some schedule of a model reaches: whether a guest runs, which exits are taken, which
/// interrupts start and which statements run. Found by visiting reachable states
/// breadth-first, whatever the checks: a statement that no schedule runs is dead code in the
/// design (a mitigation that never acts), which a verdict alone does not show.
public struct Coverage: Hashable, Sendable {
    /// Every reachable state was visited: what is not listed below is unreachable. When
    /// false, the sets are what was seen before the search stopped.
    public var complete: Bool
    public var states: Int
    public var guestRuns: Bool
    /// Exits some thread takes (indices into `Model.exits`).
    public var exits: Set<Int> { exitBits.members }
    /// Interrupts that start somewhere (indices into `Model.interrupts`).
    public var interrupts: Set<Int> { interruptBits.members }
    /// Instructions some thread runs, a touch that faults included.
    public var ran: Set<Int> { ranBits.members }
    /// Instructions some thread is about to run (ran, or blocked or crashing there).
    public var reached: Set<Int> { reachedBits.members }

    // Bits, not sets: a search records every state and every step, and hashing each index
    // was 8% of the explicit engine's time.
    package var exitBits = IndexBits(), interruptBits = IndexBits(), ranBits = IndexBits(), reachedBits = IndexBits()

    /// Nothing seen yet (incomplete): what `record` then adds to.
    package init() {
        complete = false; states = 0; guestRuns = false
    }

    /// Notes what a visited state shows: a guest running, the statements threads are at.
    package mutating func record(_ s: SystemState) {
        for t in s.threads {
            if t.inGuest { guestRuns = true }
            for level in SystemState.Level.allCases {
                if case .instruction(let q)? = t.frame(level)?.position { reachedBits.insert(q) }
            }
        }
    }

    /// Notes what a step does: an exit taken, an interrupt started, a statement run.
    package mutating func record(_ action: Action) {
        switch action {
        case .exit(_, let x): exitBits.insert(x)
        case .interrupt(_, let i): interruptBits.insert(i)
        case .statement(_, let q, let faultedAt):
            // The first statement of `on fault` runs in the faulting step itself, so no state
            // is positioned at it: it counts as reached because it ran.
            ranBits.insert(q)
            reachedBits.insert(q)
            if let faultedAt { ranBits.insert(faultedAt) }
        case .crash:
            // The step is counted, but the statement does nothing: a touch at which every
            // schedule crashes is reported as never running (W007), as docs/LANGUAGE.md says.
            break
        case .guestStep, .entry, .idle, .schedule: break
        }
    }

    /// The coverage of a model whose cores were visited one at a time (`parts`, one per
    /// class of interchangeable cores, as `CoreDecomposition` checks them). Threads of
    /// different cores never interact, so a statement, exit or interrupt runs in some schedule
    /// of the whole model exactly when it runs in some schedule of one core's model (the
    /// argument of docs/PERFORMANCE.md, "cores that share nothing"); the instruction, exit and
    /// interrupt indices are the same in every part. `states` is the sum over the parts.
    public init(merging parts: [Coverage]) {
        complete = parts.allSatisfy(\.complete)
        states = parts.reduce(0) { $0 + $1.states }
        guestRuns = parts.contains(where: \.guestRuns)
        for part in parts {
            exitBits.formUnion(part.exitBits)
            interruptBits.formUnion(part.interruptBits)
            ranBits.formUnion(part.ranBits)
            reachedBits.formUnion(part.reachedBits)
        }
    }

    /// Warnings for the statements no schedule runs (only when the visit was complete), in
    /// source order: never reached, or reached but blocked or crashing every time.
    public func warnings(for model: Model) -> [Diagnostic] {
        guard complete else { return [] }
        let program = Program(model)
        return program.instructions.indices.filter { !ranBits.contains($0) }
            .sorted { program.instructions[$0].span < program.instructions[$1].span }
            .map { q in
                Diagnostic(.neverRuns(statement: program.text(of: q, in: model), reached: reachedBits.contains(q)),
                           at: program.instructions[q].span)
            }
    }

    /// "2 of 3 exits, no interrupts and 11 of 12 statements run; a guest runs".
    public func summary(for model: Model) -> String {
        let program = Program(model)
        let declaredExits = model.exits.indices.filter { !model.exits[$0].implicit }
        func count(_ n: Int, of total: Int, _ one: String, _ many: String) -> String {
            total == 0 ? "no \(many)" : "\(n) of \(total) \(total == 1 ? one : many)"
        }
        let parts = [
            count(declaredExits.filter(exitBits.contains).count, of: declaredExits.count, "exit", "exits"),
            count(interrupts.count, of: model.interrupts.count, "interrupt", "interrupts"),
            count(ran.count, of: program.instructions.count, "statement", "statements"),
        ]
        let text = parts.dropLast().joined(separator: ", ") + " and " + parts.last! + " run; "
            + (guestRuns ? "a guest runs" : "no guest ever runs")
        return complete ? text : "at least " + text + " (stopped after \(states) states)"
    }
}
