import Foundation
import LeakSemantics
import LeakSyntax

/// Runs the engines on a checked model and says what was found, by which engine, and whether
/// it is what the model expects.
///
/// Declared here, below every engine and every report, with what it is asked (`Options`) and
/// what it gives (`Report`), so that reports and exports read a report without seeing an
/// engine or Z3. The engines' code, `check(_:)`, is an extension in Check/Checker.swift
/// (target LeakEngines); docs/ARCHITECTURE.md.
public struct Checker: Sendable {
    /// Which engines decide.
    public enum Engine: String, Sendable, CaseIterable {
        /// Bounded model checking with Z3 up to the bound; when it finds nothing, the explicit
        /// engine tries to prove the model safe for all lengths.
        case auto
        /// Bounded model checking with Z3 only.
        case bmc
        /// The explicit-state engine only (breadth-first, no Z3).
        case explicit
        /// Bounded model checking with Z3, then k-induction with Z3 for a proof.
        case kinduction
        /// Bounded model checking with Z3, then Z3's Spacer engine for a proof with an invariant.
        case spacer
    }

    public struct Options: Sendable {
        public var bound: Int?
        public var engine: Engine
        /// States the explicit engine may visit before it gives up.
        public var stateLimit: Int
        /// Memory the explicit engine's stored states may take (estimated) before it gives up.
        public var memoryBudget: MemoryBudget = CheckDefaults.memoryBudget
        /// Z3's memory limit in megabytes (nil: none). Z3 holds it for the whole process: a
        /// check sets it before its first query.
        public var z3MemoryLimit: Int?
        /// When the whole run must stop (the verdict is then unknown, with how far it got).
        public var deadline: DispatchTime?
        /// Cancelled from elsewhere (Ctrl-C): the verdict is then unknown.
        public var cancellation: Cancellation?
        /// A stored invariant (SMT-LIB 2, as a certificate holds it) to re-check first: when it
        /// still holds, that is the proof and no search runs.
        public var certificate: String?
        /// Whether a proof should come with an invariant for a certificate: a proof by the
        /// explicit engine or k-induction is then followed by Spacer.
        public var wantsCertificate: Bool
        /// Whether to find which exits, interrupts and statements some schedule reaches
        /// (`Report.coverage`), visiting at most `coverageStateLimit` states.
        public var coverage: Bool
        public var coverageStateLimit: Int
        /// Check each core of a multi-core model on its own (`CoreDecomposition`); false
        /// explores the product of the cores as one, as differential tests do.
        public var decomposeCores = true
        /// Check a model with more interchangeable guests than a finding can need on a model
        /// that keeps only that many (`SymmetryReduction`); false checks every guest, as the
        /// differential test of the reduction does.
        public var symmetry = true
        /// Let the explicit engine store one order of interchangeable threads
        /// (`ThreadSymmetry`); false stores every order.
        public var threadSymmetry = true
        /// In `auto`, once the explicit search holds this many states, run k-induction
        /// alongside it on another thread: the first decisive answer wins and stops the other.
        /// nil: never. The command line sets `CheckDefaults.parallelProofStates` on a machine
        /// with two or more cores.
        public var parallelProofAfter: Int?
        /// States sampled for k-induction's mined invariant (`CheckDefaults.invariantSample`).
        public var invariantSample = CheckDefaults.invariantSample
        /// When the model names several checks, also answer each check on its own
        /// (`Report.perCheck`); false answers only the verdict, the shortest finding.
        public var answerEachCheck = false
        public init(bound: Int? = nil, engine: Engine = .auto, stateLimit: Int = CheckDefaults.stateLimit,
                    deadline: DispatchTime? = nil, cancellation: Cancellation? = nil,
                    certificate: String? = nil, wantsCertificate: Bool = false,
                    coverage: Bool = false, coverageStateLimit: Int = CheckDefaults.coverageStateLimit) {
            self.bound = bound; self.engine = engine; self.stateLimit = stateLimit
            self.deadline = deadline; self.cancellation = cancellation
            self.certificate = certificate; self.wantsCertificate = wantsCertificate
            self.coverage = coverage; self.coverageStateLimit = coverageStateLimit
        }
    }

