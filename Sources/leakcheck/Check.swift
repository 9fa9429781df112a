import ArgumentParser
import Foundation
import LeakModel

extension LeakCheck {
    /// `leakcheck check FILE...`: the verdict of every model, compared with its `expect`.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check models and compare each verdict with the model's expect line.",
            discussion: """
                For each model: the verdict (leak, crash, deadlock or starvation
                with the shortest schedule of any check; safe when proved for all
                schedules; otherwise "no finding within N steps") and whether it is
                what the model's expect line says. A starvation (check progress) is
                a schedule that ends in a loop repeated forever, in which a thread
                never runs its guest although every thread that can move does; it
                is shown as the prefix, then the loop ("steps 11-14 repeat
                forever"). A model with several checks then gets
                each check's own answer, one line each ("  check residue l1d: ...");
                --shortest-only skips the runs that takes.

                Engines: auto (default) first explores every reachable state, as
                far as --state-limit and --memory allow: that proves the model, or
                finds its shortest finding, which Z3 then confirms on its schedule.
                A model too large for that is searched with Z3 up to the bound, then
                proved with Z3's Spacer (an invariant, re-checked and printed) or by
                k-induction (not for check progress, which Spacer proves on a lasso
                monitor). bmc only searches up to the bound;
                explicit only explores states (no Z3); spacer and kinduction
                search, then try that proof alone. Every schedule Z3 finds is
                replayed through the explicit semantics before it is printed.

                \(ExitStatus.table)
                """)

        @Argument(help: "Model files, or folders whose .leak files are all checked.")
        var paths: [String]

        @OptionGroup(title: "Engines and limits")
        var engineOptions: EngineOptions

        @Flag(name: .shortAndLong, help: "Print only the verdict line of each model (and the summary).")
        var quiet = false

        @Option(help: ArgumentHelp(
            "Re-check this stored proof first (a file, or a folder of NAME.cert files); a proof that still holds needs no search.",
            valueName: "path"))
        var certificate: String?

        @Option(help: ArgumentHelp(
            "Write the invariant of each proof to this file (one model) or folder (NAME.cert per model).",
            valueName: "path"))
        var saveCertificate: String?

        @Flag(help: "Do not visit the reachable states for what never runs (the 'Reachable:' line and warning W007).")
        var noCoverage = false

        @Option(help: "Output format: text, json (docs/JSON.md), junit (JUnit XML) or sarif (SARIF 2.1.0).")
        var format: OutputFormat = .text

        func run() throws {
            let files = try ModelFiles.expand(paths)
            let stored = try Certificates(certificate, models: files.count, option: "--certificate")
            let saving = try Certificates(saveCertificate, models: files.count, option: "--save-certificate")
            if let saving { try OutputPaths.refuseCollisions(models: files, option: "--save-certificate", target: saving.file(for:)) }
            let interrupt = Interrupt()
            var checker = engineOptions.checker(cancellation: interrupt.cancellation, wantsCertificate: saving != nil)
            checker.options.coverage = !noCoverage
            var saveFailed = false
            /// The checker for one model: with its stored certificate, if any.
            func checkerFor(_ model: Model) throws -> Checker {
                var c = checker
                c.options.certificate = try stored?.load(for: model.file.path)
                return c
            }
            /// After a check: the certificate written, statements that never run warned about.
            func finished(_ report: Checker.Report) -> Checker.Report {
                if let saving, !saving.save(report) { saveFailed = true }
                if let warnings = report.coverage?.warnings(for: report.model), !warnings.isEmpty {
                    Output.diagnostics(DiagnosticRenderer(file: report.model.file, colored: Output.colored).render(warnings))
                }
                return report
            }
            if format != .text {
                var entries: [RunEntry] = []
                let progress = Progress()
                for path in files where !interrupt.cancellation.isCancelled {
                    let (model, failed) = LeakCheck.loadEntry(path)
                    if let model {
                        let entry = LeakCheck.checkEntry(model, try checkerFor(model), progress: progress)
                        if case .checked(let report) = entry { _ = finished(report) }
                        entries.append(entry)
                    }
                    if let failed { entries.append(failed) }
                }
                LeakCheck.printDocument(format, entries)
                if interrupt.cancellation.isCancelled {
                    Output.error("leakcheck: interrupted")
                    throw ExitCode(ExitStatus.interrupted.rawValue)
                }
                let status = ExitStatus.of(entries)
                throw ExitCode((saveFailed ? status.combined(with: .modelError) : status).rawValue)
            }
            var status = ExitStatus.ok
            var tally = Tally()
            let renderer = ReportRenderer()
            for path in files where !interrupt.cancellation.isCancelled {
                guard let model = ModelFiles.load(path) else {
                    status = status.combined(with: .modelError)
                    tally.add(.modelError)
                    continue
                }
                let one = try checkerFor(model)
                do {
                    let progress = Progress()
                    progress.begin("checking \(path) (engine \(checker.options.engine.rawValue))...")
                    let report = try { defer { progress.finish() }; return try one.check(model) }()
                    print(quiet ? renderer.headline(report) : renderer.render(report))
                    fflush(nil)
                    _ = finished(report)
                    status = status.combined(with: ExitStatus(report))
                    tally.add(.report(report.expectation))
                } catch {
                    Output.error("\(path): internal error: \(error)")
                    status = status.combined(with: .internalError)
                    tally.add(.internalError)
                }
            }
            if files.count > 1 { print("\(files.count) models: \(tally.summary)") }
            if saveFailed { status = status.combined(with: .modelError) }
            if interrupt.cancellation.isCancelled {
                Output.error("leakcheck: interrupted")
                throw ExitCode(ExitStatus.interrupted.rawValue)
            }
            throw ExitCode(status.rawValue)
        }
    }
}

