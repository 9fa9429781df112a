import LeakSemantics
import LeakSteps

/// Guesses at an invariant, from what holds in every state of a sample of reachable states:
/// `InvariantMiner` keeps those Z3 shows inductive. States are added one at a time (`add`);
/// only what distinguishes them is kept.
///
/// A fact is `x = v` for a code variable (a position, a table, a guest served), `x` for a
/// Boolean, `r ∈ x` for a held thread, and for a buffer whether it holds some secret of each
/// guest (`BufferFact`). The candidates are:
/// - each fact, or its negation, true in every sampled state; each code variable's sampled
///   values (`x = v1 ∨ x = v2 ∨ ...`), where it has others;
/// - each disjunction of two literals on different variables, neither always true, that no
///   sampled state falsifies;
/// - combinations (`projections`): the threads' variables together with whether each buffer
///   holds each guest's secrets take one of the sampled combinations, over all threads and
///   over each pair of threads.
///
/// A hold protocol's safety rests on relations among three or more of these ("a thread in
/// the kernel table at a touch holds its sibling, unless it has not yet left `on vmentry`";
/// "l1d holds host data only while some thread has not yet flushed"), which no two-literal
/// clause states. The combinations are few even where the buffers' contents make the state
/// space huge, so a sample of a few hundred thousand states usually holds all of them; where
/// it does not, Houdini drops the candidate.
struct InvariantCandidates {
    /// One fact: its term, the variable it is about, and how a value satisfies it.
    private struct Fact {
        enum Test { case isTrue, equals(Int), contains(Int), meets(RegionSet) }
        var term: StepTerm
        var variable: Int
        var test: Test

        func holds(in row: [StateValue]) -> Bool {
            switch (test, row[variable]) {
            case (.isTrue, .bool(let b)): b
            case (.equals(let c), .code(let x)): x == c
            case (.contains(let r), .set(let set)): set.contains(r)
            case (.meets(let regions), .set(let set)): !set.isDisjoint(with: regions)
            default: preconditionFailure("a fact about \(term) does not match its variable's value \(row[variable])")
            }
        }
    }

    /// A fact about a buffer the checks look at: it holds some region of `regions` (the
    /// secrets of one guest).
    struct BufferFact {
        var variable: Int
        var regions: RegionSet

        var term: StepTerm { .intersects(.variable(variable), with: .set(regions)) }
    }

    /// One sampled combination of values and buffer facts, ordered for deterministic candidates.
    private struct Combination: Hashable, Comparable {
        var values: [StateValue]
        var buffers: [Bool]

        static func < (a: Self, b: Self) -> Bool {
            if a.values != b.values { return a.values.lexicographicallyPrecedes(b.values, by: StateValue.precedes) }
            return a.buffers.lexicographicallyPrecedes(b.buffers) { !$0 && $1 }
        }
    }

    /// The most combinations one candidate lists: past it the candidate is left out (a
    /// larger disjunction costs more to translate and solve than it is likely to help).
    static let combinationLimit = 16_384

    private let space: StateSpace
    private let facts: [Fact]
    private let bufferFacts: [BufferFact]
    /// Where each of `bufferFacts` is in `facts` (a combination reads its truth from there).
    private let bufferFactIndices: [Int]
    /// The variables of each combination: the threads' (all but the buffers), all together
    /// and, past two threads, for each pair.
    private let groups: [[Int]]
    /// The distinct truth rows of `facts`, one bit a fact.
    private var rows = Set<[UInt64]>()
    private var combinations: [Set<Combination>]
    private(set) var sampled = 0

    /// For a position (or fault return address) code, the code standing for its class in the
    /// combinations: every statement of an exit body is one class (which exit a thread is in
    /// matters little to a protocol, and 64 exits would make the combinations too many);
    /// every other position its own.
    private let positionClass: [Int]
    /// The codes of each class (indexed by the class's code).
    private let classMembers: [[Int]]

