import Foundation
import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics

/// docs/LANGUAGE.md stays true: every diagnostic code is documented, and every example of the
/// diagnostics table whose example is pure code produces that code and that exact message when
/// added to the DESIGN.md section 4 example.
@Suite struct FrontendLanguageDocTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var code: String
        var example: String?
        var message: String
        var testDescription: String { "\(code): \(example ?? "-")" }
    }

    static var docPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/LANGUAGE.md").path
    }

    /// The rows `| CODE | example | message |` of the diagnostics table.
    static let rows: [Row] = {
        guard let text = try? String(contentsOfFile: docPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line -> Row? in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 5, cells[1].range(of: #"^[EW]\d{3}$"#, options: .regularExpression) != nil else { return nil }
            let ex = cells[2]
            let isCode = ex.count > 2 && ex.hasPrefix("`") && ex.hasSuffix("`") && ex.dropFirst().dropLast().allSatisfy { $0 != "`" }
            return Row(code: cells[1], example: isCode ? String(ex.dropFirst().dropLast()) : nil, message: cells[3])
        }
    }()

    /// The codes declared by `DiagnosticCode`.
    static func declaredCodes() -> [String] {
        DiagnosticCode.allCases.map(\.rawValue)
    }

    @Test func everyCodeIsDocumentedOnce() throws {
        let codes = Self.declaredCodes()
        #expect(codes.count >= 30)
        #expect(Set(codes).count == codes.count, "a code is declared twice")
        let documented = Set(Self.rows.map(\.code))
        for code in codes {
            #expect(documented.contains(code), "\(code) is not in docs/LANGUAGE.md")
        }
        #expect(documented.isSubset(of: Set(codes)), "docs/LANGUAGE.md lists a code that does not exist")
        #expect(Self.rows.filter { $0.example != nil }.count >= 30)
    }

    /// The fuzzer's dictionary (Fuzz/dict) offers every keyword, so new statements get fuzzed.
    @Test func fuzzDictionaryHasEveryKeyword() throws {
        let path = URL(fileURLWithPath: Self.docPath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/dict").path
        let dict = try String(contentsOfFile: path, encoding: .utf8)
        for k in Keyword.allCases {
            #expect(dict.contains("=\"\(k.rawValue)\"\n"), "Fuzz/dict has no entry for '\(k.rawValue)'")
        }
    }

    @Test(arguments: rows.filter { $0.example != nil })
    func exampleProducesItsMessage(_ row: Row) throws {
        let base = String(decoding: try GoldenSupport.bytes("models", "design-example.leak"), as: UTF8.self)
        let r = Frontend.load(file: SourceFile(path: "x.leak", text: base + row.example! + "\n"))
        let found = r.diagnostics.contains { $0.code == row.code && $0.message == row.message }
        #expect(found, "got: \(r.diagnostics.map { "\($0.code) \($0.message)" })")
    }
}

