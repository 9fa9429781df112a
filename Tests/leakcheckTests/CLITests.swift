import Foundation
import Testing

// End-to-end tests of the `leakcheck` command line: each test runs the built executable as a
// subprocess (see CLISupport.swift) and checks its exit status, stdout and stderr.

// MARK: - Models written to temporary directories

/// A two-thread model in which the guest co-runs with a sibling in the kernel table: a corun
/// leak in 1 step. `expect` is the model's expect line ("" for none).
func coRunModel(expect: String) -> String {
    """
    model "corun in one step"
    core c0 { t0 t1 }
    host host
    guest vm1
    region host_heap  owner host
    region vcpu_state per guest
    table kernel maps all
    run vm1 on t0, t1
    exit cpuid { touch vcpu_state }
    check corun
    bound 5
    \(expect)

    """
}

/// One thread, L1D flushed on every entry: safe for all schedules. `expect` as above.
func safeModel(expect: String) -> String {
    """
    model "nosmt with flush"
    core c0 { t0 }
    host host
    guest vm1
    region host_heap  owner host
    region vcpu_state per guest
    table kernel maps all
    buffer l1d fill mapped
    run vm1 on t0
    on vmentry { flush l1d }
    exit cpuid { touch vcpu_state }
    check residue l1d
    bound 5
    \(expect)

    """
}

/// A syntax error on line 9, column 1 (an unknown declaration).
let syntaxErrorModel = """
    core c0 { t0 }
    host host
    guest vm1
    region host_heap owner host
    table kernel maps all
    buffer l1d fill mapped
    run vm1 on t0
    check residue l1d
    frob
    """

/// A name error on line 8, column 20 (a region that is not declared).
let nameErrorModel = """
    core c0 { t0 t1 }
    host host
    guest vm1
    region host_heap  owner host
    region vcpu_state per guest
    table kernel maps all
    run vm1 on t0, t1
    exit cpuid { touch nosuch }
    check corun
    """

// MARK: - Shipped models

/// Every model in Models/ with the verdict phrase `check` prints for it (default engine).
struct ShippedModel: CustomTestStringConvertible, Sendable {
    var name: String
    /// The verdict phrase of the headline, e.g. "leak (corun) in 14 steps".
    var verdict: String
    /// The engine named in the headline with the default engine (`auto`).
    var engine: String
    var path: String { "Models/\(name).leak" }
    var isFinding: Bool { !verdict.hasPrefix("safe") }
    var testDescription: String { name }
}

