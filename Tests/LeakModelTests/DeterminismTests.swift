import Foundation
import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakExplicit
@testable import LeakReport

/// Same input, same output; and declarations in another order, same verdict.
///
/// (a) Every shipped model is loaded and checked twice, in this process and in separate
///     `leakcheck` processes (each with its own random hash seed, so a result that depends on
///     Dictionary or Set iteration order shows up there), and the rendered report, model
///     summary and diagnostics must be byte-identical. Only the time in the headline's
///     `[engine, 123 ms]` bracket may differ; it is replaced by `TIME` before comparing.
/// (b) Variants of the shipped models with declarations reordered in ways that do not change
///     the meaning (see `Reordering`) must give the same verdict and shortest length on the
///     explicit engine and with the default `Checker()`.
@Suite("Determinism")
struct DeterminismTests {
    static let modelFiles = shippedModels.map(\.file)

    static func modelPath(_ file: String) -> String {
        repositoryRoot.appendingPathComponent("Models").appendingPathComponent(file).path
    }

    static func load(_ file: String) throws -> Model {
        let result = Frontend.load(path: modelPath(file))
        guard let model = result.model else {
            throw ModelLoadError(text: DiagnosticRenderer(file: result.file).render(result.diagnostics))
        }
        return model
    }

    /// `[bmc, 123 ms]` -> `[bmc, TIME]`, and each further engine's time in the bracket
    /// (`[explicit, 8 ms; bmc: no finding within 20 steps, 1.68 s]`): the only parts allowed to vary.
    static func stripTiming(_ text: String) -> String {
        text.replacingOccurrences(of: #"\[([a-z-]+), [0-9]+(\.[0-9]+)? m?s"#, with: "[$1, TIME",
                                  options: .regularExpression)
            .replacingOccurrences(of: #"(; [a-z-]+: [^;\]]*?), [0-9]+(\.[0-9]+)? m?s"#, with: "$1, TIME",
                                  options: .regularExpression)
    }

    // MARK: - (a) Byte-identical output

