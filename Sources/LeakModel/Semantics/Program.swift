import LeakSyntax

/// The handlers of a model lowered to one flat instruction graph: what both engines execute.
///
/// Every atomic statement becomes an instruction with the set of its possible successors;
/// `either` disappears (choosing a branch is not a step, so the choice is folded into the
/// successor sets of the statements before it). A successor `.end` leaves the block, and what
/// follows a block depends on the block (see `BlockID`).
public struct Program: Sendable {
    /// Which handler an instruction belongs to.
    public enum BlockID: Hashable, Sendable {
        case vmexit
        case exit(Int)
        case vmentry
        case fault
        case interrupt(Int)
    }

    /// What an instruction does: an atomic statement of the language (never `either`, which
    /// lowering folds into the successor sets).
    public typealias Op = Model.Statement.Kind

    /// Where control goes after an instruction or at the start of a block.
    public enum Target: Hashable, Sendable {
        case instruction(Int)
        /// The end of the enclosing block.
        case end
    }

    public struct Instruction: Hashable, Sendable {
        public var op: Op
        public var span: SourceSpan
        public var block: BlockID
        /// Possible successors, in source order, without duplicates. For an `if`: where the
        /// branch the flag selects when it has the `if`'s value leads.
        public var next: [Target]
        /// For an `if`: where the other branch leads (the `else` block, or what follows the
        /// `if`). Empty for every other instruction.
        public var otherwise: [Target] = []

        /// Where an `if` leads when its flag is `flag`.
        public func branch(flag: Bool) -> [Target] {
            guard case .ifFlag(_, let value, _, _) = op else { preconditionFailure("not an if") }
            return flag == value ? next : otherwise
        }
    }

    /// A successor set still to be linked to what follows a statement list.
    private enum Slot {
        case next(Int)
        case otherwise(Int)
    }

    public private(set) var instructions: [Instruction] = []
    public private(set) var vmexitEntry: [Target] = []
    public private(set) var exitEntry: [[Target]] = []
    public private(set) var vmentryEntry: [Target] = []
    /// Empty when the model has no `on fault` block.
    public private(set) var faultEntry: [Target] = []
    public let hasFaultHandler: Bool
    /// Some instruction is an `if` (a step can pass through it without stopping there).
    public private(set) var hasIf = false
    public private(set) var interruptEntry: [[Target]] = []
    /// The control levels at which each instruction can run: a handler's own level, and for
    /// `on fault` every level (a fault can happen in the base program or in either handler).
    public private(set) var levels: [[SystemState.Level]] = []

    public init(_ model: Model) {
        hasFaultHandler = model.onFault != nil
        vmexitEntry = lower(model.onVMExit, in: .vmexit)
        exitEntry = model.exits.indices.map { lower(model.exits[$0].body, in: .exit($0)) }
        vmentryEntry = lower(model.onVMEntry, in: .vmentry)
        if let fault = model.onFault { faultEntry = lower(fault, in: .fault) }
        interruptEntry = model.interrupts.indices.map { lower(model.interrupts[$0].body, in: .interrupt($0)) }
        hasIf = instructions.contains { if case .ifFlag = $0.op { true } else { false } }
        levels = instructions.map { i in
            switch i.block {
            case .vmexit, .exit, .vmentry: [.base]
            case .fault: [.base, .irq, .nmi]
            case .interrupt(let k): [model.interrupts[k].kind == .nmi ? .nmi : .irq]
            }
        }
    }

    /// The entry set of a block.
    public func entry(of block: BlockID) -> [Target] {
        switch block {
        case .vmexit: vmexitEntry
        case .exit(let x): exitEntry[x]
        case .vmentry: vmentryEntry
        case .fault: faultEntry
        case .interrupt(let i): interruptEntry[i]
        }
    }

    /// Lowers a block; returns its entry set (with `.end` when some path through it is empty).
    private mutating func lower(_ block: Model.Block, in id: BlockID) -> [Target] {
        let (entry, dangling, passes) = lower(block.statements, in: id)
        for slot in dangling { link(slot, to: [.end]) }
        return passes ? Self.union(entry, [.end]) : entry
    }

    private mutating func link(_ slot: Slot, to targets: [Target]) {
        switch slot {
        case .next(let i): Self.add(targets, to: &instructions[i].next)
        case .otherwise(let i): Self.add(targets, to: &instructions[i].otherwise)
        }
    }

