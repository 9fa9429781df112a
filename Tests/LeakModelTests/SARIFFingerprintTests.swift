import Foundation
import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakReport

/// SARIF fingerprints do not depend on how the path was written or where leakcheck ran
/// (docs/OUTPUTS.md, SARIF).
@Suite("SARIF: stable fingerprints")
struct SARIFFingerprintTests {
    static func fingerprint(path: String, base: URL) throws -> String {
        let result = Frontend.load(path: URL(fileURLWithPath: path, relativeTo: base).path)
        var model = try #require(result.model)
        model.file = SourceFile(path: path, bytes: model.file.bytes)
        let report = try Checker(options: .init(engine: .explicit)).check(model)
        let doc = SARIFReport(baseDirectory: base).document([.checked(report)])
        let text = doc.rendered()
        let range = try #require(text.range(of: #""leakcheckFinding/v1" *: *"[0-9a-f]+""#, options: .regularExpression))
        return String(text[range])
    }

    @Test func sameFingerprintHoweverThePathIsWritten() throws {
        let root = repositoryRoot
        let models = root.appendingPathComponent("Models", isDirectory: true)
        let prints = [
            try Self.fingerprint(path: "Models/asi-kick.leak", base: root),
            try Self.fingerprint(path: "./Models/asi-kick.leak", base: root),
            try Self.fingerprint(path: root.appendingPathComponent("Models/asi-kick.leak").path, base: root),
            try Self.fingerprint(path: "asi-kick.leak", base: models),
            try Self.fingerprint(path: "../Models/asi-kick.leak", base: root.appendingPathComponent("Sources", isDirectory: true)),
        ]
        #expect(Set(prints).count == 1, "\(prints)")
        #expect(SARIFReport(baseDirectory: models).fingerprintPath("asi-kick.leak") == "Models/asi-kick.leak")
    }
}
