import Foundation
import Testing
@testable import LeakModel
@testable import LeakSemantics
@testable import LeakExplicit
@testable import LeakEncoding
@testable import LeakEngines
@testable import LeakExport

/// The exports against the engines: the SMT-LIB query solved by the `z3` and `cvc5` binaries
/// is `sat` exactly when BMC finds something within the bound, and the Promela model run
/// through SPIN (breadth-first) violates its assertion exactly when the explicit engine finds
/// something, at a depth equal to the shortest finding's length plus one.
///
/// `LEAKCHECK_EXPORT_TIMES=1` prints what each export, solver and SPIN run took;
/// `LEAKCHECK_EXPORT_DUMP=DIR` keeps every Promela export in DIR.
@Suite("Export: SMT-LIB and Promela against the engines")
struct ExportTests {
    static let shippedFiles: [String] = shippedModels.map(\.file)
    /// Seeds 1-40 at night (`LEAKCHECK_NIGHTLY=1`), a stratified sample of them by default
    /// (`Sweep`), seeds 1...N with `LEAKCHECK_EXPORT_COUNT=N`.
    static let sweep = SweepPlan("export", "LEAKCHECK_EXPORT_COUNT", candidates: Array(1...40), perStratum: 1) { seed in
        Sweep.strata(of: RandomModel(seed: seed, bound: randomBound).source(), seed: seed)
    }
    static let randomSeeds = sweep.seeds
    /// Bound of the random models (their SMT-LIB queries are solved at this bound).
    static let randomBound = 6
    /// cvc5 is slow on deep unsat queries (minutes for asi.leak at bound 20, 1 s at 8), z3 less
    /// so (7 s at 20): the shipped models' unsat queries are solved at most at these bounds.
    static let cvc5Cap = 8
    static let z3Cap = 12

    static func shipped(_ file: String) throws -> Model { try ShippedModelsTests.load(file) }

    static func random(_ seed: UInt64) throws -> Model {
        try loadModel(RandomModel(seed: seed, bound: randomBound).source(), path: "random-\(seed).leak")
    }

    // MARK: SMT-LIB

    /// The shortest finding's length within `bound` by BMC, or nil.
    static func bmcLength(_ model: Model, bound: Int) throws -> Int? {
        try length(try BMCChecker(model: model).check(bound: bound).0)
    }

    /// The length of BMC's shortest finding, or nil.
    static func length(_ outcome: Outcome) throws -> Int? {
        switch outcome {
        case .finding(let trace): return trace.length
        case .noFindingWithin, .proved: return nil
        case .unknown(let reason, _): throw ToolFailure(text: "BMC gave up: \(reason)")
        }
    }

    /// Solves the export at `bound` with `tools` and checks each answer against BMC's shortest length.
    static func expectSolvers(_ tools: [ExternalTool], _ model: Model, bound: Int, shortest: Int?,
                              scratch: ScratchDirectory, _ label: String) throws {
        let times = ProcessInfo.processInfo.environment["LEAKCHECK_EXPORT_TIMES"] != nil
        let t0 = Date()
        let script = try SMTLibExport(model: model, bound: bound).script()
        if times { print("TIMES \(label): bound \(bound) export \(Date().timeIntervalSince(t0)) s \(script.utf8.count) bytes") }
        let file = try scratch.write("query-\(bound).smt2", script)
        let expected = (shortest.map { $0 <= bound } ?? false) ? "sat" : "unsat"
        for tool in tools {
            let result = try tool.run([file.path], in: scratch.url)
            if times { print("TIMES \(label): bound \(bound) \(tool.name) \(result.stdout.prefix(5)) \(result.seconds) s") }
            let answer = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(result.status == 0 && answer == expected,
                    "\(label): \(tool.name) at bound \(bound) gave \(result), BMC's shortest finding: \(shortest.map(String.init) ?? "none")")
        }
    }

