import ArgumentParser
import Foundation
import LeakModel

/// The options that say what actions cost and how often each exit happens, shared by `cost`
/// and `report`.
struct CostOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The exit mix: the output of `perf kvm stat report` (VMX or SVM exit reasons) or a CSV of reason,count lines (default: every exit of the model equally often).",
        valueName: "file"))
    var mix: String?

    @Option(name: .customLong("map"), help: ArgumentHelp(
        "Count a reason of the mix as an exit of the model, e.g. --map EPT_MISCONFIG=mmio (repeatable; before the built-in aliases).",
        valueName: "reason=exit"))
    var mappings: [String] = []

    @Option(name: .customLong("cost"), help: ArgumentHelp(
        "Cycles for an action: vmexit, ipi, switch, flush_l1d, flush_buffers, fault; or smt_gain as a fraction (repeatable).",
        valueName: "key=cycles"))
    var costs: [String] = []

    @Option(name: .customLong("costs"), help: ArgumentHelp("A file of key = cycles lines, as for --cost.", valueName: "file"))
    var costFile: String?

    func validate() throws {
        for m in mappings {
            let parts = m.split(separator: "=", maxSplits: 1)
            if parts.count != 2 || parts.contains(where: \.isEmpty) { throw ValidationError("--map expects REASON=EXIT, found '\(m)'") }
        }
    }

    var mapping: [String: String] {
        Dictionary(mappings.map { m in
            let p = m.split(separator: "=", maxSplits: 1).map(String.init)
            return (p[0], p[1])
        }, uniquingKeysWith: { _, last in last })
    }

    /// The cost table with every override applied; a bad one is a usage error (exit 2).
    func table() throws -> CostTable {
        var table = CostTable.defaults
        do {
            if let costFile {
                guard let text = try? String(contentsOfFile: costFile, encoding: .utf8) else {
                    Output.error("leakcheck: error: cannot read '\(costFile)'")
                    throw ExitCode(ExitStatus.modelError.rawValue)
                }
                try table.override(file: text, path: costFile)
            }
            for c in costs { try table.override(c, source: "--cost \(c)") }
        } catch let failure as CostTable.Failure {
            Output.error("leakcheck: error: \(failure.message)")
            throw ExitCode(ExitStatus.modelError.rawValue)
        }
        return table
    }

    /// The mix file read, or nil without --mix; a bad one is an error with file:line:col (exit 2).
    func exitMix() throws -> ExitMix? {
        guard let mix else { return nil }
        guard let data = FileManager.default.contents(atPath: mix), let text = String(data: data, encoding: .utf8) else {
            Output.error("leakcheck: error: cannot read the exit mix '\(mix)'")
            throw ExitCode(ExitStatus.modelError.rawValue)
        }
        do {
            return try ExitMix(text: text, path: mix)
        } catch {
            Output.error("\(mix):\(error.line):\(error.column): error: \(error.message)")
            throw ExitCode(ExitStatus.modelError.rawValue)
        }
    }

    /// The analysis of a model; a mix the model handles none of is an error (exit 2).
    func analysis(_ model: Model) throws -> CostAnalysis {
        do {
            return try CostAnalysis(model: model, table: try table(), mix: try exitMix(), mapping: mapping)
        } catch let failure as CostAnalysis.Failure {
            Output.error("leakcheck: error: \(failure.message)")
            throw ExitCode(ExitStatus.modelError.rawValue)
        }
    }
}

extension LeakCheck {
    /// `leakcheck cost FILE --mix perf.txt`: what the design costs per VM-exit.
    struct Cost: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Estimate kicks, holds, table switches, flushes and cycles per VM-exit, beside kick-and-hold on every exit and SMT off.",
            discussion: """
                Every path through on vmexit, an exit's handler and on vmentry is
                counted (each either branch and both sides of each if; a touch the
                loaded table does not map runs on fault). Weighted by the exit mix,
                each design gets a range per VM-exit, from the cheapest to the
                dearest path of each exit. Cycles per action are documented defaults
                with their published sources (docs/COST.md), overridable.

                The mix is `perf kvm stat report` output, as KVM engineers record it:
                  perf kvm stat record -a sleep 10
                  perf kvm stat report > mix.txt 2>&1
                or a CSV of reason,count lines. Reasons are matched to the model's
                exits by --map, then by name (CPUID and cpuid), then by the alias
                table of docs/COST.md (EPT_VIOLATION and ept); a reason the model
                does not handle is listed, never dropped silently.

                Example:
                  leakcheck cost Models/asi.leak --mix perf.txt --cost ipi=4000

                EXIT STATUS
                  0  the costs were computed
                  2  a model error, or an unreadable or malformed mix or cost file
                """)

        @Argument(help: "A model file.")
        var path: String

        @OptionGroup(title: "Mix and costs")
        var costOptions: CostOptions

        @Option(help: "Output format.")
        var format: AnalysisFormat = .text


        func run() throws {
            guard let model = ModelFiles.load(path) else { throw ExitCode(ExitStatus.modelError.rawValue) }
            let analysis = try costOptions.analysis(model)
            format.print(text: analysis.renderText, json: { analysis.json() })
        }
    }
}
