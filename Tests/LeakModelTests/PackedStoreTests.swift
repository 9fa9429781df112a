import Foundation
import Testing
@testable import LeakModel
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakExplicit

/// The packed explicit engine against the reference it replaced: the codec is lossless on
/// every reachable state, the store is a set, and the search answers exactly as the search
/// over `SystemState` values does (outcome, trace, states, depth, coverage).
@Suite("Packed explicit engine")
struct PackedStoreTests {
    static let seeds: [UInt64] = Array(1...24)

    /// Every state reachable in a random model (at most `limit`), breadth-first.
    static func reachable(_ model: Model, limit: Int = 3_000) -> [SystemState] {
        let interpreter = Interpreter(model: model)
        var seen = Set<SystemState>()
        var order: [SystemState] = []
        var queue = interpreter.initialStates() ?? []
        while let s = queue.popLast(), order.count < limit {
            guard seen.insert(s).inserted else { continue }
            order.append(s)
            queue += interpreter.successors(of: s).map(\.1)
        }
        return order
    }

    @Test(arguments: seeds)
    func codecIsLossless(seed: UInt64) throws {
        let model = try loadModel(RandomModel(seed: seed, bound: 7).source(), path: "random-\(seed).leak")
        let codec = StateCodec(model: model, program: Program(model))
        var words = [UInt64](repeating: 0, count: codec.wordCount)
        var packed = Set<[UInt64]>()
        let states = Self.reachable(model)
        for s in states {
            words.withUnsafeMutableBufferPointer { codec.encode(s, into: $0) }
            let back = words.withUnsafeBufferPointer(codec.decode)
            #expect(back == s, "seed \(seed): \(s) decodes as \(back)")
            packed.insert(words)
        }
        // Distinct states pack to distinct words.
        #expect(packed.count == states.count, "seed \(seed)")
    }

    /// The search packs a step's state from its parts (`Interpreter.forEachStep`): the state
    /// it comes from, the moving thread's new state, and the parent's words where nothing
    /// else changed. Both shortcuts must write the words of the state the step reaches; the
    /// parent-words one must be taken on most steps (else it would be no shortcut), and
    /// without it where the buffers, flags or another thread changed.
    @Test(arguments: seeds)
    func stepsPackAsTheStatesTheyReach(seed: UInt64) throws {
        let model = try loadModel(RandomModel(seed: seed, bound: 7).source(), path: "random-\(seed).leak")
        let interpreter = Interpreter(model: model)
        let codec = StateCodec(model: model, program: interpreter.program)
        let width = codec.wordCount
        var parent = [UInt64](repeating: 0, count: width), whole = parent, parts = parent, delta = parent
        var steps = 0, shortcuts = 0
        for s in Self.reachable(model, limit: 1_000) {
            parent.withUnsafeMutableBufferPointer { codec.encode(s, into: $0) }
            let expected = interpreter.successors(of: s)
            var k = 0
            interpreter.forEachStep(of: s) { action, base, moved in
                let reached = base.replacing(action.thread, with: moved)
                #expect(k < expected.count && expected[k] == (action, reached), "seed \(seed): step \(k) of \(s)")
                k += 1
                whole.withUnsafeMutableBufferPointer { codec.encode(reached, into: $0) }
                parts.withUnsafeMutableBufferPointer { codec.encode(base, replacing: action.thread, with: moved, into: $0) }
                #expect(parts == whole, "seed \(seed): \(action) from \(s)")
                if base.buffers == s.buffers, base.flags == s.flags, base.threads == s.threads {
                    parent.withUnsafeBufferPointer { p in
                        delta.withUnsafeMutableBufferPointer { codec.encode(moved, asThread: action.thread, over: p, into: $0) }
                    }
                    #expect(delta == whole, "seed \(seed): \(action) from \(s)")
                    shortcuts += 1
                }
                steps += 1
            }
            #expect(k == expected.count, "seed \(seed): \(s)")
        }
        #expect(shortcuts * 2 > steps, "seed \(seed): \(shortcuts) of \(steps) steps from the parent's words")
    }

    @Test
    func storeIsASet() {
        var store = PackedStateStore(width: 3, expectedCount: 1)
        var reference: [[UInt64]: Int] = [:]
        var rng = SystemRandomNumberGenerator()
        var keys: [[UInt64]] = []
        // Few distinct values per word: many repeats, many collisions of low bits, several grows.
        for _ in 0..<20_000 {
            keys.append((0..<3).map { _ in UInt64.random(in: 0..<24, using: &rng) << (UInt64.random(in: 0..<3, using: &rng) * 20) })
        }
        for key in keys {
            let (index, inserted) = key.withUnsafeBufferPointer { store.insert($0) }
            if let known = reference[key] {
                #expect(!inserted && index == known)
            } else {
                #expect(inserted && index == reference.count)
                reference[key] = index
            }
        }
        #expect(store.count == reference.count)
        for (key, index) in reference {
            #expect(store.withState(index, Array.init) == key)
        }
    }

