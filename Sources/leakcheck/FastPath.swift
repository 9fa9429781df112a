import ArgumentParser
import Foundation
import LeakModel

extension LeakCheck {
    /// `leakcheck fastpath FILE`: which exits may stay in the restricted table.
    struct FastPath: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fastpath",
            abstract: "Show which exits can run on the fast path, in the restricted table, and what that table must map.",
            discussion: """
                The restricted table is the one on vmentry leaves loaded; the slow
                path is the on fault block (its kick or hold, wait and switch). An
                exit on the fast path runs its handler as written in the restricted
                table; an exit on the slow path runs the slow path first. For a set
                of fast exits, the restricted table maps exactly what runs in it
                needs: on vmexit, the fast handlers, every NMI handler (an NMI can
                arrive at any host-mode step) and every irq handler that may start
                while interrupts are on there (docs/FASTPATH.md).

                Each set is checked like `leakcheck check`, for every check the
                model names: every exit slow, each exit fast alone (with the
                schedule when it is unsafe), each pair of exits (those whose
                answer together differs from their answers alone are listed), then
                the largest set fast together: a maximum when every set was
                considered (up to --exhaustive exits), otherwise a maximal set
                found greedily, and said so. Last, the restricted table for that
                set, region by region, with what needs each region and whom it is
                secret to.

                Example:
                  leakcheck fastpath Models/asi.leak
                  leakcheck fastpath Models/asi.leak --format json

                EXIT STATUS
                  0  every set was decided (safe, unsafe, or safe up to the bound)
                  2  a model error, or a model without a restricted table and an
                     on fault block (what fastpath reads as the design)
                  3  some set was not decided (timeout, limits)
                  4  internal error in leakcheck
                  130  interrupted
                """)

        @Argument(help: "A model file.")
        var path: String

        @OptionGroup(title: "Engines and limits")
        var engineOptions: EngineOptions

        @Option(help: "Output format.")
        var format: AnalysisFormat = .text

        @Option(help: "Check every set of exits when the model has at most this many exits (2^N checks); above it, a greedy search finds a maximal set.")
        var exhaustive: Int = 8

        func validate() throws {
            if !(0...16).contains(exhaustive) { throw ValidationError("--exhaustive must be between 0 and 16") }
        }

        func run() throws {
            guard let model = ModelFiles.load(path) else { throw ExitCode(ExitStatus.modelError.rawValue) }
            let interrupt = Interrupt()
            var checker = engineOptions.checker(cancellation: interrupt.cancellation)
            checker.options.answerEachCheck = false
            let progress = Progress()
            let analysis: FastPathAnalyzer.Analysis
            do {
                analysis = try FastPathAnalyzer(checker: checker, exhaustiveLimit: exhaustive).analyze(model) { i, what in
                    progress.begin("fastpath \(path): \(i + 1) \(what)")
                }
                progress.finish()
            } catch let failure as FastPathPlan.Failure {
                progress.finish()
                let (line, column) = model.file.position(of: failure.span.start)
                Output.error("\(path):\(line):\(column): error: \(failure.message)")
                throw ExitCode(ExitStatus.modelError.rawValue)
            } catch {
                progress.finish()
                Output.error("\(path): internal error: \(error)")
                throw ExitCode(ExitStatus.internalError.rawValue)
            }
            format.print(text: analysis.renderText, json: { analysis.json() })
            try interrupt.exitIfInterrupted()
            throw ExitCode(Self.status(analysis).rawValue)
        }

        /// 4 when a check failed, 3 when one was not decided, else 0.
        static func status(_ a: FastPathAnalyzer.Analysis) -> ExitStatus {
            let answers = [a.allSlow] + a.alone + a.jointDiffers + (a.best.map { [$0] } ?? [])
            if answers.contains(where: { $0.status == .error }) { return .internalError }
            return a.undecided > 0 ? .unknown : .ok
        }
    }
}
