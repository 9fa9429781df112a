import Foundation
import Testing

/// The package root, found from this file's path (Tests/leakcheckTests/CLISupport.swift).
let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The exit statuses documented in `leakcheck --help` (Sources/leakcheck/LeakCheck.swift).
/// Spelled out here, not imported, so that a change to the documented values breaks a test.
enum Documented {
    static let ok: Int32 = 0
    static let mismatch: Int32 = 1
    static let modelOrUsageError: Int32 = 2
    static let undecided: Int32 = 3
    static let internalError: Int32 = 4
}

/// The built `leakcheck` executable. The test target depends on it, so `swift test` builds it
/// next to the test bundle (`.build/<triple>/debug/`); `LEAKCHECK_BIN` overrides the lookup.
let leakcheckBinary: URL? = {
    let fm = FileManager.default
    var candidates: [URL] = []
    if let path = ProcessInfo.processInfo.environment["LEAKCHECK_BIN"], !path.isEmpty {
        candidates.append(URL(fileURLWithPath: path))
    }
    // The test runner (`leakcheckPackageTests.xctest`) lives in the same folder as the tool.
    if let runner = Bundle.main.executableURL {
        candidates.append(runner.deletingLastPathComponent().appendingPathComponent("leakcheck"))
    }
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("leakcheck"))
    candidates.append(packageRoot.appendingPathComponent(".build/debug/leakcheck"))
    return candidates.first { url in
        var isDirectory: ObjCBool = false
        return fm.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && fm.isExecutableFile(atPath: url.path)
    }
}()

/// What one run of the tool gave.
struct RunResult: CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var stdout: String
    var stderr: String
    /// With `interruptAfter`: seconds from the signal to the exit.
    var secondsAfterSignal: Double? = nil

    var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLastIfEmpty() }
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLastIfEmpty() }

    var description: String {
        "leakcheck \(arguments.joined(separator: " ")) -> exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

extension Array where Element == String {
    fileprivate func dropLastIfEmpty() -> [String] { last == "" ? Array(dropLast()) : self }
}

struct BinaryNotFound: Error, CustomStringConvertible {
    var description: String {
        "the leakcheck executable was not found next to the test runner (\(Bundle.main.bundleURL.path)) nor at .build/debug/leakcheck; run `swift build` or set LEAKCHECK_BIN"
    }
}

/// Runs `leakcheck ARGS` in `directory` (default: the package root, so `Models/x.leak` paths
/// work), with colour off. Output goes through temporary files, so a large output cannot
/// block the child on a full pipe.
/// With `interruptAfter`, the run gets `signal` (SIGINT by default, as from Ctrl-C) after that
/// many seconds; `secondsAfterSignal` is then how long it took to exit.
func leakcheck(_ arguments: [String], in directory: URL = packageRoot, interruptAfter: Double? = nil,
               signal: Int32 = SIGINT) throws -> RunResult {
    guard let binary = leakcheckBinary else { throw BinaryNotFound() }
    return try runProcess(binary, arguments, in: directory, interruptAfter: interruptAfter, signal: signal).result
}

/// Runs `executable ARGS` in `directory` with colour off, no standard input and stdout and
/// stderr through temporary files; the one place the CLI tests start a process.
/// - `interruptAfter`: sends `signal` after that many seconds (`secondsAfterSignal` is then
///   how long the process took to exit).
/// - `killAfter`: SIGKILL after that many seconds if it still runs (status 128 + 9 then).
/// - `environment`: added to this process's environment.
/// Returns the result and how long the process ran.
func runProcess(_ executable: URL, _ arguments: [String], in directory: URL = packageRoot,
                environment extra: [String: String] = [:], interruptAfter: Double? = nil,
                signal: Int32 = SIGINT, killAfter: Double? = nil) throws -> (result: RunResult, elapsed: Duration) {
    let scratch = try TemporaryDirectory()
    let outURL = scratch.url.appendingPathComponent("stdout")
    let errURL = scratch.url.appendingPathComponent("stderr")
    try Data().write(to: outURL)
    try Data().write(to: errURL)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    defer { try? out.close(); try? err.close() }

    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var environment = ProcessInfo.processInfo.environment
    environment["NO_COLOR"] = "1"
    environment.merge(extra) { $1 }
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    let clock = ContinuousClock(), start = clock.now
    try process.run()
    let pid = process.processIdentifier
    let killer = killAfter.map { seconds in
        let item = DispatchWorkItem { if process.isRunning { kill(pid, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: item)
        return item
    }
    if let interruptAfter {
        Thread.sleep(forTimeInterval: interruptAfter)
        if process.isRunning { kill(pid, signal) }
    }
    let signalled = Date()
    process.waitUntilExit()
    killer?.cancel()
    let elapsed = clock.now - start
    let afterSignal = interruptAfter == nil ? nil : Date().timeIntervalSince(signalled)

    let stdout = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
    let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
    let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    return (RunResult(arguments: arguments, status: status, stdout: stdout, stderr: stderr,
                      secondsAfterSignal: afterSignal), elapsed)
}

/// A fresh temporary directory, removed when the value goes away.
final class TemporaryDirectory: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("leakcheck-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` inside the directory and returns the file's path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}
