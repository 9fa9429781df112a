/// Every default limit a check runs under, stated once: the checker's options, the command line's
/// options and their `--help`, and the HTML report's "(default)" read them from here.
public enum CheckDefaults {
    /// Steps searched when neither the model (`bound N`) nor `--bound` gives a bound.
    public static let bound = 20
    /// States the explicit engine may visit before it gives up (`--state-limit`).
    public static let stateLimit = 500_000
    /// States the visit for what some schedule reaches (a report's `coverage`) may take.
    public static let coverageStateLimit = 200_000
    /// Memory for the states the explicit engine holds when `--memory` gives none: half the
    /// machine's physical memory, at most 8 GB.
    public static var memoryBudget: MemoryBudget { .defaultBudget }
    /// States `auto`'s explicit search holds before k-induction starts alongside it on another
    /// core (`Checker.Options.parallelProofAfter`): a model smaller than this is decided by the
    /// explicit engine alone, as before, so its answer does not depend on timing.
    public static let parallelProofStates = 1_000_000
    /// States sampled, breadth-first, for the invariant k-induction starts from
    /// (`InvariantMiner`): enough for every state of the 64-exit generated model (254,767).
    public static let invariantSample = 300_000
    /// Seconds a run may take when `--timeout` gives none: no limit.
    public static let timeout: Double? = nil
}
