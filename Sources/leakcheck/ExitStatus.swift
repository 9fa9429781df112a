import LeakModel

/// The process exit statuses, documented in `--help` and the README, and the one mapping from
/// what a run found to them.
enum ExitStatus: Int32 {
    /// Every verdict as expected (or no `expect` line and no finding).
    case ok = 0
    /// A finding in a model without `expect`, or a verdict other than the expected one.
    case mismatch = 1
    /// A model error (syntax, names, types) or a usage error.
    case modelError = 2
    /// Undecided: the solver gave up or timed out, or `expect safe` could not be proved.
    case unknown = 3
    /// An internal error: an engine produced a schedule the semantics does not allow.
    case internalError = 4
    /// Interrupted by Ctrl-C or SIGTERM (the partial result is printed).
    case interrupted = 130

    static let table = """
        EXIT STATUS
          0  every verdict as expected (or: no expect line, no finding)
          1  a finding without an expect line, or a verdict other than expected
          2  a model error or a usage error (diagnostics on stderr)
          3  undecided: the solver gave up or timed out, or expect safe was
             not proved
          4  internal error in leakcheck (please report it with the model)
          130  interrupted by Ctrl-C or SIGTERM (what was found so far is printed)
        With several files the most serious status wins: 4, 2, 1, then 3.
        """

    /// The most serious of two statuses.
    func combined(with other: ExitStatus) -> ExitStatus {
        let rank: [ExitStatus: Int] = [.ok: 0, .unknown: 1, .mismatch: 2, .modelError: 3, .internalError: 4, .interrupted: 5]
        return rank[self]! >= rank[other]! ? self : other
    }

    /// What one model contributes (`RunEntry.Status`, the JSON report's `status` word).
    init(_ status: RunEntry.Status) {
        switch status {
        case .asExpected: self = .ok
        case .mismatch: self = .mismatch
        case .undecided: self = .unknown
        case .modelError: self = .modelError
        case .internalError: self = .internalError
        }
    }

    /// What one checked model contributes.
    init(_ report: Checker.Report) {
        self.init(RunEntry.checked(report).status)
    }

    /// The status of a run: the most serious of its models'.
    static func of(_ entries: [RunEntry]) -> ExitStatus {
        entries.reduce(ExitStatus.ok) { $0.combined(with: ExitStatus($1.status)) }
    }
}
