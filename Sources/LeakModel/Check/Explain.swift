import Foundation

/// `leakcheck explain`: which mitigations of a model are load-bearing.
///
/// Every mitigation statement (`flush`, `hold`, `kick`, `wait`, `release`, `switch`,
/// `irqs off`) and every region a table lists explicitly in its `maps` clause is taken out in
/// turn, and the model is checked again with the same `Checker`. A mitigation is *needed* when
/// the model without it has a finding it did not have (or a shorter one); it is *not needed*
/// only when the model without it is proved safe, or has the same verdict as with it. When the
/// proof is only bounded, that is said ("no finding within N steps").
///
/// For a model with a finding, a small catalogue of single additions is tried as well: a
/// `flush` of each buffer at the end of `on vmentry`, `hold siblings` instead of each
/// `kick siblings`, `wait until siblings out of guest` at the start of `on vmentry`, and
/// unmapping each secret region from each table that maps it.
///
/// Every variant is made on the checked `Model` (statements removed from their block, regions
/// removed from a table's `maps` set); nothing is parsed again.
public struct Explainer: Sendable {
    public var checker: Checker
    /// Also try the catalogue of additions when the model has a finding.
    public var tryAdditions: Bool

    public init(checker: Checker = Checker(), tryAdditions: Bool = true) {
        self.checker = checker; self.tryAdditions = tryAdditions
    }

    // MARK: Edits

    /// A handler block of a model.
    public enum BlockKey: Hashable, Sendable {
        case vmexit, vmentry, fault
        case exit(Int)
        case interrupt(Int)
    }

    /// A statement inside a block: `indices` alternates statement index and `either` branch
    /// index (`[2]`: the third statement; `[2, 1, 0]`: the first statement of the second
    /// branch of the `either` that is the third statement).
    public struct StatementPath: Hashable, Sendable {
        public var block: BlockKey
        public var indices: [Int]
    }

    /// A change to a model.
    public enum Edit: Hashable, Sendable {
        case remove(StatementPath)
        case replace(StatementPath, with: Model.Statement.Kind)
        case insert(Model.Statement.Kind, in: BlockKey, atStart: Bool)
        /// Removes every copy of region declaration `regionDecl` from every copy of table
        /// declaration `tableDecl`.
        case unmap(tableDecl: Int, regionDecl: Int)
    }

    /// One variant of the model: what was changed, in words and where.
    public struct Candidate: Sendable {
        /// "flush", "hold", "kick", "wait", "release", "switch", "irqs off", "maps" (removals);
        /// "add flush", "hold for kick", "add wait", "unmap" (additions).
        public var kind: String
        /// The statement or change, e.g. `flush l1d (on vmentry)` or `restricted maps vcpu_state`.
        public var text: String
        public var span: SourceSpan?
        public var line: Int?
        public var edit: Edit
    }

    /// A candidate and what checking the variant gave.
    public struct Row: Sendable {
        public var candidate: Candidate
        public var report: Checker.Report?
        public var error: String?
        /// The judgement in words ("needed: leak (corun) in 6 steps without it").
        public var judgement: String
        /// "needed", "notNeeded", "unknown", "error" for removals; "fixes", "fixesBounded",
        /// "noFix", "unknown", "error" for additions.
        public var status: String
    }

    public struct Explanation: Sendable {
        public var baseline: Checker.Report
        /// Empty when the model as written is vacuous (nothing to weigh).
        public var removals: [Row]
        /// Empty unless the baseline has a finding and additions were asked for.
        public var additions: [Row]

        /// Whether the model as written is proved only because no guest ever runs.
        public var isVacuous: Bool { baseline.verdict == .vacuous }
    }

    // MARK: Running

