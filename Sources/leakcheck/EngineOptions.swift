import ArgumentParser
import Foundation
import LeakModel

/// The options that choose and limit the engines, shared by `check`, `explain` and `report`.
struct EngineOptions: ParsableArguments {
    @Option(help: "Search schedules up to this many steps (default: the model's bound, else \(CheckDefaults.bound)).")
    var bound: Int?

    @Option(help: "Which engine decides.")
    var engine: Checker.Engine = .auto

    @Option(help: "States the explicit engine may visit before it gives up (default: as many as the memory budget holds, see --memory).")
    var stateLimit: Int?

    @Option(help: "Stop the whole run after this many seconds; the verdict is then unknown (exit 3).")
    var timeout: Double?

    @Option(help: "Memory limit in megabytes, for Z3 and for the states the explicit engine holds (default: half the machine's memory, at most 8 GB, for the explicit engine); over it the verdict is unknown (exit 3).")
    var memory: Int?

    @Flag(help: "When a model names several checks, answer only its verdict (the shortest finding of any check), not each check on its own; skips a run per check.")
    var shortestOnly = false

    @Flag(help: "Check every guest and every order of interchangeable threads: no symmetry reduction (docs/SEMANTICS.md, \"Symmetric guests\", \"Interchangeable threads\"). Slower; for cross-checking the reductions and for benchmarks.")
    var noSymmetry = false

    func validate() throws {
        if let bound, !Model.Bound.validRange.contains(bound) {
            throw ValidationError("--bound must be between \(Model.Bound.validRange.lowerBound) and \(Model.Bound.validRange.upperBound), as in a model's bound line")
        }
        if let stateLimit, stateLimit < 1 { throw ValidationError("--state-limit must be positive") }
        if let timeout, !(timeout > 0 && timeout <= 1e6) { throw ValidationError("--timeout must be a positive number of seconds") }
        if let memory, memory < 1 { throw ValidationError("--memory must be a positive number of megabytes") }
    }

    /// A checker with these options; the time limit starts now.
    func checker(cancellation: Cancellation? = nil, wantsCertificate: Bool = false) -> Checker {
        ToolInfo.defaultZ3Version = Checker.z3Version
        let deadline = timeout.map { DispatchTime.now() + .nanoseconds(Int($0 * 1e9)) }
        // On the command line the memory budget, not a count, ends the explicit search: a model
        // it can exhaust is proved there rather than left to a bounded search (issue 18).
        var checker = Checker(options: .init(bound: bound, engine: engine, stateLimit: stateLimit ?? .max,
                                             deadline: deadline, cancellation: cancellation,
                                             wantsCertificate: wantsCertificate))
        checker.options.answerEachCheck = !shortestOnly
        if ProcessInfo.processInfo.activeProcessorCount > 1 { checker.options.parallelProofAfter = CheckDefaults.parallelProofStates }
        checker.options.symmetry = !noSymmetry
        checker.options.threadSymmetry = !noSymmetry
        if let memory {
            checker.options.memoryBudget = MemoryBudget(megabytes: memory)
            checker.options.z3MemoryLimit = memory
        }
        return checker
    }
}

/// `--engine auto|bmc|explicit|kinduction|spacer`, read by argument-parser (which lists the
/// values in `--help` and refuses any other, exit 2).
extension Checker.Engine: ExpressibleByArgument {}