let shippedModels: [ShippedModel] = [
    .init(name: "asi-kick", verdict: "leak (corun) in 14 steps", engine: "bmc"),
    .init(name: "asi-nmi", verdict: "crash in 3 steps", engine: "bmc"),
    .init(name: "asi-kprobe-no-fault-path", verdict: "crash in 3 steps", engine: "bmc"),
    .init(name: "asi-no-release", verdict: "starvation of t0 in 17 steps (step 17 repeats forever)", engine: "bmc"),
    .init(name: "asi-percpu-mapped", verdict: "leak (corun) in 6 steps", engine: "bmc"),
    .init(name: "asi-progress", verdict: "safe: proved for all schedules", engine: "explicit"),
    .init(name: "asi-release-early", verdict: "leak (residue l1d) in 18 steps", engine: "bmc"),
    .init(name: "asi", verdict: "safe: proved for all schedules", engine: "explicit"),
    .init(name: "asi-taint", verdict: "leak (corun) in 7 steps", engine: "bmc"),
    .init(name: "entry-deadlock", verdict: "deadlock in 0 steps", engine: "bmc"),
    .init(name: "hold-every-exit", verdict: "safe: proved for all schedules", engine: "explicit"),
    // Fast paths and cost (the seed thread's two questions).
    .init(name: "asi-exit-mix", verdict: "safe: proved for all schedules", engine: "explicit"),
    // Who attacks: trusted guests (Linux l1tf.rst, selection guide).
    .init(name: "l1tf-trusted-guests", verdict: "safe: proved for all schedules", engine: "explicit"),
    .init(name: "l1tf-one-untrusted-guest", verdict: "leak (corun) in 1 step", engine: "bmc"),
    // What a guest reads, uncached memory, interrupt affinity, core scheduling.
    .init(name: "l1tf-ept-off", verdict: "safe: proved for all schedules", engine: "explicit"),
    .init(name: "mds-ept-off", verdict: "leak (residue fill_buf) in 6 steps", engine: "bmc"),
    .init(name: "l1tf-uncached-secrets-nosmt", verdict: "safe: proved for all schedules", engine: "explicit"),
    .init(name: "l1tf-irq-steered", verdict: "safe: proved for all schedules", engine: "explicit"),
    .init(name: "l1tf-irq-not-steered", verdict: "leak (corun) in 8 steps", engine: "bmc"),
    .init(name: "l1tf-irq-local-timer", verdict: "leak (corun) in 8 steps", engine: "bmc"),
    .init(name: "coresched-no-stun", verdict: "leak (corun) in 3 steps", engine: "bmc"),
    .init(name: "coresched-asi-hold", verdict: "safe: proved for all schedules", engine: "explicit"),
    .init(name: "irq-hold-one-branch", verdict: "starvation of t0 in 18 steps (step 18 repeats forever)", engine: "bmc"),
    .init(name: "kvm-l1tf-cond-flush-clear-early", verdict: "safe: proved for all schedules", engine: "explicit"),
    .init(name: "kvm-l1tf-cond-flush-late-irqs-off", verdict: "leak (residue l1d) in 13 steps", engine: "bmc"),
    .init(name: "kvm-l1tf-cond-flush-nosmt", verdict: "safe: proved for all schedules", engine: "explicit"),
    .init(name: "kvm-l1tf-cond-flush-smt", verdict: "leak (corun) in 2 steps", engine: "bmc"),
    .init(name: "nosmt-flush", verdict: "safe: proved for all schedules", engine: "explicit"),
    .init(name: "nosmt-no-flush", verdict: "leak (residue l1d) in 4 steps", engine: "bmc"),
    .init(name: "smt-flush-no-kick", verdict: "leak (corun) in 2 steps", engine: "bmc"),
    .init(name: "smt-no-kick", verdict: "leak (corun) in 1 step", engine: "bmc"),
    .init(name: "two-guests", verdict: "leak (corun) in 6 steps", engine: "bmc"),
]

/// The .leak files in Models/, sorted.
func shippedModelFiles() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("Models").path)
        .filter { $0.hasSuffix(".leak") }.sorted()
}

/// The verdict word, length and engine of a headline such as
/// `Models/asi-nmi.leak: crash in 3 steps [bmc, 39 ms]: as expected`.
func verdictOf(_ headline: String) -> (word: String, length: Int, engine: String)? {
    guard let m = headline.firstMatch(of: /: (leak|crash|deadlock|starvation)(?: \([^)]*\)| of \w+)? in (\d+) steps?(?: \([^)]*\))? \[(\w+),/) else {
        return nil
    }
    return (String(m.1), Int(m.2)!, String(m.3))
}

/// A usage error as argument-parser prints it: an `Error:` line and the usage on stderr.
func expectUsageError(_ r: RunResult, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status != 0, "\(r)", sourceLocation: sourceLocation)
    #expect(r.stdout.isEmpty, "a usage error checks nothing: \(r)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains("Error: \(message)"), "\(r)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains("Usage: leakcheck"), "\(r)", sourceLocation: sourceLocation)
    // Not one of the statuses that mean something else (mismatch, undecided, internal error).
    #expect(![Documented.ok, Documented.mismatch, Documented.undecided, Documented.internalError].contains(r.status),
            "\(r)", sourceLocation: sourceLocation)
}

// MARK: - Help and version

@Suite("leakcheck: help and version")
struct HelpTests {
    struct HelpCase: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var mentions: [String]
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let exitStatusLines = (0...4).map { "\n  \($0)  " }

