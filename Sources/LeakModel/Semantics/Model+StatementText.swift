extension Model {
    /// The resolved form of a statement: "switch restricted[*]", "wait until siblings not in
    /// kernel" (the model summary). A schedule quotes a statement by its source text instead
    /// (`SourceFile.statementText`).
    ///
    /// This file is the one place a new statement kind gives its words: this form, the few
    /// words of a timeline lane and the kind of mitigation it is.
    public func text(of kind: Statement.Kind) -> String {
        switch kind {
        case .touch(let refs):
            return "touch " + refs.map { ref in
                switch ref {
                case .region(let r): regions[r].name
                case .perGuest(let d): regionDecls[d].name + "[*]"
                }
            }.joined(separator: ", ")
        case .switchTable(.table(let t)): return "switch \(tables[t].name)"
        case .switchTable(.perGuest(let d)): return "switch \(tableDecls[d].name)[*]"
        case .kickSiblings: return "kick siblings"
        case .holdSiblings: return "hold siblings"
        case .releaseSiblings: return "release siblings"
        case .idle: return "idle"
        case .wait(.outOfGuest): return "wait until siblings out of guest"
        case .wait(.notIn(let d)): return "wait until siblings not in \(waitedTable(d))"
        case .wait(.in(let d)): return "wait until siblings in \(waitedTable(d))"
        case .flush(let b): return "flush \(buffers[b].name)"
        case .irqs(let on): return on ? "irqs on" : "irqs off"
        case .setFlag(let f, let value): return "\(value ? "set" : "clear") \(flags[f].name)"
        case .either(let branches): return "either " + branches.map(text(of:)).joined(separator: " or ")
        case .ifFlag(let f, let value, let then, let otherwise):
            return "if \(value ? "" : "not ")\(flags[f].name) \(text(of: then))" + (otherwise.map { " else \(text(of: $0))" } ?? "")
        }
    }

    /// "{ touch percpu; flush l1d }".
    public func text(of block: Block) -> String {
        block.statements.isEmpty ? "{ }" : "{ " + block.statements.map { text(of: $0.kind) }.joined(separator: "; ") + " }"
    }

    /// A few words for a statement in a timeline lane; `source` is its source text.
    public func shortText(of kind: Statement.Kind, source: String) -> String {
        switch kind {
        case .touch: source
        case .switchTable: "→ " + (source.split(separator: " ").last.map(String.init) ?? "")
        case .kickSiblings: "kick"
        case .holdSiblings: "hold"
        case .releaseSiblings: "release"
        case .idle: "idle"
        case .wait(.outOfGuest): "wait out"
        case .wait(.notIn): "wait not in"
        case .wait(.in): "wait in"
        case .flush, .irqs, .setFlag, .either: text(of: kind)
        case .ifFlag(let f, let value, _, _): "if \(value ? "" : "not ")\(flags[f].name)"
        }
    }

    /// A table declaration in a `wait`: a per-guest one matches any of its copies.
    private func waitedTable(_ d: Int) -> String {
        tableDecls[d].perGuest ? tableDecls[d].name + "[any]" : tableDecls[d].name
    }
}

extension Model {
    /// A check as its line names it: "corun", "residue l1d", "crash", "deadlock", "progress".
    public func name(of check: Check) -> String {
        switch check {
        case .corun: "corun"
        case .residue(let b): "residue \(buffers[b].name)"
        case .crash: "crash"
        case .deadlock: "deadlock"
        case .progress: "progress"
        }
    }
}

extension Model.Statement.Kind {
    /// The blocks of an `either` or an `if` (`then` first), none for an atomic statement.
    public var branches: [Model.Block] {
        switch self {
        case .either(let branches): branches
        case .ifFlag(_, _, let then, let otherwise): [then] + (otherwise.map { [$0] } ?? [])
        default: []
        }
    }

    /// The statement with each of its blocks (`branches`, in order) replaced by `change`.
    public func mappingBranches(_ change: (Model.Block) -> Model.Block) -> Self {
        switch self {
        case .either(let branches): .either(branches.map(change))
        case .ifFlag(let f, let value, let then, let otherwise):
            .ifFlag(flag: f, value: value, then: change(then), else: otherwise.map(change))
        default: self
        }
    }

    /// The kind of mitigation the statement is ("flush", "hold", "set"...), nil for one that
    /// is none (`explain` weighs only mitigations).
    public var mitigation: String? {
        switch self {
        case .flush: "flush"
        case .holdSiblings: "hold"
        case .kickSiblings: "kick"
        case .wait: "wait"
        case .releaseSiblings: "release"
        case .switchTable: "switch"
        case .irqs(on: false): "irqs off"
        case .setFlag(_, let value): value ? "set" : "clear"
        case .ifFlag: "if"
        case .irqs(on: true), .touch, .either, .idle: nil
        }
    }
}
