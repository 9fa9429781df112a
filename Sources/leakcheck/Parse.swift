import ArgumentParser
import LeakModel

extension LeakCheck {
    /// `leakcheck parse FILE`: the resolved model, for reading what a file really declares.
    struct Parse: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse and resolve a model; print its threads, guests, tables and secrets.",
            discussion: "Exit status 0 when the model is valid, 2 when it has errors (on stderr).")

        @Argument(help: "A model file.")
        var path: String

        func run() throws {
            guard let model = ModelFiles.load(path) else { throw ExitCode(ExitStatus.modelError.rawValue) }
            print(ModelSummary.render(model), terminator: "")
        }
    }
}