    @Test(arguments: [
        HelpCase(arguments: ["--help"],
                 mentions: ["USAGE: leakcheck <subcommand>", "EXIT STATUS", "check", "parse"] + exitStatusLines),
        HelpCase(arguments: ["-h"], mentions: ["USAGE: leakcheck <subcommand>", "EXIT STATUS"]),
        HelpCase(arguments: ["check", "--help"],
                 mentions: ["USAGE: leakcheck check [<options>] <paths> ...", "--bound <bound>", "-j, --jobs <jobs>", "--engine <engine>",
                            "--state-limit <state-limit>", "-q, --quiet", "EXIT STATUS"] + exitStatusLines),
        HelpCase(arguments: ["help", "check"], mentions: ["USAGE: leakcheck check [<options>] <paths> ...", "EXIT STATUS"]),
        HelpCase(arguments: ["parse", "--help"], mentions: ["USAGE: leakcheck parse <path>", "Exit status 0"]),
    ])
    func help(_ c: HelpCase) throws {
        let r = try leakcheck(c.arguments)
        #expect(r.status == Documented.ok, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        for text in c.mentions {
            #expect(r.stdout.contains(text), "missing \(text.debugDescription): \(r)")
        }
    }

    @Test func version() throws {
        let source = try String(contentsOf: packageRoot.appendingPathComponent("Sources/LeakModel/Syntax/Version.swift"), encoding: .utf8)
        let declared = try #require(source.firstMatch(of: /string = "([^"]+)"/)).1
        let r = try leakcheck(["--version"])
        #expect(r.status == Documented.ok, "\(r)")
        #expect(r.stdout == "\(declared)\n", "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
    }
}

// MARK: - Shipped models

@Suite("leakcheck check: shipped models")
struct ShippedModelTests {
    @Test func tableListsEveryShippedModel() throws {
        #expect(try shippedModelFiles() == shippedModels.map { "\($0.name).leak" }.sorted())
    }

    @Test(arguments: shippedModels)
    func checkOne(_ m: ShippedModel) throws {
        let r = try leakcheck(["check", m.path])
        #expect(r.status == Documented.ok, "\(r)")
        let headline = try #require(r.stdoutLines.first, "\(r)")
        #expect(headline.hasPrefix("\(m.path): \(m.verdict)"), "\(r)")
        #expect(headline.contains(" [\(m.engine), "), "\(r)")
        #expect(headline.hasSuffix(": as expected"), "\(r)")
        // A finding comes with its schedule and the sentence that explains it; a proof alone.
        #expect(r.stdout.contains("step  thread  action") == m.isFinding, "\(r)")
        #expect(r.stdout.contains("\nReachable: "), "\(r)")
        #expect(Self.warnings(r) == Self.deadCode[m.name, default: []], "\(r)")
    }

    /// The W007 warnings the shipped models get: in entry-deadlock both threads wait forever
    /// at the first statement of `on vmentry`, so it and everything after it are dead; in
    /// asi-kprobe-no-fault-path, with no `on fault`, the ept exit's touch of host_heap always
    /// crashes (the restricted table does not map it).
    static let deadCode: [String: [String]] = [
        "asi-kprobe-no-fault-path": [
            "Models/asi-kprobe-no-fault-path.leak:37:47: warning[W007]: 'touch host_heap' never runs: every schedule that reaches it blocks or crashes there",
        ],
        "entry-deadlock": [
            "Models/entry-deadlock.leak:28:14: warning[W007]: 'wait until siblings not in kernel' never runs: every schedule that reaches it blocks or crashes there",
            "Models/entry-deadlock.leak:28:49: warning[W007]: 'switch restricted' never runs: no schedule reaches it",
            "Models/entry-deadlock.leak:28:68: warning[W007]: 'flush l1d' never runs: no schedule reaches it",
            "Models/entry-deadlock.leak:30:14: warning[W007]: 'touch vcpu_state' never runs: no schedule reaches it",
        ],
    ]

    /// The diagnostic lines of stderr; nothing else may be there.
    static func warnings(_ r: RunResult) -> [String] {
        let lines = r.stderrLines.filter { $0.hasPrefix("Models/") }
        // Each diagnostic is its line, the source line and the caret line; blank lines separate
        // diagnostics.
        #expect(r.stderrLines.filter { !$0.isEmpty }.count == lines.count * 3, "\(r)")
        return lines
    }

