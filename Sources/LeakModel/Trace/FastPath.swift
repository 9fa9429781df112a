import LeakSemantics

/// `leakcheck fastpath`: which exits may run on the fast path, in the restricted table without
/// the slow path's kick and switch, and what the restricted table must then map.
///
/// Every answer is a check of a variant of the model (`FastPathPlan.variant(fast:)`) with the
/// same engines as `leakcheck check`: the exits of a set are fast, the others slow, and the
/// restricted table maps exactly what the set needs. A set is *safe* when that variant has no
/// finding for every check the model names.
///
/// Declared here with its vocabulary, where the reports see it; the runs are an extension in
/// Check/FastPath.swift (target LeakEngines), the rendering in Report/FastPathReport.swift.
public struct FastPathAnalyzer: Sendable {
    public var checker: Checker
    /// Up to this many exits, every set of exits is checked and the largest safe set found is
    /// a maximum; above it, a greedy search gives a maximal one (and says so).
    public var exhaustiveLimit: Int

    public init(checker: Checker = Checker(), exhaustiveLimit: Int = 8) {
        self.checker = checker; self.exhaustiveLimit = exhaustiveLimit
    }

    /// What checking one set of fast exits gave.
    public struct Answer: Sendable {
        /// The fast exits (indices into `Model.exits`), ascending.
        public var fast: [Int]
        /// What the restricted table must map for them.
        public var needs: [FastPathPlan.Need]
        public var report: Checker.Report?
        public var error: String?

        public enum Status: String, Sendable {
            /// Proved safe for every check.
            case safe
            /// No finding up to the bound; not proved beyond it.
            case bounded
            case unsafe
            /// Proved, but no guest ever runs in the variant.
            case vacuous
            case unknown
            case error
        }

        public var status: Status {
            guard let report else { return .error }
            switch report.verdict {
            case .safe: return .safe
            case .bounded: return .bounded
            case .finding: return .unsafe
            case .vacuous: return .vacuous
            case .unknown: return .unknown
            }
        }

        /// Whether the set keeps every check satisfied (proved, or up to the bound).
        public var keepsChecks: Bool { status == .safe || status == .bounded }

        package init(fast: [Int], needs: [FastPathPlan.Need], report: Checker.Report?, error: String?) {
            self.fast = fast; self.needs = needs; self.report = report; self.error = error
        }
    }

    /// How the largest set was found.
    public enum Search: Sendable, Equatable {
        /// Every set larger than the one found was checked and is not safe.
        case maximum(largerSetsChecked: Int)
        /// Greedy: no single exit can be added, but a larger set may exist.
        case maximal(reason: String)
        /// Larger sets than the one found were left undecided (timeout, limits): neither
        /// maximum nor maximal is established.
        case undecided(largerSetsUndecided: Int)
    }

    public struct Analysis: Sendable {
        public var plan: FastPathPlan
        /// Every exit on the slow path: the design's floor.
        public var allSlow: Answer
        /// Each exit fast alone, the others slow, in source order of `plan.exits`.
        public var alone: [Answer]
        /// Pairs of exits whose answer together differs from their answers alone: safe alone but
        /// not together, or safe together only (up to `exhaustiveLimit` exits).
        public var jointDiffers: [Answer]
        /// The largest set found safe (nil when none is, not even every exit slow).
        public var best: Answer?
        /// Other sets of the same size found safe (only for an exhaustive search).
        public var ties: [[Int]]
        public var search: Search
        /// How many variants were checked.
        public var variantsChecked: Int
        /// How many of them were not decided (unknown or error): any makes the run exit 3.
        public var undecided: Int

        package init(plan: FastPathPlan, allSlow: Answer, alone: [Answer], jointDiffers: [Answer], best: Answer?,
                     ties: [[Int]], search: Search, variantsChecked: Int, undecided: Int) {
            self.plan = plan; self.allSlow = allSlow; self.alone = alone; self.jointDiffers = jointDiffers
            self.best = best; self.ties = ties; self.search = search; self.variantsChecked = variantsChecked
            self.undecided = undecided
        }
    }
}