    /// Checks the model, every removal and (for a finding) every addition. `progress` is told
    /// before each check: (index, total, what).
    public func explain(_ model: Model, progress: ((Int, Int, String) -> Void)? = nil) throws -> Explanation {
        var removals = Self.removals(model)
        progress?(0, removals.count + 1, "the model as written")
        let baseline = try checker.check(model)
        // A vacuous model (no guest ever runs) has nothing to weigh: without any mitigation
        // no guest runs either, and every removal would read "needed" for no reason.
        if baseline.verdict == .vacuous { removals = [] }
        let additions = tryAdditions && Self.hasFinding(baseline) ? Self.additions(model) : []
        let total = 1 + removals.count + additions.count
        var index = 1
        func run(_ c: Candidate, judge: (Checker.Report) -> (String, String)) -> Row {
            progress?(index, total, c.text)
            index += 1
            if checker.options.cancellation?.isCancelled == true {
                // Ctrl-C: the rest is not checked (each check would stop at once anyway).
                return Row(candidate: c, report: nil, error: nil, judgement: "not checked (interrupted)", status: "unknown")
            }
            do {
                let report = try checker.check(Self.apply(c.edit, to: model))
                let (status, text) = judge(report)
                return Row(candidate: c, report: report, error: nil, judgement: text, status: status)
            } catch {
                return Row(candidate: c, report: nil, error: "\(error)", judgement: "error: \(error)", status: "error")
            }
        }
        let removalRows = removals.map { c in run(c) { Self.judgeRemoval(baseline: baseline, variant: $0) } }
        let additionRows = additions.map { c in run(c) { Self.judgeAddition(baseline: baseline, variant: $0) } }
        return Explanation(baseline: baseline, removals: removalRows, additions: additionRows)
    }

    static func hasFinding(_ r: Checker.Report) -> Bool {
        if case .finding = r.outcome { return true }
        return false
    }

    /// "leak (corun) in 6 steps".
    static func findingPhrase(_ trace: Trace, _ model: Model) -> String {
        let kind = trace.finding.check.verdictKind.rawValue
        let detail: String
        switch trace.finding.check {
        case .corun: detail = " (corun)"
        case .residue(let b): detail = " (residue \(model.buffers[b].name))"
        case .crash, .deadlock: detail = ""
        }
        return "\(kind)\(detail) in \(trace.length) step\(trace.length == 1 ? "" : "s")"
    }

    /// Needed, or not, judged against the model as written.
    static func judgeRemoval(baseline: Checker.Report, variant: Checker.Report) -> (String, String) {
        switch variant.outcome {
        case .finding(let t):
            let phrase = findingPhrase(t, variant.model)
            guard case .finding(let b) = baseline.outcome else { return ("needed", "needed: \(phrase) without it") }
            // The same check fails either way: the statement does not decide the verdict (a
            // statement is a step, so taking one out may shorten the schedule).
            if b.finding.check == t.finding.check {
                if b.length == t.length { return ("notNeeded", "not needed (\(phrase) either way)") }
                let check = phrase.components(separatedBy: " in ").first ?? phrase
                return ("notNeeded", "not needed (\(check) either way: \(t.length) steps without it, \(b.length) with it)")
            }
            return ("needed", "needed: \(phrase) without it (\(findingPhrase(b, baseline.model)) with it)")
        case .proved:
            if variant.guestRuns == false { return ("needed", "needed: without it no guest ever runs (vacuous)") }
            return ("notNeeded", "not needed (proved safe without it)")
        case .noFindingWithin(let bound):
            return ("notNeeded", "not needed (no finding within \(bound) steps)")
        case .unknown(let reason, _):
            return ("unknown", "unknown without it: \(reason)")
        }
    }

