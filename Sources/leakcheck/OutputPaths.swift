import ArgumentParser
import Foundation

/// Refusals before anything is written: an output that would replace one of the input models
/// (`report M -o M`), and several models whose outputs would land in one file (two models
/// named `x.leak` in different folders saving `certs/x.cert`). Both are usage errors (exit 2),
/// reported before any model is checked.
enum OutputPaths {
    /// Whether `a` and `b` name the same existing file (the same device and inode: symbolic
    /// links, `./`, `..` and hard links all resolve). A path that does not exist is no file.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var x = stat(), y = stat()
        guard stat(a, &x) == 0, stat(b, &y) == 0 else { return false }
        return x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    /// Refuses writing `output` (the value of `option`) when it is one of the `inputs`.
    static func refuseOverwriting(_ output: String?, inputs: [String], option: String) throws {
        guard let output, output != "-" else { return }
        if let input = inputs.first(where: { sameFile(output, $0) }) {
            Output.error("leakcheck: error: \(option) '\(output)' is the model file '\(input)'; it would be overwritten (choose another path)")
            throw ExitCode(ExitStatus.modelError.rawValue)
        }
    }

    /// Refuses per-model outputs (`target(model)`) that would overwrite an input model or each
    /// other: the second model's file would silently replace the first's.
    static func refuseCollisions(models: [String], option: String, target: (String) -> String) throws {
        var seen: [String: String] = [:]
        for model in models {
            let file = target(model)
            try refuseOverwriting(file, inputs: models, option: option)
            let key = normalized(file)
            if let first = seen[key] {
                Output.error("leakcheck: error: \(option): '\(first)' and '\(model)' would both be saved as '\(file)'; save them to separate folders")
                throw ExitCode(ExitStatus.modelError.rawValue)
            }
            seen[key] = model
        }
    }

    /// A path made absolute with `.` and `..` removed and symbolic links of its folder
    /// resolved, for comparing files that may not exist yet.
    private static func normalized(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let folder = OutputWriter.resolved(url.deletingLastPathComponent().path)
        return URL(fileURLWithPath: folder).appendingPathComponent(url.lastPathComponent).path
    }
}
