import LeakSemantics

/// The states a search has visited, packed (`StateCodec` into a `PackedStateStore`), with
/// interchangeable threads in one order when a `ThreadSymmetry` is given.
struct VisitedStates {
    let codec: StateCodec
    let symmetry: ThreadSymmetry?
    private(set) var store: PackedStateStore
    private var key: [UInt64]
    /// The states staged for `insertStaged`, packed, and their hashes (`staged` of them; the
    /// arrays are kept from one batch to the next), and what `touch` read (kept, so that its
    /// loads are not optimized away).
    private var keys: [UInt64] = []
    private var hashes: [Int] = []
    private var staged = 0
    private var touched: UInt64 = 0

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

    /// Packs `base` with thread `ti` in state `moved` (normalized), and its hash, for
    /// `insertStaged`, after those staged before. `parent` is the state the step is from,
    /// as `state(_:into:)` unpacked state number `number`: where `base` is `parent` but for
    /// thread `ti` (and no symmetry normalizes), the packed parent is copied and only that
    /// thread's bits are written.
    private mutating func stage(_ base: SystemState, replacing ti: Int, with moved: SystemState.ThreadState,
                                from parent: SystemState, number: Int) {
        let width = codec.wordCount
        if staged == hashes.count {
            hashes.append(contentsOf: repeatElement(0, count: Swift.max(8, hashes.count)))
            keys.append(contentsOf: repeatElement(0, count: hashes.count * width - keys.count))
        }
        let k = staged
        keys.withUnsafeMutableBufferPointer { keys in
            let key = UnsafeMutableBufferPointer(rebasing: keys[k * width ..< (k + 1) * width])
            if let symmetry {
                codec.encode(symmetry.normalized(base.replacing(ti, with: moved)), into: key)
            } else if base.buffers == parent.buffers, base.flags == parent.flags, base.threads == parent.threads {
                // Equal arrays are most often one storage, which `==` answers at once.
                store.withState(number) { codec.encode(moved, asThread: ti, over: $0, into: key) }
            } else {
                codec.encode(base, replacing: ti, with: moved, into: key)
            }
            hashes[k] = PackedStateStore.hash(UnsafeBufferPointer(key))
        }
        staged += 1
    }

    /// Stages the state of every step from `s` (`stage`), in the order of `Interpreter.forEachStep`,
    /// and sets `actions` to the steps' actions. `s` is state number `number`, as
    /// `state(_:into:)` unpacked it; states staged before and not inserted are forgotten.
    mutating func stageSteps(of s: SystemState, number: Int, interpreter: Interpreter, actions: inout [Action]) {
        // A method, not a closure in the search, so that the closure below captures `self`
        // and `actions` as inout parameters and `s` as a constant: a search's local variables,
        // captured, are copied at every step (`s`) or checked for exclusive access at run time.
        staged = 0
        actions.removeAll(keepingCapacity: true)
        interpreter.forEachStep(of: s) { action, base, moved in
            actions.append(action)
            stage(base, replacing: action.thread, with: moved, from: s, number: number)
        }
    }

    /// Adds the staged states, in the order they were staged, as `insert(_:admit:)` one after
    /// the other would (`admit` is asked the same questions), and calls `added` with a
    /// state's place among them and the new count for each state added; then none is staged.
    /// Their slots are read together first (`PackedStateStore.touch`), so that the cache
    /// misses of a state's steps overlap.
    mutating func insertStaged(admit: (PackedStateStore) -> Bool, added: (_ staged: Int, _ count: Int) -> Void) {
        let width = codec.wordCount, n = staged
        staged = 0
        let packed = keys, hashed = hashes
        hashed.withUnsafeBufferPointer { touched &+= store.touch(UnsafeBufferPointer(rebasing: $0[..<n])) }
        packed.withUnsafeBufferPointer { packed in
            for k in 0..<n {
                let key = UnsafeBufferPointer(rebasing: packed[k * width ..< (k + 1) * width])
                if store.insert(key, hash: hashed[k], admit: admit) { added(k, store.count) }
            }
        }
    }

    /// State `n`, unpacked.
    func state(_ n: Int) -> SystemState { store.withState(n, codec.decode) }

    /// State `n`, unpacked over `s` (`StateCodec.decode(_:into:)`).
    func state(_ n: Int, into s: inout SystemState) { store.withState(n) { codec.decode($0, into: &s) } }
}