    /// What checking one model gave.
    public struct Report: Sendable {
        public var model: Model
        public var outcome: Outcome
        /// The engines that decided: one, or several when the cores of a model were decided
        /// apart (`CoreDecomposition`).
        public var engines: [EngineName]
        public var bound: Int
        /// Time the deciding engine took.
        public var seconds: Double
        /// The other engines that ran without deciding, in order, e.g. bounded model checking
        /// that found nothing before the explicit engine proved the model safe.
        public var otherPhases: [Phase] = []
        /// Whether some reachable state runs a guest (nil: not known).
        public var guestRuns: Bool?

        /// The deciding engines as reports print them: "bmc", "explicit", "bmc+explicit".
        public var engine: String { EngineName.describe(engines) }

        /// The time of every phase that ran: the deciding engine's and the others'.
        public var totalSeconds: Double { seconds + otherPhases.reduce(0) { $0 + $1.seconds } }
        /// What some schedule reaches, when `Options.coverage` asked for it.
        public var coverage: Coverage?
        /// Each check's own answer, in the model's order, when it names several and
        /// `Options.answerEachCheck` asked: a report on the model with that check alone (its
        /// shortest finding, its proof, or how far the search got). Empty otherwise.
        public var perCheck: [Report] = []

        package init(model: Model, outcome: Outcome, engines: [EngineName], bound: Int, seconds: Double,
                     otherPhases: [Phase] = [], guestRuns: Bool?, coverage: Coverage? = nil) {
            self.model = model; self.outcome = outcome; self.engines = engines; self.bound = bound
            self.seconds = seconds; self.otherPhases = otherPhases; self.guestRuns = guestRuns
            self.coverage = coverage
        }

        /// The verdict, with a proof that no guest ever runs called out as vacuous.
        public var verdict: Verdict {
            switch outcome {
            case .finding(let t): .finding(t.finding.check.verdictKind)
            case .proved: guestRuns == false ? .vacuous : .safe
            case .noFindingWithin: .bounded
            case .unknown: .unknown
            }
        }

        /// How the verdict compares with the model's `expect` line.
        public var expectation: ExpectationStatus {
            guard let expected = model.expect?.verdict else {
                switch verdict {
                case .finding: return .unexpectedFinding
                case .unknown: return .undecided
                case .safe, .bounded, .vacuous: return .noExpectation
                }
            }
            switch (expected, verdict) {
            case (_, .unknown): return .undecided
            case (.safe, .safe): return .met
            case (.safe, .bounded): return .undecided
            case (let e, .finding(let k)) where e == k: return .met
            default: return .mismatch
            }
        }
    }

    /// One engine's run that did not decide, with what it established.
    public struct Phase: Hashable, Sendable {
        public var engine: EngineName
        public var seconds: Double
        /// "no finding within 20 steps".
        public var result: String

        package init(engine: EngineName, seconds: Double, result: String) {
            self.engine = engine; self.seconds = seconds; self.result = result
        }
    }

    public enum Verdict: Hashable, Sendable {
        case finding(Model.ExpectedVerdict)
        /// Proved for all lengths.
        case safe
        /// Proved, but no guest ever runs: the proof says nothing.
        case vacuous
        /// No finding up to the bound; not proved for longer schedules.
        case bounded
        case unknown

        public var word: String {
            switch self {
            case .finding(let k): k.rawValue
            case .safe: "safe"
            case .vacuous: "vacuous"
            case .bounded: "bounded"
            case .unknown: "unknown"
            }
        }
    }

    public enum ExpectationStatus: Sendable {
        case met
        case mismatch
        /// No `expect` line and no finding.
        case noExpectation
        /// No `expect` line, and a finding.
        case unexpectedFinding
        /// The engines could not decide what the expectation needs.
        case undecided
    }

    public var options: Options

    public init(options: Options = Options()) { self.options = options }
}
