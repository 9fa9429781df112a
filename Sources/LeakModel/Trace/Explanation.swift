import LeakSemantics
import LeakSyntax

/// `leakcheck explain`: which mitigations of a model are load-bearing.
///
/// Every mitigation statement (`flush`, `hold`, `kick`, `wait`, `release`, `switch`,
/// `irqs off`) and every region a table lists explicitly in its `maps` clause is taken out in
/// turn, and the model is checked again with the same `Checker`. A mitigation is *needed* when
/// the model without it has a finding it did not have (or a shorter one); it is *not needed*
/// only when the model without it is proved safe, or has the same verdict as with it. When the
/// proof is only bounded, that is said ("no finding within N steps").
///
/// For a model with a finding, a small catalogue of single additions is tried as well: a
/// `flush` of each buffer at the end of `on vmentry`, `hold siblings` instead of each
/// `kick siblings`, `wait until siblings out of guest` at the start of `on vmentry`, and
/// unmapping each secret region from each table that maps it.
///
/// Every variant is made on the checked `Model` (statements removed from their block, regions
/// removed from a table's `maps` set); nothing is parsed again.
///
/// Declared here with its vocabulary (edits, candidates, rows, the explanation), where the HTML
/// report sees it; the runs are an extension in Check/Explain.swift (target LeakEngines), the
/// rendering one in Report/ExplanationReport.swift.
public struct Explainer: Sendable {
    public var checker: Checker
    /// Also try the catalogue of additions when the model has a finding.
    public var tryAdditions: Bool

    public init(checker: Checker = Checker(), tryAdditions: Bool = true) {
        self.checker = checker; self.tryAdditions = tryAdditions
    }

    // MARK: Edits

    /// A handler block of a model.
    public enum BlockKey: Hashable, Sendable {
        case vmexit, vmentry, fault
        case exit(Int)
        case interrupt(Int)
    }

    /// A statement inside a block: `indices` alternates statement index and `either` branch
    /// index (`[2]`: the third statement; `[2, 1, 0]`: the first statement of the second
    /// branch of the `either` that is the third statement).
    public struct StatementPath: Hashable, Sendable {
        public var block: BlockKey
        public var indices: [Int]
        package init(block: BlockKey, indices: [Int]) { self.block = block; self.indices = indices }
    }

    /// A change to a model.
    public enum Edit: Hashable, Sendable {
        case remove(StatementPath)
        case replace(StatementPath, with: Model.Statement.Kind)
        case insert(Model.Statement.Kind, in: BlockKey, atStart: Bool)
        /// Removes every copy of region declaration `regionDecl` from every copy of table
        /// declaration `tableDecl`.
        case unmap(tableDecl: Int, regionDecl: Int)
    }

    /// One variant of the model: what was changed, in words and where.
    public struct Candidate: Sendable {
        /// "flush", "hold", "kick", "wait", "release", "switch", "irqs off", "maps" (removals);
        /// "add flush", "hold for kick", "add wait", "unmap" (additions).
        public var kind: String
        /// The statement or change, e.g. `flush l1d (on vmentry)` or `restricted maps vcpu_state`.
        public var text: String
        public var span: SourceSpan?
        public var line: Int?
        public var edit: Edit
        package init(kind: String, text: String, span: SourceSpan?, line: Int?, edit: Edit) {
            self.kind = kind; self.text = text; self.span = span; self.line = line; self.edit = edit
        }
    }

    /// A candidate and what checking the variant gave.
    public struct Row: Sendable {
        public var candidate: Candidate
        public var report: Checker.Report?
        public var error: String?
        /// The judgement in words ("needed: leak (corun) in 6 steps without it").
        public var judgement: String
        /// "needed", "notNeeded", "unknown", "error" for removals; "fixes", "fixesBounded",
        /// "noFix", "unknown", "error" for additions.
        public var status: String
        package init(candidate: Candidate, report: Checker.Report?, error: String?, judgement: String, status: String) {
            self.candidate = candidate; self.report = report; self.error = error
            self.judgement = judgement; self.status = status
        }
    }

    public struct Explanation: Sendable {
        public var baseline: Checker.Report
        /// Empty when the model as written is vacuous (nothing to weigh).
        public var removals: [Row]
        /// Empty unless the baseline has a finding and additions were asked for.
        public var additions: [Row]

        /// Whether the model as written is proved only because no guest ever runs.
        public var isVacuous: Bool { baseline.verdict == .vacuous }

        package init(baseline: Checker.Report, removals: [Row], additions: [Row]) {
            self.baseline = baseline; self.removals = removals; self.additions = additions
        }
    }
}
