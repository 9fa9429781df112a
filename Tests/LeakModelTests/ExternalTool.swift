import Foundation

/// An external program the export tests run (spin, gcc, cvc5, z3), found on PATH.
///
/// Outside CI a missing tool disables the tests that need it; in CI (CI set) they run anyway
/// and fail, because script/setup installs every one of them.
struct ExternalTool: Sendable {
    let name: String
    /// Where the executable is; nil: on PATH.
    var directory: String?

    init(name: String, directory: String? = nil) { self.name = name; self.directory = directory }

    /// The executable's path, or nil when it is not on PATH.
    var path: String? {
        if let directory { return "\(directory)/\(name)" }
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let spin = ExternalTool(name: "spin")
    static let gcc = ExternalTool(name: "gcc")
    static let cvc5 = ExternalTool(name: "cvc5")
    static let z3 = ExternalTool(name: "z3")

    /// Whether the tests needing `tools` should run: all present, or in CI (where they must be).
    static func shouldRun(_ tools: [ExternalTool]) -> Bool {
        tools.allSatisfy { $0.path != nil } || ProcessInfo.processInfo.environment["CI"] != nil
    }

    /// What one run gave.
    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
        var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
    }

    struct Missing: Error, CustomStringConvertible {
        var name: String
        var description: String { "'\(name)' is not on PATH (script/setup installs it)" }
    }

    /// Runs the tool in `directory`; output goes through files so that it cannot block on a pipe.
    func run(_ arguments: [String], in directory: URL) throws -> Result {
        guard let path else { throw Missing(name: name) }
        let id = UUID().uuidString
        let outURL = directory.appendingPathComponent(".\(name)-\(id).out")
        let errURL = directory.appendingPathComponent(".\(name)-\(id).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close(); try? err.close()
            try? FileManager.default.removeItem(at: outURL); try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let start = Date()
        try process.run()
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self),
                      seconds: seconds)
    }
}

/// A fresh scratch directory, removed when the value goes away.
final class ScratchDirectory: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("leakcheck-export-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` and returns its URL.
    func write(_ name: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
