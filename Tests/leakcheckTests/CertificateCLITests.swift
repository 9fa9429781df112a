import Foundation
import Testing

/// `check --save-certificate` and `--certificate`, run as the built binary.
@Suite("leakcheck: proof certificates")
struct CertificateCLITests {
    @Test func savedCertificatesAreRecheckedOnTheNextRun() throws {
        let dir = try TemporaryDirectory()
        let folder = dir.path("certs") + "/"
        let models = ["Models/asi.leak", "Models/nosmt-flush.leak", "Models/asi-kick.leak"]
        let first = try leakcheck(["check", "-q", "--save-certificate", folder] + models)
        #expect(first.status == Documented.ok, "\(first)")
        #expect(first.stderr.contains("certificate written to \(dir.path("certs/asi.cert"))"), "\(first)")
        #expect(FileManager.default.fileExists(atPath: dir.path("certs/nosmt-flush.cert")))
        // A model with a finding gets no certificate.
        #expect(!FileManager.default.fileExists(atPath: dir.path("certs/asi-kick.cert")))

        let second = try leakcheck(["check", "-q", "--certificate", folder] + models)
        #expect(second.status == Documented.ok, "\(second)")
        #expect(second.stdoutLines.filter { $0.contains("[certificate,") }.count == 2, "\(second)")
        #expect(second.stdout.contains("Models/asi-kick.leak: leak (corun) in 14 steps [bmc"), "\(second)")
        #expect(second.stderr.contains("no certificate \(dir.path("certs/asi-kick.cert")); searching"), "\(second)")
    }

    /// A certificate made for one model, handed to another with a finding, is re-checked,
    /// fails, and the search reports the finding: the exit status is the model's own.
    @Test func aCertificateOfAnotherModelDoesNotHold() throws {
        let dir = try TemporaryDirectory()
        let file = dir.path("asi.cert")
        let made = try leakcheck(["check", "-q", "--engine", "spacer", "--save-certificate", file, "Models/asi.leak"])
        #expect(made.status == Documented.ok, "\(made)")
        let r = try leakcheck(["check", "-q", "--certificate", file, "Models/asi-release-early.leak"])
        #expect(r.status == Documented.ok, "\(r)")
        #expect(r.stdout.contains("leak (residue l1d) in 18 steps"), "\(r)")
        #expect(r.stdout.contains("certificate: does not hold"), "\(r)")
    }

    @Test(arguments: [
        (["--certificate", "no-such.cert", "Models/asi.leak"], "does not exist"),
        (["--certificate", "Models/asi.leak", "Models/asi.leak"], "is not a leakcheck certificate"),
        (["--certificate", "one.cert", "Models/asi.leak", "Models/nosmt-flush.leak"], "must name a folder"),
        (["--save-certificate", "one.cert", "Models/"], "must name a folder"),
    ])
    func badCertificateArgumentsAreUsageErrors(arguments: [String], message: String) throws {
        let r = try leakcheck(["check"] + arguments)
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stderr.contains(message), "\(r)")
    }
}