    @Test func checkFolder() throws {
        let r = try leakcheck(["check", "Models/"])
        #expect(r.status == Documented.ok, "\(r)")
        let files = try shippedModelFiles()
        let headlines = r.stdoutLines.filter { $0.hasPrefix("Models/") }
        #expect(headlines.map { String($0.prefix { $0 != ":" }) } == files.map { "Models/\($0)" }, "\(r)")
        for m in shippedModels {
            #expect(r.stdout.contains("\(m.path): \(m.verdict)"), "\(m.name): \(r)")
        }
        #expect(r.stdoutLines.last == "\(files.count) models: \(files.count) as expected", "\(r)")
        #expect(Self.warnings(r) == shippedModels.flatMap { Self.deadCode[$0.name, default: []] }, "\(r)")
    }

    /// The two engines are independent (Z3 and plain Swift); on every shipped model with a
    /// finding they agree on the kind and the shortest length.
    @Test(arguments: shippedModels.filter(\.isFinding))
    func enginesAgree(_ m: ShippedModel) throws {
        let explicit = try leakcheck(["check", "--engine", "explicit", "-q", m.path])
        let bmc = try leakcheck(["check", "--engine", "bmc", "-q", m.path])
        #expect(explicit.status == Documented.ok, "\(explicit)")
        #expect(bmc.status == Documented.ok, "\(bmc)")
        let e = try #require(verdictOf(explicit.stdout), "\(explicit)")
        let b = try #require(verdictOf(bmc.stdout), "\(bmc)")
        #expect(e.engine == "explicit")
        #expect(b.engine == "bmc")
        #expect(e.word == b.word, "\(explicit)\n\(bmc)")
        #expect(e.length == b.length, "\(explicit)\n\(bmc)")
        #expect(explicit.stdout.hasPrefix("\(m.path): \(m.verdict) [explicit, "), "\(explicit)")
    }

    /// `bmc` alone cannot prove `expect safe`: undecided, status 3.
    @Test func bmcAloneLeavesExpectSafeUndecided() throws {
        let r = try leakcheck(["check", "--engine", "bmc", "Models/nosmt-flush.leak"])
        #expect(r.status == Documented.undecided, "\(r)")
        #expect(r.stdout.hasPrefix("Models/nosmt-flush.leak: no finding within 20 steps; not proved for longer schedules [bmc, "), "\(r)")
        #expect(r.stdout.contains("UNDECIDED: the model expects safe"), "\(r)")
    }

    /// The explicit engine keeps one order of interchangeable threads and says so;
    /// `--no-symmetry` explores every order: more states, the same verdict.
    @Test func noSymmetryExploresEveryOrderOfInterchangeableThreads() throws {
        let reduced = try leakcheck(["check", "-q", "--engine", "explicit", "Models/asi.leak"])
        #expect(reduced.status == 0, "\(reduced)")
        #expect(reduced.stdout.contains("(all 226 reachable states explored; interchangeable threads (t0, t1) in one order)"), "\(reduced)")
        let every = try leakcheck(["check", "-q", "--engine", "explicit", "--no-symmetry", "Models/asi.leak"])
        #expect(every.status == 0, "\(every)")
        #expect(every.stdout.contains("(all 431 reachable states explored)"), "\(every)")
    }

    /// Every check answered, one line each under the verdict; `--shortest-only` answers the
    /// verdict alone, the same verdict.
    @Test func everyCheckIsAnsweredUnderTheVerdict() throws {
        let r = try leakcheck(["check", "Models/asi-kick.leak"])
        #expect(r.status == Documented.ok, "\(r)")
        let lines = r.stdoutLines.filter { $0.hasPrefix("  check ") }
        #expect(lines.count == 3, "\(r)")
        #expect(lines.first == "  check corun: leak (corun) in 14 steps (the schedule below)", "\(r)")
        #expect(lines.dropFirst().first?.contains(/^  check residue l1d: leak \(residue l1d\) in \d+ steps \[(bmc|explicit)[^\]]*\]$/) == true, "\(r)")
        #expect(lines.last?.hasPrefix("  check crash: safe: proved for all schedules") == true, "\(r)")
        #expect(r.stdoutLines.firstIndex { $0.hasPrefix("  check ") } == 1, "the answers follow the verdict line")
        let quick = try leakcheck(["check", "--shortest-only", "Models/asi-kick.leak"])
        #expect(quick.status == Documented.ok, "\(quick)")
        #expect(!quick.stdout.contains("\n  check "), "\(quick)")
        #expect(quick.stdout.hasPrefix("Models/asi-kick.leak: leak (corun) in 14 steps ["), "\(quick)")
    }