    /// Whether an addition removes the finding.
    static func judgeAddition(baseline: Checker.Report, variant: Checker.Report) -> (String, String) {
        switch variant.outcome {
        case .finding(let t):
            let phrase = findingPhrase(t, variant.model)
            if case .finding(let b) = baseline.outcome, b.finding.check.verdictKind == t.finding.check.verdictKind {
                return ("noFix", "still \(phrase)")
            }
            return ("noFix", "\(phrase) instead")
        case .proved:
            if variant.guestRuns == false { return ("noFix", "no guest ever runs (vacuous)") }
            return ("fixes", "makes it safe (proved)")
        case .noFindingWithin(let bound):
            return ("fixesBounded", "no finding within \(bound) steps (not proved for longer schedules)")
        case .unknown(let reason, _):
            return ("unknown", "unknown: \(reason)")
        }
    }

    // MARK: Candidates

    static func blockName(_ key: BlockKey, _ model: Model) -> String {
        switch key {
        case .vmexit: "on vmexit"
        case .vmentry: "on vmentry"
        case .fault: "on fault"
        case .exit(let x): "exit \(model.exits[x].name)"
        case .interrupt(let i): "\(model.interrupts[i].kind.rawValue) \(model.interrupts[i].name)"
        }
    }

    static func blocks(_ model: Model) -> [(BlockKey, Model.Block)] {
        var out: [(BlockKey, Model.Block)] = [(.vmexit, model.onVMExit)]
        for (x, exit) in model.exits.enumerated() where !exit.implicit { out.append((.exit(x), exit.body)) }
        out.append((.vmentry, model.onVMEntry))
        if let fault = model.onFault { out.append((.fault, fault)) }
        for (i, interrupt) in model.interrupts.enumerated() { out.append((.interrupt(i), interrupt.body)) }
        return out
    }

    /// The mitigation kind of a statement, or nil for one that is not a mitigation.
    static func mitigationKind(_ kind: Model.Statement.Kind) -> String? {
        switch kind {
        case .flush: "flush"
        case .holdSiblings: "hold"
        case .kickSiblings: "kick"
        case .wait: "wait"
        case .releaseSiblings: "release"
        case .switchTable: "switch"
        case .irqs(on: false): "irqs off"
        case .irqs(on: true), .touch, .either: nil
        }
    }

    /// Every statement of every block with its path, depth first in source order.
    static func statements(_ model: Model) -> [(StatementPath, Model.Statement)] {
        var out: [(StatementPath, Model.Statement)] = []
        func walk(_ statements: [Model.Statement], _ key: BlockKey, _ prefix: [Int]) {
            for (i, s) in statements.enumerated() {
                out.append((StatementPath(block: key, indices: prefix + [i]), s))
                if case .either(let branches) = s.kind {
                    for (b, branch) in branches.enumerated() { walk(branch.statements, key, prefix + [i, b]) }
                }
            }
        }
        for (key, block) in blocks(model) { walk(block.statements, key, []) }
        return out
    }

    static func line(_ span: SourceSpan, _ model: Model) -> Int { model.file.position(of: span.start).line }

    /// The source text of a statement on one line: `SourceFile.statementText`.
    static func text(_ s: Model.Statement, _ model: Model) -> String {
        model.file.statementText(of: s.span)
    }

    /// The region declarations a table declaration lists (nil for `maps all`).
    public static func listedRegions(tableDecl d: Int, _ model: Model) -> [Int]? {
        let copies = model.tableDecls[d].copies.map { model.tables[$0].maps }
        if copies.allSatisfy({ maps in model.regions.indices.allSatisfy { maps.contains($0) } }) { return nil }
        return model.regionDecls.indices.filter { r in
            copies.allSatisfy { maps in model.regionDecls[r].copies.contains { maps.contains($0) } }
        }
    }

