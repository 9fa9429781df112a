import ArgumentParser
import Foundation
import LeakModel

extension LeakCheck {
    /// `leakcheck explain FILE`: which mitigations the verdict rests on.
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which mitigations of a model are needed, and which single additions fix a finding.",
            discussion: """
                Takes out each mitigation in turn (every flush, hold, kick, wait,
                release, switch and irqs off statement, and every region a table
                lists in its maps clause), checks the model again with the same
                engines, and prints a table: "needed: KIND in N steps without it",
                or "not needed" (proved safe, or the same verdict, without it;
                "no finding within N steps" when only bounded).

                For a model with a finding it also tries single additions: a flush
                of each buffer at the end of on vmentry, hold instead of each kick,
                a wait until siblings out of guest at the start of on vmentry, and
                unmapping each secret region from each table that maps it.

                Exit status: 0 when the model's verdict is as expected, otherwise
                as for `leakcheck check`.
                """)

        @Argument(help: "A model file.")
        var path: String

        @OptionGroup(title: "Engines and limits")
        var engineOptions: EngineOptions

        @Option(help: "Output format.")
        var format: AnalysisFormat = .text

        @Flag(help: "Do not try the catalogue of single additions.")
        var noAdditions = false


        func run() throws {
            guard let model = ModelFiles.load(path) else { throw ExitCode(ExitStatus.modelError.rawValue) }
            let interrupt = Interrupt()
            let checker = engineOptions.checker(cancellation: interrupt.cancellation)
            let progress = Progress()
            let explanation: Explainer.Explanation
            do {
                explanation = try Explainer(checker: checker, tryAdditions: !noAdditions).explain(model) { i, n, what in
                    progress.begin("explain \(path): \(i + 1)/\(n) \(what) (engine \(engineOptions.engine.rawValue))")
                }
                progress.finish()
            } catch {
                progress.finish()
                Output.error("\(path): internal error: \(error)")
                throw ExitCode(ExitStatus.internalError.rawValue)
            }
            format.print(text: explanation.renderText, json: { explanation.json() })
            try interrupt.exitIfInterrupted()
            throw ExitCode(ExitStatus(explanation.baseline).rawValue)
        }
    }
}
