import Foundation
import LeakEncoding
import LeakSemantics
import LeakTrace

/// k-induction on a thread of its own, alongside `auto`'s explicit search of a large model:
/// the first decisive answer wins and the other is stopped (issue 18, "engines in
/// parallel").
///
/// A proof here is what the sequential `auto` reports for k-induction: depth k inductive,
/// the base case (no finding within k - 1 steps) by BMC, and a guest seen to run within the
/// bound. A finding is left to the explicit search, which finds the shortest one.
final class ProofCompanion: @unchecked Sendable {
    /// What the companion established.
    struct Proof {
        var depth: Int
        /// The mined clauses k-induction started from.
        var invariant: InvariantMiner.Invariant?
        var guestRuns: Bool
        var seconds: Double
    }

    private let model: Model
    private let bound: Int
    private let deadline: DispatchTime?
    private let parent: Cancellation?
    private let own = Cancellation()
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var started = false
    private var proof: Proof?
    private var failure: Error?

    /// How many states the explicit search holds when k-induction starts.
    let startAfter: Int

    /// States sampled for k-induction's mined invariant.
    private let sample: Int

    init(model: Model, bound: Int, deadline: DispatchTime?, cancellation: Cancellation?, startAfter: Int, sample: Int) {
        self.model = model; self.bound = bound; self.deadline = deadline; self.parent = cancellation
        self.startAfter = startAfter; self.sample = sample
    }

    /// Told how many states the explicit search holds: starts k-induction from `startAfter`.
    func held(_ states: Int) {
        if states >= startAfter { start() }
    }

    /// The proof, once there is one.
    var result: Proof? { lock.withLock { proof } }

    /// Starts k-induction (once).
    func start() {
        let first: Bool = lock.withLock {
            defer { started = true }
            return !started
        }
        guard first else { return }
        let thread = Thread { [self] in
            defer { done.signal() }
            do {
                let found = try (parent ?? Cancellation()).whileRegistered({ [own] in own.cancel() }) { try prove() }
                lock.withLock { proof = found }
            } catch {
                lock.withLock { failure = error }
            }
        }
        // Deep unrollings recurse through Z3's term builders: the main thread's stack size.
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func prove() throws -> Proof? {
        let start = DispatchTime.now().uptimeNanoseconds
        let (result, invariant) = try KInduction(model: model).proveWithMinedInvariant(maxDepth: bound + 1, sampleLimit: sample,
                                                                                     deadline: deadline, cancellation: own)
        guard case .proved(let depth) = result else { return nil }
        // The base case: nothing within depth - 1 steps.
        let (base, _) = try BMCChecker(model: model).check(bound: Swift.max(depth - 1, 0), deadline: deadline, cancellation: own)
        guard case .noFindingWithin = base else { return nil }
        let runs = try BMCChecker(model: model).firstGuestRun(within: bound) != nil
        return Proof(depth: depth, invariant: invariant, guestRuns: runs, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// Stops the companion and waits for its thread; rethrows an internal error it met.
    /// Returns its proof, if it had one.
    func finish() throws -> Proof? {
        let wasStarted: Bool = lock.withLock { started }
        guard wasStarted else { return nil }
        own.cancel()
        done.wait()
        return try lock.withLock {
            // A wrong answer is a bug to report; anything else (a stop, Z3 out of memory) only
            // means the companion has no proof.
            if let failure = failure as? BMCChecker.InternalError { throw failure }
            return proof
        }
    }
}
