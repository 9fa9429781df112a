import LeakSemantics

/// A term over the variables of a `StateSpace`: the language the step rules are written in,
/// and all that a symbolic backend has to translate.
///
/// Build terms with the static functions (`and`, `or`, `not`, `eq`, `ite`, ...), which fold
/// constants, so that what a backend sees is already as small as the model allows.
public indirect enum StepTerm: Hashable, Sendable {
    case bool(Bool)
    /// The code `value` of a variable of sort `.code(range)`.
    case code(Int, range: Int)
    /// A constant set (its `count` is the set sort's size).
    case set(RegionSet)
    /// The current value of `StateSpace.vars[i]`.
    case variable(Int)
    case negation(StepTerm)
    case all([StepTerm])
    case any([StepTerm])
    /// Equal values of one sort (Booleans, codes or sets).
    case equal(StepTerm, StepTerm)
    case ite(StepTerm, then: StepTerm, else: StepTerm)
    case union(StepTerm, with: StepTerm)
    /// The two sets share an element.
    case intersects(StepTerm, with: StepTerm)
    /// The first set is contained in the second.
    case subset(StepTerm, of: StepTerm)
    /// The set has element `i`.
    case member(StepTerm, element: Int)
}

extension StepTerm {
    public static let `true` = StepTerm.bool(true)
    public static let `false` = StepTerm.bool(false)

    public static func and(_ parts: [StepTerm]) -> StepTerm {
        var out: [StepTerm] = [], seen = Set<StepTerm>()
        for p in parts {
            switch p {
            case .bool(true): continue
            case .bool(false): return .false
            case .all(let inner): for q in inner where seen.insert(q).inserted { out.append(q) }
            default: if seen.insert(p).inserted { out.append(p) }
            }
        }
        return out.isEmpty ? .true : out.count == 1 ? out[0] : .all(out)
    }

    public static func or(_ parts: [StepTerm]) -> StepTerm {
        var out: [StepTerm] = [], seen = Set<StepTerm>()
        for p in parts {
            switch p {
            case .bool(false): continue
            case .bool(true): return .true
            case .any(let inner): for q in inner where seen.insert(q).inserted { out.append(q) }
            default: if seen.insert(p).inserted { out.append(p) }
            }
        }
        return out.isEmpty ? .false : out.count == 1 ? out[0] : .any(out)
    }

    public static func not(_ a: StepTerm) -> StepTerm {
        switch a {
        case .bool(let b): .bool(!b)
        case .negation(let inner): inner
        default: .negation(a)
        }
    }

    public static func implies(_ a: StepTerm, _ b: StepTerm) -> StepTerm { or([not(a), b]) }

    public static func eq(_ a: StepTerm, _ b: StepTerm) -> StepTerm {
        if a == b { return .true }
        switch (a, b) {
        case (.code(let x, _), .code(let y, _)): return .bool(x == y)
        case (.bool(let x), .bool(let y)): return .bool(x == y)
        case (.set(let x), .set(let y)): return .bool(x == y)
        case (.bool(let x), _): return x ? b : not(b)
        case (_, .bool(let y)): return y ? a : not(a)
        default: return .equal(a, b)
        }
    }

    public static func ite(_ c: StepTerm, _ a: StepTerm, _ b: StepTerm) -> StepTerm {
        if case .bool(let v) = c { return v ? a : b }
        if a == b { return a }
        switch (a, b) {
        case (.bool(true), _): return or([c, b])
        case (.bool(false), _): return and([not(c), b])
        case (_, .bool(true)): return or([not(c), a])
        case (_, .bool(false)): return and([c, a])
        default: return .ite(c, then: a, else: b)
        }
    }

    public static func union(_ a: StepTerm, _ b: StepTerm) -> StepTerm {
        switch (a, b) {
        case (.set(let x), .set(let y)): return .set(x.union(y))
        case (.set(let x), _) where x.isEmpty: return b
        case (_, .set(let y)) where y.isEmpty: return a
        default: return a == b ? a : .union(a, with: b)
        }
    }

    public static func intersects(_ a: StepTerm, _ b: StepTerm) -> StepTerm {
        switch (a, b) {
        case (.set(let x), .set(let y)): return .bool(!x.isDisjoint(with: y))
        case (.set(let x), _) where x.isEmpty: return .false
        case (_, .set(let y)) where y.isEmpty: return .false
        default: return .intersects(a, with: b)
        }
    }

    public static func subset(_ a: StepTerm, _ b: StepTerm) -> StepTerm {
        switch (a, b) {
        case (.set(let x), .set(let y)): return .bool(x.intersection(y) == x)
        case (.set(let x), _) where x.isEmpty: return .true
        default: return a == b ? .true : .subset(a, of: b)
        }
    }

    /// Whether `set` has element `i`, as a Boolean term: constants fold, unions and choices
    /// distribute (what a backend without set operations renders, bit by bit).
    public static func member(_ set: StepTerm, _ i: Int) -> StepTerm {
        switch set {
        case .set(let s): .bool(s.contains(i))
        case .union(let a, let b): or([member(a, i), member(b, i)])
        case .ite(let c, let a, let b): ite(c, member(a, i), member(b, i))
        default: .member(set, element: i)
        }
    }

    /// The term with the variables of `values` replaced by their terms, constants folded again
    /// (what a step reads after another step's updates: the composition of two commands).
    public func substituting(_ values: [Int: StepTerm]) -> StepTerm {
        if values.isEmpty { return self }
        func s(_ t: StepTerm) -> StepTerm { t.substituting(values) }
        switch self {
        case .bool, .code, .set: return self
        case .variable(let i): return values[i] ?? self
        case .negation(let a): return .not(s(a))
        case .all(let parts): return .and(parts.map(s))
        case .any(let parts): return .or(parts.map(s))
        case .equal(let a, let b): return .eq(s(a), s(b))
        case .ite(let c, let a, let b): return .ite(s(c), s(a), s(b))
        case .union(let a, let b): return .union(s(a), s(b))
        case .intersects(let a, let b): return .intersects(s(a), s(b))
        case .subset(let a, let b): return .subset(s(a), s(b))
        case .member(let a, let i): return .member(s(a), i)
        }
    }

    /// The indices of the variables the term reads.
    public var reads: Set<Int> {
        var out = Set<Int>()
        func walk(_ t: StepTerm) {
            switch t {
            case .bool, .code, .set: break
            case .variable(let i): out.insert(i)
            case .negation(let a), .member(let a, _): walk(a)
            case .all(let parts), .any(let parts): parts.forEach(walk)
            case .equal(let a, let b), .union(let a, let b), .intersects(let a, let b), .subset(let a, let b):
                walk(a); walk(b)
            case .ite(let c, let a, let b): walk(c); walk(a); walk(b)
            }
        }
        walk(self)
        return out
    }
}