/// Counts of outcomes over several files, for the closing summary line.
struct Tally {
    enum Kind {
        case report(Checker.ExpectationStatus)
        case modelError
        case internalError
    }

    private var counts: [String: Int] = [:]

    private static let order: [(key: String, one: String, many: String)] = [
        ("met", "as expected", "as expected"),
        ("none", "without expect line", "without expect line"),
        ("finding", "finding without expect line", "findings without expect line"),
        ("mismatch", "mismatch", "mismatches"),
        ("undecided", "undecided", "undecided"),
        ("model", "model error", "model errors"),
        ("internal", "internal error", "internal errors"),
    ]

    mutating func add(_ kind: Kind) {
        let key: String
        switch kind {
        case .report(.met): key = "met"
        case .report(.noExpectation): key = "none"
        case .report(.unexpectedFinding): key = "finding"
        case .report(.mismatch): key = "mismatch"
        case .report(.undecided): key = "undecided"
        case .modelError: key = "model"
        case .internalError: key = "internal"
        }
        counts[key, default: 0] += 1
    }

    /// "3 as expected, 1 mismatch, 2 model errors".
    var summary: String {
        Self.order.compactMap { entry in
            counts[entry.key].map { "\($0) \($0 == 1 ? entry.one : entry.many)" }
        }.joined(separator: ", ")
    }
}

/// Ctrl-C (SIGINT) and SIGTERM: each signal is taken by a dispatch source (not in a signal
/// handler), which cancels the check; cancelling interrupts Z3 (`Z3_interrupt` is safe from
/// another thread). Both end the run the same way: what was found so far is printed and the
/// exit status is 130.
final class Interrupt {
    let cancellation = Cancellation()
    private let sources: [DispatchSourceSignal]

    init() {
        let cancellation = self.cancellation
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { cancellation.cancel() }
            source.resume()
            return source
        }
    }

    /// Ends the run with status 130 when a signal arrived, after saying so on stderr.
    func exitIfInterrupted() throws {
        guard cancellation.isCancelled else { return }
        Output.error("leakcheck: interrupted")
        throw ExitCode(ExitStatus.interrupted.rawValue)
    }

    deinit { for source in sources { source.cancel() } }
}