    /// `admit` is asked about a new state only, and a refused state is not added.
    @Test
    func admitIsAskedAboutNewStatesOnly() {
        var store = PackedStateStore(width: 2, expectedCount: 1)
        var asked = 0
        let keys: [[UInt64]] = (0..<40).map { [UInt64($0 % 20), 7] }
        for key in keys {
            // Refuse every third new state: it is asked about again when it comes back.
            _ = key.withUnsafeBufferPointer { k in store.insert(k, admit: { _ in asked += 1; return asked % 3 != 0 }) }
        }
        // 20 distinct keys: the first pass admits 14 of them (asks 1-20, refuses 3, 6, ... 18);
        // the second pass asks only about the 6 refused ones (asks 21-26, refuses 21 and 24).
        #expect(asked == 26)
        #expect(store.count == 18)
    }

    /// Both stores on the same random model, with its checks together and each alone, to the
    /// generator's bound and exhaustively.
    @Test(arguments: seeds)
    func packedSearchAnswersAsGraphSearch(seed: UInt64) throws {
        let generator = RandomModel(seed: seed, bound: 7)
        let full = try loadModel(generator.source(), path: "random-\(seed).leak")
        for checks in [full.checks] + full.checks.map({ [$0] }) {
            var model = full
            model.checks = checks
            for bound in [generator.bound, nil] {
                let graph = ExplicitChecker(model: model, stateLimit: 10_000, store: .graph).check(bound: bound)
                if case .unknown = graph.0 { continue }
                let packed = ExplicitChecker(model: model, stateLimit: 10_000, store: .packed, threadSymmetry: false)
                    .check(bound: bound)
                #expect(packed.0 == graph.0, "seed \(seed), checks \(checks), bound \(bound as Any)")
                #expect(packed.1 == graph.1, "seed \(seed), checks \(checks), bound \(bound as Any)")
                // With interchangeable threads in one order: the same answer and schedule, from
                // no more states.
                let reduced = ExplicitChecker(model: model, stateLimit: 10_000, store: .packed).check(bound: bound)
                switch (reduced.0, graph.0) {
                case (.proved, .proved):
                    #expect(reduced.1.states <= graph.1.states, "seed \(seed)")
                    #expect(reduced.1.coverage.ran == graph.1.coverage.ran, "seed \(seed)")
                default:
                    #expect(reduced.0 == graph.0, "seed \(seed), checks \(checks), bound \(bound as Any)")
                }
            }
        }
    }

    /// The comparison above has teeth only if random models have interchangeable threads.
    @Test func randomModelsHaveInterchangeableThreads() throws {
        let withClasses = try Self.seeds.filter { seed in
            ThreadSymmetry(try loadModel(RandomModel(seed: seed, bound: 7).source(), path: "random-\(seed).leak")) != nil
        }
        #expect(withClasses.count >= Self.seeds.count / 4, "\(withClasses)")
    }

    /// A state limit and a memory budget stop the packed search with `unknown`, saying which.
    @Test
    func limitsGiveUnknown() throws {
        let model = try loadModel(RandomModel(seed: 3, bound: 7).source(), path: "random-3.leak")
        let all = ExplicitChecker(model: model, stateLimit: 1_000_000).check(bound: nil)
        guard case .proved = all.0, all.1.states > 50 else { return }
        let few = ExplicitChecker(model: model, stateLimit: 20).check(bound: nil)
        guard case .unknown(let reason, _) = few.0 else { Issue.record("\(few.0)"); return }
        #expect(reason.contains("state limit of 20"))
        let small = ExplicitChecker(model: model, memoryBudget: MemoryBudget(bytes: 64)).check(bound: nil)
        guard case .unknown(let why, _) = small.0 else { Issue.record("\(small.0)"); return }
        #expect(why.contains("memory budget"))
    }

    /// Which threads are interchangeable: same core, guests, start table and interrupts.
    @Test(arguments: [
        ("core c0 { t0 t1 }\nrun vm1 on t0, t1", [["t0", "t1"]]),
        ("core c0 { t0 t1 }\nrun vm1 on t0", []),
        ("core c0 { t0 t1 }\ncore c1 { t2 t3 }\nrun vm1 on t0, t1, t2, t3", [["t0", "t1"], ["t2", "t3"]]),
        ("core c0 { t0 t1 t2 }\nrun vm1 on t0, t1, t2\nstart t2 in restricted", [["t0", "t1"]]),
        ("core c0 { t0 t1 }\nrun vm1 on t0, t1\ninterrupt irq nic on t1 { }", []),
        ("core c0 { t0 t1 }\nrun vm1 on t0, t1\ninterrupt irq nic on t0, t1 { }", [["t0", "t1"]]),
    ] as [(String, [[String]])])
    func interchangeableThreads(placement: String, classes: [[String]]) throws {
        let source = """
            host host
            guest vm1
            region text public
            region heap owner host
            table kernel maps all
            table restricted maps text
            buffer l1d fill mapped
            \(placement)
            on vmentry { switch restricted }
            exit cpuid { switch kernel; touch heap }
            check corun
            """
        let model = try loadModel(source, path: "symmetry.leak")
        let found = ThreadSymmetry(model)?.classes.map { $0.map { model.threads[$0].name } } ?? []
        #expect(found == classes, "\(placement)")
    }
}