    /// Every mitigation to take out, in source order.
    public static func removals(_ model: Model) -> [Candidate] {
        var out: [Candidate] = []
        for (path, s) in statements(model) {
            guard let kind = mitigationKind(s.kind) else { continue }
            out.append(Candidate(kind: kind, text: "\(text(s, model)) (\(blockName(path.block, model)))",
                                 span: s.span, line: line(s.span, model), edit: .remove(path)))
        }
        for d in model.tableDecls.indices {
            guard let listed = listedRegions(tableDecl: d, model) else { continue }
            for r in listed {
                let name = model.regionDecls[r].name
                let span = FindingCause.wordSpan(name, afterDeclaration: model.tableDecls[d].span, in: model.file)
                    ?? model.tableDecls[d].span
                out.append(Candidate(kind: "maps", text: "table \(model.tableDecls[d].name) maps \(name)",
                                     span: span, line: line(span, model), edit: .unmap(tableDecl: d, regionDecl: r)))
            }
        }
        return out.sorted { ($0.span?.start ?? .max) < ($1.span?.start ?? .max) }
    }

    /// The catalogue of single additions for a model with a finding.
    public static func additions(_ model: Model) -> [Candidate] {
        var out: [Candidate] = []
        for (b, buffer) in model.buffers.enumerated() {
            out.append(Candidate(kind: "add flush", text: "flush \(buffer.name) at the end of on vmentry", span: nil, line: nil,
                                 edit: .insert(.flush(buffer: b), in: .vmentry, atStart: false)))
        }
        for (path, s) in statements(model) {
            if case .kickSiblings = s.kind {
                out.append(Candidate(kind: "hold for kick", text: "hold siblings instead of kick siblings (\(blockName(path.block, model)))",
                                     span: s.span, line: line(s.span, model), edit: .replace(path, with: .holdSiblings)))
            }
        }
        out.append(Candidate(kind: "add wait", text: "wait until siblings out of guest at the start of on vmentry", span: nil, line: nil,
                             edit: .insert(.wait(.outOfGuest), in: .vmentry, atStart: true)))
        for d in model.tableDecls.indices {
            let copies = model.tableDecls[d].copies
            for r in model.regionDecls.indices {
                let regionCopies = model.regionDecls[r].copies
                let secret = regionCopies.contains { c in model.guests.indices.contains { model.secret(to: $0).contains(c) } }
                let mapped = copies.contains { t in regionCopies.contains { model.tables[t].maps.contains($0) } }
                guard secret, mapped else { continue }
                let span = FindingCause.wordSpan(model.regionDecls[r].name, afterDeclaration: model.tableDecls[d].span, in: model.file)
                    ?? model.tableDecls[d].span
                out.append(Candidate(kind: "unmap", text: "unmap \(model.regionDecls[r].name) from \(model.tableDecls[d].name)",
                                     span: span, line: line(span, model), edit: .unmap(tableDecl: d, regionDecl: r)))
            }
        }
        return out
    }

    // MARK: Applying an edit

    public static func apply(_ edit: Edit, to model: Model) -> Model {
        var m = model
        switch edit {
        case .remove(let path):
            modify(&m, path.block) { block in editList(&block.statements, path.indices[...]) { list, i in list.remove(at: i) } }
        case .replace(let path, let kind):
            modify(&m, path.block) { block in editList(&block.statements, path.indices[...]) { list, i in list[i].kind = kind } }
        case .insert(let kind, let key, let atStart):
            modify(&m, key) { block in
                let s = Model.Statement(kind, span: .none)
                if atStart { block.statements.insert(s, at: 0) } else { block.statements.append(s) }
            }
        case .unmap(let d, let r):
            for t in m.tableDecls[d].copies {
                for c in m.regionDecls[r].copies { m.tables[t].maps.remove(c) }
            }
        }
        return m
    }

    private static func modify(_ m: inout Model, _ key: BlockKey, _ change: (inout Model.Block) -> Void) {
        switch key {
        case .vmexit: change(&m.onVMExit)
        case .vmentry: change(&m.onVMEntry)
        case .fault:
            var block = m.onFault ?? .empty
            change(&block)
            m.onFault = block
        case .exit(let x): change(&m.exits[x].body)
        case .interrupt(let i): change(&m.interrupts[i].body)
        }
    }