    init(space: StateSpace, bufferFacts: [BufferFact] = [], positionClass: [Int] = []) {
        self.space = space
        self.bufferFacts = bufferFacts
        self.positionClass = positionClass
        var members = Array(repeating: [Int](), count: positionClass.count)
        for (code, c) in positionClass.enumerated() { members[c].append(code) }
        classMembers = members
        var facts: [Fact] = []
        var bufferFactIndices = Array(repeating: 0, count: bufferFacts.count)
        for (i, v) in space.vars.enumerated() {
            switch v.sort {
            case .bool:
                facts.append(Fact(term: .variable(i), variable: i, test: .isTrue))
            case .code(let range):
                for c in 0..<range { facts.append(Fact(term: .equal(.variable(i), .code(c, range: range)), variable: i, test: .equals(c))) }
            case .set(let count) where !v.isBuffer:
                for r in 0..<count { facts.append(Fact(term: .member(.variable(i), element: r), variable: i, test: .contains(r))) }
            case .set:
                // A buffer: whether it holds each guest's secrets, not each region (with
                // dozens of regions, pairs of regions would be most of the candidates).
                for (k, fact) in bufferFacts.enumerated() where fact.variable == i {
                    bufferFactIndices[k] = facts.count
                    facts.append(Fact(term: fact.term, variable: i, test: .meets(fact.regions)))
                }
            }
        }
        self.facts = facts
        self.bufferFactIndices = bufferFactIndices
        func owner(_ i: Int) -> Int? {
            if case .thread(let t) = space.vars[i].owner, !space.vars[i].isBuffer { return t }
            return nil
        }
        let threads = Set(space.vars.indices.compactMap(owner)).sorted()
        var groups = [space.vars.indices.filter { owner($0) != nil }]
        if threads.count > 2 {
            for (a, t) in threads.enumerated() {
                for u in threads[(a + 1)...] { groups.append(space.vars.indices.filter { owner($0) == t || owner($0) == u }) }
            }
        }
        self.groups = groups.filter { !$0.isEmpty }
        combinations = Array(repeating: [], count: self.groups.count)
    }

    /// Adds a sampled state (`StateSpace.values(of:)`).
    mutating func add(_ row: [StateValue]) {
        sampled += 1
        var bits = [UInt64](repeating: 0, count: (facts.count + 63) / 64)
        for (f, fact) in facts.enumerated() where fact.holds(in: row) { bits[f / 64] |= 1 << UInt64(f % 64) }
        rows.insert(bits)
        let buffers = bufferFactIndices.map { f in bits[f / 64] & (1 << UInt64(f % 64)) != 0 }
        for (g, vars) in groups.enumerated() {
            // Past the limit the candidate is left out: stop collecting.
            if combinations[g].count <= Self.combinationLimit {
                combinations[g].insert(Combination(values: vars.map { classed(row[$0], of: $0) }, buffers: buffers))
            }
        }
    }

    private func isPosition(_ i: Int) -> Bool {
        switch space.vars[i].role {
        case .pc, .faultReturn: true
        default: false
        }
    }

    /// A value as the combinations record it (a position as its class).
    private func classed(_ value: StateValue, of i: Int) -> StateValue {
        guard isPosition(i), case .code(let c) = value, c < positionClass.count else { return value }
        return .code(positionClass[c])
    }

    /// "Variable i has a value of the class recorded as `value`."
    private func term(_ i: Int, _ value: StateValue) -> StepTerm {
        guard isPosition(i), case .code(let c) = value, case .code(let range) = space.vars[i].sort, c < positionClass.count else {
            return .equal(.variable(i), value.term(space.vars[i].sort))
        }
        let members = classMembers[c]
        return members.count == 1 ? .equal(.variable(i), .code(c, range: range))
            : .any(members.map { .equal(.variable(i), .code($0, range: range)) })
    }

