import ArgumentParser
import Foundation
import LeakModel

/// The `leakcheck` command line: a thin layer over the LeakModel library.
@main
struct LeakCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leakcheck",
        abstract: "Search every schedule of a hypervisor host model for speculative leaks.",
        discussion: """
            A model file (.leak) describes cores and hyperthreads, guests, data
            regions, page tables, core-shared buffers, exit handlers, interrupts
            and the mitigation protocol (see docs/LANGUAGE.md). leakcheck asks Z3
            for any schedule in which a guest runs while a sibling thread, or a
            buffer of its core, exposes data secret to it. It answers with the
            shortest such schedule, step by step, or a proof that none exists.

            Start with:
              leakcheck check Models/asi.leak
              leakcheck check Models/          (every .leak file in the folder)
              leakcheck parse Models/asi.leak  (what the model declares, resolved)

            \(ExitStatus.table)
            """,
        version: LeakModelVersion.string,
        subcommands: [Check.self, Parse.self, Explain.self, Report.self, Export.self, Generate.self],
        defaultSubcommand: nil
    )

    /// Parses and runs, mapping argument-parser's usage status (64) onto the documented 2.
    /// Output that could not be written (a full disk, a closed pipe or stdout) is an error of
    /// its own (exit 2), not a silent success: SIGPIPE is ignored so that a closed pipe shows
    /// up as a failed write.
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        OutputWriter.reserveStandardDescriptors()
        var status: Int32
        do {
            var command = try parseAsRoot()
            try command.run()
            status = ExitStatus.ok.rawValue
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                Output.diagnostics(escapedLines(fullMessage(for: error)))
                status = ExitStatus.modelError.rawValue
            } else {
                // What argument-parser's `exit(withError:)` does: help and version on stdout,
                // other messages on stderr.
                let message = fullMessage(for: error)
                if !message.isEmpty {
                    if code.isSuccess { print(message) } else { Output.diagnostics(escapedLines(message)) }
                }
                status = code.rawValue
            }
        }
        if let failure = OutputWriter.flushStandardOutput() {
            Output.error("leakcheck: error: cannot write standard output: \(failure)")
            let known = ExitStatus(rawValue: status) ?? .modelError
            status = known.combined(with: .modelError).rawValue
        }
        Foundation.exit(status)
    }

    /// A usage message with the control characters of each line escaped (it may quote an
    /// argument as typed).
    private static func escapedLines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).terminalEscaped }.joined(separator: "\n")
    }
}

/// The process exit statuses, documented in `--help` and the README.
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
}
