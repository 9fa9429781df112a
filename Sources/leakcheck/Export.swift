import ArgumentParser
import Foundation
import LeakModel

/// Export formats of `leakcheck export`.
enum ExportFormat: String, CaseIterable, ExpressibleByArgument {
    case smtlib, promela
}

extension LeakCheck {
    /// `leakcheck export FILE --to smtlib|promela`: the model for another tool.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a model as an SMT-LIB 2 query or as a Promela model for SPIN.",
            discussion: """
                --to smtlib: the bounded query (QF_BV) for any SMT solver: sat exactly
                when some check the model names finds something within the bound (the
                model's bound, or --bound). Accepted by z3 and cvc5.

                --to promela: the semantics as a Promela model for SPIN, whose assertion
                fails exactly when the model has a finding, in a schedule of any length.
                With a breadth-first search (gcc -DBFS) SPIN reports the violation "at
                depth n", n being the length of the shortest finding (docs/EXPORT.md).

                Exit status: 0 when the export was written, 2 for a model error or a
                usage error (diagnostics on stderr), 4 for an internal error.
                """)

        @Argument(help: "A model file.")
        var path: String

        @Option(help: "The format: smtlib or promela.")
        var to: ExportFormat

        @Option(help: "The bound of the SMT-LIB query (default: the model's bound, else 20).")
        var bound: Int?

        @Option(name: .shortAndLong, help: "Where to write the export (default: standard output).")
        var output: String?

        func validate() throws {
            if let bound, !Model.Bound.validRange.contains(bound) {
                throw ValidationError("--bound must be between \(Model.Bound.validRange.lowerBound) and \(Model.Bound.validRange.upperBound), as in a model's bound line")
            }
            if bound != nil && to == .promela {
                throw ValidationError("--bound applies to --to smtlib only (the Promela model has no bound)")
            }
        }

        func run() throws {
            try OutputPaths.refuseOverwriting(output, inputs: [path], option: "-o")
            guard let model = ModelFiles.load(path) else { throw ExitCode(ExitStatus.modelError.rawValue) }
            let text: String
            do {
                switch to {
                case .smtlib: text = try SMTLibExport(model: model, bound: bound).script()
                case .promela: text = try PromelaExport(model: model).promela()
                }
            } catch let error as PromelaExport.ExportError {
                Output.error("\(path): error: \(error)")
                throw ExitCode(ExitStatus.modelError.rawValue)
            } catch let error as SMTLibExport.ExportError {
                Output.error("\(path): error: \(error)")
                throw ExitCode(ExitStatus.modelError.rawValue)
            } catch {
                Output.error("\(path): internal error: \(error)")
                throw ExitCode(ExitStatus.internalError.rawValue)
            }
            try Output.emit(text, to: output)
        }
    }
}
