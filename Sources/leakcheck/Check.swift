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
                proved by k-induction from an invariant mined from its first states
                (clauses Z3 shows inductive; not for check progress, which Spacer
                proves on a lasso monitor) or with Z3's Spacer (an invariant,
                re-checked and printed). bmc only searches up to the bound;
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

        @Option(name: [.customShort("j"), .long],
                help: "Check this many models at once (default: the machine's cores); the output stays in file order and each check gets an equal share of --memory.")
        var jobs: Int?

        func validate() throws {
            if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, found \(jobs)") }
        }

        func run() throws {
            let files = try ModelFiles.expand(paths)
            let stored = try Certificates(certificate, models: files.count, option: "--certificate")
            let saving = try Certificates(saveCertificate, models: files.count, option: "--save-certificate")
            if let saving { try OutputPaths.refuseCollisions(models: files, option: "--save-certificate", target: saving.file(for:)) }
            let interrupt = Interrupt()
            var checker = engineOptions.checker(cancellation: interrupt.cancellation, wantsCertificate: saving != nil)
            checker.options.coverage = !noCoverage
            let workers = max(1, min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, files.count))
            if workers > 1 {
                checker.options.memoryBudget = MemoryBudget(bytes: checker.options.memoryBudget.bytes / workers)
            }
            // Stored certificates are read before the checks start: a bad one stops the run.
            let certificates = try files.map { try stored?.load(for: $0) }
            var saveFailed = false
            /// After a check: the certificate written, statements that never run warned about.
            func finished(_ report: Checker.Report) {
                if let saving, !saving.save(report) { saveFailed = true }
                if let warnings = report.coverage?.warnings(for: report.model), !warnings.isEmpty {
                    Output.diagnostics(DiagnosticRenderer(file: report.model.file, colored: Output.colored).render(warnings))
                }
            }
            let progress = Progress()
            let engine = checker.options.engine.rawValue
            let base = checker, cancellation = interrupt.cancellation
            /// One model: loaded (its diagnostics rendered, printed in order by the caller) and
            /// checked; nil once the run is interrupted.
            let work: @Sendable (Int) -> Checked? = { i in
                guard !cancellation.isCancelled else { return nil }
                let path = files[i]
                let loaded = Frontend.load(path: path)
                let diagnostics = loaded.diagnostics.isEmpty ? nil : Output.render(loaded)
                guard let model = loaded.model else {
                    return Checked(entry: .modelError(path: path, file: loaded.file, diagnostics: loaded.diagnostics),
                                   diagnostics: diagnostics)
                }
                var one = base
                one.options.certificate = certificates[i]
                if workers == 1 { progress.begin("checking \(path) (engine \(engine))...") }
                defer { if workers == 1 { progress.finish() } }
                do {
                    return Checked(entry: .checked(try one.check(model)), diagnostics: diagnostics)
                } catch {
                    return Checked(entry: .internalError(model: model, message: "\(error)"), diagnostics: diagnostics)
                }
            }
            if workers > 1 { progress.begin("checking \(files.count) models, \(workers) at a time (engine \(engine))...") }
            var entries: [RunEntry] = []
            var status = ExitStatus.ok
            var tally = Tally()
            let renderer = ReportRenderer()
            OrderedParallel.run(count: files.count, jobs: workers, work: work) { i, checked in
                guard let checked else { return }
                if workers > 1 { progress.finish() }
                if let diagnostics = checked.diagnostics { Output.diagnostics(diagnostics) }
                entries.append(checked.entry)
                switch checked.entry {
                case .checked(let report):
                    if format == .text {
                        print(quiet ? renderer.headline(report) : renderer.render(report))
                        fflush(nil)
                    }
                    finished(report)
                    status = status.combined(with: ExitStatus(report))
                    tally.add(.report(report.expectation))
                case .modelError:
                    status = status.combined(with: .modelError)
                    tally.add(.modelError)
                case .internalError(_, let message):
                    Output.error("\(files[i]): internal error: \(message)")
                    status = status.combined(with: .internalError)
                    tally.add(.internalError)
                }
            }
            if workers > 1 { progress.finish() }
            if format != .text {
                LeakCheck.printDocument(format, entries)
                status = ExitStatus.of(entries)
            } else if files.count > 1 {
                print("\(files.count) models: \(tally.summary)")
            }
            if saveFailed { status = status.combined(with: .modelError) }
            try interrupt.exitIfInterrupted()
            throw ExitCode(status.rawValue)
        }
    }

    /// What checking one file gave, with its diagnostics rendered for stderr.
    struct Checked: Sendable {
        var entry: RunEntry
        var diagnostics: String?
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
