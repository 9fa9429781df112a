import Foundation

/// Runs the engines on a checked model and says what was found, by which engine, and whether
/// it is what the model expects.
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
    }

    public struct Options: Sendable {
        public var bound: Int?
        public var engine: Engine
        /// States the explicit engine may visit before it gives up.
        public var stateLimit: Int
        public var timeoutSeconds: Double?
        public init(bound: Int? = nil, engine: Engine = .auto, stateLimit: Int = 500_000, timeoutSeconds: Double? = nil) {
            self.bound = bound; self.engine = engine; self.stateLimit = stateLimit; self.timeoutSeconds = timeoutSeconds
        }
    }

    /// The default search bound when neither the model nor the command line gives one.
    public static let defaultBound = 20

    /// What checking one model gave.
    public struct Report: Sendable {
        public var model: Model
        public var outcome: Outcome
        /// The engine that decided (`bmc`, `explicit`).
        public var engine: String
        public var bound: Int
        public var seconds: Double
        /// Whether some reachable state runs a guest (nil: not known).
        public var guestRuns: Bool?

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

    /// Checks a model with the configured engines.
    public func check(_ model: Model) throws -> Report {
        let bound = options.bound ?? model.bound?.value ?? Self.defaultBound
        let start = DispatchTime.now()
        func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }
        func report(_ outcome: Outcome, _ engine: String, guestRuns: Bool?) -> Report {
            Report(model: model, outcome: outcome, engine: engine, bound: bound, seconds: seconds(), guestRuns: guestRuns)
        }
        let timeoutMs = options.timeoutSeconds.map { Int($0 * 1000) }

        switch options.engine {
        case .explicit:
            let (outcome, stats) = ExplicitChecker(model: model, stateLimit: options.stateLimit).check(bound: nil)
            return report(outcome, "explicit", guestRuns: stats.guestRuns)
        case .bmc, .auto:
            let (outcome, _) = try BMCChecker(model: model).check(bound: bound, timeoutMilliseconds: timeoutMs)
            guard options.engine == .auto, case .noFindingWithin = outcome else {
                return report(outcome, "bmc", guestRuns: nil)
            }
            // Try for a proof: the explicit engine explores every reachable state if there are few enough.
            let (proof, stats) = ExplicitChecker(model: model, stateLimit: options.stateLimit).check(bound: nil)
            switch proof {
            case .finding(let t) where t.length <= bound:
                // BMC searched this length and found nothing: one of the engines is wrong.
                throw BMCChecker.InternalError(description:
                    "engines disagree: the explicit engine finds a \(t.finding.check.verdictKind.rawValue) in \(t.length) steps, bounded model checking none within \(bound)")
            case .proved, .finding:
                return report(proof, "explicit", guestRuns: stats.guestRuns)
            case .noFindingWithin, .unknown:
                return report(outcome, "bmc", guestRuns: nil)
            }
        }
    }
}