    @Test func quietPrintsOnlyTheVerdictLine() throws {
        let full = try leakcheck(["check", "Models/two-guests.leak"])
        #expect(full.stdout.contains("step  thread  action"), "\(full)")
        // The two threads are symmetric: which one the solver lets enter first is its choice.
        #expect(full.stdout.contains(/step 6: t([01]) runs vm([12]) while its sibling t[01] has table restricted\[vm[12]\] loaded, which maps vcpu_state\[vm[12]\] \(owned by vm[12]\)/), "\(full)")

        for flag in ["-q", "--quiet"] {
            let r = try leakcheck(["check", flag, "Models/two-guests.leak"])
            #expect(r.status == Documented.ok, "\(r)")
            #expect(r.stdoutLines.count == 1, "\(r)")
            #expect(r.stdout.hasPrefix("Models/two-guests.leak: leak (corun) in 6 steps [bmc, "), "\(r)")
            #expect(r.stdout.hasSuffix(": as expected\n"), "\(r)")
            #expect(r.stderr.isEmpty, "\(r)")
        }
    }

    /// With several models, `--quiet` prints one verdict line each, then the summary line.
    @Test func quietOnAFolder() throws {
        let r = try leakcheck(["check", "-q", "Models"])
        let files = try shippedModelFiles()
        #expect(r.status == Documented.ok, "\(r)")
        #expect(r.stdoutLines.count == files.count + 1, "\(r)")
        for (line, file) in zip(r.stdoutLines, files) {
            #expect(line.hasPrefix("Models/\(file): ") && line.hasSuffix(": as expected"), "\(line)")
        }
        #expect(r.stdoutLines.last == "\(files.count) models: \(files.count) as expected", "\(r)")
    }

    /// `-j`: models checked at once print as checked one at a time: the same verdicts in file
    /// order, the same warnings in the same order (only the times differ).
    @Test func jobsKeepTheFileOrder() throws {
        let one = try leakcheck(["check", "-q", "-j", "1", "Models/"])
        let three = try leakcheck(["check", "-q", "--jobs", "3", "Models/"])
        #expect(one.status == Documented.ok && three.status == Documented.ok, "\(one)\n\(three)")
        let verdicts = { (r: RunResult) in r.stdoutLines.map { String($0.prefix { $0 != "[" }) } }
        #expect(verdicts(one) == verdicts(three), "\(one)\n\(three)")
        #expect(Self.warnings(one) == Self.warnings(three), "\(one)\n\(three)")
    }
}

// MARK: - Expectations and exit statuses

