import Foundation
import LeakSemantics
import LeakSyntax
import LeakTrace

// MARK: - What one run checked

/// One model of a `leakcheck check` run, as the machine-readable reports (JSON, JUnit, SARIF)
/// see it: checked, refused by the frontend, or stopped by an internal error.
public enum RunEntry: Sendable {
    case checked(Checker.Report)
    /// The model has errors (or could not be read); `file` is nil when it could not be read.
    case modelError(path: String, file: SourceFile?, diagnostics: [Diagnostic])
    /// An engine failed (e.g. the engines disagree): a bug in leakcheck.
    case internalError(model: Model, message: String)

    /// The model file's path as the user named it.
    public var path: String {
        switch self {
        case .checked(let r): r.model.file.path
        case .modelError(let path, _, _): path
        case .internalError(let m, _): m.file.path
        }
    }

    /// The file's bytes, when it was read.
    public var file: SourceFile? {
        switch self {
        case .checked(let r): r.model.file
        case .modelError(_, let f, _): f
        case .internalError(let m, _): m.file
        }
    }

    /// What this model contributes to the exit status, as a word of the JSON schema.
    public var status: Status {
        switch self {
        case .checked(let r):
            switch r.expectation {
            case .met, .noExpectation: .asExpected
            case .mismatch, .unexpectedFinding: .mismatch
            case .undecided: .undecided
            }
        case .modelError: .modelError
        case .internalError: .internalError
        }
    }

    public enum Status: String, Sendable, CaseIterable {
        case asExpected, mismatch, undecided, modelError, internalError
    }
}

/// The versions a report names: leakcheck's and the linked Z3's.
public struct ToolInfo: Sendable {
    public var name: String
    public var version: String
    public var z3Version: String
    public init(name: String = "leakcheck", version: String = LeakModelVersion.string, z3Version: String = ToolInfo.defaultZ3Version) {
        self.name = name; self.version = version; self.z3Version = z3Version
    }
}

// MARK: - JSON values

/// A JSON value whose objects keep their keys in insertion order, so output is stable and
/// readable (Foundation's serializer either scrambles or sorts keys).
///
/// Kept rather than Foundation's `JSONEncoder` / `JSONSerialization` because the documents are a
/// contract (docs/JSON.md, docs/json-schema.json) written in a fixed key order that is not
/// sorted: on Linux both Foundation writers lose the order (`.sortedKeys` would reorder every
/// document), print `"key" : value`, and `JSONSerialization` writes a Swift `Bool` as `True`.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([Member])

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
        public init(_ key: String, _ value: JSONValue) { self.key = key; self.value = value }
    }

    /// An object from key/value pairs; `nil` values are left out.
    public static func obj(_ pairs: KeyValuePairs<String, JSONValue?>) -> JSONValue {
        .object(pairs.compactMap { k, v in v.map { Member(k, $0) } })
    }

    public static func str(_ s: String?) -> JSONValue? { s.map { .string($0) } }

    /// Pretty-printed with two-space indentation; short arrays of scalars stay on one line.
    public func rendered() -> String {
        var out = ""
        write(to: &out, indent: 0)
        return out + "\n"
    }

    /// On one line, no spaces.
    public func compact() -> String {
        var out = ""
        writeCompact(to: &out)
        return out
    }

    /// Nesting depth: 0 for a scalar.
    private var depth: Int {
        switch self {
        case .array(let items): 1 + (items.map(\.depth).max() ?? 0)
        case .object(let members): 1 + (members.map(\.value.depth).max() ?? 0)
        default: 0
        }
    }

    /// The value on one line with a space after each comma and colon.
    private func oneLine() -> String? {
        switch self {
        case .array(let items): "[" + items.map { $0.oneLine() ?? "" }.joined(separator: ", ") + "]"
        case .object(let members): "{" + members.map { Self.quote($0.key) + ": " + ($0.value.oneLine() ?? "") }.joined(separator: ", ") + "}"
        default: compact()
        }
    }

    private func write(to out: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1), close = String(repeating: "  ", count: indent)
        switch self {
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            if depth <= 2, let line = oneLine(), line.count <= 100 { out += line; return }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.write(to: &out, indent: indent + 1)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += close + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            if depth <= 2, let line = oneLine(), line.count <= 100 { out += line; return }
            out += "{\n"
            for (i, m) in members.enumerated() {
                out += pad + Self.quote(m.key) + ": "
                m.value.write(to: &out, indent: indent + 1)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += close + "}"
        default:
            writeCompact(to: &out)
        }
    }

    private func writeCompact(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? Self.number(d) : "null"
        case .string(let s): out += Self.quote(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.writeCompact(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { out += "," }
                out += Self.quote(m.key) + ":"
                m.value.writeCompact(to: &out)
            }
            out += "}"
        }
    }

    private static func number(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return "\(d)"  // the shortest text that reads back as d; "1e-05" is valid JSON
    }

    /// A JSON string literal.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x7F:
                out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

