/// A set of concrete regions as a bit set (regions are few: a model has at most a few hundred).
public struct RegionSet: Hashable, Sendable, Sequence {
    public private(set) var words: [UInt64]
    public let count: Int

    public init(count: Int) {
        self.count = count
        self.words = Array(repeating: 0, count: Swift.max(1, (count + 63) / 64))
    }

    /// The set whose bit words are `words` (as `words` returns them).
    package init(count: Int, words: [UInt64]) {
        self.count = count
        self.words = words
    }

    /// How many words `words` has, and word `k` of it (what `StateCodec` packs).
    public var wordCount: Int { words.count }
    public func word(_ k: Int) -> UInt64 { words[k] }

    /// Sets word `k` of `words` (bits past `count` must be 0): `StateCodec` unpacks a state
    /// over the last one, so an unshared set is written in place.
    package mutating func setWord(_ k: Int, _ value: UInt64) { words[k] = value }

    public init(count: Int, _ members: some Sequence<Int>) {
        self.init(count: count)
        for m in members { insert(m) }
    }

    public func contains(_ i: Int) -> Bool { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
    public mutating func insert(_ i: Int) { words[i >> 6] |= 1 << UInt64(i & 63) }
    public mutating func remove(_ i: Int) { words[i >> 6] &= ~(1 << UInt64(i & 63)) }
    public mutating func formUnion(_ o: RegionSet) { for k in words.indices { words[k] |= o.words[k] } }
    public mutating func removeAll() { for k in words.indices { words[k] = 0 } }
    public func union(_ o: RegionSet) -> RegionSet { var s = self; s.formUnion(o); return s }
    public func intersection(_ o: RegionSet) -> RegionSet {
        var s = self
        for k in s.words.indices { s.words[k] &= o.words[k] }
        return s
    }
    public func isDisjoint(with o: RegionSet) -> Bool {
        zip(words, o.words).allSatisfy { $0 & $1 == 0 }
    }
    public func isSubset(of o: RegionSet) -> Bool {
        zip(words, o.words).allSatisfy { $0 & ~$1 == 0 }
    }
    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    public func makeIterator() -> some IteratorProtocol<Int> {
        (0..<count).lazy.filter { self.contains($0) }.makeIterator()
    }
}
