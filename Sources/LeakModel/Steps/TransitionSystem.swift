import LeakSemantics

/// A model's semantics as data (DESIGN.md section 3, stated once in `StepRules`): the state
/// variables, the initial states, the guarded commands of every thread and the state
/// predicates of the checks. The SMT encoding and the Promela export are two translations of
/// this value; neither knows a statement kind.
public struct TransitionSystem: Sendable {
    public let space: StateSpace
    /// Every command, thread by thread (`threadRanges`), in a fixed order.
    public let commands: [GuardedCommand]
    public let threadRanges: [Range<Int>]
    /// The core of each thread: a command may change its thread's and its core's variables
    /// without naming them remote writes (`StateVar.Owner`).
    public let threadCores: [Int]
    /// Per thread, its initial choices; an initial state is one choice of every thread.
    public let initial: [[InitialChoice]]
    /// No command fires in a state where this holds (a thread crashed: the schedule has ended).
    public let halted: StepTerm
    /// What every reachable state satisfies by construction (k-induction starts from it).
    public let wellFormed: StepTerm
    /// Some thread runs its guest.
    public let someGuestRuns: StepTerm
    /// A guest co-runs with a sibling exposed to its secrets (crashed or not).
    public let corun: StepTerm
    /// Per buffer: a guest runs while its core's buffer holds its secrets.
    public let residue: [StepTerm]

    /// The state predicate of `check`: nothing but the crash is reported from a halted state.
    /// Nil for deadlock, which is "not halted and no guard holds" over the commands, and for
    /// progress, whose finding is a loop, not a state.
    public func predicate(of check: Model.Check) -> StepTerm? {
        switch check {
        case .corun: .and([.not(halted), corun])
        case .residue(let b): .and([.not(halted), residue[b]])
        case .crash: halted
        case .deadlock, .progress: nil
        }
    }

    /// Whether variable `i` belongs to thread `t` or its core.
    public func isHome(_ i: Int, of t: Int) -> Bool {
        switch space.vars[i].owner {
        case .thread(let u): u == t
        case .core(let c): c == threadCores[t]
        }
    }
}