// MARK: - Source positions

extension SourceFile {
    /// A span as JSON: byte offset and length, 1-based line and column of its first byte, and
    /// line and column just past its end (columns count bytes).
    func json(_ span: SourceSpan) -> JSONValue {
        let start = position(of: span.start), end = position(of: span.end)
        return .obj([
            "line": .int(start.line), "column": .int(start.column),
            "endLine": .int(end.line), "endColumn": .int(end.column),
            "offset": .int(span.start), "length": .int(max(0, span.end - span.start)),
        ])
    }
}

// MARK: - The JSON report

/// `leakcheck check --format json`: the schema `leakcheck/1`, documented in docs/JSON.md and
/// checked by docs/json-schema.json. Traces follow the Informal Trace Format (ITF) of
/// Apalache and Quint: `#meta`, `vars`, and `states` each with `#meta.index`.
public struct JSONReport: Sendable {
    /// The schema identifier every document carries; bumped on an incompatible change.
    public static let schema = "leakcheck/1"

    public var tool: ToolInfo

    public init(tool: ToolInfo = ToolInfo()) { self.tool = tool }

    /// The whole document for a run.
    public func document(_ entries: [RunEntry]) -> JSONValue {
        var counts: [JSONValue.Member] = [.init("models", .int(entries.count))]
        for s in RunEntry.Status.allCases {
            counts.append(.init(s.rawValue, .int(entries.filter { $0.status == s }.count)))
        }
        return .obj([
            "schema": .string(Self.schema),
            "tool": .obj(["name": .string(tool.name), "version": .string(tool.version), "z3": .string(tool.z3Version)]),
            "models": .array(entries.map(entry)),
            "summary": .object(counts),
        ])
    }

    /// One model's object.
    public func entry(_ e: RunEntry) -> JSONValue {
        var m: [JSONValue.Member] = [.init("file", .string(e.path))]
        if let file = e.file { m.append(.init("sha256", .string(ContentHash.sha256(file.bytes)))) }
        m.append(.init("status", .string(e.status.rawValue)))
        switch e {
        case .checked(let r):
            m += checked(r)
        case .modelError(_, let file, let diagnostics):
            m.append(.init("diagnostics", .array(diagnostics.map { diagnostic($0, file) })))
        case .internalError(let model, let message):
            m.append(.init("title", model.title.map { .string($0) } ?? .null))
            m.append(.init("error", .string(message)))
        }
        return .object(m)
    }

    private func diagnostic(_ d: Diagnostic, _ file: SourceFile?) -> JSONValue {
        .obj([
            "severity": .string(d.severity.rawValue),
            "code": .string(d.code),
            "message": .string(d.message),
            "span": file.map { $0.json(d.span) },
            "help": JSONValue.str(d.help),
        ])
    }

    private func checked(_ r: Checker.Report) -> [JSONValue.Member] {
        let model = r.model
        var m: [JSONValue.Member] = [
            .init("title", model.title.map { .string($0) } ?? .null),
            .init("verdict", .string(r.verdict.word)),
            .init("summary", .string(ReportRenderer().verdictPhrase(r))),
            .init("expect", model.expect.map { .string($0.verdict.rawValue) } ?? .null),
            .init("expectation", .string(Self.word(r.expectation))),
            .init("engine", .string(r.engine)),
            .init("bound", .int(r.bound)),
            .init("seconds", .double((r.seconds * 1000).rounded() / 1000)),
            .init("checks", .array(model.checks.map { .string(Self.checkName($0, model)) })),
        ]
        m += outcome(r)
        // Each check's own answer; a model with one check has the verdict as its answer.
        let answers = r.perCheck.isEmpty && model.checks.count == 1 ? [r] : r.perCheck
        m.append(.init("perCheck", .array(answers.map { a in
            .object([
                .init("check", .string(Self.checkName(a.model.checks[0], model))),
                .init("verdict", .string(a.verdict.word)),
                .init("summary", .string(ReportRenderer().verdictPhrase(a))),
                .init("engine", .string(a.engine)),
                .init("seconds", .double((a.seconds * 1000).rounded() / 1000)),
            ] + outcome(a))
        })))
        if let coverage = r.coverage { m.append(.init("coverage", Self.coverage(coverage, model))) }
        return m
    }

