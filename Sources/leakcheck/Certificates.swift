import ArgumentParser
import Foundation
import LeakModel

/// `--certificate` and `--save-certificate`: where each model's certificate file is, reading
/// it before a check and writing it after a proof.
struct Certificates {
    /// The path as given: a file for one model, or a folder holding `NAME.cert` per model.
    let path: String
    let isFolder: Bool

    /// Nil when the option was not given. A folder is an existing directory or a path ending
    /// in `/` (created when certificates are saved); with several models it must be a folder.
    init?(_ path: String?, models: Int, option: String) throws {
        guard let path else { return nil }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        isFolder = path.hasSuffix("/") || (exists && isDirectory.boolValue)
        if models > 1 && !isFolder {
            throw ValidationError("with several models, \(option) must name a folder (one NAME.cert per model)")
        }
        self.path = path
    }

    /// The certificate file of the model at `modelPath`.
    func file(for modelPath: String) -> String {
        guard isFolder else { return path }
        let name = URL(fileURLWithPath: modelPath).deletingPathExtension().lastPathComponent
        return URL(fileURLWithPath: path).appendingPathComponent(name + ".cert").path
    }

    /// The stored formula for a model. In a folder a missing file only means "search"; a file
    /// named on its own must exist and be a certificate (else a usage error, exit 2).
    func load(for modelPath: String) throws -> String? {
        let file = file(for: modelPath)
        guard FileManager.default.fileExists(atPath: file) else {
            if isFolder {
                Output.error("\(modelPath): note: no certificate \(file); searching")
                return nil
            }
            Output.error("leakcheck: error: certificate '\(file)' does not exist")
            throw ExitCode(ExitStatus.modelError.rawValue)
        }
        // At most one byte more than a certificate may have: the parser refuses a longer text
        // by its size, and a huge file (or /dev/zero) is never read whole. A file that cannot
        // be read is said in plain words; one that is not a certificate, as such.
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
            defer { try? handle.close() }
            data = try handle.read(upToCount: CertificateParser.maxBytes + 1) ?? Data()
        } catch {
            Output.error("leakcheck: error: cannot read certificate '\(file)': \(OutputWriter.describe(error))")
            throw ExitCode(ExitStatus.modelError.rawValue)
        }
        do {
            guard let text = String(data: data, encoding: .utf8)
                ?? (data.count > CertificateParser.maxBytes ? String(decoding: data, as: UTF8.self) : nil) else {
                throw ProofCertificate.FormatError(description: "it is not UTF-8 text")
            }
            return try ProofCertificate.parse(text).smtlib
        } catch {
            Output.error("leakcheck: error: '\(file)' is not a leakcheck certificate: \(error)")
            throw ExitCode(ExitStatus.modelError.rawValue)
        }
    }

    /// Writes the certificate of a proved report; says on stderr what was written or why not.
    /// False when the file could not be written.
    func save(_ report: Checker.Report) -> Bool {
        guard case .proved = report.outcome else { return true }
        let modelPath = report.model.file.path
        guard let certificate = ProofCertificate(report: report) else {
            Output.error("\(modelPath): note: no certificate written: the proof has no invariant (Spacer found none)")
            return true
        }
        let file = file(for: modelPath)
        do {
            if isFolder { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
            try OutputWriter.write(certificate.render(), toFile: file)
            Output.error("\(modelPath): certificate written to \(file)")
            return true
        } catch {
            Output.error("\(modelPath): error: cannot write certificate '\(file)': \(OutputWriter.describe(error))")
            return false
        }
    }
}