@Suite("leakcheck check: expectations and exit statuses")
struct ExpectationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var source: String
        var status: Int32
        /// What the verdict line says after the file name.
        var headline: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "finding as expected", source: coRunModel(expect: "expect leak"), status: Documented.ok,
             headline: "leak (corun) in 1 step [bmc, "),
        Case(name: "wrong expect: safe for a leak", source: coRunModel(expect: "expect safe"), status: Documented.mismatch,
             headline: "leak (corun) in 1 step [bmc, "),
        Case(name: "wrong expect: crash for a leak", source: coRunModel(expect: "expect crash"), status: Documented.mismatch,
             headline: "leak (corun) in 1 step [bmc, "),
        Case(name: "wrong expect: leak for a safe model", source: safeModel(expect: "expect leak"), status: Documented.mismatch,
             headline: "safe: proved for all schedules ("),
        Case(name: "finding, no expect line", source: coRunModel(expect: ""), status: Documented.mismatch,
             headline: "leak (corun) in 1 step [bmc, "),
        Case(name: "no finding, no expect line", source: safeModel(expect: ""), status: Documented.ok,
             headline: "safe: proved for all schedules ("),
        Case(name: "safe as expected", source: safeModel(expect: "expect safe"), status: Documented.ok,
             headline: "safe: proved for all schedules ("),
    ])
    func expectation(_ c: Case) throws {
        let dir = try TemporaryDirectory()
        try dir.write("m.leak", c.source)
        let r = try leakcheck(["check", "m.leak"], in: dir.url)
        #expect(r.status == c.status, "\(r)")
        let headline = try #require(r.stdoutLines.first, "\(r)")
        #expect(headline.hasPrefix("m.leak: \(c.headline)"), "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        switch c.status {
        case Documented.ok:
            #expect(headline.hasSuffix(c.source.contains("expect ") ? ": as expected" : ": no expect line"), "\(r)")
        default:
            let line = c.source.contains("expect ") ? "MISMATCH: the model expects " : "FINDING: the model has no expect line"
            #expect(headline.contains(line), "\(r)")
        }
    }

    @Test func mismatchNamesTheExpectedVerdict() throws {
        let dir = try TemporaryDirectory()
        try dir.write("wrong.leak", coRunModel(expect: "expect safe"))
        let r = try leakcheck(["check", "-q", "wrong.leak"], in: dir.url)
        #expect(r.status == Documented.mismatch)
        #expect(r.stdout.hasSuffix(": MISMATCH: the model expects safe\n"), "\(r)")
    }

    /// With several files the status is the most serious one: 4, then 2, then 1, then 3.
    struct Combination: CustomTestStringConvertible, Sendable {
        var files: [String]
        var options: [String] = []
        var status: Int32
        var summary: String
        var testDescription: String { (options + files).joined(separator: " ") }
    }

    @Test(arguments: [
        Combination(files: ["ok.leak", "wrong.leak"], status: Documented.mismatch,
                    summary: "2 models: 1 as expected, 1 mismatch"),
        Combination(files: ["wrong.leak", "bad.leak", "ok.leak"], status: Documented.modelOrUsageError,
                    summary: "3 models: 1 as expected, 1 mismatch, 1 model error"),
        Combination(files: ["safe.leak", "wrong.leak"], options: ["--engine", "bmc"], status: Documented.mismatch,
                    summary: "2 models: 1 mismatch, 1 undecided"),
        Combination(files: ["safe.leak", "ok.leak"], options: ["--engine", "bmc"], status: Documented.undecided,
                    summary: "2 models: 1 as expected, 1 undecided"),
        Combination(files: ["safe.leak", "missing.leak"], options: ["--engine", "bmc"], status: Documented.modelOrUsageError,
                    summary: "2 models: 1 undecided, 1 model error"),
    ])
    func combinedStatus(_ c: Combination) throws {
        let dir = try TemporaryDirectory()
        try dir.write("ok.leak", coRunModel(expect: "expect leak"))
        try dir.write("wrong.leak", coRunModel(expect: "expect safe"))
        try dir.write("safe.leak", safeModel(expect: "expect safe"))
        try dir.write("bad.leak", syntaxErrorModel)
        let r = try leakcheck(["check", "-q"] + c.options + c.files, in: dir.url)
        #expect(r.status == c.status, "\(r)")
        #expect(r.stdoutLines.last == c.summary, "\(r)")
    }
}

// MARK: - Model and file errors