    /// Lowers a statement list: its entry set, the instructions whose successors still have to
    /// be linked to what follows, and whether some path through the list runs no statement.
    private mutating func lower(_ statements: [Model.Statement], in id: BlockID)
        -> (entry: [Target], dangling: [Slot], passes: Bool)
    {
        var entry: [Target] = [], dangling: [Slot] = [], passes = true
        for statement in statements {
            let (e, d, p) = lower(statement, in: id)
            for slot in dangling { link(slot, to: e) }
            if passes { entry = Self.union(entry, e) }
            dangling = p ? dangling + d : d
            passes = passes && p
        }
        return (entry, dangling, passes)
    }

    private mutating func lower(_ statement: Model.Statement, in id: BlockID)
        -> (entry: [Target], dangling: [Slot], passes: Bool)
    {
        if case .either(let branches) = statement.kind {
            // One pass with a set: thousands of branches must not cost a quadratic union.
            var entry: [Target] = [], seen = Set<Target>(), dangling: [Slot] = [], passes = false
            for branch in branches {
                let (e, d, p) = lower(branch.statements, in: id)
                for t in e where seen.insert(t).inserted { entry.append(t) }
                dangling += d
                passes = passes || p
            }
            return (entry, dangling, passes)
        }
        instructions.append(Instruction(op: statement.kind, span: statement.span, block: id, next: []))
        let i = instructions.count - 1
        if case .ifFlag(_, _, let then, let otherwise) = statement.kind {
            // The `if` is a place a thread can be at: its branches are its two successor sets,
            // and an empty branch leads to what follows the `if`.
            let (te, td, tp) = lower(then.statements, in: id)
            let (oe, od, op) = lower(otherwise?.statements ?? [], in: id)
            instructions[i].next = te
            instructions[i].otherwise = oe
            return ([.instruction(i)], td + od + (tp ? [.next(i)] : []) + (op ? [.otherwise(i)] : []), false)
        }
        return ([.instruction(i)], [.next(i)], false)
    }

    private static func add(_ targets: [Target], to next: inout [Target]) {
        next = union(next, targets)
    }

    /// `a` then what `b` adds, in order; linear (sets of thousands of targets are common after
    /// a wide `either`).
    private static func union(_ a: [Target], _ b: [Target]) -> [Target] {
        var out = a
        var seen = Set(a)
        for t in b where seen.insert(t).inserted { out.append(t) }
        return out
    }
}

extension Program {
    /// An instruction's source text on one line ("touch percpu"): `SourceFile.statementText`.
    public func text(of q: Int, in model: Model) -> String {
        model.file.statementText(of: instructions[q].span)
    }

    /// The 1-based line of an instruction.
    public func line(of q: Int, in model: Model) -> Int {
        model.file.position(of: instructions[q].span.start).line
    }
}

extension Program {
    /// When a fault of the touch `q` at `level` is a crash (DESIGN.md, "How findings are
    /// counted"): any one of these conditions, each to be read on the faulting thread.
    public enum FaultCrash: Hashable, Sendable {
        /// Whatever the state: no `on fault`, the touch is inside it, a first statement of
        /// `on fault` is a wait inside an `nmi` handler, or an empty path leads straight back.
        case always
        /// The touch is the retry after `on fault`.
        case retry
        /// A first statement of `on fault` touches these and one of them is unmapped too.
        case unmapped([Model.RegionRef])
    }

    /// The conditions under which a fault of touch `q` at `level` crashes (the symbolic
    /// backends, the SMT encoding and the Promela export, translate this one list; the
    /// explicit interpreter keeps its own reading, as the reference they are tested against).
    public func faultCrashes(_ q: Int, at level: SystemState.Level) -> [FaultCrash] {
        guard hasFaultHandler, instructions[q].block != .fault else { return [.always] }
        var out: [FaultCrash] = [.retry]
        for target in faultEntry {
            switch target {
            case .end: out.append(.always)
            case .instruction(let e):
                if crashesOnArrival(e, at: level) { out.append(.always) }
                if case .touch(let refs) = instructions[e].op { out.append(.unmapped(refs)) }
            }
        }
        return out
    }

    /// Arriving at instruction `j` at `level` is a crash: a wait reached inside an `nmi` handler.
    public func crashesOnArrival(_ j: Int, at level: SystemState.Level) -> Bool {
        if level == .nmi, case .wait = instructions[j].op { return true }
        return false
    }
}

extension Program.BlockID {
    /// "on vmexit", "on vmentry", "on fault", "exit ept", "nmi nmi".
    public func name(in model: Model) -> String {
        switch self {
        case .vmexit: "on vmexit"
        case .vmentry: "on vmentry"
        case .fault: "on fault"
        case .exit(let x): "exit \(model.exits[x].name)"
        case .interrupt(let i): "\(model.interrupts[i].kind.rawValue) \(model.interrupts[i].name)"
        }
    }
}