    /// The candidates, in a fixed order (facts, then pairs, then combinations).
    var clauses: [StepTerm] {
        guard sampled > 0 else { return [] }
        // Each fact's truth over the distinct rows, as a bit set over the rows (their order
        // does not matter: a clause only asks whether some row falsifies it).
        let rows = Array(self.rows)
        let words = (rows.count + 63) / 64
        var truth = Array(repeating: [UInt64](repeating: 0, count: words), count: facts.count)
        for (k, row) in rows.enumerated() {
            for f in facts.indices where row[f / 64] & (1 << UInt64(f % 64)) != 0 { truth[f][k / 64] |= 1 << UInt64(k % 64) }
        }
        var all = [UInt64](repeating: ~0, count: words)
        if rows.count % 64 != 0 { all[words - 1] = (1 << UInt64(rows.count % 64)) - 1 }

        var clauses: [StepTerm] = []
        var varying: [Int] = []
        var seenValues: [Int: [StepTerm]] = [:]
        for (f, fact) in facts.enumerated() {
            let never = truth[f].allSatisfy { $0 == 0 }
            if case .equals = fact.test {
                // A value never sampled: the variable's sampled values say it (below).
                if !never { seenValues[fact.variable, default: []].append(fact.term) }
                if never { continue }
            }
            if truth[f] == all { clauses.append(fact.term) }
            else if never { clauses.append(.negation(fact.term)) }
            else { varying.append(f) }
        }
        for (i, v) in space.vars.enumerated() {
            if case .code(let range) = v.sort, let values = seenValues[i], values.count < range { clauses.append(.any(values)) }
        }
        // Two literals: a clause holds when no row makes both false.
        for (a, f) in varying.enumerated() {
            for g in varying[(a + 1)...] where facts[f].variable != facts[g].variable {
                let (tf, tg) = (truth[f], truth[g])
                var both = false, onlyF = false, onlyG = false, neither = false
                for w in 0..<words {
                    both = both || tf[w] & tg[w] != 0
                    onlyF = onlyF || tf[w] & ~tg[w] & all[w] != 0
                    onlyG = onlyG || ~tf[w] & tg[w] & all[w] != 0
                    neither = neither || ~tf[w] & ~tg[w] & all[w] != 0
                }
                let (p, q) = (facts[f].term, facts[g].term)
                if !neither { clauses.append(.any([p, q])) }
                if !onlyG { clauses.append(.any([p, .negation(q)])) }
                if !onlyF { clauses.append(.any([.negation(p), q])) }
                if !both { clauses.append(.any([.negation(p), .negation(q)])) }
            }
        }
        for (vars, sampled) in zip(groups, combinations) where sampled.count <= Self.combinationLimit {
            clauses.append(.any(sampled.sorted().map { row in
                .all(zip(vars, row.values).map { i, value in term(i, value) }
                     + zip(bufferFacts, row.buffers).map { fact, holds in holds ? fact.term : .negation(fact.term) })
            }))
        }
        return clauses
    }
}

extension StateVar {
    var isBuffer: Bool { if case .buffer = role { true } else { false } }
}

extension StateValue {
    /// The constant term of this value of a variable of `sort`.
    func term(_ sort: StateVar.Sort) -> StepTerm {
        switch (self, sort) {
        case (.bool(let b), _): .bool(b)
        case (.code(let c), .code(let range)): .code(c, range: range)
        case (.set(let set), _): .set(set)
        default: preconditionFailure("the value \(self) is not of sort \(sort)")
        }
    }

    /// An order of values, for deterministic candidates.
    static func precedes(_ a: StateValue, _ b: StateValue) -> Bool {
        switch (a, b) {
        case (.bool(let x), .bool(let y)): !x && y
        case (.code(let x), .code(let y)): x < y
        case (.set(let x), .set(let y)): x.words.lexicographicallyPrecedes(y.words)
        case (.bool, _): true
        case (.code, .set): true
        default: false
        }
    }
}
