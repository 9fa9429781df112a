import Foundation
import Testing
@testable import LeakModel
@testable import LeakSemantics
@testable import LeakReport

/// Every model shipped in the repository's `Models/` folder parses and resolves without error.
///
/// The folder is found from this file's path (Tests/LeakModelTests/ -> repository root). When
/// it holds no `.leak` file yet the test passes vacuously; each file added later is checked.
@Suite struct FrontendRepositoryModelsTests {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func modelPaths() -> [String] {
        let dir = repositoryRoot.appendingPathComponent("Models")
        guard let items = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return items.filter { $0.hasSuffix(".leak") }.sorted().map { dir.appendingPathComponent($0).path }
    }

    @Test func repositoryRootIsFound() {
        #expect(FileManager.default.fileExists(atPath: Self.repositoryRoot.appendingPathComponent("Package.swift").path))
    }

    @Test func everyShippedModelResolves() {
        for path in Self.modelPaths() {
            let r = Frontend.load(path: path)
            let errors = r.diagnostics.filter { $0.severity == .error }
            #expect(errors.isEmpty, "\(path):\n\(DiagnosticRenderer(file: r.file).render(errors))")
            #expect(r.model != nil, "\(path) did not resolve")
        }
    }
}