    /// Both solvers at the model's bound and, for a shortest finding of length L, at L - 1,
    /// where the answer flips; an unsat query at most at `z3Cap` for z3 and every query at most
    /// at `cvc5Cap` for cvc5 (deep unsat queries take them long).
    /// `shortest`: BMC's answer at `bound` when the caller has it already.
    static func checkSMTLib(_ model: Model, bound: Int, z3Cap: Int, cvc5Cap: Int, shortest known: Int?? = nil,
                            _ label: String) throws {
        let t0 = Date()
        let shortest = try known ?? bmcLength(model, bound: bound)
        if ProcessInfo.processInfo.environment["LEAKCHECK_EXPORT_TIMES"] != nil {
            print("TIMES \(label): BMC \(Date().timeIntervalSince(t0)) s")
        }
        let scratch = try ScratchDirectory()
        var candidates = [bound]
        if let l = shortest, l > 0 { candidates.append(l - 1) }
        // A sat query is cheap whatever its bound; an unsat one is not.
        let z3Bounds = Set(candidates.map { b in shortest.map { $0 <= b } == true ? b : min(b, z3Cap) })
        let cvc5Bounds = Set(candidates.map { min($0, cvc5Cap) })
        for b in z3Bounds.union(cvc5Bounds).sorted() {
            let tools: [ExternalTool] = (z3Bounds.contains(b) ? [.z3] : []) + (cvc5Bounds.contains(b) ? [.cvc5] : [])
            try expectSolvers(tools, model, bound: b, shortest: shortest, scratch: scratch, label)
        }
    }

    @Test("SMT-LIB export: sat iff BMC finds something within the bound (shipped models)",
          .enabled(if: ExternalTool.shouldRun([.z3, .cvc5])), arguments: shippedFiles)
    func smtlibShipped(file: String) throws {
        let model = try Self.shipped(file)
        // BMC's search at the model's own bound is the one ShippedModelsTests shares.
        let shortest = try Self.length(try ShippedModelsTests.bmcResult(file))
        try Self.checkSMTLib(model, bound: model.bound?.value ?? CheckDefaults.bound, z3Cap: Self.z3Cap, cvc5Cap: Self.cvc5Cap,
                             shortest: .some(shortest), file)
    }

    @Test("SMT-LIB export: sat iff BMC finds something within the bound (random models)",
          .enabled(if: ExternalTool.shouldRun([.z3, .cvc5])), arguments: randomSeeds)
    func smtlibRandom(seed: UInt64) throws {
        try Self.checkSMTLib(try Self.random(seed), bound: Self.randomBound, z3Cap: Self.randomBound,
                             cvc5Cap: Self.randomBound, "seed \(seed)")
    }

