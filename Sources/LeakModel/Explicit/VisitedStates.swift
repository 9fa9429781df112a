import LeakSemantics

/// The states a search has visited, packed (`StateCodec` into a `PackedStateStore`), with
/// interchangeable threads in one order when a `ThreadSymmetry` is given.
struct VisitedStates {
    let codec: StateCodec
    let symmetry: ThreadSymmetry?
    private(set) var store: PackedStateStore
    private var key: [UInt64]

    init(codec: StateCodec, symmetry: ThreadSymmetry?, expectedCount: Int) {
        self.codec = codec
        self.symmetry = symmetry
        store = PackedStateStore(width: codec.wordCount, expectedCount: expectedCount)
        key = Array(repeating: 0, count: codec.wordCount)
    }

    var count: Int { store.count }

    /// Adds `s` (normalized) unless it is known; `admit` is asked first about a new state and
    /// may refuse it (a limit). Whether it was added.
    @discardableResult
    mutating func insert(_ s: SystemState, admit: (PackedStateStore) -> Bool = { _ in true }) -> Bool {
        key.withUnsafeMutableBufferPointer { codec.encode(symmetry?.normalized(s) ?? s, into: $0) }
        return key.withUnsafeBufferPointer { key in
            guard store.index(of: key) == nil, admit(store) else { return false }
            store.append(key)
            return true
        }
    }

    /// State `n`, unpacked.
    func state(_ n: Int) -> SystemState { store.withState(n, codec.decode) }
}
