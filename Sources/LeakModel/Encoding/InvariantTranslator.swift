import LeakSMT
import LeakSemantics
import LeakSteps

/// Turns a formula over the encoding's state constants into an `Invariant` in the model's
/// terms, looking every constant up in a symbol table (never by parsing its name).
struct InvariantTranslator {
    typealias Variable = StateVar.Role

    let model: Model
    let program: Program
    private var symbols: [Z3Expr: Variable] = [:]
    /// The lasso monitor's copy of the loop's first state (`LassoFrame.saved`), whose facts
    /// are said of that state.
    private var saved: Set<Z3Expr> = []
    /// The monitor's other constants, each a fact in words.
    private var named: [Z3Expr: String] = [:]

    init(model: Model, program: Program, space: StateSpace, state s: SymbolicState, loop: LassoFrame? = nil) {
        self.model = model
        self.program = program
        for (v, e) in zip(space.vars, s.vars) { symbols[e] = v.role }
        if let loop {
            for (v, e) in zip(space.vars, loop.saved.vars) { symbols[e] = v.role; saved.insert(e) }
            named[loop.inLoop] = "the loop has started"
            named[loop.quiet] = "no interrupt handler has started in the loop"
            for (t, thread) in model.threads.enumerated() {
                named[loop.couldMove[t]] = "\(thread.name) could move in a state of the loop"
                named[loop.stepped[t]] = "\(thread.name) has stepped in the loop"
                named[loop.outOfGuest[t]] = "\(thread.name) has stayed out of guest mode in the loop"
            }
        }
    }

    /// `fact` about constant `e`, said of the loop's first state when `e` is the monitor's copy.
    private func of(_ e: Z3Expr, _ fact: Invariant) -> Invariant {
        guard saved.contains(e) else { return fact }
        func mark(_ f: Invariant) -> Invariant {
            switch f {
            case .atom(let text): .atom("where the loop started: " + text)
            case .not(let g): .not(mark(g))
            case .and(let parts): .and(parts.map(mark))
            case .or(let parts): .or(parts.map(mark))
            case .true, .false: f
            }
        }
        return mark(fact)
    }

    func translate(_ e: Z3Expr) throws -> Invariant {
        if let name = named[e] { return .atom(name) }
        if let v = symbols[e] { return of(e, .atom(holdsTrue(v))) }
        switch try e.node() {
        case .bool(let b): return b ? .true : .false
        case .not(let a): return .not(try translate(a))
        case .and(let parts): return .and(try parts.map(translate))
        case .or(let parts): return .or(try parts.map(translate))
        case .implies(let a, let b): return .or([.not(try translate(a)), try translate(b)])
        case .bit(let index, let inner):
            if let v = symbols[inner] { return of(inner, slice(v, high: index, low: index, value: 1)) }
            return .atom(text(e))
        case .eq(let a, let b):
            if let atom = try equality(a, b) ?? equality(b, a) { return atom }
            if a.isBool { return .or([.and([try translate(a), try translate(b)]),
                                      .and([.not(try translate(a)), .not(try translate(b))])]) }
            return .atom(text(e))
        default:
            return .atom(text(e))
        }
    }

    /// `variable = value` (or a one-bit slice of a buffer), in words.
    private func equality(_ a: Z3Expr, _ b: Z3Expr) throws -> Invariant? {
        guard case .numeral(let value, _) = try b.node() else { return nil }
        if let v = symbols[a] { return of(a, .atom(describe(v, value))) }
        if case .extract(let high, let low, let inner) = try a.node(), let v = symbols[inner] {
            return of(inner, slice(v, high: high, low: low, value: value))
        }
        return nil
    }

    /// `bits high...low of variable = value`, in words: for sets (buffers, holds) which
    /// members are in or out; for codes (positions, tables...) which values are possible.
    private func slice(_ v: Variable, high: Int, low: Int, value: UInt64) -> Invariant {
        let bits = (low...high).map { (index: $0, set: value >> UInt64($0 - low) & 1 == 1) }
        switch v {
        case .buffer(let c, let b):
            return .and(bits.map { bit in
                let atom = Invariant.atom("\(model.buffers[b].name) of \(model.cores[c].name) holds \(model.regions[bit.index].name)")
                return bit.set ? atom : .not(atom)
            }).flattened
        case .holds(let t):
            return .and(bits.map { bit in
                let atom = Invariant.atom("\(thread(t)) holds \(thread(bit.index))")
                return bit.set ? atom : .not(atom)
            }).flattened
        default:
            let mask: UInt64 = high - low >= 63 ? ~0 : ((1 << UInt64(high - low + 1)) - 1) << UInt64(low)
            let possible = candidates(v).filter { ($0 & mask) >> UInt64(low) == value }
            return .or(possible.map { .atom(describe(v, $0)) }).flattened
        }
    }

