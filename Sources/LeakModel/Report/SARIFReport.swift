import Foundation
import LeakSemantics
import LeakSyntax
import LeakTrace

// MARK: - Where a finding comes from

/// The model statements that make a finding possible, for pointing an editor or a code
/// review at them (SARIF `locations`, JSON `causes`, the HTML report):
///
/// - corun: the `switch` by the exposed sibling that loaded the table it is exposed through
///   (or, if it never switched, that table's declaration; for a sibling running another guest,
///   that guest's declaration); then the table's declaration;
/// - residue: the statement whose step filled the buffer with the region for the last time;
/// - crash: the `touch` that faults, or the `wait` reached inside an `nmi` handler;
/// - deadlock: every `wait` a thread is stuck in.
public struct FindingCause: Sendable {
    public struct Cause: Sendable, Equatable {
        public var message: String
        public var span: SourceSpan
        /// The step of the schedule this statement ran in, if it ran.
        public var step: Int?
    }

    public let model: Model
    public let program: Program

    public init(model: Model, program: Program) { self.model = model; self.program = program }

    /// The causes, most important first (never empty).
    public func locate(_ trace: Trace) -> [Cause] {
        let name = { (t: Int) in self.model.threads[t].name }
        let renderer = TraceRenderer(model: model)
        switch trace.finding {
        case .corun(_, let g, let u, let r):
            let sib = trace.final.threads[u]
            let region = model.regions[r].name
            if sib.inGuest {
                let w = sib.served
                var text = "\(name(u)) runs \(model.guests[w].name), whose region \(region) is secret to \(model.guests[g].name)"
                if let k = lastStep(of: u, in: trace, where: { if case .entry = $0 { true } else { false } }) {
                    text += " (it entered at step \(k))"
                }
                return [Cause(message: text, span: model.guests[w].span, step: nil)]
            }
            let table = sib.table
            let decl = model.tableDecls[model.tables[table].decl]
            let declCause = Cause(message: "table \(model.tables[table].name) maps \(region), secret to \(model.guests[g].name)",
                                  span: mapsSpan(decl: model.tables[table].decl, region: r) ?? decl.span, step: nil)
            let k = lastStep(of: u, in: trace) { a in
                if case .statement(_, let q, _) = a, case .switchTable = self.program.instructions[q].op { return true }
                return false
            }
            if let k, trace.state(after: k).threads[u].table == table, case .statement(_, let q, _) = trace.steps[k - 1].action {
                return [Cause(message: "step \(k): \(name(u)) loads table \(model.tables[table].name), which maps \(region) (secret to \(model.guests[g].name))",
                              span: program.instructions[q].span, step: k), declCause]
            }
            return [Cause(message: "\(name(u)) has table \(model.tables[table].name) loaded, which maps \(region) (secret to \(model.guests[g].name))",
                          span: decl.span, step: nil), declCause]
        case .residue(let t, _, let b, let r):
            let c = model.threads[t].core
            var k = trace.length
            while k > 0, trace.state(after: k - 1).buffers[c][b].contains(r) { k -= 1 }
            guard k > 0 else {
                return [Cause(message: "\(model.buffers[b].name) holds \(model.regions[r].name)", span: model.buffers[b].span, step: nil)]
            }
            let action = trace.steps[k - 1].action
            let before = trace.state(after: k - 1)
            let prefix = "step \(k) (\(name(action.thread)): \(renderer.describe(action, before)))"
            let fills = "fills \(model.buffers[b].name) with \(model.regions[r].name)"
            var causes: [Cause] = []
            switch action {
            case .statement(_, let q, _):
                let how = model.buffers[b].fill == .mapped && !before.threads[action.thread].inGuest
                    ? " (table \(model.tables[before.threads[action.thread].table].name) maps it)" : ""
                causes.append(Cause(message: "\(prefix): \(fills)\(how)", span: program.instructions[q].span, step: k))
            case .interrupt(_, let i):
                causes.append(Cause(message: "\(prefix): \(fills)", span: model.interrupts[i].span, step: k))
            case .exit(_, let x) where !model.exits[x].implicit:
                causes.append(Cause(message: "\(prefix): \(fills)", span: model.exits[x].span, step: k))
            default:
                let served = before.threads[action.thread].served
                let span = served < model.guests.count ? model.guests[served].span : model.threads[action.thread].span
                causes.append(Cause(message: "\(prefix): \(fills)", span: span, step: k))
            }
            if model.buffers[b].fill == .mapped, !before.threads[action.thread].inGuest {
                let table = before.threads[action.thread].table
                let d = model.tables[table].decl
                causes.append(Cause(message: "table \(model.tables[table].name) maps \(model.regions[r].name)",
                                    span: mapsSpan(decl: d, region: r) ?? model.tableDecls[d].span, step: nil))
            }
            return causes
        case .crash(let t, let reason):
            let q: Int
            switch reason {
            case .noFaultHandler(let i, _), .faultInFaultHandler(let i, _), .stillUnmapped(let i, _), .waitInNMI(let i): q = i
            }
            var causes = [Cause(message: renderer.explain(trace), span: program.instructions[q].span, step: nil)]
            // The interrupt the thread is in, if any: where the handler that crashes started.
            let ts = trace.final.threads[t]
            if ts.nmi != nil || ts.irq != nil,
               let k = lastStep(of: t, in: trace, where: { if case .interrupt = $0 { true } else { false } }),
               case .interrupt(_, let i) = trace.steps[k - 1].action {
                let interrupt = model.interrupts[i]
                causes.append(Cause(message: "step \(k): \(interrupt.kind.rawValue) '\(interrupt.name)' starts on \(name(t))",
                                    span: interrupt.span, step: k))
            }
            return causes
        case .deadlock:
            var causes: [Cause] = []
            for t in model.threads.indices {
                let ts = trace.final.threads[t]
                if case .instruction(let q) = ts.frame(ts.activeLevel)!.position {
                    causes.append(Cause(message: "\(name(t)) waits at \(renderer.statementText(q)) forever", span: program.instructions[q].span, step: nil))
                }
            }
            if causes.isEmpty {
                causes.append(Cause(message: renderer.explain(trace), span: model.threads[0].span, step: nil))
            }
            return causes
        case .starvation(let t):
            // What keeps the thread out of its guest in the loop: the holds on it, or the
            // wait it is in; then the loop itself.
            let s = trace.final
            var causes: [Cause] = []
            for u in model.siblings(of: t) where s.threads[u].holds & (1 << UInt64(t)) != 0 {
                if let k = lastStep(of: u, in: trace, where: { a in
                    if case .statement(_, let q, _) = a, case .holdSiblings = self.program.instructions[q].op { return true }
                    return false
                }), case .statement(_, let q, _) = trace.steps[k - 1].action {
                    causes.append(Cause(message: "step \(k): \(name(u)) holds its siblings, and \(name(t)) is still held in the loop",
                                        span: program.instructions[q].span, step: k))
                }
            }
            let ts = s.threads[t]
            if case .instruction(let q) = ts.frame(ts.activeLevel)!.position {
                causes.append(Cause(message: "\(name(t)) is at \(renderer.statementText(q)) when the loop starts",
                                    span: program.instructions[q].span, step: nil))
            }
            causes.append(Cause(message: renderer.explain(trace), span: model.threads[t].span, step: nil))
            return causes
        }
    }