    @Test("SMT-LIB export: a header, QF_BV, and (check-sat) last")
    func smtlibShape() throws {
        let model = try Self.shipped("asi.leak")
        let script = try SMTLibExport(model: model, bound: 3).script()
        let lines = script.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix(";; leakcheck") == true)
        #expect(lines.contains { $0.hasPrefix(";;") && $0.contains("bound 3") })
        #expect(lines.first { !$0.hasPrefix(";;") } == "(set-logic QF_BV)")
        #expect(lines.last == "(check-sat)")
        #expect(lines.filter { $0 == "(check-sat)" }.count == 1)
        #expect(script.contains("step@2") && !script.contains("step@3"))
    }

    // MARK: Promela

    /// What SPIN's breadth-first search reported.
    struct SpinVerdict {
        var violated: Bool
        var depth: Int?
        var stored: Int?
        var seconds: Double
    }

    /// `spin -a`, `gcc -DBFS`, `./pan` on the export of `model`.
    static func runSpin(_ model: Model, scratch: ScratchDirectory) throws -> SpinVerdict {
        let text = try PromelaExport(model: model).promela()
        _ = try scratch.write("model.pml", text)
        if let dump = ProcessInfo.processInfo.environment["LEAKCHECK_EXPORT_DUMP"] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: dump + "/" + model.file.path + ".pml"))
            try Data(model.file.bytes).write(to: URL(fileURLWithPath: dump + "/" + model.file.path))
        }
        let spin = try ExternalTool.spin.run(["-a", "model.pml"], in: scratch.url)
        guard spin.status == 0 else { throw ToolFailure(text: "spin -a failed: \(spin)\n\(text)") }
        let gcc = try ExternalTool.gcc.run(["-O0", "-w", "-DBFS", "-DSAFETY", "-DNOREDUCE", "-o", "pan", "pan.c"], in: scratch.url)
        guard gcc.status == 0 else { throw ToolFailure(text: "gcc pan.c failed: \(gcc)") }
        let pan = try ExternalTool(name: "pan", directory: scratch.url.path).run(["-w20"], in: scratch.url)
        let out = pan.stdout
        func number(after pattern: String) -> Int? {
            guard let r = out.range(of: pattern, options: .regularExpression) else { return nil }
            return Int(out[r].filter(\.isNumber))
        }
        let errors = number(after: "errors: [0-9]+")
        guard let errors else { throw ToolFailure(text: "unexpected pan output: \(pan)") }
        if errors == 0 && out.contains("Search not completed") {
            throw ToolFailure(text: "pan did not complete its search: \(pan)")
        }
        let violated = out.contains("assertion violated")
        if errors > 0 && !violated { throw ToolFailure(text: "pan found another error: \(pan)") }
        return SpinVerdict(violated: violated, depth: number(after: "\\(at depth [0-9]+\\)"),
                           stored: number(after: "[0-9]+ states, stored"), seconds: pan.seconds + gcc.seconds + spin.seconds)
    }

    /// SPIN's acceptance-cycle search (`-a`, the never claim of the export) on a model whose
    /// only check is `check progress`: whether it finds a fair starving run.
    static func spinStarves(_ model: Model, scratch: ScratchDirectory) throws -> Bool {
        precondition(model.checks == [.progress])
        _ = try scratch.write("model.pml", try PromelaExport(model: model).promela())
        let spin = try ExternalTool.spin.run(["-a", "model.pml"], in: scratch.url)
        guard spin.status == 0 else { throw ToolFailure(text: "spin -a failed: \(spin)") }
        let gcc = try ExternalTool.gcc.run(["-O0", "-w", "-DNOREDUCE", "-DNOSTUTTER", "-o", "pan", "pan.c"], in: scratch.url)
        guard gcc.status == 0 else { throw ToolFailure(text: "gcc pan.c failed: \(gcc)") }
        let pan = try ExternalTool(name: "pan", directory: scratch.url.path).run(["-a", "-m10000000", "-w20"], in: scratch.url)
        let out = pan.stdout
        guard let r = out.range(of: "errors: [0-9]+", options: .regularExpression) else {
            throw ToolFailure(text: "unexpected pan output: \(pan)")
        }
        let errors = Int(out[r].filter(\.isNumber)) ?? -1
        if errors == 0 && out.contains("Search not completed") { throw ToolFailure(text: "pan did not complete its search: \(pan)") }
        let cycle = out.contains("acceptance cycle")
        if errors > 0 && !cycle { throw ToolFailure(text: "pan found another error: \(pan)") }
        return cycle
    }

    /// SPIN against the explicit engine on `check progress` alone (models it explores
    /// completely; others are counted as not exercised).
    static func checkProgressWithSpin(_ model: Model, _ label: String) throws {
        var alone = model
        alone.checks = [.progress]
        let (outcome, stats) = ExplicitChecker(model: alone, stateLimit: 25_000).check(bound: nil)
        if case .unknown = outcome { CaseTally.record(exercised: false); return }
        CaseTally.record(exercised: true)
        let starves = try spinStarves(alone, scratch: try ScratchDirectory())
        #expect(starves == (outcome.verdictWord == "starvation"),
                "\(label): explicit \(summary(outcome)) (\(stats.states) states), SPIN \(starves ? "finds" : "finds no") acceptance cycle")
    }

    @Test("Promela export: SPIN finds a fair starving run iff the explicit engine does (shipped models with check progress)",
          .enabled(if: ExternalTool.shouldRun([.spin, .gcc])), .exercised(atLeast: 1),
          arguments: shippedFiles.filter { (try? Self.shipped($0).checks.contains(.progress)) == true })
    func promelaProgressShipped(file: String) throws {
        try Self.checkProgressWithSpin(try Self.shipped(file), file)
    }

    @Test("Promela export: as above, random models and the rows of DESIGN.md 6.2",
          .enabled(if: ExternalTool.shouldRun([.spin, .gcc])), .exercised(atLeast: 0.5),
          arguments: DifferentialTests.progressSeeds.filter { $0 <= 16 }.map { "seed \($0)" }
            + designRules.filter { $0.id.hasPrefix("progress-") }.map(\.id))
    func promelaProgress(_ label: String) throws {
        let model = if label.hasPrefix("seed ") {
            try loadModel(RandomModel(seed: UInt64(label.dropFirst(5))!, bound: 7, progress: true).source(), path: "\(label).leak")
        } else {
            try loadModel(designRules.first { $0.id == label }!.model, path: "\(label).leak")
        }
        try Self.checkProgressWithSpin(model, label)
    }

    /// SPIN against the explicit engine, on models it explores completely (others are left out,
    /// and counted as not exercised: SPIN would explore them completely too, which takes long).
    static func checkPromela(_ model: Model, _ label: String) throws {
        // The state checks (progress has its own test, `promelaProgress`: an acceptance-cycle
        // search, not this breadth-first one).
        var model = model
        model.checks = model.stateChecks
        let t0 = Date()
        let (outcome, stats) = ExplicitChecker(model: model, stateLimit: 25_000).check(bound: nil)
        let t1 = Date()
        if case .unknown = outcome { CaseTally.record(exercised: false); return }
        CaseTally.record(exercised: true)
        let scratch = try ScratchDirectory()
        let spin = try runSpin(model, scratch: scratch)
        if ProcessInfo.processInfo.environment["LEAKCHECK_EXPORT_TIMES"] != nil {
            print("TIMES \(label): explicit \(summary(outcome)) \(stats.states) states \(t1.timeIntervalSince(t0)) s; spin \(spin.violated) depth \(spin.depth ?? -1) stored \(spin.stored ?? -1) \(spin.seconds) s")
        }
        switch outcome {
        case .finding(let trace):
            #expect(spin.violated, "\(label): explicit finds \(trace.finding.check) in \(trace.length) steps, SPIN no violation")
            #expect(spin.depth == trace.length + PromelaExport.depthOffset,
                    "\(label): explicit length \(trace.length), SPIN depth \(spin.depth.map(String.init) ?? "?")")
        case .proved, .noFindingWithin, .unknown:
            // (SPIN's count of stored states is no check: it stores fewer states than it visits,
            // e.g. 826 of the 4,052 reachable states of seed 23 with check crash alone.)
            #expect(!spin.violated, "\(label): explicit proves it safe (\(stats.states) states), SPIN violates at depth \(spin.depth.map(String.init) ?? "?")")
        }
    }

    @Test("Promela export: SPIN's assertion fails iff the explicit engine finds something, at the same length (shipped models)",
          .enabled(if: ExternalTool.shouldRun([.spin, .gcc])), .exercised(atLeast: 1), arguments: shippedFiles)
    func promelaShipped(file: String) throws {
        try Self.checkPromela(try Self.shipped(file), file)
    }

    @Test("Promela export: SPIN's assertion fails iff the explicit engine finds something, at the same length (random models)",
          .enabled(if: ExternalTool.shouldRun([.spin, .gcc])), .exercised(atLeast: 0.5), arguments: randomSeeds)
    func promelaRandom(seed: UInt64) throws {
        try Self.checkPromela(try Self.random(seed), "seed \(seed)")
    }

    /// Most random models leak; with one check each (in turn), more of them are safe, and
    /// deadlock and crash are checked on their own (seeds up to 20, for time).
    @Test("Promela export: as above, random models with one of their checks",
          .enabled(if: ExternalTool.shouldRun([.spin, .gcc])), .exercised(atLeast: 0.5), arguments: randomSeeds.filter { $0 <= 20 })
    func promelaRandomSingleCheck(seed: UInt64) throws {
        var model = try Self.random(seed)
        let check = model.checks[Int(seed) % model.checks.count]
        model.checks = [check]
        try Self.checkPromela(model, "seed \(seed), check \(check)")
    }

    /// The rows of `DesignRuleTests` about counting findings (crashes, ties, bounds, flags and
    /// `if` of section 6.1), whose
    /// lengths were derived by hand from DESIGN.md: SPIN's depth and the SMT-LIB query's answer
    /// at L and L - 1 must give the same lengths as the hand derivation, not only as the engines.
    static let countingRules = designRules.filter { rule in
        ["crash-", "tie-", "wait-in-nmi-", "decl-interrupt-", "unplaced-", "flag-", "if-"].contains { rule.id.hasPrefix($0) }
    }

    /// The length a row expects without a bound (nil: no finding at all), and its model's bound.
    static func handLength(_ rule: DesignRule) -> Int? {
        switch rule.expected {
        case .leak(let n), .crash(let n), .deadlock(let n), .starvation(let n): n
        case .nothingWithin(let bound): bound + 1
        case .safe, .vacuous: nil
        }
    }

    @Test("Promela export: SPIN agrees with the hand-derived lengths of DESIGN.md's counting rules",
          .enabled(if: ExternalTool.shouldRun([.spin, .gcc])), arguments: countingRules)
    func promelaDesignRule(_ rule: DesignRule) throws {
        let model = try loadModel(rule.model, path: "\(rule.id).leak")
        let spin = try Self.runSpin(model, scratch: try ScratchDirectory())
        if let n = Self.handLength(rule) {
            #expect(spin.violated && spin.depth == n + PromelaExport.depthOffset,
                    "\(rule.id): expected \(rule.expected), SPIN depth \(spin.depth.map(String.init) ?? "none")")
        } else {
            #expect(!spin.violated, "\(rule.id): expected \(rule.expected), SPIN violates at depth \(spin.depth.map(String.init) ?? "?")")
        }
    }

    @Test("SMT-LIB export: z3 agrees with the hand-derived lengths of DESIGN.md's counting rules",
          .enabled(if: ExternalTool.shouldRun([.z3])), arguments: countingRules)
    func smtlibDesignRule(_ rule: DesignRule) throws {
        let model = try loadModel(rule.model, path: "\(rule.id).leak")
        let bound = model.bound?.value ?? 20
        let scratch = try ScratchDirectory()
        // sat exactly from the hand-derived length on: at the model's bound, and at L and L - 1.
        var bounds = [bound]
        if let n = Self.handLength(rule) { bounds += [n, n - 1].filter { $0 >= 0 } }
        for b in Set(bounds).sorted() {
            let file = try scratch.write("query-\(b).smt2", try SMTLibExport(model: model, bound: b).script())
            let expected = Self.handLength(rule).map { $0 <= b } == true ? "sat" : "unsat"
            let result = try ExternalTool.z3.run([file.path], in: scratch.url)
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected,
                    "\(rule.id) at bound \(b): expected \(expected) (\(rule.expected)), z3 said \(result)")
        }
    }

    @Test("Promela export: comments name threads, statements and lines; one d_step per step")
    func promelaShape() throws {
        let model = try Self.shipped("asi-nmi.leak")
        let text = try PromelaExport(model: model).promela()
        #expect(text.contains("active proctype"))
        #expect(text.contains("touch percpu (line "))
        #expect(text.contains("t0: starts nmi nmi"))
        #expect(text.contains("#define CRASH"))
        #expect(!text.contains("DEADLOCK"), "asi-nmi does not name check deadlock")
        let loop = text.components(separatedBy: "end_loop:").last?.components(separatedBy: "proctype checks").first ?? ""
        let branches = loop.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("::") }
        #expect(!branches.isEmpty)
        #expect(branches.allSatisfy { $0.contains("d_step {") && !$0.contains("assert") })
        #expect(text.contains(":: assert(!started || !FINDING)"))
    }
}

/// An external tool failed in a way that is not a verdict.
struct ToolFailure: Error, CustomStringConvertible {
    var text: String
    var description: String { text }
}
