import Foundation
import Testing

/// Runs `script` with `/bin/sh -c` in `directory`, with `$LEAKCHECK` naming the binary, so a
/// test can send stdout to `/dev/full`, close it, or pipe it into a reader that has gone.
/// Stdout and stderr of the script go to files.
func shell(_ script: String, in directory: URL = packageRoot) throws -> RunResult {
    guard let binary = leakcheckBinary else { throw BinaryNotFound() }
    var r = try runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", script], in: directory,
                           environment: ["LEAKCHECK": binary.path]).result
    r.arguments = [script]
    return r
}

/// Outputs that never lie (docs/TESTING.md, "Adversarial outputs"): a write that fails is an
/// error, never a silent exit 0; an output never replaces an input model; two models never
/// share one certificate file; file-system errors are said in plain words.
@Suite("leakcheck: adversarial outputs")
struct AdversarialOutputTests {
    // MARK: Writes that fail

    @Test(arguments: [
        "\"$LEAKCHECK\" check -q Models/asi-kick.leak > /dev/full",
        "\"$LEAKCHECK\" check --format json Models/asi-kick.leak > /dev/full",
        "\"$LEAKCHECK\" parse Models/asi.leak > /dev/full",
        "\"$LEAKCHECK\" export Models/asi.leak --to promela > /dev/full",
        "\"$LEAKCHECK\" generate > /dev/full",
        "\"$LEAKCHECK\" --help > /dev/full",
    ])
    func stdoutOnAFullDeviceIsAnError(script: String) throws {
        let r = try shell(script)
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stderr.contains("leakcheck: error: cannot write standard output: no space left on device"), "\(r)")
    }

    @Test func aClosedStdoutIsAnError() throws {
        let r = try shell("\"$LEAKCHECK\" check -q Models/asi-kick.leak >&-")
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stderr.contains("leakcheck: error: cannot write standard output: bad file descriptor"), "\(r)")
    }

    /// The reader of the pipe is gone before leakcheck writes: not killed by SIGPIPE, not 0.
    @Test func aPipeWithNoReaderIsAnError() throws {
        let dir = try TemporaryDirectory()
        let status = dir.path("status")
        let r = try shell("{ sleep 1; \"$LEAKCHECK\" check Models/asi-kick.leak; echo $? > '\(status)'; } | true")
        let code = try String(contentsOfFile: status, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(code == "2", "\(r)")
        #expect(r.stderr.contains("leakcheck: error: cannot write standard output: broken pipe"), "\(r)")
    }

    @Test(arguments: [
        ["export", "Models/asi.leak", "--to", "smtlib", "-o", "/dev/full"],
        ["report", "Models/asi-nmi.leak", "-o", "/dev/full"],
        ["generate", "-o", "/dev/full"],
    ])
    func outputFileOnAFullDeviceIsAnError(arguments: [String]) throws {
        let r = try leakcheck(arguments)
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stderr.contains("leakcheck: error: cannot write '/dev/full': no space left on device"), "\(r)")
    }

    /// Foundation's "The operation could not be completed" or "NSCocoaErrorDomain error 512"
    /// never reaches the user: the reason is the system's, in plain lowercase words.
    @Test func writeErrorsAreSaidInPlainWords() throws {
        let dir = try TemporaryDirectory()
        let missing = try leakcheck(["export", "Models/asi.leak", "--to", "promela", "-o", dir.path("no/such/q.pml")])
        #expect(missing.status == Documented.modelOrUsageError, "\(missing)")
        #expect(missing.stderr == "leakcheck: error: cannot write '\(dir.path("no/such/q.pml"))': no such file or directory\n", "\(missing)")
        let folder = try leakcheck(["generate", "-o", dir.url.path])
        #expect(folder.status == Documented.modelOrUsageError, "\(folder)")
        #expect(folder.stderr == "leakcheck: error: cannot write '\(dir.url.path)': is a directory\n", "\(folder)")
        let certs = try leakcheck(["check", "-q", "--save-certificate", dir.path("no/such/x.cert"), "Models/asi.leak"])
        #expect(certs.status == Documented.modelOrUsageError, "\(certs)")
        #expect(certs.stderr.contains("cannot write certificate '\(dir.path("no/such/x.cert"))': no such file or directory"), "\(certs)")
        for r in [missing, folder, certs] {
            #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("could not be completed"), "\(r)")
        }
    }

    /// A failed write leaves the file that was there, not a truncated one (written to a
    /// temporary file, then renamed); a successful one replaces it, keeping its mode.
    @Test func anOutputFileIsReplacedWhole() throws {
        let dir = try TemporaryDirectory()
        let out = try dir.write("q.smt2", "old\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: out)
        let r = try leakcheck(["export", "Models/asi.leak", "--to", "smtlib", "-o", out])
        #expect(r.status == Documented.ok, "\(r)")
        // The replaced file keeps its mode.
        let mode = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o640)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("(check-sat)"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0 != "q.smt2" }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    // MARK: Outputs that would overwrite inputs

    @Test(arguments: [
        ["report", "M/x.leak", "-o", "M/x.leak"],
        ["report", "M/x.leak", "-o", "./M/../M/x.leak"],
        ["report", "M/x.leak", "-o", "link.leak"],
        ["export", "M/x.leak", "--to", "smtlib", "-o", "M/x.leak"],
        ["export", "M/x.leak", "--to", "promela", "-o", "./M/x.leak"],
    ])
    func anOutputNeverReplacesTheModel(arguments: [String]) throws {
        let dir = try TemporaryDirectory()
        let source = try String(contentsOf: packageRoot.appendingPathComponent("Models/asi-nmi.leak"), encoding: .utf8)
        try dir.write("M/x.leak", source)
        try FileManager.default.createSymbolicLink(atPath: dir.path("link.leak"), withDestinationPath: dir.path("M/x.leak"))
        let r = try leakcheck(arguments, in: dir.url)
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stderr.contains("is the model file 'M/x.leak'; it would be overwritten"), "\(r)")
        #expect(try String(contentsOfFile: dir.path("M/x.leak"), encoding: .utf8) == source)
    }

    @Test func aCertificateNeverReplacesAModel() throws {
        let dir = try TemporaryDirectory()
        let source = try String(contentsOf: packageRoot.appendingPathComponent("Models/asi.leak"), encoding: .utf8)
        try dir.write("x.leak", source)
        let r = try leakcheck(["check", "-q", "--save-certificate", "x.leak", "x.leak"], in: dir.url)
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stderr.contains("--save-certificate 'x.leak' is the model file 'x.leak'"), "\(r)")
        #expect(try String(contentsOfFile: dir.path("x.leak"), encoding: .utf8) == source)
    }

    /// a/x.leak and b/x.leak would both be saved as certs/x.cert: refused before checking,
    /// nothing written (docs/OUTPUTS.md: certificates).
    @Test func twoModelsNeverShareACertificate() throws {
        let dir = try TemporaryDirectory()
        let source = try String(contentsOf: packageRoot.appendingPathComponent("Models/asi.leak"), encoding: .utf8)
        try dir.write("a/x.leak", source)
        try dir.write("b/x.leak", source)
        let r = try leakcheck(["check", "-q", "--save-certificate", "certs/", "a/x.leak", "b/x.leak"], in: dir.url)
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stderr.contains("--save-certificate: 'a/x.leak' and 'b/x.leak' would both be saved as"), "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("certs")))
    }

    // MARK: Control characters

    /// A file name with a newline and an escape sequence: the verdict line stays one line,
    /// with the name spelled out; so do diagnostics and `parse`.
    @Test func aFileNameCannotFakeAVerdictLine() throws {
        let dir = try TemporaryDirectory()
        let source = try String(contentsOf: packageRoot.appendingPathComponent("Models/asi-kick.leak"), encoding: .utf8)
        let name = "x\nModels/asi.leak: safe: proved \u{1b}[2J.leak"
        try dir.write(name, source)
        let r = try leakcheck(["check", "-q", name], in: dir.url)
        #expect(r.status == Documented.ok, "\(r)")
        #expect(r.stdoutLines == [#"x\nModels/asi.leak: safe: proved \x1b[2J.leak: leak (corun) in 14 steps"#]
                    || (r.stdoutLines.count == 1 && r.stdout.hasPrefix(#"x\nModels/asi.leak: safe: proved \x1b[2J.leak: leak (corun) in 14 steps ["#)), "\(r)")
        let bad = try dir.write("bad\u{1b}[31m.leak", "model \"\u{1b}]0;pwned\u{7}\"\ncore c0 { t0 }\n")
        let p = try leakcheck(["parse", bad])
        #expect(p.status == Documented.modelOrUsageError)
        #expect(!p.stderr.contains("\u{1b}") && !p.stderr.contains("\u{7}"), "\(p)")
        #expect(p.stderr.contains(#"bad\x1b[31m.leak:"#), "\(p)")
        let missing = try leakcheck(["check", "no\u{1b}[2Jsuch.leak"])
        #expect(!missing.stderr.contains("\u{1b}") && missing.stderr.contains(#"no\x1b[2Jsuch.leak"#), "\(missing)")
    }

    // MARK: One rule for the bound

    /// `bound N` is 1 to 1000 in a model file, for `--bound` of every command and for
    /// `generate --bound`: what generate writes, check accepts.
    @Test func boundZeroIsRefusedEverywhere() throws {
        for arguments in [["check", "--bound", "0", "Models/asi.leak"], ["explain", "--bound", "0", "Models/asi.leak"],
                          ["report", "--bound", "0", "Models/asi.leak"],
                          ["export", "Models/asi.leak", "--to", "smtlib", "--bound", "0"], ["generate", "--bound", "0"]] {
            let r = try leakcheck(arguments)
            #expect(r.status == Documented.modelOrUsageError, "\(r)")
            #expect(r.stderr.contains("--bound must be between 1 and 1000") || r.stderr.contains("--bound must be in 1...1000"), "\(r)")
            #expect(r.stdout.isEmpty, "\(r)")
        }
        let dir = try TemporaryDirectory()
        let inFile = try dir.write("zero.leak", try String(contentsOf: packageRoot.appendingPathComponent("Models/asi.leak"), encoding: .utf8)
            .replacingOccurrences(of: "bound 20", with: "bound 0"))
        let file = try leakcheck(["check", inFile])
        #expect(file.status == Documented.modelOrUsageError && file.stderr.contains("error[E019]: bound must be at least 1, found 0"), "\(file)")
        let generated = try leakcheck(["generate", "--bound", "1", "-o", dir.path("one.leak")])
        #expect(generated.status == Documented.ok, "\(generated)")
        let checked = try leakcheck(["check", "-q", "--no-coverage", dir.path("one.leak")])
        #expect(checked.status != Documented.modelOrUsageError, "\(checked)")
    }

    // MARK: The HTML report's path

    /// Given an absolute path, the page still shows it relative to the working directory;
    /// `--base DIR` shows it relative to DIR.
    @Test func theReportNeverEmbedsAnAbsolutePath() throws {
        let absolute = packageRoot.appendingPathComponent("Models/asi-nmi.leak").path
        let r = try leakcheck(["report", "--no-explain", absolute])
        #expect(r.status == Documented.ok, "\(r)")
        #expect(r.stdout.contains("<code>Models/asi-nmi.leak</code>"), "\(r.stdout.prefix(2000))")
        #expect(!r.stdout.contains(packageRoot.path + "/"), "an absolute path in the page")
        let based = try leakcheck(["report", "--no-explain", "--base", "Models", "Models/asi-nmi.leak"])
        #expect(based.stdout.contains("<code>asi-nmi.leak</code>"))
    }
}
