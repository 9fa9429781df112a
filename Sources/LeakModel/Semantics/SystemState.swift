import LeakSyntax

/// One state of the semantics (DESIGN.md section 3): every thread and every core's buffers.
///
/// Values that do not matter in a state are kept at a canonical value (a fault return
/// address outside `on fault`, the saved interrupt flag outside an `nmi` handler, the exit
/// reason outside `on vmexit`) so that equal behaviour means equal states in both engines.
public struct SystemState: Hashable, Sendable {
    /// Where a thread is in its base program.
    public enum Position: Hashable, Sendable {
        /// Running its guest (the thread is in guest mode).
        case guest
        /// `on vmentry` is done: the next base step is the VM entry.
        case ready
        /// Idle: the thread serves no guest (`served` is `Model.noGuest`) and runs the idle
        /// loop: a host-only thread always; a thread that ran `idle`, or started idle under
        /// `sched core`, until it is scheduled onto a guest.
        case idle
        /// About to run this instruction of `Program.instructions`.
        case instruction(Int)
    }

    /// Control state of one level (base program, `irq` handler, `nmi` handler).
    public struct Frame: Hashable, Sendable {
        public var position: Position
        /// While in `on fault`: the touch that faulted (run again when the block ends).
        public var faultReturn: Int?
        /// The touch at `position` is a retry after `on fault`: a fault now is a crash.
        public var retry: Bool
        public init(position: Position, faultReturn: Int? = nil, retry: Bool = false) {
            self.position = position; self.faultReturn = faultReturn; self.retry = retry
        }
    }

    public struct ThreadState: Hashable, Sendable {
        public var served: Int
        public var table: Int
        public var base: Frame
        public var irq: Frame?
        public var nmi: Frame?
        /// The exit being handled, while the base program is in `on vmexit`.
        public var exitReason: Int?
        public var interruptsOn: Bool
        /// The interrupt flag to restore when the active `nmi` handler returns.
        public var nmiSavedInterrupts: Bool
        /// Bit i set: this thread holds thread i.
        public var holds: UInt64
        public var kickPending: Bool
        /// The thread crashed in the step that led here: the host has oopsed, the schedule ends
        /// (DESIGN.md, "How findings are counted"). Its other variables are as the crash left
        /// them: at the faulting touch, or at the wait it reached inside an `nmi` handler.
        public var crashed: Bool

        public init(served: Int, table: Int, base: Frame, irq: Frame? = nil, nmi: Frame? = nil,
                    exitReason: Int? = nil, interruptsOn: Bool = false, nmiSavedInterrupts: Bool = false,
                    holds: UInt64 = 0, kickPending: Bool = false, crashed: Bool = false) {
            self.served = served; self.table = table; self.base = base; self.irq = irq; self.nmi = nmi
            self.exitReason = exitReason; self.interruptsOn = interruptsOn
            self.nmiSavedInterrupts = nmiSavedInterrupts; self.holds = holds; self.kickPending = kickPending
            self.crashed = crashed
        }

        public var inGuest: Bool { base.position == .guest }

        /// The level whose frame runs next: the innermost active handler.
        public var activeLevel: Level { nmi != nil ? .nmi : irq != nil ? .irq : .base }

        public func frame(_ level: Level) -> Frame? {
            switch level {
            case .base: base
            case .irq: irq
            case .nmi: nmi
            }
        }

        public mutating func setFrame(_ level: Level, _ frame: Frame?) {
            switch level {
            case .base: base = frame!
            case .irq: irq = frame
            case .nmi: nmi = frame
            }
        }
    }

    /// Nesting level of a thread's control: an `nmi` may interrupt an `irq` handler.
    public enum Level: Int, Hashable, Sendable, CaseIterable { case base, irq, nmi }

    public var threads: [ThreadState]
    /// `buffers[core][buffer]`: the regions the buffer holds.
    public var buffers: [[RegionSet]]
    /// `flags[flag][copy]`: the copy of a per-thread flag is the thread's index, of a per-core
    /// flag the core's (`Model.flagCopy`).
    public var flags: [[Bool]]

    public init(threads: [ThreadState], buffers: [[RegionSet]], flags: [[Bool]] = []) {
        self.threads = threads; self.buffers = buffers; self.flags = flags
    }

    /// Some thread crashed: nothing moves any more and nothing but the crash is reported.
    public var isCrashed: Bool { threads.contains(where: \.crashed) }
}

