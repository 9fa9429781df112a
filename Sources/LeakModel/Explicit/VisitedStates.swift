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
        return key.withUnsafeBufferPointer { store.insert($0, admit: admit) }
    }

    /// State `n`, unpacked.
    func state(_ n: Int) -> SystemState { store.withState(n, codec.decode) }

    /// State `n`, unpacked over `s` (`StateCodec.decode(_:into:)`).
    func state(_ n: Int, into s: inout SystemState) { store.withState(n) { codec.decode($0, into: &s) } }
}
