import Foundation
import Testing

/// The output formats, `leakcheck explain` and `leakcheck report` through the real binary, and
/// the headless-browser check of the HTML report (Tests/browser/check-report.sh).
@Suite("Output CLI")
struct OutputCLITests {
    /// The repository root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `leakcheck` binary built next to the test bundle.
    static let binary: URL? = {
        var candidates: [URL] = []
        if let runner = Bundle.main.executableURL {
            var dir = runner.deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(dir.appendingPathComponent("leakcheck"))
                dir = dir.deletingLastPathComponent()
            }
        }
        candidates.append(root.appendingPathComponent(".build/debug/leakcheck"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) && !$0.hasDirectoryPath }
    }()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program from the repository root, with the environment plus `environment`.
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = root
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes while the process runs, so a large output cannot block it.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }

    static func leakcheck(_ arguments: String...) throws -> Run {
        let binary = try #require(binary, "leakcheck binary not found next to the tests")
        return try run(binary, arguments)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func checkFormatJSON() throws {
        let r = try Self.leakcheck("check", "--format", "json", "Models/asi-nmi.leak", "Models/nosmt-flush.leak")
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try Self.json(r.stdout)
        #expect(doc["schema"] as? String == "leakcheck/1")
        let models = try #require(doc["models"] as? [[String: Any]])
        #expect(models.map { $0["verdict"] as? String } == ["crash", "safe"])
        #expect(models.map { $0["file"] as? String } == ["Models/asi-nmi.leak", "Models/nosmt-flush.leak"])
        #expect((doc["summary"] as? [String: Int])?["asExpected"] == 2)
        #expect((doc["tool"] as? [String: String])?["z3"]?.isEmpty == false)
    }

    @Test func checkFormatJSONWithAModelError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leakcheck-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.leak")
        try Data("core c0 { t0 }\nexit x { switch kernal }\n".utf8).write(to: bad)
        let r = try Self.leakcheck("check", "--format", "json", bad.path, "Models/asi-nmi.leak")
        #expect(r.status == 2)
        #expect(r.stderr.contains("unknown table 'kernal'"))
        let models = try #require(try Self.json(r.stdout)["models"] as? [[String: Any]])
        #expect(models.first?["status"] as? String == "modelError")
        #expect(models.last?["status"] as? String == "asExpected")
    }

    @Test func checkFormatSARIFAndJUnit() throws {
        let sarif = try Self.leakcheck("check", "--format", "sarif", "--engine", "explicit", "Models/")
        #expect(sarif.status == 0, "\(sarif.stderr)")
        let doc = try Self.json(sarif.stdout)
        #expect(doc["version"] as? String == "2.1.0")
        let results = try #require((doc["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]])
        // A result per check with a finding of its own: the 20 shipped models with a finding
        // have 30 (asi-kick: corun and residue l1d, ...); fingerprints tell them apart.
        #expect(results.count == 30)
        let fingerprints = results.compactMap { ($0["partialFingerprints"] as? [String: String])?["leakcheckFinding/v1"] }
        #expect(Set(fingerprints).count == results.count)
        let junit = try Self.leakcheck("check", "--format", "junit", "--engine", "explicit", "Models/asi.leak", "Models/asi-kick.leak")
        #expect(junit.status == 0)
        #expect(junit.stdout.hasPrefix("<?xml"))
        #expect(junit.stdout.contains("<testsuite name=\"leakcheck check\" tests=\"6\" failures=\"0\""))
    }

    @Test func checkTextIsUnchangedByTheFormatOption() throws {
        let plain = try Self.leakcheck("check", "--engine", "explicit", "Models/asi-nmi.leak")
        let text = try Self.leakcheck("check", "--engine", "explicit", "--format", "text", "Models/asi-nmi.leak")
        #expect(plain.status == 0)
        #expect(plain.stdout.replacingOccurrences(of: #"\d+ ms"#, with: "", options: .regularExpression)
                == text.stdout.replacingOccurrences(of: #"\d+ ms"#, with: "", options: .regularExpression))
        #expect(plain.stdout.contains("step  thread  action"))
        // Not a terminal: no progress line on stderr.
        #expect(!plain.stderr.contains("checking"))
        let bad = try Self.leakcheck("check", "--format", "xml", "Models/asi.leak")
        #expect(bad.status == 2)
    }

    @Test func explainPrintsTheTable() throws {
        let r = try Self.leakcheck("explain", "--engine", "explicit", "Models/asi.leak")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("flush l1d (on vmentry)                          needed: leak (residue l1d) in 5 steps without it"))
        #expect(r.stdout.contains("release siblings (on vmentry)                   not needed (proved safe without it)"))
        let j = try Self.leakcheck("explain", "--engine", "explicit", "--format", "json", "Models/asi-kick.leak")
        #expect(j.status == 0)
        let additions = try #require(try Self.json(j.stdout)["additions"] as? [[String: Any]])
        #expect(additions.contains { $0["status"] as? String == "fixes" && ($0["text"] as? String)?.hasPrefix("hold siblings instead of kick") == true })
    }

    @Test func reportWritesAPage() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("leakcheck-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try Self.leakcheck("report", "--engine", "explicit", "Models/asi-nmi.leak", "-o", out.path)
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOf: out, encoding: .utf8)
        #expect(html.contains("id=\"finding-step\""))
        #expect(r.stderr.contains("wrote \(out.path)"))
        let missing = try Self.leakcheck("report", "Models/none.leak", "-o", out.path)
        #expect(missing.status == 2)
    }

    /// The HTML report in a real headless browser. Skipped only when chromium is missing and
    /// CI is not set; in CI (CI=true) it always runs, and script/setup installs chromium.
    static var browserAvailable: Bool {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].contains {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    @Test(.enabled(if: browserAvailable || ProcessInfo.processInfo.environment["CI"] != nil,
                   "chromium is not installed (script/setup installs it)"),
          .timeLimit(.minutes(10)))
    func reportInHeadlessChromium() throws {
        let binary = try #require(Self.binary, "leakcheck binary not found")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("leakcheck-browser-\(UUID().uuidString)")
        let r = try Self.run(URL(fileURLWithPath: "/bin/bash"),
                             [Self.root.appendingPathComponent("Tests/browser/check-report.sh").path, binary.path, out.path])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("browser: ") && r.stdout.contains(" passed, 0 failed"), "\(r.stdout)")
        for shot in ["finding.png", "crash.png", "safe.png"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(shot).path))
        }
        try? FileManager.default.removeItem(at: out)
    }
}