/// What the acting thread did in one step.
public enum Action: Hashable, Sendable {
    /// The thread keeps running its guest.
    case guestStep(thread: Int)
    /// The thread leaves its guest through exit reason `exit`.
    case exit(thread: Int, exit: Int)
    /// The VM entry into the guest the thread serves.
    case entry(thread: Int)
    /// An interrupt handler starts.
    case interrupt(thread: Int, interrupt: Int)
    /// An idle thread runs its idle loop (buffers fill; nothing else changes).
    case idle(thread: Int)
    /// An idle thread is scheduled onto `guest` (under `sched core`, only where the siblings
    /// allow it): it goes on with `on vmentry`.
    case schedule(thread: Int, guest: Int)
    /// The thread runs an instruction; `faultedAt` is the touch whose page fault led straight
    /// to this first statement of `on fault`.
    case statement(thread: Int, instruction: Int, faultedAt: Int?)
    /// The access of the touch `instruction` faults with no way out: the step in which the
    /// host crashes (counted, and the last of its schedule).
    case crash(thread: Int, instruction: Int)

    /// An idle thread's idle step: no move for deadlock, and not counted by the fairness of
    /// `check progress` (docs/SEMANTICS.md, "Idle threads").
    public var isIdle: Bool { if case .idle = self { true } else { false } }

    /// A step that fairness does not count: an interrupt handler starting, an idle step.
    public var isUncountedByFairness: Bool {
        switch self {
        case .interrupt, .idle: true
        default: false
        }
    }

    public var thread: Int {
        switch self {
        case .guestStep(let t), .exit(let t, _), .entry(let t), .interrupt(let t, _),
             .statement(let t, _, _), .crash(let t, _), .idle(let t), .schedule(let t, _): t
        }
    }
}

/// Why a thread crashes (the `crash` check).
public enum CrashReason: Hashable, Sendable {
    /// A touch faults and the model has no `on fault` block.
    case noFaultHandler(instruction: Int, region: Int)
    /// A touch inside `on fault` faults.
    case faultInFaultHandler(instruction: Int, region: Int)
    /// The access is still unmapped when retried after `on fault`.
    case stillUnmapped(instruction: Int, region: Int)
    /// A wait is reached inside an `nmi` handler.
    case waitInNMI(instruction: Int)
}

/// A violated check in a state.
public enum Finding: Hashable, Sendable {
    /// `thread` runs `guest` while `sibling` is exposed to `region`, secret to that guest.
    case corun(thread: Int, guest: Int, sibling: Int, region: Int)
    /// `thread` runs `guest` while `buffer` of its core holds `region`, secret to that guest.
    case residue(thread: Int, guest: Int, buffer: Int, region: Int)
    /// `thread` crashed in the last step of the schedule.
    case crash(thread: Int, reason: CrashReason)
    /// No thread can move.
    case deadlock
    /// `thread` never runs its guest in the schedule's loop, repeated forever, which is fair
    /// (DESIGN.md 6.2); the schedule is a lasso (`Trace.loopStart`).
    case starvation(thread: Int)

    /// The check this finding violates.
    public var check: Model.Check {
        switch self {
        case .corun: .corun
        case .residue(_, _, let b, _): .residue(buffer: b)
        case .crash: .crash
        case .deadlock: .deadlock
        case .starvation: .progress
        }
    }
}

extension Model.Check {
    /// The verdict kind of a finding of this check.
    public var verdictKind: Model.ExpectedVerdict {
        switch self {
        case .corun, .residue: .leak
        case .crash: .crash
        case .deadlock: .deadlock
        case .progress: .starvation
        }
    }
}

extension Model {
    /// The checks whose findings are states (every check but progress): what a safety proof
    /// (an invariant, k-induction) and a state search decide.
    public var stateChecks: [Check] { checks.filter { $0 != .progress } }

    /// The checks in the order a tie at equal length is broken: leaks (in source order), then
    /// crash, then deadlock, then starvation (DESIGN.md 6.2).
    public var checksByPriority: [Check] {
        let rank: (Check) -> Int = { c in
            switch c.verdictKind { case .leak: 0; case .crash: 1; case .deadlock: 2; case .starvation: 3; case .safe: 4 }
        }
        return checks.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }
            .map(\.element)
    }
}