    @Test func timingIsStrippedAndNothingElse() {
        #expect(Self.stripTiming("a.leak: leak (corun) in 9 steps [bmc, 123 ms]: as expected")
                == "a.leak: leak (corun) in 9 steps [bmc, TIME]: as expected")
        #expect(Self.stripTiming("a.leak: safe: proved (x) [explicit, 1.05 s]: as expected")
                == "a.leak: safe: proved (x) [explicit, TIME]: as expected")
        #expect(Self.stripTiming("a.leak: safe: proved (x) [explicit, 8 ms; bmc: no finding within 20 steps, 1.68 s]: as expected")
                == "a.leak: safe: proved (x) [explicit, TIME; bmc: no finding within 20 steps, TIME]: as expected")
        #expect(Self.stripTiming("in 12 steps [t0 12 ms]") == "in 12 steps [t0 12 ms]")
    }

    /// (The first run is the one ShippedModelsTests shares; the second is this test's own.)
    @Test(arguments: modelFiles)
    func reportIsIdenticalAcrossRuns(_ file: String) throws {
        let shared = try ShippedModelsTests.defaultReport(file)
        let own = try Checker().check(try Self.load(file))
        let outputs = [shared, own].map { Self.stripTiming(ReportRenderer().render($0)) }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0].contains("[bmc, TIME") || outputs[0].contains("[explicit, TIME"),
                "the timing bracket was not found: \(outputs[0].prefix(200))")
    }

    /// (The first run is the one ShippedModelsTests shares; the second is this test's own.)
    @Test(arguments: modelFiles)
    func explicitOutcomeIsIdenticalAcrossRuns(_ file: String) throws {
        let a = try ShippedModelsTests.explicitResult(file)
        let b = ExplicitChecker(model: try Self.load(file)).check(bound: nil)
        #expect(a.0 == b.0)
        #expect(a.1 == b.1)
    }

    @Test(arguments: modelFiles)
    func summaryIsIdenticalAcrossRuns(_ file: String) throws {
        let a = ModelSummary.render(try Self.load(file))
        let b = ModelSummary.render(try Self.load(file))
        #expect(a == b)
        #expect(!a.isEmpty)
    }

    @Test func diagnosticsAreIdenticalAcrossRuns() throws {
        let names = GoldenSupport.names(in: "diagnostics", ext: "leak")
        #expect(names.count >= 30)
        for name in names {
            let bytes = try GoldenSupport.bytes("diagnostics", name + ".leak")
            var rendered: [String] = []
            for colored in [false, false, true, true] {
                let result = Frontend.load(file: SourceFile(path: name + ".leak", bytes: bytes))
                rendered.append(DiagnosticRenderer(file: result.file, colored: colored).render(result.diagnostics))
            }
            #expect(rendered[0] == rendered[1], "\(name): plain rendering differs between runs")
            #expect(rendered[2] == rendered[3], "\(name): coloured rendering differs between runs")
        }
    }

    /// The `leakcheck` executable built next to the test runner (SwiftPM builds every target
    /// before `swift test`).
    static var cliPath: String? {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // macOS-style bundles put the runner inside X.xctest/Contents/MacOS.
        while dir.path.contains(".xctest") { dir = dir.deletingLastPathComponent() }
        let candidate = dir.appendingPathComponent("leakcheck").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    static func runCLI(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(cliPath, "leakcheck executable not found next to the test runner"))
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_DETERMINISTIC_HASHING"] = nil  // each process gets its own hash seed
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting: a full pipe would block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// Separate processes: `leakcheck check Models/` and `leakcheck parse` of every model, three
    /// times each; every run must print the same bytes (timing aside) and exit the same way.
    @Test(.timeLimit(.minutes(10)))
    func cliOutputIsIdenticalAcrossProcesses() throws {
        var runs: [(Int32, String, String)] = []
        for _ in 0..<3 {
            let (status, stdout, stderr) = try Self.runCLI(["check", "Models"])
            runs.append((status, Self.stripTiming(stdout), stderr))
        }
        #expect(runs[0].0 == 0, "leakcheck check Models exited \(runs[0].0): \(runs[0].2)")
        #expect(runs[0].1.contains("\(Self.modelFiles.count) models: \(Self.modelFiles.count) as expected"))
        for k in 1..<runs.count {
            #expect(runs[k].0 == runs[0].0)
            #expect(runs[k].1 == runs[0].1, "run \(k + 1) of `leakcheck check Models` printed something else")
            #expect(runs[k].2 == runs[0].2)
        }
        for file in Self.modelFiles {
            let path = "Models/" + file
            let a = try Self.runCLI(["parse", path]), b = try Self.runCLI(["parse", path])
            #expect(a.status == 0, "leakcheck parse \(path) exited \(a.status): \(a.stderr)")
            #expect(a.status == b.status && a.stdout == b.stdout && a.stderr == b.stderr, "leakcheck parse \(path)")
            #expect(a.stdout == ModelSummary.render(try Self.load(file)), "leakcheck parse \(path) does not print the model summary")
        }
        let bad = "Tests/LeakModelTests/Golden/diagnostics/errors-capped.leak"
        let a = try Self.runCLI(["parse", bad]), b = try Self.runCLI(["parse", bad])
        #expect(a.status == 2)
        #expect(a.status == b.status && a.stdout == b.stdout && a.stderr == b.stderr, "leakcheck parse \(bad)")
    }

    // MARK: - (b) Reordered declarations

    /// Reorderings of a model's declarations that keep its meaning. They work on the shipped
    /// models' layout (one declaration per line) and keep:
    ///   - the first `table` line first among tables (it is the initial table): tables untouched;
    ///   - the relative order of `check corun` / `check residue` lines (it breaks ties between
    ///     leak kinds at equal length);
    ///   - the relative order of `core`, `guest`, `host`, `buffer` and `run` lines (indices of
    ///     threads, guests and buffers, which show up in `residue(buffer: N)`).
    /// Declarations may come in any order otherwise: the resolver collects every name first.
    struct Reordering: CustomTestStringConvertible, Sendable {
        var name: String
        var apply: @Sendable ([String]) -> [String]
        var testDescription: String { name }
    }

    /// The first word of a declaration line (nil for blank and comment lines).
    static func keyword(_ line: String) -> String? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard let first = trimmed.split(separator: " ", maxSplits: 1).first, !first.hasPrefix("#") else { return nil }
        return String(first)
    }

    static func isCheck(_ line: String, _ what: String) -> Bool {
        keyword(line) == "check" && line.split(separator: " ").dropFirst().first.map(String.init) == what
    }

    /// Reverses the order of the lines matching `p`, each taking the place of another.
    static func reverseInPlace(_ lines: [String], where p: (String) -> Bool) -> [String] {
        let slots = lines.indices.filter { p(lines[$0]) }
        var out = lines
        for (slot, source) in zip(slots, slots.reversed()) { out[slot] = lines[source] }
        return out
    }

    /// Moves the lines matching `p` (in their order) to just before the first line matching
    /// `anchor`, or to the end when nothing matches it.
    static func move(_ lines: [String], where p: (String) -> Bool, before anchor: (String) -> Bool) -> [String] {
        let moved = lines.filter(p)
        var rest = lines.filter { !p($0) }
        let at = rest.firstIndex(where: anchor) ?? rest.endIndex
        rest.insert(contentsOf: moved, at: at)
        return rest
    }

    static let reorderings: [Reordering] = [
        .init(name: "region lines reversed") { reverseInPlace($0) { keyword($0) == "region" } },
        .init(name: "exit blocks reversed") { reverseInPlace($0) { keyword($0) == "exit" } },
        .init(name: "on blocks reversed") { reverseInPlace($0) { keyword($0) == "on" } },
        .init(name: "on and interrupt blocks moved to the end") {
            move($0, where: { ["on", "interrupt"].contains(keyword($0)) }, before: { _ in false })
        },
        .init(name: "exit and interrupt blocks before the hooks") {
            move($0, where: { ["exit", "interrupt"].contains(keyword($0)) }, before: { keyword($0) == "on" })
        },
        .init(name: "crash and deadlock checks first") {
            move($0, where: { isCheck($0, "crash") || isCheck($0, "deadlock") }, before: { keyword($0) == "check" })
        },
        .init(name: "checks, bound and expect before every other declaration") {
            move($0, where: { ["check", "bound", "expect"].contains(keyword($0)) }, before: { keyword($0) == "core" })
        },
        .init(name: "names declared after their uses") {
            // Regions after the tables that map them, guests after the run lines, and so on.
            move($0, where: { ["core", "host", "guest", "region"].contains(keyword($0)) }, before: { _ in false })
        },
        .init(name: "everything at once") { lines in
            var l = reverseInPlace(lines) { keyword($0) == "region" }
            l = reverseInPlace(l) { keyword($0) == "exit" }
            l = reverseInPlace(l) { keyword($0) == "on" }
            l = move(l, where: { isCheck($0, "crash") || isCheck($0, "deadlock") }, before: { keyword($0) == "check" })
            l = move(l, where: { ["exit", "interrupt", "on"].contains(keyword($0)) }, before: { keyword($0) == "core" })
            return move(l, where: { ["core", "host", "guest", "region"].contains(keyword($0)) }, before: { _ in false })
        },
    ]

    /// The model's declarations, one per element: a line, with the lines a block opened on it
    /// continues over (an `if` written over several lines), so a reordering moves it whole.
    static func lines(of file: String) throws -> [String] {
        let text = try String(contentsOfFile: modelPath(file), encoding: .utf8)
        var out: [String] = []
        var open = 0
        for line in text.components(separatedBy: "\n") {
            if open > 0 { out[out.count - 1] += "\n" + line } else { out.append(line) }
            open += braceBalance(line)
        }
        return out
    }

    /// Opening minus closing braces in a line's code (before any comment).
    static func braceBalance(_ line: String) -> Int {
        let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return code.filter { $0 == "{" }.count - code.filter { $0 == "}" }.count
    }

    static func loadVariant(_ lines: [String], _ file: String, _ r: Reordering) throws -> Model {
        let result = Frontend.load(file: SourceFile(path: "reordered-" + file, text: lines.joined(separator: "\n")))
        guard let model = result.model else {
            throw ModelLoadError(text: "\(file) (\(r.name)) does not resolve:\n"
                + DiagnosticRenderer(file: result.file).render(result.diagnostics))
        }
        return model
    }

    /// The reorderings rely on declarations that start on a line of their own and close every
    /// block they open; `lines(of:)` would otherwise merge the rest of the file into one.
    @Test(arguments: modelFiles)
    func shippedModelsHaveOneDeclarationPerElement(_ file: String) throws {
        let declarations = try Self.lines(of: file)
        for d in declarations {
            #expect(d.split(separator: "\n", omittingEmptySubsequences: false).map { Self.braceBalance(String($0)) }
                        .reduce(0, +) == 0, "\(file): \(d)")
        }
        #expect(declarations.filter { Self.keyword($0) == "check" }.count >= 1, "\(file)")
    }

    /// Every reordering changes at least one model (or it would test nothing), and keeps the
    /// lines themselves (it is a permutation).
    @Test(arguments: reorderings)
    func reorderingIsAPermutationThatChangesSomething(_ r: Reordering) throws {
        var changed = 0
        for file in Self.modelFiles {
            let original = try Self.lines(of: file)
            let variant = r.apply(original)
            #expect(variant.sorted() == original.sorted(), "\(r.name) of \(file) is not a permutation")
            if variant != original { changed += 1 }
        }
        #expect(changed >= 3, "\(r.name) changes only \(changed) shipped models")
    }

    /// The explicit engine, to the end of the state space: same first finding (check and
    /// length) or the same proof, for every shipped model and every reordering.
    @Test(arguments: reorderings)
    func reorderingKeepsExplicitVerdict(_ r: Reordering) throws {
        for file in Self.modelFiles {
            let original = try Self.lines(of: file)
            let variant = r.apply(original)
            if variant == original { continue }
            let (a, aStats) = try ShippedModelsTests.explicitResult(file)
            let (b, bStats) = ExplicitChecker(model: try Self.loadVariant(variant, file, r)).check(bound: nil)
            #expect(summary(a) == summary(b), "\(file), \(r.name): \(summary(a)) became \(summary(b))")
            #expect(a.verdictWord == b.verdictWord, "\(file), \(r.name)")
            #expect(aStats.guestRuns == bStats.guestRuns, "\(file), \(r.name)")
            // Reordering renames nothing, so the reachable state space has the same size.
            if case .proved = a { #expect(aStats.states == bStats.states, "\(file), \(r.name)") }
        }
    }

    /// Shipped models on which the default checker (BMC, then the explicit proof) runs for
    /// every reordering: one of each verdict, and the models that use interrupts and `either`.
    static let checkerModels = ["asi-nmi.leak", "asi.leak", "asi-percpu-mapped.leak", "two-guests.leak",
                                "entry-deadlock.leak", "nosmt-no-flush.leak", "nosmt-flush.leak"]

    @Test(arguments: checkerModels)
    func reorderingKeepsCheckerVerdict(_ file: String) throws {
        let original = try Self.lines(of: file)
        let base = try ShippedModelsTests.defaultReport(file)
        for r in Self.reorderings {
            let variant = r.apply(original)
            if variant == original { continue }
            let report = try Checker().check(try Self.loadVariant(variant, file, r))
            #expect(report.verdict.word == base.verdict.word, "\(file), \(r.name)")
            #expect(report.expectation == base.expectation, "\(file), \(r.name)")
            var lengths: [Int?] = []
            var kinds: [String?] = []
            for o in [base.outcome, report.outcome] {
                if case .finding(let t) = o { lengths.append(t.length); kinds.append("\(t.finding.check)") } else { lengths.append(nil); kinds.append(nil) }
            }
            #expect(lengths[0] == lengths[1], "\(file), \(r.name): length \(String(describing: lengths[0])) became \(String(describing: lengths[1]))")
            #expect(kinds[0] == kinds[1], "\(file), \(r.name)")
        }
    }
}
