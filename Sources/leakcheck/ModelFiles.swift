import ArgumentParser
import Foundation
import LeakModel

/// Finding model files on the command line and loading them with their diagnostics.
enum ModelFiles {
    /// Files as given; a folder stands for its `.leak` files, sorted by name.
    static func expand(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                let models = entries.filter { $0.hasSuffix(".leak") }.sorted()
                if models.isEmpty {
                    Output.error("leakcheck: error: folder '\(path)' has no .leak files")
                    throw ExitCode(ExitStatus.modelError.rawValue)
                }
                let base = path.hasSuffix("/") ? String(path.dropLast()) : path
                out += models.map { "\(base)/\($0)" }
            } else {
                out.append(path)
            }
        }
        return out
    }

    /// Loads a model, printing its diagnostics on stderr; nil when it has errors.
    static func load(_ path: String) -> Model? {
        let result = Frontend.load(path: path)
        if !result.diagnostics.isEmpty {
            Output.diagnostics(Output.render(result))
        }
        return result.model
    }
}

/// Where output goes: stdout for results, stderr for diagnostics.
enum Output {
    /// Writes a message to stderr as one line: control characters in it (a file name with a
    /// newline or an escape sequence) are escaped, so it cannot forge other lines.
    static func error(_ text: String) {
        let line = text.hasSuffix("\n") ? String(text.dropLast()) : text
        diagnostics(line.terminalEscaped)
    }

    /// Writes text rendered for stderr as it is (`DiagnosticRenderer` escapes what it shows
    /// and may colour it), with `write(2)`: a closed stderr must not stop the run.
    static func diagnostics(_ text: String) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// Writes `text` to the file `output`, or to stdout when there is none; a file that
    /// cannot be written is an error (exit 2), said in plain words. A write to stdout that
    /// fails is caught when the run ends (`LeakCheck.main`).
    static func emit(_ text: String, to output: String?) throws {
        guard let output else { print(text, terminator: ""); return }
        do {
            try OutputWriter.write(text, toFile: output)
        } catch {
            Output.error("leakcheck: error: cannot write '\(output)': \(error)")
            throw ExitCode(ExitStatus.modelError.rawValue)
        }
    }

    /// Colour only when stderr is a terminal.
    static var colored: Bool { isatty(2) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil }

    static func render(_ result: FrontendResult) -> String {
        DiagnosticRenderer(file: result.file, colored: colored).render(result.diagnostics)
    }
}
