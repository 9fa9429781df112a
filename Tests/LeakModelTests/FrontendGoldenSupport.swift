import Foundation
import Testing
@testable import LeakModel

/// Access to the golden files, and their re-recording.
///
/// Golden files are read from the test bundle (`Bundle.module`, the `Golden` folder is copied
/// as is). They are re-recorded only on request: with `LEAKCHECK_RECORD=1` in the environment
/// a golden test writes what it produced into the source tree (next to this file) instead of
/// comparing, and then fails so that a recording run is never mistaken for a passing one:
///
///     LEAKCHECK_RECORD=1 swift test --filter FrontendGolden
///
/// Review the diff of the `.expected` files before committing them. See docs/TESTING.md.
enum GoldenSupport {
    static var isRecording: Bool { ProcessInfo.processInfo.environment["LEAKCHECK_RECORD"] == "1" }

    /// The `Golden` folder in the test bundle.
    static var bundleRoot: URL? { Bundle.module.url(forResource: "Golden", withExtension: nil) }

    /// The `Golden` folder in the source tree (where recording writes).
    static var sourceRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    }

    /// Base names (without extension) of the files of `folder` ending in `.ext`, sorted.
    static func names(in folder: String, ext: String) -> [String] {
        guard let root = bundleRoot,
              let items = try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)
        else { return [] }
        return items.filter { $0.hasSuffix("." + ext) }.map { String($0.dropLast(ext.count + 1)) }.sorted()
    }

    static func bytes(_ folder: String, _ file: String) throws -> [UInt8] {
        let root = try #require(bundleRoot, "the Golden folder is missing from the test bundle")
        return Array(try Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(file)))
    }

    /// Compares `actual` with the golden `folder/file`, or records it when asked to.
    static func check(_ actual: String, against folder: String, _ file: String,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        if isRecording {
            let url = sourceRoot.appendingPathComponent(folder).appendingPathComponent(file)
            try Data(actual.utf8).write(to: url)
            Issue.record("recorded \(folder)/\(file) (LEAKCHECK_RECORD=1): review and commit it", sourceLocation: sourceLocation)
            return
        }
        guard let expected = try? bytes(folder, file) else {
            Issue.record("missing golden \(folder)/\(file): record it with LEAKCHECK_RECORD=1", sourceLocation: sourceLocation)
            return
        }
        let expectedText = String(decoding: expected, as: UTF8.self)
        #expect(actual == expectedText, "output differs from \(folder)/\(file)", sourceLocation: sourceLocation)
        if actual != expectedText {
            // A line diff is far easier to read than two multi-line strings.
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let e = expectedText.split(separator: "\n", omittingEmptySubsequences: false)
            for i in 0..<max(a.count, e.count) {
                let al = i < a.count ? String(a[i]) : "<none>", el = i < e.count ? String(e[i]) : "<none>"
                if al != el {
                    Issue.record("first difference at line \(i + 1):\n  expected: \(el)\n  actual:   \(al)",
                                 sourceLocation: sourceLocation)
                    break
                }
            }
        }
    }
}
