import Foundation
import Testing

/// `leakcheck export` through the real binary: formats, `-o`, `--bound` and exit statuses.
/// (What the exports mean is tested against the engines in LeakModelTests/ExportTests.)
@Suite("Export CLI")
struct ExportCLITests {
    @Test("export --to smtlib: exit 0, header, QF_BV, (check-sat) last, on stdout")
    func smtlibToStdout() throws {
        let r = try leakcheck(["export", "Models/smt-no-kick.leak", "--to", "smtlib"])
        #expect(r.status == Documented.ok, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        #expect(r.stdoutLines.first?.hasPrefix(";; leakcheck") == true, "\(r)")
        #expect(r.stdoutLines.contains { $0.hasPrefix(";;") && $0.contains("Models/smt-no-kick.leak") })
        #expect(r.stdoutLines.contains("(set-logic QF_BV)"))
        #expect(r.stdoutLines.last == "(check-sat)")
    }

    @Test("export --bound N: the query is unrolled to N and says so")
    func smtlibBound() throws {
        let r = try leakcheck(["export", "Models/smt-no-kick.leak", "--to", "smtlib", "--bound", "2"])
        #expect(r.status == Documented.ok, "\(r)")
        #expect(r.stdoutLines.contains { $0.hasPrefix(";;") && $0.contains("bound 2") })
        #expect(r.stdout.contains("step@1") && !r.stdout.contains("step@2"))
        // Bound 0 is refused, as in a model file (one rule: 1-1000).
        let zero = try leakcheck(["export", "Models/smt-no-kick.leak", "--to", "smtlib", "--bound", "0"])
        #expect(zero.status == Documented.modelOrUsageError && zero.stdout.isEmpty, "\(zero)")
    }

    @Test("export --to promela -o FILE: writes the file, nothing on stdout")
    func promelaToFile() throws {
        let scratch = try TemporaryDirectory()
        let out = scratch.path("asi.pml")
        let r = try leakcheck(["export", "Models/asi.leak", "--to", "promela", "-o", out])
        #expect(r.status == Documented.ok, "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.hasPrefix("/* leakcheck"))
        #expect(text.contains("active proctype schedule()"))
        #expect(text.contains("active proctype checks()"))
        #expect(text.contains("hold siblings (line "))
    }

    @Test("export -o FILE for smtlib writes the same text as stdout")
    func smtlibToFileMatchesStdout() throws {
        let scratch = try TemporaryDirectory()
        let out = scratch.path("q.smt2")
        let toFile = try leakcheck(["export", "Models/nosmt-flush.leak", "--to", "smtlib", "--bound", "3", "-o", out])
        let toStdout = try leakcheck(["export", "Models/nosmt-flush.leak", "--to", "smtlib", "--bound", "3"])
        #expect(toFile.status == Documented.ok && toStdout.status == Documented.ok)
        #expect(try String(contentsOfFile: out, encoding: .utf8) == toStdout.stdout)
    }

    @Test("export: a bad --to, a missing --to, --bound with promela, a negative --bound exit 2",
          arguments: [
              ["export", "Models/asi.leak", "--to", "nusmv"],
              ["export", "Models/asi.leak"],
              ["export", "Models/asi.leak", "--to", "promela", "--bound", "3"],
              ["export", "Models/asi.leak", "--to", "smtlib", "--bound", "-1"],
          ])
    func usageErrors(arguments: [String]) throws {
        let r = try leakcheck(arguments)
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(!r.stderr.isEmpty, "\(r)")
    }

    @Test("export: a model error exits 2 with the diagnostic on stderr, and writes no file",
          arguments: ["smtlib", "promela"])
    func modelError(format: String) throws {
        let scratch = try TemporaryDirectory()
        let model = try scratch.write("bad.leak", "core c0 { t0 }\nhost host\nguest vm1\nrun vm2 on t0\n")
        let out = scratch.path("out.txt")
        let r = try leakcheck(["export", model, "--to", format, "-o", out])
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stderr.contains("error"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("export: a missing file exits 2")
    func missingFile() throws {
        let r = try leakcheck(["export", "Models/no-such-model.leak", "--to", "promela"])
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(!r.stderr.isEmpty)
    }

    @Test("export --help: usage, both formats, the exit statuses")
    func help() throws {
        let r = try leakcheck(["export", "--help"])
        #expect(r.status == Documented.ok, "\(r)")
        for mention in ["USAGE: leakcheck export", "--to smtlib", "--to promela", "Exit status"] {
            #expect(r.stdout.contains(mention), "missing \(mention): \(r)")
        }
        let top = try leakcheck(["--help"])
        #expect(top.stdout.contains("export"), "\(top)")
    }

    @Test("export -o into a folder that does not exist exits 2")
    func unwritableOutput() throws {
        let r = try leakcheck(["export", "Models/asi.leak", "--to", "promela", "-o", "/nonexistent-dir/x.pml"])
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stderr.contains("cannot write"), "\(r)")
    }
}