    /// The last step (1-based) of thread `t` whose action satisfies `match`.
    private func lastStep(of t: Int, in trace: Trace, where match: (Action) -> Bool) -> Int? {
        var k = trace.length
        while k > 0 {
            let a = trace.steps[k - 1].action
            if a.thread == t, match(a) { return k }
            k -= 1
        }
        return nil
    }

    /// The name of region `r`'s declaration inside the `maps` list of table declaration `d`,
    /// found in the source text after the table's name (a list may continue over lines that
    /// end with a comma). Nil for `maps all` or when not found.
    func mapsSpan(decl d: Int, region r: Int) -> SourceSpan? {
        let regionName = model.regionDecls[model.regions[r].decl].name
        return Self.wordSpan(regionName, afterDeclaration: model.tableDecls[d].span, in: model.file)
    }

    /// The span of the whole word `word` in the declaration whose name is at `nameSpan`
    /// (`SourceFile.wordSpan`).
    static func wordSpan(_ word: String, afterDeclaration nameSpan: SourceSpan, in file: SourceFile) -> SourceSpan? {
        file.wordSpan(word, afterDeclaration: nameSpan)
    }
}

// MARK: - SARIF

/// `leakcheck check --format sarif`: a SARIF 2.1.0 log with one run. Each model with a finding
/// gives one result for the finding's check, and one for each other check with a finding of
/// its own when each check was answered (`Checker.Report.perCheck`), each located at the statement that makes it possible
/// (see `FindingCause`), with the schedule as a code flow (one thread flow per hardware
/// thread). A finding the model expects is reported with an in-source suppression (the
/// `expect` line); a verdict that differs from `expect` without a finding, or that could not
/// be decided, is a result at the `expect` line. Model errors are results at the diagnostic.
public struct SARIFReport: Sendable {
    public var tool: ToolInfo
    /// The directory relative paths are relative to (a file URL ending in '/').
    public var baseDirectory: URL

