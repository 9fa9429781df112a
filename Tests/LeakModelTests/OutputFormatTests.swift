import Foundation
import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakReport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Runs python3 with a script; returns (status, stdout+stderr). Nil when python3 is missing.
func runPython(_ script: String, arguments: [String] = [], stdin: Data? = nil) -> (Int32, String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = out
    let input = Pipe()
    process.standardInput = input
    do { try process.run() } catch { return nil }
    if let stdin { input.fileHandleForWriting.write(stdin) }
    try? input.fileHandleForWriting.close()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Whether Python's jsonschema package can be imported. In CI (CI set) its absence is a
/// failure; on a developer machine the validation tests are skipped.
let jsonschemaAvailable: Bool = {
    let ok = runPython("import jsonschema")?.0 == 0
    if !ok && ProcessInfo.processInfo.environment["CI"] != nil { return true }  // let the test fail loudly
    return ok
}()

/// Validates JSON documents against a schema file with jsonschema; returns the errors (empty: valid).
func validate(_ documents: [String], schema: URL, draft: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leakcheck-schema-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var paths: [String] = []
    for (i, d) in documents.enumerated() {
        let url = dir.appendingPathComponent("doc\(i).json")
        try Data(d.utf8).write(to: url)
        paths.append(url.path)
    }
    let script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        cls = getattr(jsonschema, sys.argv[2])
        cls.check_schema(schema)
        v = cls(schema)
        bad = 0
        for p in sys.argv[3:]:
            for e in v.iter_errors(json.load(open(p))):
                bad += 1
                print(p, list(e.absolute_path), e.message[:300])
        sys.exit(1 if bad else 0)
        """
    guard let (status, output) = runPython(script, arguments: [schema.path, draft] + paths) else { return "python3 not found" }
    return status == 0 ? "" : output
}

/// Shipped models checked with the explicit engine (fast, no Z3; shortest findings and proofs).
func explicitReports() throws -> [Checker.Report] {
    let checker = Checker(options: .init(engine: .explicit))
    return try shippedModels.map { try checker.check(ShippedModelsTests.load($0.file)) }
}

func report(_ file: String, engine: Checker.Engine = .explicit) throws -> Checker.Report {
    try Checker(options: .init(engine: engine)).check(ShippedModelsTests.load(file))
}

func jsonObject(_ value: JSONValue) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(value.rendered().utf8)) as? [String: Any])
}

/// The hash reports name a model by: swift-crypto's SHA-256, written as lowercase hex.
@Suite("SHA-256")
struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func knownVectors(_ input: String, _ digest: String) {
        #expect(ContentHash.sha256(Array(input.utf8)) == digest)
    }
}

@Suite("Output formats")
struct OutputFormatTests {
    static let docsSchema = repositoryRoot.appendingPathComponent("docs/json-schema.json")
    static var sarifSchema: URL {
        GoldenSupport.bundleRoot!.appendingPathComponent("schemas/sarif-schema-2.1.0.json")
    }

    // MARK: JSON

    @Test func jsonValueEscapingAndLayout() throws {
        let v = JSONValue.obj(["a": .string("q\"b\\s\n\t\u{1}é→"), "n": .null, "skip": nil, "d": .double(0.25), "i": .int(-3),
                               "list": .array([.bool(true), .bool(false)])])
        let text = v.rendered()
        #expect(!text.contains("skip"))
        #expect(text.contains(#""q\"b\\s\n\t\u0001é→""#))
        let parsed = try jsonObject(v)
        #expect(parsed["a"] as? String == "q\"b\\s\n\t\u{1}é→")
        #expect(parsed["d"] as? Double == 0.25)
        #expect(parsed["i"] as? Int == -3)
        #expect(parsed["n"] is NSNull)
        // Keys keep their order.
        #expect(text.range(of: "\"a\"")!.lowerBound < text.range(of: "\"list\"")!.lowerBound)
    }

    @Test(.enabled(if: jsonschemaAvailable, "python3 jsonschema is not installed"))
    func jsonDocumentValidatesAgainstTheSchema() throws {
        var entries = try explicitReports().map { RunEntry.checked($0) }
        entries.append(.checked(try Self.eachCheckAnswered("asi-kick.leak")))
        entries.append(.checked(try Self.eachCheckAnswered("kvm-l1tf-cond-flush-smt.leak")))
        let bad = Frontend.load(file: SourceFile(path: "bad.leak", text: "core c0 { t0 }\nexit x { switch kernal }\n"))
        entries.append(.modelError(path: "bad.leak", file: bad.file, diagnostics: bad.diagnostics))
        entries.append(.modelError(path: "missing.leak", file: nil, diagnostics: Frontend.load(path: "/nonexistent/missing.leak").diagnostics))
        let asi = try ShippedModelsTests.load("asi.leak")
        entries.append(.internalError(model: asi, message: "engines disagree"))
        entries.append(.checked(Checker.Report(model: asi, outcome: .noFindingWithin(bound: 7), engines: [.bmc], bound: 7, seconds: 0.5, guestRuns: nil)))
        entries.append(.checked(Checker.Report(model: asi, outcome: .unknown(reason: "timeout", completedBound: 3), engines: [.bmc], bound: 7, seconds: 0.5, guestRuns: nil)))
        entries.append(.checked(Checker.Report(model: asi, outcome: .proved(.init(summary: "x")), engines: [.explicit], bound: 7, seconds: 0.5, guestRuns: false)))
        let doc = JSONReport().document(entries).rendered()
        let errors = try validate([doc], schema: Self.docsSchema, draft: "Draft202012Validator")
        #expect(errors.isEmpty, "\(errors)")

        // The schema is not vacuous: a broken document fails.
        let broken = doc.replacingOccurrences(of: "\"kickPending\"", with: "\"kickPendingX\"")
        #expect(try !validate([broken], schema: Self.docsSchema, draft: "Draft202012Validator").isEmpty)
    }

    static func eachCheckAnswered(_ file: String) throws -> Checker.Report {
        var options = Checker.Options(engine: .explicit)
        options.answerEachCheck = true
        return try Checker(options: options).check(ShippedModelsTests.load(file))
    }

    /// Every check answered (issue 14): the verdict's check keeps the verdict's finding, each
    /// other check has its own shortest finding (its own trace, of its own check) or a proof,
    /// in the model's order, in the report and in JSON.
    @Test func eachCheckHasItsOwnAnswer() throws {
        let r = try Self.eachCheckAnswered("asi-kick.leak")
        #expect(r.perCheck.map { r.model.name(of: $0.model.checks[0]) } == ["corun", "residue l1d", "crash"])
        guard case .finding(let verdict) = r.outcome, case .finding(let corun) = r.perCheck[0].outcome,
              case .finding(let residue) = r.perCheck[1].outcome else {
            Issue.record("asi-kick: expected findings for corun and residue, got \(r.perCheck.map(\.verdict))")
            return
        }
        #expect(corun.length == verdict.length && corun.finding == verdict.finding)
        #expect(residue.finding.check == .residue(buffer: 0))
        // No check has a finding shorter than the verdict's; the shortest of any is the verdict.
        #expect(residue.length >= verdict.length)
        #expect(r.perCheck[2].verdict == .safe)
        let doc = try jsonObject(JSONReport().entry(.checked(r)))
        let answers = try #require(doc["perCheck"] as? [[String: Any]])
        #expect(answers.map { $0["check"] as? String } == ["corun", "residue l1d", "crash"])
        #expect(answers.map { $0["verdict"] as? String } == ["leak", "leak", "safe"])
        let residueTrace = try #require(answers[1]["trace"] as? [String: Any])
        #expect((residueTrace["states"] as? [Any])?.count == residue.length + 1)
        #expect((answers[1]["finding"] as? [String: Any])?["check"] as? String == "residue")
        #expect(answers[2]["proof"] != nil && answers[2]["trace"] == nil)
    }

    @Test func jsonTraceFollowsITF() throws {
        for r in try explicitReports() {
            let doc = try jsonObject(JSONReport().entry(.checked(r)))
            #expect(doc["file"] as? String == r.model.file.path)
            #expect(doc["sha256"] as? String == ContentHash.sha256(r.model.file.bytes))
            #expect(doc["verdict"] as? String == r.verdict.word)
            guard case .finding(let trace) = r.outcome else {
                #expect(doc["trace"] == nil)
                #expect(doc["proof"] != nil)
                continue
            }
            let itf = try #require(doc["trace"] as? [String: Any])
            let meta = try #require(itf["#meta"] as? [String: Any])
            #expect(meta["format"] as? String == "ITF")
            #expect(itf["vars"] as? [String] == (r.model.flags.isEmpty ? ["threads", "buffers"] : ["threads", "buffers", "flags"]))
            let states = try #require(itf["states"] as? [[String: Any]])
            #expect(states.count == trace.length + 1)
            for (k, state) in states.enumerated() {
                let m = try #require(state["#meta"] as? [String: Any])
                #expect(m["index"] as? Int == k)
                #expect((m["action"] != nil) == (k > 0))
                let threads = try #require(state["threads"] as? [String: [String: Any]])
                #expect(Set(threads.keys) == Set(r.model.threads.map(\.name)))
                for (t, thread) in r.model.threads.enumerated() {
                    let ts = trace.state(after: k).threads[t]
                    #expect(threads[thread.name]?["mode"] as? String == (ts.inGuest ? "guest" : "host"))
                    #expect(threads[thread.name]?["table"] as? String == r.model.tables[ts.table].name)
                    #expect(threads[thread.name]?["kickPending"] as? Bool == ts.kickPending)
                }
                let buffers = try #require(state["buffers"] as? [String: [String: [String: [String]]]])
                for (c, core) in r.model.cores.enumerated() {
                    for (b, buffer) in r.model.buffers.enumerated() {
                        #expect(buffers[core.name]?[buffer.name]?["#set"] == trace.state(after: k).buffers[c][b].map { r.model.regions[$0].name })
                    }
                }
                // Every copy of every flag, by owner (DESIGN.md 6.1: every output shows flags).
                if r.model.flags.isEmpty {
                    #expect(state["flags"] == nil)
                } else {
                    let flags = try #require(state["flags"] as? [String: [String: Bool]])
                    for (f, flag) in r.model.flags.enumerated() {
                        for c in 0..<r.model.flagCopies(f) {
                            let owner = flag.scope == .thread ? r.model.threads[c].name : r.model.cores[c].name
                            #expect(flags[flag.name]?[owner] == trace.state(after: k).flags[f][c])
                        }
                    }
                }
                if k > 0 {
                    let action = try #require(m["action"] as? [String: Any])
                    #expect(action["thread"] as? String == r.model.threads[trace.steps[k - 1].action.thread].name)
                }
            }
        }
    }

    @Test func jsonFindingNamesEverything() throws {
        let kick = try jsonObject(JSONReport().entry(.checked(try report("asi-kick.leak"))))
        let f = try #require(kick["finding"] as? [String: Any])
        #expect(f["kind"] as? String == "leak")
        #expect(f["check"] as? String == "corun")
        // The engines may pick either thread as the victim.
        #expect(Set([f["thread"] as? String, f["sibling"] as? String]) == ["t0", "t1"])
        #expect(f["guest"] as? String == "vm1")
        #expect(f["region"] as? String == "host_heap")
        #expect(f["owner"] as? String == "host")
        #expect((f["exposure"] as? [String: String])?["table"] == "kernel")
        let cause = try #require((f["causes"] as? [[String: Any]])?.first)
        #expect((cause["span"] as? [String: Int])?["line"] == 31)  // switch kernel in on fault

        let residue = try #require(try jsonObject(JSONReport().entry(.checked(try report("asi-release-early.leak"))))["finding"] as? [String: Any])
        #expect(residue["check"] as? String == "residue")
        #expect(residue["buffer"] as? String == "l1d")
        #expect(residue["core"] as? String == "c0")
    }

    // MARK: Causes

    /// The statement each finding points at: (file, line, text of the statement).
    @Test(arguments: [
        ("asi-kick.leak", 31, "switch kernel"),
        ("asi-nmi.leak", 30, "wait until siblings out of guest"),
        ("entry-deadlock.leak", 28, "wait until siblings not in kernel"),
        ("smt-no-kick.leak", 22, "kernel"),
    ])
    func findingCause(_ file: String, _ line: Int, _ text: String) throws {
        let r = try report(file)
        guard case .finding(let trace) = r.outcome else { Issue.record("\(file): no finding"); return }
        let causes = FindingCause(model: r.model, program: Program(r.model)).locate(trace)
        let first = try #require(causes.first)
        #expect(r.model.file.position(of: first.span.start).line == line, "\(file): \(first.message)")
        #expect(r.model.file.text(of: first.span).hasPrefix(text), "\(file): \(r.model.file.text(of: first.span))")
    }

    /// A residue points at the step that last put the region into the buffer.
    @Test func residuePointsAtTheFillingStep() throws {
        for file in ["asi-release-early.leak", "nosmt-no-flush.leak"] {
            for engine in [Checker.Engine.explicit, .bmc] {
                let r = try report(file, engine: engine)
                guard case .finding(let trace) = r.outcome, case .residue(let t, _, let b, let region) = trace.finding else {
                    Issue.record("\(file): no residue"); continue
                }
                let cause = try #require(FindingCause(model: r.model, program: Program(r.model)).locate(trace).first)
                let k = try #require(cause.step)
                let c = r.model.threads[t].core
                #expect(!trace.state(after: k - 1).buffers[c][b].contains(region))
                #expect((k...trace.length).allSatisfy { trace.state(after: $0).buffers[c][b].contains(region) })
                guard case .statement(_, let q, _) = trace.steps[k - 1].action else { Issue.record("not a statement"); continue }
                #expect(cause.span == Program(r.model).instructions[q].span)
            }
        }
    }

    /// A sibling running another guest exposes that guest's regions: the cause is that guest.
    @Test func corunThroughASiblingGuest() throws {
        let model = try loadModel("""
            core c0 { t0 t1 }
            guest vm1, vm2
            region text public
            region mem per guest
            table small maps text
            run vm1 on t0
            run vm2 on t1
            check corun
            """)
        let r = try Checker(options: .init(engine: .explicit)).check(model)
        guard case .finding(let trace) = r.outcome, case .corun(_, _, let u, _) = trace.finding else {
            Issue.record("no corun: \(r.outcome)"); return
        }
        #expect(trace.final.threads[u].inGuest)
        let cause = try #require(FindingCause(model: model, program: Program(model)).locate(trace).first)
        #expect(model.file.text(of: cause.span) == model.guests[trace.final.threads[u].served].name)
        let f = try #require(try jsonObject(JSONReport().entry(.checked(r)))["finding"] as? [String: Any])
        #expect((f["exposure"] as? [String: String])?["mode"] == "guest")
        if jsonschemaAvailable {
            let errors = try validate([JSONReport().document([.checked(r)]).rendered()], schema: Self.docsSchema, draft: "Draft202012Validator")
            #expect(errors.isEmpty, "\(errors)")
        }
    }

    @Test func deadlockPointsAtEveryWait() throws {
        let r = try report("entry-deadlock.leak")
        guard case .finding(let trace) = r.outcome else { Issue.record("no finding"); return }
        let causes = FindingCause(model: r.model, program: Program(r.model)).locate(trace)
        #expect(causes.count == 2)
        #expect(causes.allSatisfy { r.model.file.text(of: $0.span) == "wait until siblings not in kernel" })
    }

    // MARK: SARIF

    func sarifEntries() throws -> [RunEntry] {
        var entries = try explicitReports().map { RunEntry.checked($0) }
        // A mismatch with a finding, a mismatch without one, and an undecided one.
        var kick = try report("asi-kick.leak")
        kick.model.expect = .init(verdict: .safe, span: kick.model.expect!.span)
        entries.append(.checked(kick))
        var safe = try report("asi.leak")
        safe.model.expect = .init(verdict: .leak, span: safe.model.expect!.span)
        entries.append(.checked(safe))
        let bounded = Checker.Report(model: try ShippedModelsTests.load("asi.leak"), outcome: .noFindingWithin(bound: 5),
                                     engines: [.bmc], bound: 5, seconds: 0.1, guestRuns: nil)
        entries.append(.checked(bounded))
        let bad = Frontend.load(file: SourceFile(path: "dir with space/bad é.leak", text: "core c0 { t0 }\nexit x { switch kernal }\n"))
        entries.append(.modelError(path: "dir with space/bad é.leak", file: bad.file, diagnostics: bad.diagnostics))
        entries.append(.internalError(model: try ShippedModelsTests.load("asi.leak"), message: "engines disagree"))
        return entries
    }

    @Test(.enabled(if: jsonschemaAvailable, "python3 jsonschema is not installed"))
    func sarifValidatesAgainstTheOfficialSchema() throws {
        let doc = SARIFReport().document(try sarifEntries()).rendered()
        let errors = try validate([doc], schema: Self.sarifSchema, draft: "Draft4Validator")
        #expect(errors.isEmpty, "\(errors)")
        let broken = doc.replacingOccurrences(of: "\"executionOrder\"", with: "\"executionOrdr\"")
        #expect(try !validate([broken], schema: Self.sarifSchema, draft: "Draft4Validator").isEmpty)
    }

    @Test func sarifResults() throws {
        let entries = try sarifEntries()
        let doc = try jsonObject(SARIFReport(baseDirectory: URL(fileURLWithPath: "/repo/", isDirectory: true)).document(entries))
        #expect(doc["version"] as? String == "2.1.0")
        let run = try #require((doc["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        func resultsFor(_ file: String) -> [[String: Any]] {
            results.filter { r in
                let loc = ((r["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["artifactLocation"] as? [String: Any]
                return (loc?["uri"] as? String)?.hasSuffix(file) == true
            }
        }
        func line(_ r: [String: Any]) -> Int? {
            (((r["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["region"] as? [String: Any])?["startLine"] as? Int
        }
        // One result per model with a finding (9 of 11 shipped models), expected ones suppressed.
        let nmi = resultsFor("Models/asi-nmi.leak")
        #expect(nmi.count == 1)
        #expect(nmi.first?["ruleId"] as? String == "crash")
        #expect(nmi.first?["level"] as? String == "note")
        #expect((nmi.first?["suppressions"] as? [[String: Any]])?.first?["kind"] as? String == "inSource")
        #expect(nmi.first.flatMap(line) == 30)
        // The code flow has one thread flow per thread, steps numbered by executionOrder.
        let flow = try #require((nmi.first?["codeFlows"] as? [[String: Any]])?.first?["threadFlows"] as? [[String: Any]])
        #expect(flow.map { $0["id"] as? String } == ["t0", "t1"])
        let orders = flow.flatMap { ($0["locations"] as? [[String: Any]] ?? []).compactMap { $0["executionOrder"] as? Int } }
        #expect(Set(orders) == Set(0...3))
        // Safe models as expected give no result.
        #expect(resultsFor("Models/nosmt-flush.leak").isEmpty)
        // Mismatches are errors; the one without a finding sits on the expect line.
        let kick = resultsFor("Models/asi-kick.leak")
        #expect(kick.map { $0["level"] as? String }.sorted { ($0 ?? "") < ($1 ?? "") } == ["error", "note"])
        let asi = resultsFor("Models/asi.leak")
        #expect(Set(asi.compactMap { $0["ruleId"] as? String }) == ["expect", "undecided"])
        #expect(asi.allSatisfy { line($0) == 43 })
        // A model error is a result at the diagnostic; the path is percent-encoded.
        let bad = resultsFor("dir%20with%20space/bad%20%C3%A9.leak")
        #expect(!bad.isEmpty && bad.allSatisfy { $0["ruleId"] as? String == "model-error" })
        // The internal error makes the invocation unsuccessful.
        let invocation = try #require((run["invocations"] as? [[String: Any]])?.first)
        #expect(invocation["executionSuccessful"] as? Bool == false)
        #expect(((run["originalUriBaseIds"] as? [String: Any])?["SRCROOT"] as? [String: Any])?["uri"] as? String == "file:///repo/")
        // Absolute model paths become file URIs.
        #expect(resultsFor("Models/asi-nmi.leak").first.flatMap { r in
            (((r["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])?["artifactLocation"] as? [String: Any])?["uri"] as? String
        }?.hasPrefix("file:///") == true)
    }

    @Test func sarifColumnsCountCodePoints() {
        let file = SourceFile(path: "u.leak", text: "# é\nregion é_x public\n")
        // "é" is two bytes: byte column 8 of line 2 is code point column 8 ("region " is 7 ASCII bytes).
        #expect(SARIFReport.codePointPosition(file, 12) == (2, 8))
        // The byte after "é_x" (3 bytes + 1) is code point column 11.
        #expect(SARIFReport.codePointPosition(file, 16) == (2, 11))
    }

    // MARK: JUnit

    @Test func junitStructure() throws {
        let entries = try sarifEntries()
        let xml = JUnitReport().document(entries, timestamp: "2024-01-01T00:00:00Z")
        let expectedCases = entries.reduce(0) { n, e in
            switch e {
            case .checked(let r): n + r.model.checks.count
            case .internalError(let m, _): n + m.checks.count
            case .modelError: n + 1
            }
        }
        #if canImport(FoundationXML)
        let doc = try XMLDocument(data: Data(xml.utf8), options: [])
        let root = try #require(doc.rootElement())
        #expect(root.name == "testsuites")
        let suites = root.elements(forName: "testsuite")
        #expect(suites.count == 1)
        let suite = try #require(suites.first)
        let cases = suite.elements(forName: "testcase")
        #expect(cases.count == expectedCases)
        #expect(suite.attribute(forName: "tests")?.stringValue == String(expectedCases))
        let failures = cases.filter { !$0.elements(forName: "failure").isEmpty }
        let errors = cases.filter { !$0.elements(forName: "error").isEmpty }
        let skipped = cases.filter { !$0.elements(forName: "skipped").isEmpty }
        #expect(suite.attribute(forName: "failures")?.stringValue == String(failures.count))
        #expect(suite.attribute(forName: "errors")?.stringValue == String(errors.count))
        #expect(suite.attribute(forName: "skipped")?.stringValue == String(skipped.count))
        // asi-kick expecting safe: its corun case fails with the verdict and the schedule.
        let kickFailure = failures.first { $0.attribute(forName: "classname")?.stringValue?.hasSuffix("Models/asi-kick.leak") == true }
        let failure = try #require(kickFailure?.elements(forName: "failure").first)
        #expect(failure.attribute(forName: "message")?.stringValue?.contains("leak (corun) in 14 steps") == true)
        #expect(failure.stringValue?.contains("step  thread  action") == true)
        #expect(kickFailure?.attribute(forName: "name")?.stringValue == "corun")
        // The model error and the internal error are errors; the undecided asi (bounded, expect safe) too.
        #expect(errors.contains { $0.attribute(forName: "name")?.stringValue == "model" })
        #expect(errors.filter { $0.attribute(forName: "classname")?.stringValue?.hasSuffix("Models/asi.leak") == true }.count >= 3)
        // Passing cases of expected findings carry the schedule as output.
        let nmiCrash = cases.first { $0.attribute(forName: "classname")?.stringValue?.hasSuffix("Models/asi-nmi.leak") == true && $0.attribute(forName: "name")?.stringValue == "crash" }
        #expect(nmiCrash?.elements(forName: "system-out").first?.stringValue?.contains("crash in 3 steps") == true)
        #else
        // Without FoundationXML, check with Python's XML parser.
        let (status, output) = try #require(runPython("""
            import sys, xml.etree.ElementTree as ET
            root = ET.fromstring(sys.stdin.read())
            assert root.tag == 'testsuites'
            print(len(root.findall('testsuite/testcase')))
            """, stdin: Data(xml.utf8)))
        #expect(status == 0, "\(output)")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == String(expectedCases))
        #endif
    }

    @Test func junitCaseRules() throws {
        let junit = JUnitReport()
        // A finding the model expects: its check passes, the others were not examined (pass).
        let nmi = try report("asi-nmi.leak")
        #expect(junit.cases(.checked(nmi)).map { c -> Bool in if case .pass = c.result { true } else { false } } == [true, true, true])
        // The same finding when the model expects safe: the crash check fails, the others are skipped.
        var wrong = nmi
        wrong.model.expect = .init(verdict: .safe, span: nmi.model.expect!.span)
        let results = junit.cases(.checked(wrong)).map(\.result)
        #expect(results.filter { if case .skipped = $0 { true } else { false } }.count == 2)
        #expect(results.filter { if case .failure = $0 { true } else { false } }.count == 1)
        // A proof when the model expects a leak: the leak checks fail, crash passes.
        var safe = try report("asi.leak")
        safe.model.expect = .init(verdict: .leak, span: safe.model.expect!.span)
        let names = junit.cases(.checked(safe)).map { ($0.name, $0.result) }
        #expect(names.map(\.0) == ["corun", "residue l1d", "crash"])
        #expect(names.map { if case .failure = $0.1 { "fail" } else { "pass" } } == ["fail", "fail", "pass"])
    }

    /// Each check judged by its own answer: asi-kick expects leak and has two of its own
    /// (corun, residue l1d) and a proof for crash: all pass, each finding with its own schedule.
    /// The same answers when the model expects safe: both findings fail, the proof passes.
    @Test func junitJudgesEachCheckByItsOwnAnswer() throws {
        let junit = JUnitReport()
        let kick = try Self.eachCheckAnswered("asi-kick.leak")
        let cases = junit.cases(.checked(kick))
        #expect(cases.map(\.name) == ["corun", "residue l1d", "crash"])
        guard case .pass(let residueOutput?) = cases[1].result else {
            Issue.record("residue l1d: \(cases[1].result)")
            return
        }
        #expect(residueOutput.hasPrefix("leak (residue l1d) in "))
        #expect(residueOutput.contains("residue"))
        #expect(cases.allSatisfy { if case .pass = $0.result { true } else { false } })
        var wrong = kick
        wrong.model.expect = .init(verdict: .safe, span: kick.model.expect!.span)
        let results = junit.cases(.checked(wrong)).map { if case .failure = $0.result { "fail" } else if case .pass = $0.result { "pass" } else { "other" } }
        #expect(results == ["fail", "fail", "pass"])
    }

    @Test func xmlEscaping() {
        #expect(JUnitReport.escape("a<b>&\"c'\u{1}\n") == "a&lt;b&gt;&amp;&quot;c&apos;\n")
    }

    // MARK: HTML

    @Test func htmlForAFinding() throws {
        var r = try report("asi-kick.leak")
        r.model.title = "<script>alert(1)</script> & co"
        let html = HTMLReport().render(r)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "class=\"lane\"").count - 1 == 2)
        #expect(html.contains("id=\"finding-step\""))
        #expect(html.contains("id=\"schedule\""))
        #expect(html.contains("id=\"matrix\""))
        #expect(html.contains("class=\"buffer-lane\""))
        // Its kick reaches a sibling already in host mode and its releases drop no hold: no
        // arrow (an arrow is drawn only for a step that changed the sibling).
        #expect(html.components(separatedBy: "class=\"arrow ").count - 1 == 0)
        #expect(html.contains("tr id=\"row-14\" data-step=\"14\" class=\"finding\""))
        #expect(!html.contains("<script>alert(1)"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"))
        // Self-contained.
        for external in ["src=\"http", "href=\"http", "url(http", "@import", "<link"] { #expect(!html.contains(external)) }
    }

    @Test func htmlForAProof() throws {
        let r = try report("asi.leak")
        let explanation = try Explainer(checker: Checker(options: .init(engine: .explicit)), tryAdditions: false)
            .explain(r.model)
        let html = HTMLReport(explanation: explanation).render(r)
        #expect(html.contains("id=\"proof\""))
        #expect(html.contains("id=\"mitigations\""))
        #expect(html.contains("all 226 reachable states explored; interchangeable threads (t0, t1) in one order"))
        #expect(!html.contains("id=\"finding-step\""))
        #expect(html.contains("needed: leak (residue l1d)"))
    }
}