    /// The finding and its trace, the proof, or how far the search got.
    private func outcome(_ r: Checker.Report) -> [JSONValue.Member] {
        switch r.outcome {
        case .finding(let trace):
            [.init("finding", finding(trace, r.model)), .init("trace", itf(trace, r))]
        case .proved(let proof):
            [.init("proof", .obj(["summary": .string(proof.summary), "vacuous": .bool(r.guestRuns == false)]))]
        case .noFindingWithin(let bound):
            [.init("searched", .obj(["bound": .int(bound)]))]
        case .unknown(let reason, let completed):
            [.init("unknown", .obj(["reason": .string(reason), "completedBound": completed.map { .int($0) } ?? .null]))]
        }
    }

    /// What some schedule reaches, and the statements that never run (W007).
    static func coverage(_ c: Coverage, _ model: Model) -> JSONValue {
        let dead: [JSONValue] = c.warnings(for: model).map { w in
            let (line, column) = model.file.position(of: w.span.start)
            return .obj(["line": .int(line), "column": .int(column), "message": .string(w.message)])
        }
        return .obj([
            "complete": .bool(c.complete),
            "states": .int(c.states),
            "guestRuns": .bool(c.guestRuns),
            "exits": .array(c.exits.sorted().map { .string(model.exits[$0].name) }),
            "interrupts": .array(c.interrupts.sorted().map { .string(model.interrupts[$0].name) }),
            "neverRuns": .array(dead),
        ])
    }

    static func word(_ e: Checker.ExpectationStatus) -> String {
        switch e {
        case .met: "met"
        case .mismatch: "mismatch"
        case .noExpectation: "noExpectation"
        case .unexpectedFinding: "unexpectedFinding"
        case .undecided: "undecided"
        }
    }

    /// "corun", "residue l1d", "crash", "deadlock".
    public static func checkName(_ c: Model.Check, _ model: Model) -> String { model.name(of: c) }

    // MARK: Finding

    func finding(_ trace: Trace, _ model: Model) -> JSONValue {
        let renderer = TraceRenderer(model: model)
        let t = { (i: Int) in JSONValue.string(model.threads[i].name) }
        var m: [JSONValue.Member] = [
            .init("kind", .string(trace.finding.check.verdictKind.rawValue)),
            .init("check", .string(Self.checkKind(trace.finding.check))),
            .init("length", .int(trace.length)),
        ]
        switch trace.finding {
        case .corun(let thread, let guest, let sibling, let region):
            m += [.init("thread", t(thread)), .init("guest", .string(model.guests[guest].name)),
                  .init("sibling", t(sibling)), .init("region", .string(model.regions[region].name)),
                  .init("owner", .string(Self.ownerName(region, model)))]
            let s = trace.final.threads[sibling]
            m.append(.init("exposure", s.inGuest
                ? .obj(["mode": .string("guest"), "guest": .string(model.guests[s.served].name)])
                : .obj(["mode": .string("host"), "table": .string(model.tables[s.table].name)])))
        case .residue(let thread, let guest, let buffer, let region):
            m += [.init("thread", t(thread)), .init("guest", .string(model.guests[guest].name)),
                  .init("core", .string(model.cores[model.threads[thread].core].name)),
                  .init("buffer", .string(model.buffers[buffer].name)), .init("region", .string(model.regions[region].name)),
                  .init("owner", .string(Self.ownerName(region, model)))]
        case .crash(let thread, let reason):
            m.append(.init("thread", t(thread)))
            let (word, q, region) = Self.crashParts(reason)
            m.append(.init("reason", .string(word)))
            m.append(.init("statement", .obj([
                "text": .string(renderer.statementText(q)),
                "block": .string(renderer.program.instructions[q].block.name(in: model)),
                "span": model.file.json(renderer.program.instructions[q].span),
            ])))
            if let region { m.append(.init("region", .string(model.regions[region].name))) }
        case .deadlock:
            break
        case .starvation(let thread):
            m.append(.init("thread", t(thread)))
        }
        if let l = trace.loopStart {
            // The loop of a lasso: steps loopStart+1 ... length repeat forever (ITF's "loop").
            m.append(.init("loopStart", .int(l)))
        }
        m.append(.init("explanation", .string(renderer.explain(trace))))
        let cause = FindingCause(model: model, program: renderer.program).locate(trace)
        m.append(.init("causes", .array(cause.map { c in
            .obj(["message": .string(c.message), "step": c.step.map { .int($0) }, "span": model.file.json(c.span)])
        })))
        return .object(m)
    }

