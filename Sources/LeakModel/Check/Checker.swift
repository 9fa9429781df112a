import Foundation
import LeakEncoding
import LeakExplicit
import LeakSemantics
import LeakSMT
import LeakTrace

/// The engines: which runs, in which order, and what its outcome means. `Checker`, its options
/// and its report are declared in Trace/CheckerReport.swift (target LeakTrace), where reports
/// see them without seeing Z3.
extension Checker {
    /// The version of the linked Z3, e.g. "4.8.12.0" (for the reports' tool field, which
    /// cannot ask Z3 itself).
    public static var z3Version: String { Z3Version.string }

    /// Checks a model with the configured engines; with `Options.answerEachCheck`, also
    /// answers each of its checks on its own.
    public func check(_ model: Model) throws -> Report {
        var report = try checkAll(model)
        report.perCheck = try answerEachCheck(model, report)
        return report
    }

    /// Each check's own answer (`Report.perCheck`). The verdict already answers some: the
    /// shortest finding is its check's shortest (no check has a shorter one), and a proof or a
    /// search without finding covers every check. Each other check is checked alone, with the
    /// same engines and the time left.
    private func answerEachCheck(_ model: Model, _ report: Report) throws -> [Report] {
        guard options.answerEachCheck, model.checks.count > 1 else { return [] }
        var inner = self
        inner.options.answerEachCheck = false
        inner.options.coverage = false
        inner.options.certificate = nil
        inner.options.wantsCertificate = false
        return try model.checks.map { check in
            var alone = model
            alone.checks = [check]
            if case .finding(let trace) = report.outcome, trace.finding.check != check {
                guard let reason = stopReason() else { return try inner.checkAll(alone) }
                return Report(model: alone, outcome: .unknown(reason: reason, completedBound: nil),
                              engines: report.engines, bound: report.bound, seconds: 0, guestRuns: report.guestRuns)
            }
            var same = report
            same.model = alone
            same.coverage = nil
            return same
        }
    }

    private func checkAll(_ model: Model) throws -> Report {
        if let megabytes = options.z3MemoryLimit { Z3Context.setMemoryLimit(megabytes: megabytes) }
        if options.symmetry, let reduction = SymmetryReduction(model) {
            var inner = self
            inner.options.symmetry = false
            inner.options.answerEachCheck = false
            var report = try inner.check(reduction.reduced)
            report.model = model
            if case .finding(let trace) = report.outcome { report.outcome = .finding(try reduction.lift(trace)) }
            report.otherPhases.insert(Phase(engine: .symmetry, seconds: 0, result: reduction.summary), at: 0)
            return report
        }
        var report: Report
        do {
            report = try decide(model)
        } catch let error as Z3Error where error.code == .memoryOut {
            // A resource limit, not a bug: undecided, and says which limit.
            let limit = Z3Context.memoryLimit.map { " (Z3's memory limit is \($0) MB, --memory)" } ?? ""
            report = Report(model: model, outcome: .unknown(reason: "Z3 ran out of memory\(limit): \(error.message)",
                                                            completedBound: nil),
                            engines: [.z3], bound: options.bound ?? model.bound?.value ?? CheckDefaults.bound, seconds: 0,
                            guestRuns: nil)
        }
        if case .unknown(let reason, let completed?) = report.outcome, completed < 0 {
            // An engine stopped before its first bound (BMC's "k - 1" at k = 0): nothing was
            // completed, which no output may print as "within -1 steps".
            report.outcome = .unknown(reason: reason, completedBound: nil)
        }
        if !options.coverage {
            report.coverage = nil
        } else if report.coverage == nil {
            let limit = min(options.stateLimit, options.coverageStateLimit)
            let (coverage, seconds) = Self.timed {
                if options.decomposeCores, model.cores.count > 1 {
                    // The product of the cores is far larger than its parts: visit each kind of
                    // core on its own.
                    let parts = CoreDecomposition.classes(of: model).representatives.map {
                        Coverage(model: CoreDecomposition.subModel(model, core: $0), stateLimit: limit,
                                 memoryBudget: options.memoryBudget, stopReason: stopReason)
                    }
                    return Coverage(merging: parts)
                }
                return Coverage(model: model, stateLimit: limit, memoryBudget: options.memoryBudget, stopReason: stopReason)
            }
            report.coverage = coverage
            // The verdict line's time covers every phase that ran, this visit included.
            report.otherPhases.append(Phase(engine: .coverage, seconds: seconds, result: "\(coverage.states) states"))
        }
        // An undecided run on a large model says how large, so that "too large" is told
        // apart from "too slow a machine".
        if case .unknown(let reason, let bound) = report.outcome, let size = Self.largeModelSize(model) {
            report.outcome = .unknown(reason: "\(reason); the model is large: \(size)", completedBound: bound)
        }
        return report
    }

