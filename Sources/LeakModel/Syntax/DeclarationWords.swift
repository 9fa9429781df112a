// Words of the model language that the checked model keeps as they are written. The parser
// reads them, so they are declared here, below the Semantics target; `Model.Fill`,
// `Model.InterruptKind` and `Model.ExpectedVerdict` are these types.

/// What fills a buffer: `fills mapped` or `fills touched` (`Model.Fill`).
public enum BufferFill: String, Hashable, Sendable { case mapped, touched }

/// The kind of an interrupt declaration (`Model.InterruptKind`).
public enum InterruptKind: String, Hashable, Sendable { case nmi, irq }

/// The verdict a model states with `expect` (`Model.ExpectedVerdict`).
public enum ExpectedVerdict: String, Hashable, Sendable, CaseIterable {
    case leak, safe, crash, deadlock, starvation
}

/// Whose the copies of a flag are (`flag F per thread | per core`, `Model.FlagScope`).
public enum FlagScope: String, Hashable, Sendable {
    /// One copy per thread, the thread's own (kept when it picks another guest).
    case thread
    /// One copy per core, shared by its threads.
    case core
}
