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
        subcommands: [Check.self, Parse.self, Explain.self, FastPath.self, Cost.self, Report.self, Export.self, Generate.self],
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
