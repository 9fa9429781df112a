import ArgumentParser
import Foundation
import LeakModel

extension LeakCheck {
    /// `leakcheck check FILE...`: the verdict of every model, compared with its `expect`.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check models and compare each verdict with the model's expect line.",
            discussion: """
                For each model: the verdict (leak, crash or deadlock with the
                shortest schedule; safe when proved for all schedules; otherwise
                "no finding within N steps") and whether it is what the model's
                expect line says.

                Engines: auto (default) searches schedules up to the bound with Z3
                and, when it finds nothing, tries to prove the model safe for all
                lengths by exploring every reachable state; bmc only searches up
                to the bound; explicit only explores states (no Z3). Every
                schedule Z3 finds is replayed through the explicit semantics
                before it is printed.

                \(ExitStatus.table)
                """)

        @Argument(help: "Model files, or folders whose .leak files are all checked.")
        var paths: [String]

        @Option(help: "Search schedules up to this many steps (default: the model's bound, else \(Checker.defaultBound)).")
        var bound: Int?

        @Option(help: "Which engine decides: \(Checker.Engine.allCases.map(\.rawValue).joined(separator: ", ")).")
        var engine: String = Checker.Engine.auto.rawValue

        @Option(help: "States the explicit engine may visit before it gives up.")
        var stateLimit: Int = 500_000

        @Flag(name: .shortAndLong, help: "Print only the verdict line of each model.")
        var quiet = false

        @Option(help: "Output format: text, json (docs/JSON.md), junit (JUnit XML) or sarif (SARIF 2.1.0).")
        var format: OutputFormat = .text

        func validate() throws {
            if let bound, bound < 0 || bound > 1000 { throw ValidationError("--bound must be between 0 and 1000") }
            if Checker.Engine(rawValue: engine) == nil {
                throw ValidationError("unknown engine '\(engine)'; use one of \(Checker.Engine.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if stateLimit < 1 { throw ValidationError("--state-limit must be positive") }
        }

        func run() throws {
            let files = try ModelFiles.expand(paths)
            let checker = Checker(options: .init(bound: bound, engine: Checker.Engine(rawValue: engine)!,
                                                 stateLimit: stateLimit))
            if format != .text {
                var entries: [RunEntry] = []
                let progress = Progress()
                for path in files {
                    let (model, failed) = LeakCheck.loadEntry(path)
                    if let model { entries.append(LeakCheck.checkEntry(model, checker, progress: progress)) }
                    if let failed { entries.append(failed) }
                }
                LeakCheck.printDocument(format, entries)
                throw ExitCode(LeakCheck.status(of: entries).rawValue)
            }
            var status = ExitStatus.ok
            var counts: [String: Int] = [:]
            let renderer = ReportRenderer()
            for path in files {
                guard let model = ModelFiles.load(path) else {
                    status = status.combined(with: .modelError)
                    counts["model errors", default: 0] += 1
                    continue
                }
                do {
                    let progress = Progress()
                    progress.begin("checking \(path) (engine \(checker.options.engine.rawValue))...")
                    let report = try { defer { progress.finish() }; return try checker.check(model) }()
                    print(quiet ? renderer.headline(report) : renderer.render(report))
                    let s = Self.status(report)
                    status = status.combined(with: s)
                    counts[Self.label(s), default: 0] += 1
                } catch {
                    Output.error("\(path): internal error: \(error)")
                    status = status.combined(with: .internalError)
                    counts["internal errors", default: 0] += 1
                }
            }
            if files.count > 1 {
                let order = ["as expected", "mismatches", "undecided", "model errors", "internal errors"]
                let summary = order.compactMap { k in counts[k].map { "\($0) \(k)" } }.joined(separator: ", ")
                print("\(files.count) models: \(summary)")
            }
            throw ExitCode(status.rawValue)
        }

        static func status(_ report: Checker.Report) -> ExitStatus {
            switch report.expectation {
            case .met, .noExpectation: .ok
            case .mismatch, .unexpectedFinding: .mismatch
            case .undecided: .unknown
            }
        }

        static func label(_ s: ExitStatus) -> String {
            switch s {
            case .ok: "as expected"
            case .mismatch: "mismatches"
            case .unknown: "undecided"
            case .modelError: "model errors"
            case .internalError: "internal errors"
            }
        }
    }
}
