/// An inductive invariant in the model's own terms (modes, tables, positions, holds,
/// buffers), as found by a proof engine. Knows nothing of Z3.
public indirect enum Invariant: Hashable, Sendable {
    case `true`
    case `false`
    /// A fact about one variable, in words: "t0 has table kernel loaded".
    case atom(String)
    case not(Invariant)
    case and([Invariant])
    case or([Invariant])

    /// The invariant as an indented outline (one fact per line).
    public func outline(indent: String = "  ") -> String {
        var lines: [String] = []
        func walk(_ f: Invariant, _ depth: Int, _ bullet: String) {
            let pad = String(repeating: indent, count: depth)
            switch f {
            case .true: lines.append(pad + bullet + "true")
            case .false: lines.append(pad + bullet + "false")
            case .atom(let text): lines.append(pad + bullet + text)
            case .not(.atom(let text)): lines.append(pad + bullet + "not: " + text)
            case .not(let g):
                lines.append(pad + bullet + "not all of:")
                walk(g, depth + 1, "- ")
            case .and(let parts):
                if depth == 0 && bullet.isEmpty {
                    for p in parts { walk(p, depth, "- ") }
                } else {
                    lines.append(pad + bullet + "all of:")
                    for p in parts { walk(p, depth + 1, "- ") }
                }
            case .or(let parts):
                // `not A or not B or C` reads best as "if A and B: C".
                let conditions = parts.compactMap { p -> Invariant? in if case .not(let g) = p { g } else { nil } }
                let conclusions = parts.filter { if case .not = $0 { false } else { true } }
                if !conditions.isEmpty, conditions.allSatisfy(\.isSimple), conclusions.allSatisfy(\.isSimple) {
                    let condition = conditions.map(\.phrase).joined(separator: " and ")
                    let conclusion = conclusions.isEmpty ? "impossible" : conclusions.map(\.phrase).joined(separator: " or ")
                    lines.append(pad + bullet + (conclusions.isEmpty ? "never: \(condition)" : "if \(condition): \(conclusion)"))
                } else {
                    lines.append(pad + bullet + "one of:")
                    for p in parts { walk(p, depth + 1, "- ") }
                }
            }
        }
        walk(self, 0, "")
        return lines.joined(separator: "\n") + "\n"
    }

    /// An atom or a negated atom: short enough for one phrase.
    var isSimple: Bool {
        switch self {
        case .atom, .true, .false: true
        case .not(.atom): true
        default: false
        }
    }

    /// The phrase of a simple formula.
    var phrase: String {
        switch self {
        case .atom(let text): text
        case .true: "true"
        case .false: "false"
        case .not(.atom(let text)): "not (\(text))"
        default: "\(self)"
        }
    }

    /// The same formula with nested conjunctions and disjunctions merged, single-member
    /// ones unwrapped, and double negations removed.
    public var flattened: Invariant {
        switch self {
        case .true, .false, .atom: return self
        case .not(let g):
            switch g.flattened {
            case .not(let h): return h
            case .true: return .false
            case .false: return .true
            case let h: return .not(h)
            }
        case .and(let parts):
            var flat: [Invariant] = []
            for p in parts {
                switch p.flattened {
                case .false: return .false
                case .true: continue
                case .and(let inner): flat += inner
                case let q: flat.append(q)
                }
            }
            return flat.isEmpty ? .true : flat.count == 1 ? flat[0] : .and(flat)
        case .or(let parts):
            var flat: [Invariant] = []
            for p in parts {
                switch p.flattened {
                case .true: return .true
                case .false: continue
                case .or(let inner): flat += inner
                case let q: flat.append(q)
                }
            }
            return flat.isEmpty ? .false : flat.count == 1 ? flat[0] : .or(flat)
        }
    }

    /// Number of atoms (a rough size for reviews and tests).
    public var size: Int {
        switch self {
        case .true, .false, .atom: 1
        case .not(let g): g.size
        case .and(let parts), .or(let parts): parts.reduce(0) { $0 + $1.size }
        }
    }
}