    static func checkKind(_ c: Model.Check) -> String {
        switch c {
        case .corun: "corun"
        case .residue: "residue"
        case .crash: "crash"
        case .deadlock: "deadlock"
        case .progress: "progress"
        }
    }

    static func crashParts(_ r: CrashReason) -> (String, Int, Int?) {
        switch r {
        case .noFaultHandler(let q, let region): ("noFaultHandler", q, region)
        case .faultInFaultHandler(let q, let region): ("faultInFaultHandler", q, region)
        case .stillUnmapped(let q, let region): ("stillUnmapped", q, region)
        case .waitInNMI(let q): ("waitInNMI", q, nil)
        }
    }

    static func ownerName(_ r: Int, _ model: Model) -> String {
        switch model.regions[r].owner {
        case .public: "public"
        case .host(let h): model.hosts[h].name
        case .guest(let g): model.guests[g].name
        }
    }

    // MARK: Trace (ITF)

    /// The schedule in the Informal Trace Format: one state per step (the initial state is
    /// index 0); the action that led to a state is in that state's `#meta.action`.
    public func itf(_ trace: Trace, _ report: Checker.Report) -> JSONValue {
        let model = report.model
        let states = StateJSON(model: model)
        var out: [JSONValue] = [states.state(trace.initial, index: 0, action: nil)]
        for (k, step) in trace.steps.enumerated() {
            let before = trace.state(after: k)
            out.append(states.state(step.state, index: k + 1, action: states.action(step.action, before: before)))
        }
        // ITF's lasso: after the last state the trace goes on with states[loop]. The last state
        // equals the one after step l, so the loop is states l+1 ... last, each reached by its
        // own step.
        return .obj([
            "#meta": .obj([
                "format": .string("ITF"),
                "format-description": .string("https://apalache-mc.org/docs/adr/015adr-trace.html"),
                "source": .string(model.file.path),
                "description": .string("\(tool.name) \(tool.version): \(ReportRenderer().verdictPhrase(report))"),
            ]),
            "vars": .array((model.flags.isEmpty ? ["threads", "buffers"] : ["threads", "buffers", "flags"]).map { .string($0) }),
            "states": .array(out),
            "loop": trace.loopStart.map { .int($0 + 1) },
        ])
    }
}

/// A `SystemState` and an `Action` as JSON, with every index replaced by a name.
struct StateJSON {
    let model: Model
    let renderer: TraceRenderer
    var program: Program { renderer.program }

    init(model: Model) {
        self.model = model
        self.renderer = TraceRenderer(model: model)
    }

    func state(_ s: SystemState, index: Int, action: JSONValue?) -> JSONValue {
        var meta: [JSONValue.Member] = [.init("index", .int(index))]
        if let action { meta.append(.init("action", action)) }
        let threads = model.threads.indices.map { JSONValue.Member(model.threads[$0].name, thread(s, $0)) }
        let buffers = model.cores.indices.map { c in
            JSONValue.Member(model.cores[c].name, .object(model.buffers.indices.map { b in
                .init(model.buffers[b].name, set(s.buffers[c][b].map { model.regions[$0].name }))
            }))
        }
        var members: [JSONValue.Member] = [.init("#meta", .object(meta)), .init("threads", .object(threads)), .init("buffers", .object(buffers))]
        // Each flag's copies by owner (thread or core); absent from a model without flags, whose
        // traces keep their shape.
        if !model.flags.isEmpty {
            members.append(.init("flags", .object(model.flags.indices.map { f in
                JSONValue.Member(model.flags[f].name, .object((0..<model.flagCopies(f)).map { c in
                    .init(model.flags[f].scope == .thread ? model.threads[c].name : model.cores[c].name, .bool(s.flags[f][c]))
                }))
            })))
        }
        return .object(members)
    }

    func set(_ names: [String]) -> JSONValue { .obj(["#set": .array(names.map { .string($0) })]) }

    func heldBy(_ t: Int, _ s: SystemState) -> [Int] {
        model.siblings(of: t).filter { s.threads[$0].holds & (1 << UInt64(t)) != 0 }
    }

