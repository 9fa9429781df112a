import Foundation
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakReport

/// Loads a model from source text; fails the test with rendered diagnostics on errors.
func loadModel(_ source: String, path: String = "test.leak") throws -> Model {
    let result = Frontend.load(file: SourceFile(path: path, text: source))
    guard let model = result.model else {
        throw ModelLoadError(text: DiagnosticRenderer(file: result.file, colored: false).render(result.diagnostics))
    }
    return model
}

struct ModelLoadError: Error, CustomStringConvertible {
    var text: String
    var description: String { text }
}

/// The repository root, found from this file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Verdict word and length of an outcome, for comparing engines ("safe" for no finding).
func summary(_ outcome: Outcome) -> (String, Int?) {
    switch outcome {
    case .finding(let t): return ("\(t.finding.check)", t.length)
    case .proved, .noFindingWithin: return ("none", nil)
    case .unknown(let reason, _): return ("unknown: \(reason)", nil)
    }
}
