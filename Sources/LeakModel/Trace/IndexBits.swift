/// A set of small non-negative integers as bits: what `Coverage` notes for every state a
/// search visits, without hashing.
///
/// The last word is never zero (words are added only to set a bit in them), so equal sets
/// have equal words and the synthesized `Hashable` is the set's.
package struct IndexBits: Hashable, Sendable {
    private var words: [UInt64] = []

    package init() {}

    package func contains(_ i: Int) -> Bool {
        i >> 6 < words.count && words[i >> 6] & (1 << UInt64(i & 63)) != 0
    }

    package mutating func insert(_ i: Int) {
        precondition(i >= 0, "IndexBits holds non-negative integers")
        let w = i >> 6, bit: UInt64 = 1 << UInt64(i & 63)
        if w >= words.count { words += repeatElement(0, count: w + 1 - words.count) }
        // Only a new member writes: a shared array is not copied for one already there.
        if words[w] & bit == 0 { words[w] |= bit }
    }

    package mutating func formUnion(_ other: IndexBits) {
        if other.words.count > words.count { words += repeatElement(0, count: other.words.count - words.count) }
        for (k, word) in other.words.enumerated() where word & ~words[k] != 0 { words[k] |= word }
    }

    /// The members, as a `Set`.
    package var members: Set<Int> {
        var out = Set<Int>()
        for (k, word) in words.enumerated() {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 { out.insert(64 * k + bit) }
        }
        return out
    }
}