@Suite("leakcheck: model and file errors")
struct ModelErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var source: String
        /// The diagnostic's first line starts with this.
        var diagnostic: String
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "syntax error", source: syntaxErrorModel, diagnostic: "bad.leak:9:1: error"),
        Case(name: "unknown region", source: nameErrorModel, diagnostic: "bad.leak:8:20: error"),
    ]

    @Test(arguments: cases, ["check", "parse"])
    func modelError(_ c: Case, subcommand: String) throws {
        let dir = try TemporaryDirectory()
        try dir.write("bad.leak", c.source)
        let r = try leakcheck([subcommand, "bad.leak"], in: dir.url)
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(r.stderrLines.contains { $0.hasPrefix(c.diagnostic) }, "\(r)")
    }

    @Test(arguments: ["check", "parse"])
    func missingFile(_ subcommand: String) throws {
        let dir = try TemporaryDirectory()
        let r = try leakcheck([subcommand, "nosuch.leak"], in: dir.url)
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(r.stderr.contains("error"), "\(r)")
        #expect(r.stderr.contains("cannot read 'nosuch.leak'"), "\(r)")
    }

    @Test(arguments: ["empty", "empty/"])
    func folderWithoutModels(_ folder: String) throws {
        let dir = try TemporaryDirectory()
        try dir.write("empty/README.txt", "no models here\n")
        try dir.write("empty/model.leak.bak", coRunModel(expect: "expect leak"))
        let r = try leakcheck(["check", folder], in: dir.url)
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(r.stderr.contains("error: folder '\(folder)' has no .leak files"), "\(r)")
    }

    /// A model error in one file does not stop the others from being checked.
    @Test func otherFilesAreStillChecked() throws {
        let dir = try TemporaryDirectory()
        let bad = try dir.write("bad.leak", syntaxErrorModel)
        let r = try leakcheck(["check", "-q", "Models/smt-no-kick.leak", bad, "Models/nosmt-flush.leak"])
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stdoutLines.count == 3, "\(r)")
        #expect(r.stdoutLines.first?.hasPrefix("Models/smt-no-kick.leak: leak (corun) in 1 step [") == true, "\(r)")
        #expect(r.stdoutLines.dropFirst().first?.hasPrefix("Models/nosmt-flush.leak: safe: proved for all schedules") == true, "\(r)")
        #expect(r.stdoutLines.last == "3 models: 2 as expected, 1 model error", "\(r)")
        #expect(r.stderrLines.contains { $0.hasPrefix("\(bad):9:1: error") }, "\(r)")
    }

    @Test func parseShipped() throws {
        let r = try leakcheck(["parse", "Models/asi.leak"])
        #expect(r.status == Documented.ok, "\(r)")
        #expect(r.stderr.isEmpty, "\(r)")
        #expect(r.stdout.hasPrefix("model \"KVM ASI, hold protocol, no NMI handler\"\n"), "\(r)")
        for text in ["\ncores\n", "  t0               core c0, serves vm1", "tables (every thread starts in kernel)",
                     "  restricted[vm1]  maps kvm_text vcpu_state[vm1]", "secret to vm1: host_heap percpu",
                     "checks             corun, residue l1d, crash", "bound              20", "expect             safe"] {
            #expect(r.stdout.contains(text), "missing \(text.debugDescription): \(r)")
        }
    }
}

// MARK: - Usage errors

@Suite("leakcheck: usage errors")
struct UsageErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        /// The text after `Error: ` on stderr.
        var message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    @Test(arguments: [
        Case(arguments: ["check", "--nope", "Models/asi.leak"], message: "Unknown option '--nope'"),
        // argument-parser takes `-1` for an option, so the range check never sees it.
        Case(arguments: ["check", "--bound", "-1", "Models/asi.leak"], message: "Missing value for '--bound <bound>'"),
        Case(arguments: ["check", "--bound=-1", "Models/asi.leak"], message: "--bound must be between 1 and 1000"),
        Case(arguments: ["check", "--bound", "1001", "Models/asi.leak"], message: "--bound must be between 1 and 1000"),
        Case(arguments: ["check", "--bound", "x", "Models/asi.leak"], message: "The value 'x' is invalid for '--bound <bound>'"),
        Case(arguments: ["check", "--engine", "nope", "Models/asi.leak"], message: "The value 'nope' is invalid for '--engine <engine>'. Please provide one of 'auto', 'bmc', 'explicit', 'kinduction' or 'spacer'."),
        Case(arguments: ["check", "--state-limit", "0", "Models/asi.leak"], message: "--state-limit must be positive"),
        Case(arguments: ["check", "-j", "0", "Models/asi.leak"], message: "--jobs must be at least 1, found 0"),
        Case(arguments: ["check"], message: "Missing expected argument '<paths> ...'"),
        Case(arguments: ["parse"], message: "Missing expected argument '<path>'"),
        Case(arguments: ["frob"], message: "Unexpected argument 'frob'"),
    ])
    func usageError(_ c: Case) throws {
        let r = try leakcheck(c.arguments)
        expectUsageError(r, c.message)
        // `leakcheck --help` documents status 2 for usage errors (argument-parser's own is 64).
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
    }
}
