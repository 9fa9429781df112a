import LeakSemantics

/// One variable of the state vector: what every symbolic backend declares, in the one order
/// of `StateSpace.vars`.
public struct StateVar: Hashable, Sendable {
    /// The values a variable takes.
    public enum Sort: Hashable, Sendable {
        case bool
        /// The codes `0..<n` (a bit-vector of `StateSpace.bits(n)` bits in SMT, a byte in Promela).
        case code(Int)
        /// Subsets of `0..<n` (an n-bit vector in SMT, a bit array in Promela).
        case set(Int)
    }

    /// What the variable stands for in `SystemState`.
    public enum Role: Hashable, Sendable {
        /// The position of a level (`StateSpace.code(_:)`); at the irq and nmi levels 0 is inactive.
        case pc(thread: Int, level: SystemState.Level)
        /// The code of the touch that faulted while in `on fault`, else 0.
        case faultReturn(thread: Int, level: SystemState.Level)
        case retry(thread: Int, level: SystemState.Level)
        case served(thread: Int)
        case table(thread: Int)
        /// The exit reason + 1 while in `on vmexit`, else 0.
        case exitReason(thread: Int)
        case interruptsOn(thread: Int)
        case nmiSaved(thread: Int)
        /// The set of threads this thread holds.
        case holds(thread: Int)
        case kickPending(thread: Int)
        case crashed(thread: Int)
        case buffer(core: Int, buffer: Int)
        /// Copy `copy` of flag `flag` (a thread's index, or a core's: `Model.flagCopy`).
        case flag(flag: Int, copy: Int)
    }

    /// Who changes the variable: a command's own thread and core change theirs (every other
    /// variable a command assigns is a remote write, framed one by one).
    public enum Owner: Hashable, Sendable {
        case thread(Int)
        case core(Int)
    }

    public var role: Role
    public var sort: Sort
    public var owner: Owner
    /// The name in SMT (without the `@k` step suffix) and in certificates: `t0.pc.base`.
    public var name: String
    /// An identifier for languages without dots in names (Promela): `T0_pc_base`.
    public var identifier: String
}

/// A value of a `StateVar`.
public enum StateValue: Hashable, Sendable {
    case bool(Bool)
    case code(Int)
    case set(RegionSet)
}