    /// What makes a model large ("300 guests told apart, 903 concrete regions, 302 tables"),
    /// or nil for a model of ordinary size. Guests are counted after the symmetry reduction.
    static func largeModelSize(_ model: Model) -> String? {
        let program = Program(model)
        var parts: [String] = []
        if model.guests.count > 16 { parts.append("\(model.guests.count) guests told apart") }
        if model.regions.count > 256 { parts.append("\(model.regions.count) concrete regions") }
        if model.tables.count > 64 { parts.append("\(model.tables.count) concrete tables") }
        if program.instructions.count > 1000 { parts.append("\(program.instructions.count) statements") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// The report of an explicit search, with its coverage when it explored every reachable
    /// state (a proof saw every step, so no second visit is needed).
    private func explicitReport(_ model: Model, _ outcome: Outcome, _ stats: ExplicitChecker.Statistics,
                                bound: Int, seconds: Double) -> Report {
        var report = Report(model: model, outcome: outcome, engines: [.explicit], bound: bound, seconds: seconds,
                            guestRuns: stats.guestRuns)
        if stats.coverage.complete { report.coverage = stats.coverage }
        return report
    }

    /// Why the run must stop now (Ctrl-C, the time limit), if it must.
    private func stopReason() -> String? {
        if options.cancellation?.isCancelled == true { return "interrupted" }
        if let deadline = options.deadline, DispatchTime.now() >= deadline { return "timeout" }
        return nil
    }

    /// The verdict: a stored certificate, else the engines' search and proofs.
    private func decide(_ model: Model) throws -> Report {
        let bound = options.bound ?? model.bound?.value ?? CheckDefaults.bound
        var certificatePhase: Phase?
        // A certificate is an invariant: it proves state checks, never `check progress`.
        let certifiable = !model.checks.contains(.progress)
        if options.certificate != nil, !certifiable {
            certificatePhase = Phase(engine: .certificate, seconds: 0, result: "not used: an invariant does not prove check progress")
        } else if let stored = options.certificate {
            let (result, seconds) = try Self.timed {
                try SpacerProver(model: model).revalidate(smtlib: stored, deadline: options.deadline,
                                                          cancellation: options.cancellation)
            }
            switch result {
            case .holds(let invariant):
                let proof = Outcome.Proof(summary: "stored certificate re-checked with one query",
                                          invariant: invariant, smtlib: stored)
                let (runs, vacuitySeconds) = try Self.timed { try guestRuns(model, within: bound) }
                return Report(model: model, outcome: .proved(proof), engines: [.certificate], bound: bound,
                              seconds: seconds + vacuitySeconds, guestRuns: runs)
            case .fails(let why):
                certificatePhase = Phase(engine: .certificate, seconds: seconds, result: "does not hold: \(why)")
            case .unknown(let reason):
                certificatePhase = Phase(engine: .certificate, seconds: seconds, result: "not re-checked (\(reason))")
            }
        }
        var report = try search(model, bound: bound)
        if let certificatePhase { report.otherPhases.insert(certificatePhase, at: 0) }
        if options.wantsCertificate, certifiable, case .proved(var proof) = report.outcome, proof.smtlib == nil {
            // The explicit engine and k-induction give no invariant: ask Spacer for one.
            let (result, seconds) = try Self.timed {
                try SpacerProver(model: model).prove(deadline: options.deadline, cancellation: options.cancellation)
            }
            switch result {
            case .proved(_, let smtlib):
                proof.smtlib = smtlib
                report.outcome = .proved(proof)
                report.otherPhases.append(Phase(engine: .spacer, seconds: seconds, result: "an invariant for the certificate"))
            case .reachable:
                throw BMCChecker.InternalError(description:
                    "engines disagree: \(report.engine) proves the model, Spacer derives a finding")
            case .unknown(let reason):
                report.otherPhases.append(Phase(engine: .spacer, seconds: seconds, result: "no invariant for the certificate (\(reason))"))
            }
        }
        return report
    }

    /// The engines' search and proof attempts, in the configured order.
    private func search(_ model: Model, bound: Int) throws -> Report {
        // Cores are decided apart only for state checks: a fair loop of the whole model must
        // be fair on every core at once (docs/SEMANTICS.md, "Progress").
        if options.decomposeCores, model.cores.count > 1, !model.checks.contains(.progress) {
            // Certificates and coverage belong to the whole model: the cores are searched
            // without them.
            var perCore = self
            perCore.options.certificate = nil
            perCore.options.wantsCertificate = false
            perCore.options.coverage = false
            return try CoreDecomposition(checker: perCore).check(model)
        }
        let deadline = options.deadline, cancellation = options.cancellation
        let stop = stopReason

        switch options.engine {
        case .explicit:
            let ((outcome, stats), seconds) = Self.timed {
                ExplicitChecker(model: model, stateLimit: options.stateLimit, memoryBudget: options.memoryBudget,
                                threadSymmetry: options.threadSymmetry).check(bound: nil, stopReason: stop)
            }
            return explicitReport(model, outcome, stats, bound: bound, seconds: seconds)
        case .bmc, .auto, .kinduction, .spacer:
            // `auto` first explores explicitly, as far as the state limit and the memory budget
            // allow: a model it can exhaust is proved (or its shortest finding found) before
            // any deep bounded search, which on a few hundred thousand states costs far more.
            var explicitGaveUp: Phase?
            if options.engine == .auto {
                switch try probe(model, bound: bound, stop: stop) {
                case .decided(let report): return report
                case .gaveUp(let phase): explicitGaveUp = phase
                }
            }
            let ((outcome, _), bmcSeconds) = try Self.timed {
                try BMCChecker(model: model).check(bound: bound, deadline: deadline, cancellation: cancellation)
            }
            let bmc = Report(model: model, outcome: outcome, engines: [.bmc], bound: bound, seconds: bmcSeconds,
                             guestRuns: nil)
            guard options.engine != .bmc, case .noFindingWithin = outcome else { return bmc }
            var earlier = [Phase(engine: .bmc, seconds: bmcSeconds, result: "no finding within \(bound) steps")]
            if let gaveUp = explicitGaveUp { earlier.insert(gaveUp, at: 0) }
            // k-induction's simple-path argument does not carry over to the lasso monitor
            // that makes progress a safety question (docs/PROOFS.md, "Progress"): only Spacer
            // proves progress symbolically.
            let progress = model.checks.contains(.progress)
            // Spacer on the lasso monitor proves only small models (docs/PROOFS.md), and one
            // that cannot finish spends the whole time limit: `auto` leaves progress to the
            // explicit engine and runs Spacer only when asked (--engine spacer).
            if progress, options.engine != .spacer {
                var report = bmc
                report.otherPhases = Array(earlier.dropFirst()) + [Phase(engine: options.engine == .kinduction ? .kInduction : .spacer,
                    seconds: 0, result: "not run: check progress is proved by the explicit engine (or --engine spacer)")]
                return report
            }
            // k-induction from mined clauses before Spacer in `auto`: it is bounded (a sample,
            // Houdini, then the depths up to the bound) and proves the hold protocols, where
            // Spacer on a large model can spend the whole time limit. Its base case up to
            // `bound` is what BMC just showed.
            if options.engine == .auto || options.engine == .kinduction {
                let ((result, mined), seconds) = try Self.timed {
                    try KInduction(model: model).proveWithMinedInvariant(maxDepth: bound + 1, sampleLimit: options.invariantSample,
                                                                         deadline: deadline, cancellation: cancellation)
                }
                switch result {
                case .proved(let depth):
                    let (runs, vacuitySeconds) = try Self.timed { try guestRuns(model, within: bound) }
                    let (proof, certificatePhase) = try kInductionProof(model, depth: depth, invariant: mined)
                    var report = Report(model: model, outcome: .proved(proof),
                                        engines: [.kInduction], bound: bound, seconds: seconds + vacuitySeconds,
                                        guestRuns: runs)
                    report.otherPhases = earlier + (certificatePhase.map { [$0] } ?? [])
                    return report
                case .notInductive(let depth):
                    earlier.append(Phase(engine: .kInduction, seconds: seconds, result: "not inductive up to depth \(depth)"))
                case .unknown(let reason, let depth):
                    earlier.append(Phase(engine: .kInduction, seconds: seconds, result: "stopped at depth \(depth) (\(reason))"))
                }
            }
            if options.engine == .auto || options.engine == .spacer {
                let (result, seconds) = try Self.timed {
                    try SpacerProver(model: model).prove(deadline: deadline, cancellation: cancellation)
                }
                switch result {
                case .proved(let invariant, let smtlib):
                    let (runs, vacuitySeconds) = try Self.timed { try guestRuns(model, within: bound) }
                    var report = Report(model: model,
                                        outcome: .proved(.init(summary: "Spacer's inductive invariant, \(invariant.size) facts, checked",
                                                               invariant: invariant, smtlib: smtlib)),
                                        engines: [.spacer], bound: bound, seconds: seconds + vacuitySeconds,
                                        guestRuns: runs)
                    report.otherPhases = earlier
                    return report
                case .reachable:
                    earlier.append(Phase(engine: .spacer, seconds: seconds, result: "a finding longer than \(bound) steps exists"))
                case .unknown(let reason):
                    earlier.append(Phase(engine: .spacer, seconds: seconds, result: "stopped (\(reason))"))
                }
            }
            var report = bmc
            report.otherPhases = Array(earlier.dropFirst())
            return report
        }
    }

    /// What the explicit exploration of `auto` gave: the report, or the phase that says how
    /// far it got before the state limit or the memory budget stopped it.
    private enum ProbeResult {
        case decided(Report)
        case gaveUp(Phase)
    }

    /// `auto`'s first try: the explicit engine up to `--state-limit` and the memory budget. A
    /// proof is final (every reachable state explored, docs/PERFORMANCE.md); a finding is
    /// confirmed by one SMT query on its schedule (`BMCChecker.confirm`), whose schedule,
    /// replayed, is the one reported.
    private func probe(_ model: Model, bound: Int, stop: @escaping () -> String?) throws -> ProbeResult {
        // k-induction proves no progress; it joins only a search that has grown large.
        let companion = model.checks.contains(.progress) ? nil : options.parallelProofAfter.map {
            ProofCompanion(model: model, bound: bound, deadline: options.deadline, cancellation: options.cancellation,
                           startAfter: $0, sample: options.invariantSample)
        }
        let ((outcome, stats), seconds) = Self.timed {
            ExplicitChecker(model: model, stateLimit: options.stateLimit, memoryBudget: options.memoryBudget,
                            threadSymmetry: options.threadSymmetry)
                .check(bound: nil, stopReason: { stop() ?? (companion?.result != nil ? "k-induction proved the model first" : nil) },
                       held: { companion?.held($0) })
        }
        let companionProof = try companion?.finish()
        if companionProof != nil, case .finding(let t) = outcome {
            // Both cannot be right: a bug in one of them, never an answer.
            throw BMCChecker.InternalError(description:
                "engines disagree: k-induction proves the model, the explicit engine finds a \(t.finding.check.verdictKind.rawValue) in \(t.length) steps")
        }
        if let companion, let proof = companionProof, case .unknown = outcome {
            let (kProof, certificatePhase) = try kInductionProof(model, depth: proof.depth, invariant: proof.invariant)
            var report = Report(model: model, outcome: .proved(kProof),
                                engines: [.kInduction], bound: bound, seconds: proof.seconds, guestRuns: proof.guestRuns)
            report.otherPhases = [Phase(engine: .explicit, seconds: seconds,
                                        result: "stopped after \(stats.states) states (depth \(stats.depth)): k-induction, run alongside from \(companion.startAfter) states, proved the model first")]
                + (certificatePhase.map { [$0] } ?? [])
            return .decided(report)
        }
        switch outcome {
        case .proved:
            return .decided(explicitReport(model, outcome, stats, bound: bound, seconds: seconds))
        case .finding(let t):
            // One query on the explicit engine's schedule (docs/PERFORMANCE.md): the encoding
            // must admit it. Its length is the shortest by the breadth-first order.
            let (smt, confirmSeconds) = try Self.timed {
                try BMCChecker(model: model).confirm(t, deadline: options.deadline, cancellation: options.cancellation)
            }
            let steps = "\(t.length) step\(t.length == 1 ? "" : "s")"
            switch smt {
            case .finding(let u) where u.length == t.length && u.finding.check == t.finding.check:
                // The explicit engine found it: its time is part of the verdict's.
                var report = Report(model: model, outcome: smt, engines: [.bmc], bound: bound, seconds: confirmSeconds, guestRuns: nil)
                report.otherPhases = [Phase(engine: .explicit, seconds: seconds,
                                            result: "\(t.finding.check.verdictKind.rawValue) in \(steps), confirmed by bmc on its schedule")]
                return .decided(report)
            case .unknown(let reason, _):
                // Stopped (time limit, Ctrl-C) before it could confirm: the explicit engine's
                // breadth-first schedule is the reference semantics' own and a shortest one,
                // so it is the answer; the phase says the cross-check did not finish.
                var report = explicitReport(model, outcome, stats, bound: bound, seconds: seconds)
                report.otherPhases = [Phase(engine: .bmc, seconds: confirmSeconds, result: "not confirmed, stopped (\(reason))")]
                return .decided(report)
            default:
                throw BMCChecker.InternalError(description:
                    "engines disagree: the explicit engine finds a \(t.finding.check.verdictKind.rawValue) in \(steps), which the SMT encoding does not admit (\(smt.verdictWord))")
            }
        case .unknown(let reason, _) where !reason.hasPrefix("state limit") && !reason.hasPrefix("memory budget"):
            // Stopped by the time limit or Ctrl-C: what it established is the answer.
            return .decided(explicitReport(model, outcome, stats, bound: bound, seconds: seconds))
        case .unknown, .noFindingWithin:
            return .gaveUp(Phase(engine: .explicit, seconds: seconds,
                                 result: "gave up after \(stats.states) states (depth \(stats.depth))"))
        }
    }

    /// A k-induction proof. At depth 0 the mined clauses (with well-formedness) are by
    /// themselves an inductive invariant that excludes every finding: when a certificate is
    /// wanted they are its invariant, re-checked as a stored one would be, and Spacer is not
    /// asked for one. The phase says how that went.
    private func kInductionProof(_ model: Model, depth: Int,
                                 invariant mined: InvariantMiner.Invariant?) throws -> (Outcome.Proof, Phase?) {
        var proof = Outcome.Proof(summary: Self.kInductionSummary(depth: depth, invariant: mined))
        guard options.wantsCertificate, depth == 0, let mined, !model.checks.contains(.progress) else { return (proof, nil) }
        let (result, seconds) = try Self.timed {
            try SpacerProver(model: model).certificate(of: mined.clauses, deadline: options.deadline,
                                                       cancellation: options.cancellation)
        }
        switch result {
        case .proved(let invariant, let smtlib):
            proof.invariant = invariant
            proof.smtlib = smtlib
            return (proof, Phase(engine: .kInduction, seconds: seconds,
                                 result: "the mined clauses are the certificate's invariant, re-checked with one query"))
        case .reachable:
            throw BMCChecker.InternalError(description: "a certificate from mined clauses cannot derive a finding")
        case .unknown(let reason):
            return (proof, Phase(engine: .kInduction, seconds: seconds, result: "no certificate from the mined clauses (\(reason))"))
        }
    }

    /// How a k-induction proof is described: its depth and the mined clauses it started from.
    static func kInductionSummary(depth: Int, invariant: InvariantMiner.Invariant?) -> String {
        let clauses = invariant?.clauses.count ?? 0
        let strengthened = clauses == 0 ? "" : ", strengthened by \(clauses) mined invariant clause\(clauses == 1 ? "" : "s")"
        return "k-induction at depth \(depth)\(strengthened), base case by bmc"
    }

    /// Whether a guest runs within `bound` steps. A proof without that evidence is reported
    /// as vacuous: leakcheck never calls a model safe without seeing a guest run in it.
    private func guestRuns(_ model: Model, within bound: Int) throws -> Bool {
        try BMCChecker(model: model).firstGuestRun(within: bound) != nil
    }

    private static func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try body()
        return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
}
