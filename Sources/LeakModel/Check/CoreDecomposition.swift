import Foundation
import LeakEncoding
import LeakExplicit
import LeakSemantics
import LeakTrace

/// Checks a multi-core model one core at a time: cores share nothing, so the product of the
/// cores need not be explored as one (the soundness argument is in docs/PERFORMANCE.md).
///
/// - corun, residue and crash are properties of one core: the shortest finding of the model
///   is the shortest over the cores, and a core's schedule is a schedule of the whole model
///   in which the other cores stay in an initial state.
/// - deadlock needs every core stuck at once: there is one exactly when every core can reach
///   a deadlock on its own, and the shortest is the sum of the cores' shortest, the cores'
///   schedules run one after the other.
///
/// Cores that serve the same guests with the same number of threads are the same model up to
/// thread names: each such class is checked once. Every schedule is mapped back to the whole
/// model and replayed through its interpreter before it is reported.
struct CoreDecomposition {
    let checker: Checker

    /// What one check of one core's model gave, and its time.
    private struct Part {
        var report: Checker.Report
        var seconds: Double
    }

    /// Checks `model` (more than one core) and reports as `Checker.check` would for the whole.
    func check(_ model: Model) throws -> Checker.Report {
        let bound = checker.options.bound ?? model.bound?.value ?? CheckDefaults.bound
        let priority = model.checksByPriority
        let local = model.checks.filter { $0 != .deadlock }
        let start = DispatchTime.now().uptimeNanoseconds
        var inner = checker
        inner.options.decomposeCores = false

        let (classOf, representatives) = Self.classes(of: model)

        // Local checks: a finding no longer than the best so far is all a later core can add.
        var localParts: [Part] = []
        var best: (length: Int, rank: Int, part: Int)?
        // The first core of a class is checked with all its checks at once while nothing is
        // found yet: its shortest finding of any kind is also what the separate parts need
        // (see reuse below), and a core proved free of every finding, deadlock included,
        // settles deadlock for the whole model (a safe model is explored once per class).
        var deadlockFree = false
        var reusedDeadlock: [Int: Part] = [:]
        let deadlockPending = model.checks.contains(.deadlock)
        if !local.isEmpty {
            for (i, c) in representatives.enumerated() {
                let remaining = representatives.count - i + (deadlockPending ? representatives.count : 0)
                var sub = Self.subModel(model, core: c)
                var localPart: Part?
                if model.checks.contains(.deadlock), !deadlockFree, best == nil {
                    let part = try run(inner, sub, remaining: remaining)
                    switch part.report.outcome {
                    case .proved:
                        deadlockFree = true; localPart = part
                    case .finding(let t) where t.finding.check == .deadlock:
                        // The core's shortest deadlock; no local finding this short (a leak
                        // or crash wins a tie), so the local checks are searched on their own.
                        reusedDeadlock[c] = part
                    case .finding:
                        // The core's shortest leak or crash, with ties as the local checks
                        // alone would break them; its deadlock is searched below, up to it.
                        localPart = part
                    case .noFindingWithin, .unknown:
                        // Nothing of any kind within what it searched: both parts at once.
                        localPart = part; reusedDeadlock[c] = part
                    }
                }
                if localPart == nil {
                    sub.checks = local
                    localPart = try run(capped(inner, bound: bound, best: best?.length), sub, remaining: remaining)
                }
                let part = localPart!
                localParts.append(part)
                if case .finding(let t) = part.report.outcome {
                    let rank = priority.firstIndex(of: t.finding.check) ?? priority.count
                    if best == nil || (t.length, rank) < (best!.length, best!.rank) {
                        best = (t.length, rank, localParts.count - 1)
                    }
                }
            }
        }
        // Deadlock: every class must deadlock (a core of the same class deadlocks the same way).
        var deadlockParts: [Part] = []
        if model.checks.contains(.deadlock), !deadlockFree {
            for (i, c) in representatives.enumerated() {
                let remaining = representatives.count - i
                var sub = Self.subModel(model, core: c)
                sub.checks = [.deadlock]
                let part = try reusedDeadlock[c] ?? run(capped(inner, bound: bound, best: best?.length), sub, remaining: remaining)
                deadlockParts.append(part)
                // No deadlock on this core: none in the whole model. The other classes still
                // matter for whether a guest runs only when there are no local checks.
                if case .proved = part.report.outcome, !local.isEmpty { break }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        // How far each part searched: no finding of length <= searched.
        func searched(_ o: Outcome) -> Int {
            switch o {
            case .finding(let t): t.length - 1
            case .proved: Int.max
            case .noFindingWithin(let b): b
            case .unknown(_, let c): c ?? -1
            }
        }
        let searchedLocal = localParts.map { searched($0.report.outcome) }.min() ?? Int.max
        var searchedDeadlock = Int.max
        var deadlockLength: Int?
        if !deadlockParts.isEmpty, !deadlockParts.contains(where: { if case .proved = $0.report.outcome { true } else { false } }) {
            // A global deadlock of length n has each core deadlocked after n_c of its own steps,
            // n = the sum of n_c, each n_c at least that core's shortest (or beyond what it searched).
            var lower = 0, allFound = true
            for c in model.cores.indices {
                let o = deadlockParts[classOf[c]].report.outcome
                if case .finding(let t) = o { lower += t.length } else { allFound = false; lower += searched(o) + 1 }
            }
            if allFound { deadlockLength = lower }
            searchedDeadlock = lower - 1
        }
        let horizon = min(searchedLocal, searchedDeadlock)
        let parts = localParts + deadlockParts
        let engines = parts.flatMap(\.report.engines)

        // The shortest finding, when nothing shorter can hide in a part that searched less.
        let deadlockRank = priority.firstIndex(of: .deadlock) ?? priority.count
        var pick: (length: Int, deadlock: Bool)?
        if let best { pick = (best.length, false) }
        if let d = deadlockLength, pick == nil || (d, deadlockRank) < (pick!.length, best!.rank) { pick = (d, true) }
        // Only the explicit engine reports findings beyond the bound (as for the whole model).
        let beyond = checker.options.engine == .auto || checker.options.engine == .explicit
        if let pick, pick.length - 1 <= horizon, beyond || pick.length <= bound {
            let trace: Trace
            let engines: [EngineName]
            if pick.deadlock {
                trace = try deadlockTrace(model, traces: model.cores.indices.map { c in
                    guard case .finding(let t) = deadlockParts[classOf[c]].report.outcome else { preconditionFailure() }
                    return t
                })
                engines = deadlockParts.flatMap(\.report.engines)
            } else {
                let part = localParts[best!.part]
                guard case .finding(let t) = part.report.outcome else { preconditionFailure() }
                trace = try lift(model, core: representatives[best!.part], trace: t)
                engines = part.report.engines
            }
            return Checker.Report(model: model, outcome: .finding(trace), engines: engines, bound: bound,
                                  seconds: seconds, guestRuns: nil)
        }
        let outcome: Outcome
        if horizon == Int.max {
            func proofs(_ parts: [Part], _ label: String) -> [String] {
                parts.enumerated().compactMap { i, part in
                    guard case .proved(let p) = part.report.outcome else { return nil }
                    return "\(label) on \(model.cores[representatives[i]].name): \(p.summary)"
                }
            }
            let what = proofs(localParts, deadlockFree ? "checks" : "leaks and crashes") + proofs(deadlockParts, "deadlock").prefix(1)
            outcome = .proved(.init(summary: "core by core, \(representatives.count) of \(model.cores.count) cores distinct: " + what.joined(separator: "; ")))
        } else if let reason = parts.lazy.compactMap({ p -> String? in
            if case .unknown(let r, _) = p.report.outcome { return r } else { return nil }
        }).first {
            outcome = .unknown(reason: reason, completedBound: horizon)
        } else {
            outcome = .noFindingWithin(bound: min(horizon, bound))
        }
        // Some guest runs in the whole model when one runs on some core (every class was checked).
        let runs = parts.map(\.report.guestRuns)
        let guestRuns: Bool? = runs.contains(true) ? true : runs.allSatisfy { $0 == false } ? false : nil
        var report = Checker.Report(model: model, outcome: outcome, engines: engines, bound: bound, seconds: seconds,
                                    guestRuns: nil)
        if case .proved = outcome { report.guestRuns = guestRuns }
        return report
    }

    /// Once some core has a finding of length `best`, a part only has to show that nothing
    /// shorter (or as short, for ties) exists: bounded model checking to `best` is enough.
    private func capped(_ checker: Checker, bound: Int, best: Int?) -> Checker {
        // A finding beyond the bound (the explicit engine's) leaves the others to search as far.
        guard let best, best <= bound else { return checker }
        var options = checker.options
        options.bound = min(bound, best)
        if options.engine != .explicit { options.engine = .bmc }
        return Checker(options: options)
    }

    /// Checks one part. Under a time limit the part gets an equal share of what is left for
    /// the `remaining` parts (this one included; time a part does not use goes to the next):
    /// the whole model is searched only as far as its least-searched core, so one core must not
    /// spend the whole limit while the others are not searched at all.
    private func run(_ checker: Checker, _ model: Model, remaining: Int) throws -> Part {
        let start = DispatchTime.now().uptimeNanoseconds
        var checker = checker
        if let deadline = checker.options.deadline, remaining > 1 {
            let left = Int64(deadline.uptimeNanoseconds) - Int64(start)
            if left > 0 {
                checker.options.deadline = min(deadline, .now() + .nanoseconds(Int(left / Int64(remaining))))
            }
        }
        let report = try checker.check(model)
        return Part(report: report, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    // MARK: Sub-models and traces

    /// One representative per class of interchangeable cores (the same number of threads with
    /// the same guests placed on them, the same start tables and the same interrupts allowed
    /// on them: the same model up to thread names), and each core's class.
    static func classes(of model: Model) -> (classOf: [Int], representatives: [Int]) {
        var classOf: [Int] = [], representatives: [Int] = []
        var keys: [[[Int]]] = []
        for (c, core) in model.cores.enumerated() {
            let key = core.threads.map { t in
                model.threads[t].guests + [-1, model.startTableDecl(thread: t), -1]
                    + model.interrupts.indices.filter { model.interrupt($0, canStartOn: t) }
            }
            if let k = keys.firstIndex(of: key) { classOf.append(k) } else {
                keys.append(key); representatives.append(c)
                classOf.append(keys.count - 1)
            }
        }
        return (classOf, representatives)
    }

    /// The model of core `c` alone: its threads renumbered from 0, everything else shared.
    static func subModel(_ model: Model, core c: Int) -> Model {
        var sub = model
        let core = model.cores[c]
        sub.threads = core.threads.map { var t = model.threads[$0]; t.core = 0; return t }
        sub.cores = [Model.Core(name: core.name, span: core.span, threads: Array(core.threads.indices))]
        // An interrupt's `on` list names threads of the whole model: renumber it.
        for i in sub.interrupts.indices {
            sub.interrupts[i].threads = model.interrupts[i].threads.map { list in
                core.threads.indices.filter { list.contains(core.threads[$0]) }
            }
        }
        return sub
    }

    /// The state of the whole model with core `c`'s threads and buffers taken from `part`.
    private static func embed(_ part: SystemState, core c: Int, into whole: SystemState, model: Model) -> SystemState {
        var s = whole
        let global = model.cores[c].threads
        for (j, t) in global.enumerated() {
            var thread = part.threads[j]
            var holds: UInt64 = 0
            for k in global.indices where thread.holds & (1 << UInt64(k)) != 0 { holds |= 1 << UInt64(global[k]) }
            thread.holds = holds
            s.threads[t] = thread
        }
        s.buffers[c] = part.buffers[0]
        // Flags are per thread or per core, so a core's part owns its copies: thread j's, or
        // the one core's.
        for f in model.flags.indices {
            if model.flags[f].scope == .thread {
                for (j, t) in global.enumerated() { s.flags[f][t] = part.flags[f][j] }
            } else {
                s.flags[f][c] = part.flags[f][0]
            }
        }
        return s
    }

    private static func lift(_ a: Action, core c: Int, model: Model) -> Action {
        let g = model.cores[c].threads
        switch a {
        case .guestStep(let t): return .guestStep(thread: g[t])
        case .exit(let t, let x): return .exit(thread: g[t], exit: x)
        case .entry(let t): return .entry(thread: g[t])
        case .interrupt(let t, let i): return .interrupt(thread: g[t], interrupt: i)
        case .statement(let t, let q, let f): return .statement(thread: g[t], instruction: q, faultedAt: f)
        case .crash(let t, let q): return .crash(thread: g[t], instruction: q)
        case .idle(let t): return .idle(thread: g[t])
        case .schedule(let t, let guest): return .schedule(thread: g[t], guest: guest)
        }
    }

    /// Some initial state of the whole model (the other cores stay in it).
    private func anyInitial(_ model: Model) throws -> SystemState {
        // Each thread's first initial choice: initial states are a product over threads.
        let choices = Interpreter(model: model).initialChoices()
        guard choices.allSatisfy({ !$0.isEmpty }) else {
            throw BMCChecker.InternalError(description: "a thread has no initial state")
        }
        let empty = model.cores.map { _ in model.buffers.map { _ in RegionSet(count: model.regions.count) } }
        return SystemState(threads: choices.map { $0[0] }, buffers: empty, flags: model.initialFlags)
    }

    /// Core `c`'s schedule as one of the whole model, replayed through the whole model.
    private func lift(_ model: Model, core c: Int, trace: Trace) throws -> Trace {
        try replayed(model, initial: Self.embed(trace.initial, core: c, into: anyInitial(model), model: model),
                     parts: [(c, trace)], check: trace.finding.check)
    }

    /// The cores' deadlock schedules one after the other: every core ends stuck.
    private func deadlockTrace(_ model: Model, traces: [Trace]) throws -> Trace {
        var initial = try anyInitial(model)
        for (c, t) in traces.enumerated() { initial = Self.embed(t.initial, core: c, into: initial, model: model) }
        return try replayed(model, initial: initial, parts: Array(traces.enumerated()), check: .deadlock)
    }

    private func replayed(_ model: Model, initial: SystemState, parts: [(Int, Trace)], check: Model.Check) throws -> Trace {
        var state = initial
        var steps: [Trace.Step] = []
        for (c, t) in parts {
            for step in t.steps {
                state = Self.embed(step.state, core: c, into: state, model: model)
                steps.append(.init(action: Self.lift(step.action, core: c, model: model), state: state))
            }
        }
        do {
            let finding = try Replay(interpreter: Interpreter(model: model)).validate(initial: initial, steps: steps, check: check)
            return Trace(initial: initial, steps: steps, finding: finding)
        } catch {
            throw BMCChecker.InternalError(description: "a core's schedule does not replay in the whole model: \(error)")
        }
    }
}