    /// The values a variable takes in well-formed states.
    private func candidates(_ v: Variable) -> [UInt64] {
        let all = program.instructions.indices
        switch v {
        case .pc(_, let level):
            let here = all.filter { program.levels[$0].contains(level) }.map { UInt64(StateSpace.code(instruction: $0)) }
            return (level == .base ? [UInt64(StateSpace.guestCode), UInt64(StateSpace.readyCode)] : [0]) + here
        case .faultReturn(_, let level):
            let touches = all.filter { q in
                guard case .touch = program.instructions[q].op else { return false }
                return program.levels[q].contains(level) && program.instructions[q].block != .fault
            }
            return [0] + touches.map { UInt64(StateSpace.code(instruction: $0)) }
        case .served(let t): return (model.threads[t].guests + (model.canIdle(t) ? [model.noGuest] : [])).map(UInt64.init)
        case .table: return model.tables.indices.map(UInt64.init)
        case .exitReason: return (0...model.exits.count).map(UInt64.init)
        default: return [0, 1]
        }
    }

    private func thread(_ t: Int) -> String { model.threads[t].name }

    private func holdsTrue(_ v: Variable) -> String {
        switch v {
        case .retry(let t, let l): "\(thread(t)) retries a touch after on fault\(levelSuffix(l))"
        case .interruptsOn(let t): "\(thread(t)) has interrupts on"
        case .nmiSaved(let t): "\(thread(t)) returns from its nmi handler with interrupts on"
        case .kickPending(let t): "\(thread(t)) has a kick pending"
        case .crashed(let t): "\(thread(t)) has crashed"
        case .flag(let f, let copy):
            "flag \(model.flags[f].name) of \(model.flags[f].scope == .thread ? thread(copy) : model.cores[copy].name) is set"
        default: "\(v)"
        }
    }

    private func levelSuffix(_ l: SystemState.Level) -> String {
        switch l {
        case .base: ""
        case .irq: " (in an irq handler)"
        case .nmi: " (in an nmi handler)"
        }
    }

    private func describe(_ v: Variable, _ value: UInt64) -> String {
        switch v {
        case .pc(let t, let level):
            switch (level, StateSpace.position(Int(value))) {
            case (.base, .guest): return "\(thread(t)) runs its guest"
            case (.base, .ready), (.base, .idle):
                return model.canIdle(t) ? "\(thread(t)) is ready to enter its guest or idle" : "\(thread(t)) is ready to enter its guest"
            case (_, .guest): return "\(thread(t)) runs no \(level == .irq ? "irq" : "nmi") handler"
            case (_, .ready), (_, .idle): return "\(thread(t)) is at an impossible position"
            case (_, .instruction(let q)):
                return "\(thread(t))\(levelSuffix(level)) is at \(program.text(of: q, in: model)) (line \(program.line(of: q, in: model)))"
            }
        case .faultReturn(let t, let level):
            guard let q = StateSpace.instruction(faultReturn: Int(value)) else {
                return "\(thread(t)) is not in on fault\(levelSuffix(level))"
            }
            return "\(thread(t)) is in on fault for \(program.text(of: q, in: model)) (line \(program.line(of: q, in: model)))\(levelSuffix(level))"
        case .served(let t):
            return Int(value) == model.noGuest ? "\(thread(t)) is idle" : "\(thread(t)) serves \(model.guests[Int(value)].name)"
        case .table(let t):
            return "\(thread(t)) has table \(model.tables[Int(value)].name) loaded"
        case .exitReason(let t):
            return value == 0 ? "\(thread(t)) handles no exit in on vmexit" : "\(thread(t)) handles exit \(model.exits[Int(value) - 1].name) in on vmexit"
        case .holds(let t):
            let held = model.threads.indices.filter { value & (1 << UInt64($0)) != 0 }.map { model.threads[$0].name }
            return held.isEmpty ? "\(thread(t)) holds no sibling" : "\(thread(t)) holds \(held.joined(separator: ", "))"
        case .buffer(let c, let b):
            let regions = model.regions.indices.filter { value & (1 << UInt64($0)) != 0 }.map { model.regions[$0].name }
            return "\(model.buffers[b].name) of \(model.cores[c].name) holds " + (regions.isEmpty ? "nothing" : "exactly " + regions.joined(separator: ", "))
        case .retry, .interruptsOn, .nmiSaved, .kickPending, .crashed, .flag:
            return value == 0 ? "not: " + holdsTrue(v) : holdsTrue(v)
        }
    }

    /// Z3's text of a formula, for what has no phrase of its own.
    private func text(_ e: Z3Expr) -> String {
        e.description.replacingOccurrences(of: "@0", with: "")
    }
}
