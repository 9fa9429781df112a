import ArgumentParser
import Foundation
import LeakModel

/// Output formats of `leakcheck check`.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json, junit, sarif
}

/// Output formats of the analyses (`explain`, `fastpath`, `cost`): a text table or a JSON document.
enum AnalysisFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json

    /// Prints the analysis on stdout in this format.
    func print(text: () -> String, json: () -> JSONValue) {
        Swift.print(self == .json ? json().rendered() : text(), terminator: "")
    }
}

/// A one-line progress indicator on stderr, only when stderr is a terminal: "checking FILE
/// (engine auto) 2.4 s", rewritten in place every half second and erased when done. The
/// engines have no progress callback, so it shows only what runs and for how long.
final class Progress: @unchecked Sendable {
    static let enabled = isatty(2) == 1 && ProcessInfo.processInfo.environment["LEAKCHECK_NO_PROGRESS"] == nil

    private let lock = NSLock()
    private var label = ""
    private var start = Date()
    private var shown = 0
    private var timer: DispatchSourceTimer?

    init() {}

    /// Shows `label` with the time since now, until `finish` or the next `begin`.
    func begin(_ label: String) {
        guard Self.enabled else { return }
        lock.lock()
        self.label = label.terminalEscaped
        start = Date()
        draw()
        if timer == nil {
            let t = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
            t.schedule(deadline: .now() + 0.5, repeating: 0.5)
            t.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock(); self.draw(); self.lock.unlock()
            }
            t.resume()
            timer = t
        }
        lock.unlock()
    }

    /// Erases the line (call before printing results on stdout).
    func finish() {
        guard Self.enabled else { return }
        lock.lock()
        timer?.cancel()
        timer = nil
        if shown > 0 { write("\r" + String(repeating: " ", count: shown) + "\r") }
        shown = 0
        lock.unlock()
    }

    private func draw() {
        let seconds = Date().timeIntervalSince(start)
        var text = "\(label) \(String(format: "%.1f", seconds)) s"
        if text.count > 79 { text = String(text.suffix(79)) }
        let pad = max(0, shown - text.count)
        write("\r" + text + String(repeating: " ", count: pad))
        shown = text.count
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}

extension LeakCheck {
    /// Loads a model for a machine-readable report: diagnostics go to stderr as usual, and a
    /// model with errors becomes a `.modelError` entry.
    static func loadEntry(_ path: String) -> (Model?, RunEntry?) {
        let result = Frontend.load(path: path)
        if !result.diagnostics.isEmpty { Output.diagnostics(Output.render(result)) }
        guard let model = result.model else {
            return (nil, .modelError(path: path, file: result.file, diagnostics: result.diagnostics))
        }
        return (model, nil)
    }

    /// Checks one model for a report, with progress on stderr.
    static func checkEntry(_ model: Model, _ checker: Checker, progress: Progress) -> RunEntry {
        progress.begin("checking \(model.file.path) (engine \(checker.options.engine.rawValue))...")
        defer { progress.finish() }
        do {
            return .checked(try checker.check(model))
        } catch {
            Output.error("\(model.file.path): internal error: \(error)")
            return .internalError(model: model, message: "\(error)")
        }
    }

    /// Prints a machine-readable document for a run on stdout.
    static func printDocument(_ format: OutputFormat, _ entries: [RunEntry]) {
        switch format {
        case .text: break
        case .json: print(JSONReport().document(entries).rendered(), terminator: "")
        case .sarif: print(SARIFReport().document(entries).rendered(), terminator: "")
        case .junit:
            let formatter = ISO8601DateFormatter()
            print(JUnitReport().document(entries, timestamp: formatter.string(from: Date())), terminator: "")
        }
    }

    /// `leakcheck report FILE -o report.html`: one self-contained HTML page.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a model and write a self-contained HTML report.",
            discussion: """
                The page has the model (tables by regions with what is secret to each
                guest, threads by core, placement), the verdict and engine, and for a
                finding the schedule as one swim lane per thread, coloured by mode and
                table, with kicks and holds as arrows and the buffers after every step.
                For a safe model it shows what the proof rests on. For a model with a
                restricted table and an on fault block, which exits can run on the fast
                path and what that table must map (as `leakcheck fastpath`); for every
                model, what the design costs per VM-exit beside kicking on every exit
                and SMT off (as `leakcheck cost`, with --mix). No network: CSS, script
                and pictures are inline.

                \(ExitStatus.table)
                """)

        @Argument(help: "A model file.")
        var path: String

        @OptionGroup(title: "Engines and limits")
        var engineOptions: EngineOptions

        @Option(name: .shortAndLong, help: "Where to write the page (default: standard output).")
        var output: String?

        @Flag(help: "For a safe model, do not check which mitigations the proof needs.")
        var noExplain = false

        @Flag(help: "Do not check which exits can run on the fast path (see `leakcheck fastpath`).")
        var noFastpath = false

        @OptionGroup(title: "Cost per VM-exit (see `leakcheck cost`)")
        var costOptions: CostOptions

        @Option(help: ArgumentHelp(
            "Show the model's path relative to this folder (default: the working directory); the page never holds an absolute path unless asked (--base /).",
            valueName: "dir"))
        var base: String?

        func run() throws {
            try OutputPaths.refuseOverwriting(output, inputs: [path], option: "-o")
            let (loaded, failed) = LeakCheck.loadEntry(path)
            guard let model = loaded else {
                _ = failed
                throw ExitCode(ExitStatus.modelError.rawValue)
            }
            let interrupt = Interrupt()
            let checker = engineOptions.checker(cancellation: interrupt.cancellation)
            let progress = Progress()
            let entry = LeakCheck.checkEntry(model, checker, progress: progress)
            guard case .checked(let report) = entry else { throw ExitCode(ExitStatus.internalError.rawValue) }
            var explanation: Explainer.Explanation? = nil
            if !noExplain, case .proved = report.outcome {
                // What the proof rests on: which mitigations it needs. The explicit engine gives
                // proofs and shortest findings without Z3, and quickly for a model it could prove.
                var options = checker.options
                options.engine = .explicit
                explanation = try? Explainer(checker: Checker(options: options), tryAdditions: false).explain(model) { i, n, what in
                    progress.begin("report \(path): mitigation \(i + 1)/\(n) \(what)")
                }
                progress.finish()
            }
            var fastPath: FastPathAnalyzer.Analysis? = nil
            if !noFastpath {
                // Like explain: the explicit engine, which proves and finds shortest schedules
                // without Z3, on every set of fast exits. A model without the design fastpath
                // reads (FastPathPlan.Failure) gets no section.
                var options = checker.options
                options.engine = .explicit
                options.answerEachCheck = false
                fastPath = try? FastPathAnalyzer(checker: Checker(options: options)).analyze(model) { i, what in
                    progress.begin("report \(path): fast path \(i + 1) \(what)")
                }
                progress.finish()
            }
            // A model without exits has nothing to cost per VM-exit: no section.
            let cost = model.exits.contains { !$0.implicit } ? try costOptions.analysis(model) : nil
            let html = HTMLReport(explanation: explanation, fastPath: fastPath, cost: cost,
                                  baseDirectory: base.map { URL(fileURLWithPath: $0, isDirectory: true) }).render(report)
            let file = output == "-" ? nil : output
            try Output.emit(html, to: file)
            if let file {
                Output.error(ReportRenderer().headline(report))
                Output.error("wrote \(file)")
            }
            try interrupt.exitIfInterrupted()
            throw ExitCode(ExitStatus.of([entry]).rawValue)
        }
    }
}
