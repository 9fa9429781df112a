import Foundation
import LeakSemantics
import LeakSyntax
import LeakTrace

extension Explainer {
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
    static func findingPhrase(_ trace: Trace, _ model: Model) -> String { trace.phrase(in: model) }

    /// Needed, or not, judged against the model as written.
    /// Whether a statement is needed: for the verdict, or for some check's own answer (when
    /// both runs answered each check) — a mitigation that guards only the residue check is
    /// needed even when the model leaks by corun either way.
    static func judgeRemoval(baseline: Checker.Report, variant: Checker.Report) -> (String, String) {
        let overall = judgeVerdictRemoval(baseline: baseline, variant: variant)
        guard !baseline.perCheck.isEmpty, variant.perCheck.count == baseline.perCheck.count else { return overall }
        let perCheck = zip(baseline.perCheck, variant.perCheck).map { judgeVerdictRemoval(baseline: $0, variant: $1) }
        // The verdict's reason, then those only a check's own answer gives ("check residue l1d:
        // leak ... without it (safe with it)"); the verdict's own finding is not said twice.
        let prefix = "needed: "
        var reasons = overall.0 == "needed" ? [String(overall.1.dropFirst(overall.1.hasPrefix(prefix) ? prefix.count : 0))] : []
        for (i, (status, text)) in perCheck.enumerated() where status == "needed" {
            if overall.0 == "needed", sameOutcome(variant.perCheck[i].outcome, variant.outcome) { continue }
            let reason = String(text.dropFirst(text.hasPrefix(prefix) ? prefix.count : 0))
            let with = baseline.perCheck[i].verdict.word
            reasons.append("check \(variant.model.name(of: variant.model.checks[i])): \(reason)\(reason.hasSuffix(")") ? "" : " (\(with) with it)")")
        }
        if !reasons.isEmpty { return ("needed", prefix + reasons.joined(separator: "; ")) }
        if overall.0 == "notNeeded", let unknown = perCheck.first(where: { $0.0 == "unknown" }) { return unknown }
        return overall
    }

    /// Whether two outcomes are the same finding (check and length), or both vacuous proofs.
    private static func sameOutcome(_ a: Outcome, _ b: Outcome) -> Bool {
        switch (a, b) {
        case (.finding(let x), .finding(let y)): x.finding.check == y.finding.check && x.length == y.length
        case (.proved, .proved): true
        default: false
        }
    }

    /// Whether a statement is needed for one report's verdict.
    static func judgeVerdictRemoval(baseline: Checker.Report, variant: Checker.Report) -> (String, String) {
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

    /// Every statement of every block with its path, depth first in source order.
    static func statements(_ model: Model) -> [(StatementPath, Model.Statement)] {
        var out: [(StatementPath, Model.Statement)] = []
        func walk(_ statements: [Model.Statement], _ key: BlockKey, _ prefix: [Int]) {
            for (i, s) in statements.enumerated() {
                out.append((StatementPath(block: key, indices: prefix + [i]), s))
                for (b, branch) in s.kind.branches.enumerated() { walk(branch.statements, key, prefix + [i, b]) }
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

    /// Every mitigation to take out, in source order.
    public static func removals(_ model: Model) -> [Candidate] {
        var out: [Candidate] = []
        for (path, s) in statements(model) {
            guard let kind = s.kind.mitigation else { continue }
            out.append(Candidate(kind: kind, text: "\(text(s, model)) (\(blockName(path.block, model)))",
                                 span: s.span, line: line(s.span, model), edit: .remove(path)))
        }
        for d in model.tableDecls.indices {
            guard let listed = model.listedRegions(tableDecl: d) else { continue }
            for r in listed {
                let name = model.regionDecls[r].name
                let span = model.file.wordSpan(name, afterDeclaration: model.tableDecls[d].span)
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
                let span = model.file.wordSpan(model.regionDecls[r].name, afterDeclaration: model.tableDecls[d].span)
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
        var k = -1
        list[i].kind = list[i].kind.mappingBranches { branch in
            k += 1
            guard k == b else { return branch }
            var edited = branch
            editList(&edited.statements, indices.dropFirst(2), change)
            return edited
        }
    }
}