    public init(tool: ToolInfo = ToolInfo(),
                baseDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)) {
        self.tool = tool; self.baseDirectory = baseDirectory
    }

    public static let schemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

    struct Rule {
        var id: String, name: String, short: String, full: String
    }

    static let rules: [Rule] = [
        Rule(id: "corun", name: "SiblingExposure",
             short: "A guest runs while a sibling hyperthread is exposed to data secret to it.",
             full: "check corun: a thread runs guest V while a sibling thread of its core has a page table loaded that maps a region secret to V (or runs another guest whose regions are secret to V). Speculation on the sibling can pull that data into core-shared buffers while V runs."),
        Rule(id: "residue", name: "BufferResidue",
             short: "A guest runs while a core-shared buffer holds data secret to it.",
             full: "check residue B: a thread runs guest V while buffer B of its core holds a region secret to V (L1TF/MDS-style residue)."),
        Rule(id: "crash", name: "IsolationCrash",
             short: "The isolation code would crash: an unhandled page fault or a wait inside an NMI handler.",
             full: "check crash: a touch faults with no on fault block, faults inside on fault, is still unmapped after on fault, or a wait is reached inside an nmi handler."),
        Rule(id: "deadlock", name: "Deadlock",
             short: "A reachable state where no thread can move.",
             full: "check deadlock: every thread is blocked (in a wait, or held before VM entry)."),
        Rule(id: "progress", name: "Starvation",
             short: "A fair loop in which some thread never runs its guest.",
             full: "check progress: a schedule that ends in a loop repeated forever, in which no interrupt handler starts and every thread that can move steps, while some thread (held, or blocked in a wait) never runs its guest (DESIGN.md 6.2)."),
        Rule(id: "expect", name: "VerdictMismatch",
             short: "The verdict differs from the model's expect line.",
             full: "The model states the verdict it expects; leakcheck established a different one."),
        Rule(id: "undecided", name: "Undecided",
             short: "The verdict the model expects could not be established.",
             full: "The engines gave up (time or state limit), or a safe verdict was only shown up to the bound."),
        Rule(id: "model-error", name: "ModelError",
             short: "The model file has errors and was not checked.",
             full: "Syntax, name or type errors in the model; see docs/LANGUAGE.md for every diagnostic code."),
    ]

    static func ruleIndex(_ id: String) -> Int { rules.firstIndex { $0.id == id }! }

    public func document(_ entries: [RunEntry]) -> JSONValue {
        var artifacts: [JSONValue] = []
        var artifactIndex: [String: Int] = [:]
        for e in entries where artifactIndex[e.path] == nil {
            artifactIndex[e.path] = artifacts.count
            var m: [JSONValue.Member] = [.init("location", artifactLocation(e.path, index: nil))]
            if let f = e.file {
                m.append(.init("length", .int(f.bytes.count)))
                m.append(.init("hashes", .obj(["sha-256": .string(ContentHash.sha256(f.bytes))])))
            }
            m.append(.init("roles", .array([.string("analysisTarget")])))
            artifacts.append(.object(m))
        }
        var results: [JSONValue] = []
        var notifications: [JSONValue] = []
        for e in entries {
            let index = artifactIndex[e.path]!
            switch e {
            case .checked(let r): results += self.results(r, artifact: index)
            case .modelError(let path, let file, let diagnostics):
                for d in diagnostics where d.severity == .error {
                    results.append(.obj([
                        "ruleId": .string("model-error"), "ruleIndex": .int(Self.ruleIndex("model-error")),
                        "kind": .string("fail"), "level": .string("error"),
                        "message": .obj(["text": .string("error[\(d.code)]: \(d.message)" + (d.help.map { "; help: \($0)" } ?? ""))]),
                        "locations": .array([location(path, file, d.span, message: nil, artifact: index)]),
                    ]))
                }
            case .internalError(let model, let message):
                notifications.append(.obj([
                    "level": .string("error"),
                    "message": .obj(["text": .string("\(model.file.path): internal error: \(message)")]),
                ]))
            }
        }
        var invocation: [JSONValue.Member] = [.init("executionSuccessful", .bool(notifications.isEmpty))]
        if !notifications.isEmpty { invocation.append(.init("toolExecutionNotifications", .array(notifications))) }
        return .obj([
            "$schema": .string(Self.schemaURI),
            "version": .string("2.1.0"),
            "runs": .array([.obj([
                "tool": .obj(["driver": .obj([
                    "name": .string(tool.name),
                    "version": .string(tool.version),
                    "semanticVersion": .string(tool.version),
                    "rules": .array(Self.rules.map { rule in
                        .obj([
                            "id": .string(rule.id), "name": .string(rule.name),
                            "shortDescription": .obj(["text": .string(rule.short)]),
                            "fullDescription": .obj(["text": .string(rule.full)]),
                            "defaultConfiguration": .obj(["level": .string(rule.id == "undecided" ? "warning" : "error")]),
                        ])
                    }),
                ])]),
                "invocations": .array([.object(invocation)]),
                "originalUriBaseIds": .obj(["SRCROOT": .obj(["uri": .string(baseDirectory.absoluteString)])]),
                "artifacts": .array(artifacts),
                "results": .array(results),
                "columnKind": .string("unicodeCodePoints"),
                "properties": .obj(["z3Version": .string(tool.z3Version)]),
            ])]),
        ])
    }

    // MARK: Results

    func results(_ r: Checker.Report, artifact: Int) -> [JSONValue] {
        let model = r.model
        let file = model.file
        let phrase = ReportRenderer().verdictPhrase(r)
        let expectation = ReportRenderer().expectationPhrase(r)
        let properties = JSONValue.obj([
            "model": JSONValue.str(model.title),
            "verdict": .string(r.verdict.word),
            "expect": JSONValue.str(model.expect?.verdict.rawValue),
            "expectation": .string(JSONReport.word(r.expectation)),
            "engine": .string(r.engine), "bound": .int(r.bound),
        ])
        let expectLocation = model.expect.map { location(file.path, file, $0.span, message: "expect \($0.verdict.rawValue)", artifact: artifact) }
        /// A result for one finding: the verdict's, or another check's own (`perCheck`).
        func findingResult(_ trace: Trace, phrase: String) -> JSONValue {
            let program = Program(model)
            let causes = FindingCause(model: model, program: program).locate(trace)
            let ruleId = JSONReport.checkKind(trace.finding.check)
            let explanation = TraceRenderer(model: model).explain(trace)
            var m: [JSONValue.Member] = [
                .init("ruleId", .string(ruleId)), .init("ruleIndex", .int(Self.ruleIndex(ruleId))),
                .init("kind", .string("fail")),
                .init("level", .string(r.expectation == .met ? "note" : "error")),
                .init("message", .obj(["text": .string("\(phrase): \(explanation) [\(expectation)]")])),
                .init("locations", .array([location(file.path, file, causes[0].span, message: causes[0].message, artifact: artifact)])),
            ]
            if causes.count > 1 {
                m.append(.init("relatedLocations", .array(causes.dropFirst().enumerated().map { i, c in
                    withId(location(file.path, file, c.span, message: c.message, artifact: artifact), i + 1)
                })))
            }
            m.append(.init("codeFlows", .array([codeFlow(trace, model, program, causes, artifact: artifact)])))
            m.append(.init("partialFingerprints", .obj([
                "leakcheckFinding/v1": .string(String(ContentHash.sha256(Array("\(fingerprintPath(file.path))|\(JSONReport.checkName(trace.finding.check, model))|\(trace.finding)".utf8)).prefix(32))),
            ])))
            if r.expectation == .met, let e = model.expect {
                m.append(.init("suppressions", .array([.obj([
                    "kind": .string("inSource"), "status": .string("accepted"),
                    "justification": .string("the model expects \(e.verdict.rawValue) (line \(file.position(of: e.span.start).line))"),
                    "location": expectLocation,
                ])])))
            }
            m.append(.init("properties", properties))
            return .object(m)
        }
        switch r.outcome {
        case .finding(let trace):
            // The verdict's finding, then each other check's own shortest finding.
            let others = r.perCheck.filter { ReportRenderer.checkedAlone($0, of: r) }.compactMap { a -> JSONValue? in
                guard case .finding(let t) = a.outcome else { return nil }
                return findingResult(t, phrase: ReportRenderer().verdictPhrase(a))
            }
            return [findingResult(trace, phrase: phrase)] + others
        case .proved, .noFindingWithin, .unknown:
            let ruleId: String
            switch r.expectation {
            case .met, .noExpectation: return []
            case .mismatch, .unexpectedFinding: ruleId = "expect"
            case .undecided: ruleId = "undecided"
            }
            let loc = expectLocation ?? .obj(["physicalLocation": .obj(["artifactLocation": artifactLocation(file.path, index: artifact)])])
            return [.obj([
                "ruleId": .string(ruleId), "ruleIndex": .int(Self.ruleIndex(ruleId)),
                "kind": .string(ruleId == "undecided" ? "open" : "fail"),
                "level": .string(ruleId == "undecided" ? "warning" : "error"),
                "message": .obj(["text": .string("\(phrase) [\(expectation)]")]),
                "locations": .array([loc]),
                "properties": properties,
            ])]
        }
    }

    private func withId(_ location: JSONValue, _ id: Int) -> JSONValue {
        guard case .object(let members) = location else { return location }
        return .object([.init("id", .int(id))] + members)
    }

    /// The schedule: one thread flow per thread, each starting with the thread's initial state;
    /// `executionOrder` is the step number, so a viewer can interleave them.
    func codeFlow(_ trace: Trace, _ model: Model, _ program: Program, _ causes: [FindingCause.Cause], artifact: Int) -> JSONValue {
        let renderer = TraceRenderer(model: model)
        let file = model.file
        let causeSteps = Set(causes.compactMap(\.step))
        var flows: [[JSONValue]] = model.threads.indices.map { t in
            [.obj([
                "location": .obj(["message": .obj(["text": .string("initial state: \(renderer.cell(trace.initial, t))")])]),
                "state": stateBag(trace.initial, t, model, renderer),
                "executionOrder": .int(0),
                "importance": .string("unimportant"),
            ])]
        }
        for (k, step) in trace.steps.enumerated() {
            let before = trace.state(after: k)
            let t = step.action.thread
            var text = "step \(k + 1): \(renderer.describe(step.action, before))"
            var span: SourceSpan? = nil
            var kinds: [String] = []
            switch step.action {
            case .statement(_, let q, let faultedAt):
                span = program.instructions[q].span
                if faultedAt != nil { kinds.append("handler") }
            case .crash(_, let q):
                span = program.instructions[q].span
                kinds.append("exception")
            case .interrupt(_, let i): span = model.interrupts[i].span; kinds.append("call")
            case .exit(_, let x): if !model.exits[x].implicit { span = model.exits[x].span }; kinds.append("exit")
            case .entry: kinds.append("enter")
            case .guestStep, .idle, .schedule: break
            }
            // A lasso's loop: SARIF has no loop, so its steps say so ("loop" is a kind of our own).
            if trace.isInLoop(step: k + 1) {
                kinds.append("loop")
                if k == trace.loopStart { text += " (the loop starts: \(Trace.loopSteps(k, trace.length)))" }
            }
            if k + 1 == trace.length { text += " — \(renderer.explain(trace))" }
            var loc: [JSONValue.Member] = []
            if let span {
                if case .object(let members) = location(file.path, file, span, message: text, artifact: artifact) { loc = members }
            } else {
                loc = [.init("message", .obj(["text": .string(text)]))]
            }
            let ts = before.threads[t]
            let level = ts.nmi != nil ? 2 : ts.irq != nil ? 1 : 0
            var m: [JSONValue.Member] = [.init("location", .object(loc))]
            if !kinds.isEmpty { m.append(.init("kinds", .array(kinds.map { .string($0) }))) }
            m += [
                .init("state", stateBag(step.state, t, model, renderer)),
                .init("nestingLevel", .int(level)),
                .init("executionOrder", .int(k + 1)),
                .init("importance", .string(causeSteps.contains(k + 1) || k + 1 == trace.length ? "essential" : "important")),
            ]
            flows[t].append(.object(m))
        }
        return .obj([
            "message": .obj(["text": .string("the schedule, \(trace.length) step\(trace.length == 1 ? "" : "s"), interleaved by executionOrder"
                                             + (trace.loopStart.map { "; \(Trace.loopSteps($0, trace.length))" } ?? ""))]),
            "threadFlows": .array(model.threads.indices.map { t in
                .obj(["id": .string(model.threads[t].name),
                      "message": .obj(["text": .string("thread \(model.threads[t].name) of core \(model.cores[model.threads[t].core].name)")]),
                      "locations": .array(flows[t])])
            }),
        ])
    }

    private func stateBag(_ s: SystemState, _ t: Int, _ model: Model, _ renderer: TraceRenderer) -> JSONValue {
        var m: [JSONValue.Member] = [.init(model.threads[t].name, .obj(["text": .string(renderer.cell(s, t))]))]
        let c = model.threads[t].core
        for (b, buffer) in model.buffers.enumerated() {
            let content = s.buffers[c][b].map { model.regions[$0].name }
            m.append(.init(buffer.name, .obj(["text": .string(content.isEmpty ? "empty" : content.joined(separator: " "))])))
        }
        for f in model.flags.indices {
            let copy = model.flagCopy(f, thread: t)
            m.append(.init(model.flagCopyName(f, copy: copy), .obj(["text": .string(s.flags[f][copy] ? "set" : "clear")])))
        }
        return .object(m)
    }

    // MARK: Locations

    /// The path that goes into `partialFingerprints`: the file's real path relative to the
    /// root of the repository holding it (the nearest folder up with a `.git`), else relative
    /// to `baseDirectory` when the file is inside it, else the real absolute path. So
    /// `./Models/x.leak`, `Models/x.leak`, an absolute path or a run from another folder of
    /// the repository all give the same fingerprint.
    func fingerprintPath(_ path: String) -> String {
        let base = baseDirectory.resolvingSymlinksInPath().standardizedFileURL
        let file = URL(fileURLWithPath: path, relativeTo: base).standardizedFileURL.resolvingSymlinksInPath()
        let components = file.pathComponents
        var folder = file.deletingLastPathComponent()
        while folder.pathComponents.count > 1 {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent(".git").path) {
                return components.dropFirst(folder.pathComponents.count).joined(separator: "/")
            }
            folder = folder.deletingLastPathComponent()
        }
        let baseComponents = base.pathComponents
        if components.count > baseComponents.count, Array(components.prefix(baseComponents.count)) == baseComponents {
            return components.dropFirst(baseComponents.count).joined(separator: "/")
        }
        return file.path
    }

    func artifactLocation(_ path: String, index: Int?) -> JSONValue {
        var m: [JSONValue.Member]
        if path.hasPrefix("/") {
            m = [.init("uri", .string(URL(fileURLWithPath: path).absoluteString))]
        } else {
            let encoded = path.split(separator: "/", omittingEmptySubsequences: false).map {
                String($0).addingPercentEncoding(withAllowedCharacters: Self.pathAllowed) ?? String($0)
            }.joined(separator: "/")
            m = [.init("uri", .string(encoded)), .init("uriBaseId", .string("SRCROOT"))]
        }
        if let index { m.append(.init("index", .int(index))) }
        return .object(m)
    }

    private static let pathAllowed: CharacterSet = {
        var s = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        s.insert(charactersIn: "-._~!$&'()*+,;=:@")
        return s
    }()

    func location(_ path: String, _ file: SourceFile?, _ span: SourceSpan, message: String?, artifact: Int) -> JSONValue {
        var physical: [JSONValue.Member] = [.init("artifactLocation", artifactLocation(path, index: artifact))]
        if let file, span != .none || file.bytes.isEmpty == false {
            physical.append(.init("region", region(file, span)))
        }
        return .obj([
            "physicalLocation": .object(physical),
            "message": message.map { .obj(["text": .string($0)]) },
        ])
    }

    /// A SARIF region: lines and columns in Unicode code points (`columnKind`), and bytes.
    func region(_ file: SourceFile, _ span: SourceSpan) -> JSONValue {
        let (l1, c1) = Self.codePointPosition(file, span.start)
        let (l2, c2) = Self.codePointPosition(file, span.end)
        return .obj([
            "startLine": .int(l1), "startColumn": .int(c1), "endLine": .int(l2), "endColumn": .int(c2),
            "byteOffset": .int(span.start), "byteLength": .int(max(0, span.end - span.start)),
            "snippet": span.end > span.start ? .obj(["text": .string(file.text(of: span))]) : nil,
        ])
    }

    static func codePointPosition(_ file: SourceFile, _ offset: Int) -> (Int, Int) {
        let (line, byteColumn) = file.position(of: offset)
        let start = file.lineStarts[line - 1]
        let prefix = file.bytes[start..<min(file.bytes.count, start + byteColumn - 1)]
        let count = String(decoding: prefix, as: UTF8.self).unicodeScalars.count
        return (line, count + 1)
    }
}
