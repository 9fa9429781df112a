/// The explicit engine's visited set: packed states in one flat array, numbered in the order
/// they were added, with an open-addressing index over them.
///
/// A state costs its words, one 64-bit slot of the index (at most 70% full, so 1.4-2.9
/// slots a state) and nothing else: no per-state allocation, no reference counting, and
/// breadth-first layers are ranges of state numbers.
public struct PackedStateStore {
    /// Words per state.
    public let width: Int
    /// State n is `words[n * width ..< (n + 1) * width]`.
    private var words: [UInt64] = []
    /// The count is a power of two, at most 2^32. A slot holds the state's number + 1 in its
    /// low 32 bits (0: empty) and the low 32 bits of its hash in the high ones: a probe
    /// compares words only where the hashes agree, and a growth places every state without
    /// reading its words.
    private var slots: [UInt64]
    public private(set) var count = 0

    /// The most states a store holds: state numbers are 32-bit, and at most 70% of 2^32 slots
    /// (a slot keeps 32 bits of its state's hash, which place it in an index that large).
    public static let capacityLimit = 3_000_000_000

    public init(width: Int, expectedCount: Int = 1024) {
        self.width = width
        var capacity = 16
        while capacity * 7 < expectedCount * 10 { capacity <<= 1 }
        slots = Array(repeating: 0, count: capacity)
    }

    /// Bytes held for `count` states at the current capacities.
    public var bytes: Int { words.capacity * 8 + slots.count * 8 }

    /// Bytes held once one more state is added (its arrays doubled where they are full), so
    /// that a search can stop before a growth would take it over a budget.
    public var bytesAfterInsert: Int {
        let words = self.words.count + width > self.words.capacity ? Swift.max(2 * self.words.capacity, self.words.count + width) : self.words.capacity
        let slots = (count + 1) * 10 > self.slots.count * 7 ? 2 * self.slots.count : self.slots.count
        return words * 8 + slots * 8
    }

    /// Adds the state in `key` unless the store holds it: its number, and whether it is new.
    @discardableResult
    public mutating func insert(_ key: UnsafeBufferPointer<UInt64>) -> (index: Int, inserted: Bool) {
        var found = 0
        let added = insert(key, hash: Self.hash(key), admit: { _ in true }, found: &found)
        return (added ? count - 1 : found, added)
    }

    /// Adds the state in `key` unless the store holds it or `admit`, asked only about a new
    /// state, refuses it (a limit): whether it was added. One probe finds the state or the
    /// slot it goes to; only a growth of the index probes again.
    public mutating func insert(_ key: UnsafeBufferPointer<UInt64>, admit: (PackedStateStore) -> Bool) -> Bool {
        insert(key, hash: Self.hash(key), admit: admit)
    }

    /// `insert(_:admit:)` for a key whose `hash(_:)` is known.
    public mutating func insert(_ key: UnsafeBufferPointer<UInt64>, hash: Int,
                                admit: (PackedStateStore) -> Bool) -> Bool {
        var found = 0
        return insert(key, hash: hash, admit: admit, found: &found)
    }

    private mutating func insert(_ key: UnsafeBufferPointer<UInt64>, hash: Int, admit: (PackedStateStore) -> Bool,
                                 found: inout Int) -> Bool {
        var slot: Int
        switch find(key, hash: hash) {
        case .found(let n):
            found = n
            return false
        case .empty(let i):
            slot = i
        }
        guard admit(self) else { return false }
        if (count + 1) * 10 > slots.count * 7 {
            grow()
            guard case .empty(let i) = find(key, hash: hash) else { preconditionFailure("a growth lost a state") }
            slot = i
        }
        slots[slot] = Self.slot(state: count, hash: hash)
        words.append(contentsOf: key)
        count += 1
        return true
    }

    private enum Probe { case found(Int), empty(Int) }

    /// Where `key` is, or the empty slot where it would go.
    private func find(_ key: UnsafeBufferPointer<UInt64>, hash: Int) -> Probe {
        let mask = slots.count - 1
        let tag = UInt64(truncatingIfNeeded: hash) << 32
        var i = hash & mask
        return words.withUnsafeBufferPointer { stored in
            slots.withUnsafeBufferPointer { slots in
                while true {
                    let slot = slots[i]
                    if slot == 0 { return .empty(i) }
                    if slot & 0xFFFF_FFFF_0000_0000 == tag {
                        let base = (Int(slot & 0xFFFF_FFFF) - 1) * width
                        var equal = true
                        for k in 0..<width where stored[base + k] != key[k] { equal = false; break }
                        if equal { return .found(Int(slot & 0xFFFF_FFFF) - 1) }
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }

    /// The slot of state `n` whose words hash to `hash`.
    private static func slot(state n: Int, hash: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: hash) << 32 | UInt64(n + 1)
    }

    /// Reads the slot each of `hashes` probes first and the first word of the state there,
    /// and changes nothing. A probe waits for two cache misses, the slot and then the state;
    /// these loads are independent of each other, so the misses of a batch overlap, where
    /// the insertions that follow, one after another, would wait for each in turn. The result
    /// means nothing: it is returned so that the loads are not optimized away.
    public func touch(_ hashes: UnsafeBufferPointer<Int>) -> UInt64 {
        guard count > 0 else { return 0 }
        let mask = slots.count - 1
        return words.withUnsafeBufferPointer { stored in
            slots.withUnsafeBufferPointer { slots in
                var sum: UInt64 = 0
                for h in hashes {
                    let s = Int(slots[h & mask] & 0xFFFF_FFFF)
                    // Without a branch: an empty slot reads state 0.
                    sum &+= stored[Swift.max(s - 1, 0) * width] &+ UInt64(s)
                }
                return sum
            }
        }
    }

    /// Calls `body` with the words of state `n`.
    public func withState<R>(_ n: Int, _ body: (UnsafeBufferPointer<UInt64>) -> R) -> R {
        words.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[n * width ..< (n + 1) * width])) }
    }

    private mutating func grow() {
        var bigger = [UInt64](repeating: 0, count: slots.count * 2)
        // The slot's hash bits give the new place (at most 2^32 slots: 32 bits are enough).
        let mask = bigger.count - 1
        slots.withUnsafeBufferPointer { slots in
            bigger.withUnsafeMutableBufferPointer { bigger in
                for slot in slots where slot != 0 {
                    var i = Int(slot >> 32) & mask
                    while bigger[i] != 0 { i = (i + 1) & mask }
                    bigger[i] = slot
                }
            }
        }
        slots = bigger
    }

    /// A hash of a state's words (multiply-xorshift per word, then a final avalanche), so that
    /// states differing in one low bit land far apart under linear probing.
    public static func hash(_ key: UnsafeBufferPointer<UInt64>) -> Int {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for w in key {
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
        }
        h = (h ^ (h >> 30)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
        return Int(truncatingIfNeeded: h)
    }
}