    /// Follows `indices` down through `either` branches and applies `change` to the list that
    /// holds the statement, with the statement's index in it.
    private static func editList(_ list: inout [Model.Statement], _ indices: ArraySlice<Int>,
                             _ change: (inout [Model.Statement], Int) -> Void) {
        let i = indices[indices.startIndex]
        if indices.count == 1 { change(&list, i); return }
        let b = indices[indices.startIndex + 1]
        guard case .either(var branches) = list[i].kind else { return }
        editList(&branches[b].statements, indices.dropFirst(2), change)
        list[i].kind = .either(branches)
    }
}

// MARK: - Rendering

extension Explainer.Explanation {
    /// The explanation as aligned text tables.
    public func renderText() -> String {
        let model = baseline.model
        var out = "\(ReportRenderer().headline(baseline))\n\n"
        if isVacuous {
            out += "the model is vacuous: no guest ever runs in it, so no mitigation protects anything and explain has nothing to weigh\n"
            out += "(make a guest run first: `leakcheck check` lists what some schedule reaches)\n"
            return out
        }
        out += "without each mitigation (checked with the same engines):\n\n"
        var rows: [[String]] = [["line", "statement", "without it"]]
        for r in removals {
            rows.append([r.candidate.line.map(String.init) ?? "", r.candidate.text, r.judgement])
        }
        if removals.isEmpty { rows.append(["", "(the model has no mitigation statements)", ""]) }
        out += TextTable.render(rows)
        if !additions.isEmpty {
            out += "\nsingle additions (for the \(baseline.outcome.verdictWord) above):\n\n"
            var rows: [[String]] = [["line", "change", "with it"]]
            for r in additions {
                rows.append([r.candidate.line.map(String.init) ?? "", r.candidate.text, r.judgement])
            }
            out += TextTable.render(rows)
            let fixes = additions.filter { $0.status == "fixes" || $0.status == "fixesBounded" }
            let unchecked = additions.filter { $0.status == "unknown" }.count
            out += "\n" + (fixes.isEmpty && unchecked > 0
                            ? "no single addition of those checked removes the finding (\(unchecked) undecided or not checked)"
                            : fixes.isEmpty ? "no single addition of the catalogue removes the finding"
                            : "\(fixes.count) of \(additions.count) single additions remove the finding") + "\n"
        }
        _ = model
        return out
    }

    /// The explanation as JSON (schema `leakcheck-explain/1`, see docs/OUTPUTS.md).
    public func json(tool: ToolInfo = ToolInfo()) -> JSONValue {
        func row(_ r: Explainer.Row) -> JSONValue {
            var m: [JSONValue.Member] = [
                .init("kind", .string(r.candidate.kind)),
                .init("text", .string(r.candidate.text)),
                .init("line", r.candidate.line.map { .int($0) } ?? .null),
                .init("status", .string(r.status)),
                .init("judgement", .string(r.judgement)),
            ]
            if let rep = r.report {
                m.append(.init("verdict", .string(rep.verdict.word)))
                m.append(.init("engine", .string(rep.engine)))
                if case .finding(let t) = rep.outcome {
                    m.append(.init("check", .string(JSONReport.checkName(t.finding.check, rep.model))))
                    m.append(.init("length", .int(t.length)))
                }
            }
            if let e = r.error { m.append(.init("error", .string(e))) }
            return .object(m)
        }
        return .obj([
            "schema": .string("leakcheck-explain/1"),
            "tool": .obj(["name": .string(tool.name), "version": .string(tool.version), "z3": .string(tool.z3Version)]),
            "file": .string(baseline.model.file.path),
            "sha256": .string(ContentHash.sha256(baseline.model.file.bytes)),
            "verdict": .string(baseline.verdict.word),
            "summary": .string(ReportRenderer().verdictPhrase(baseline)),
            "removals": .array(removals.map(row)),
            "additions": .array(additions.map(row)),
        ])
    }
}