    func thread(_ s: SystemState, _ t: Int) -> JSONValue {
        let ts = s.threads[t]
        let holds = model.threads.indices.filter { ts.holds & (1 << UInt64($0)) != 0 }.map { model.threads[$0].name }
        let by = heldBy(t, s).map { model.threads[$0].name }
        var frames: [JSONValue] = [frame(ts.base, level: "base", extra: [])]
        if let irq = ts.irq { frames.append(frame(irq, level: "irq", extra: [])) }
        if let nmi = ts.nmi {
            frames.append(frame(nmi, level: "nmi", extra: [.init("savedInterrupts", .bool(ts.nmiSavedInterrupts))]))
        }
        var m: [JSONValue.Member] = [
            .init("core", .string(model.cores[model.threads[t].core].name)),
            .init("mode", .string(ts.inGuest ? "guest" : "host")),
            .init("guest", ts.served < model.guests.count ? .string(model.guests[ts.served].name) : .null),
            .init("table", .string(model.tables[ts.table].name)),
            .init("level", .string(["base", "irq", "nmi"][ts.activeLevel.rawValue])),
            .init("interrupts", .bool(ts.interruptsOn)),
            .init("held", .bool(!by.isEmpty)),
            .init("heldBy", set(by)),
            .init("holds", set(holds)),
            .init("kickPending", .bool(ts.kickPending)),
            .init("crashed", .bool(ts.crashed)),
        ]
        if let x = ts.exitReason { m.append(.init("exit", .string(model.exits[x].name))) }
        m.append(.init("frames", .array(frames)))
        return .object(m)
    }

    func frame(_ f: SystemState.Frame, level: String, extra: [JSONValue.Member]) -> JSONValue {
        var m: [JSONValue.Member] = [.init("level", .string(level))]
        switch f.position {
        case .guest: m.append(.init("position", .string("guest")))
        case .ready: m.append(.init("position", .string("ready")))
        case .idle: m.append(.init("position", .string("idle")))
        case .instruction(let q):
            m.append(.init("position", .string("statement")))
            m += statement(q)
        }
        if let r = f.faultReturn { m.append(.init("faultReturn", .obj(statementPairs(r)))) }
        if f.retry { m.append(.init("retry", .bool(true))) }
        return .object(m + extra)
    }

    func statementPairs(_ q: Int) -> KeyValuePairs<String, JSONValue?> {
        let ins = program.instructions[q]
        return ["statement": .string(renderer.statementText(q)),
                "block": .string(ins.block.name(in: model)),
                "span": model.file.json(ins.span)]
    }

    func statement(_ q: Int) -> [JSONValue.Member] {
        if case .object(let members) = JSONValue.obj(statementPairs(q)) { return members }
        return []
    }

    func action(_ a: Action, before: SystemState) -> JSONValue {
        var m: [JSONValue.Member] = [.init("thread", .string(model.threads[a.thread].name))]
        let served = before.threads[a.thread].served
        let guest = served < model.guests.count ? JSONValue.string(model.guests[served].name) : .null
        switch a {
        case .guestStep:
            m += [.init("kind", .string("guestStep")), .init("guest", guest)]
        case .exit(_, let x):
            m += [.init("kind", .string("exit")), .init("guest", guest), .init("exit", .string(model.exits[x].name))]
            if !model.exits[x].implicit { m.append(.init("span", model.file.json(model.exits[x].span))) }
        case .entry:
            m += [.init("kind", .string("entry")), .init("guest", guest)]
        case .interrupt(_, let i):
            let interrupt = model.interrupts[i]
            m += [.init("kind", .string("interrupt")), .init("interrupt", .string(interrupt.name)),
                  .init("interruptKind", .string(interrupt.kind.rawValue)), .init("span", model.file.json(interrupt.span))]
        case .statement(_, let q, let faultedAt):
            m.append(.init("kind", .string("statement")))
            m += statement(q)
            if let p = faultedAt { m.append(.init("pageFault", .obj(statementPairs(p)))) }
        case .crash(_, let q):
            m.append(.init("kind", .string("crash")))
            m += statement(q)
        case .idle:
            m.append(.init("kind", .string("idle")))
        case .schedule(_, let g):
            m += [.init("kind", .string("schedule")), .init("guest", .string(model.guests[g].name))]
        }
        m.insert(.init("text", .string(renderer.describe(a, before))), at: 2)
        return .object(m)
    }
}
