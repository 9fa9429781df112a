import Foundation

/// Runs independent jobs on several threads and hands their results back in order.
///
/// `check -j N` checks models in parallel; its output must not depend on which finishes
/// first, so each result is delivered on the calling thread in index order, as soon as it and
/// every earlier one are done (a long first model holds back the others' output, not their
/// work).
enum OrderedParallel {
    /// Runs `work(i)` for every `i` in `0..<count` on up to `jobs` threads and calls
    /// `deliver(i, result)` on the calling thread in index order.
    static func run<T: Sendable>(count: Int, jobs: Int, work: @escaping @Sendable (Int) -> T,
                                 deliver: (Int, T) -> Void) {
        guard jobs > 1, count > 1 else {
            for i in 0..<count { deliver(i, work(i)) }
            return
        }
        let slots = Slots<T>(count: count)
        for _ in 0..<min(jobs, count) {
            Thread.detachNewThread {
                while let i = slots.take() { slots.put(i, work(i)) }
            }
        }
        for i in 0..<count { deliver(i, slots.wait(i)) }
    }

    /// The results so far and the next index to start, under one condition variable.
    private final class Slots<T: Sendable>: @unchecked Sendable {
        private let condition = NSCondition()
        private var results: [T?]
        private var next = 0

        init(count: Int) { results = Array(repeating: nil, count: count) }

        /// The next index nobody has started, if any.
        func take() -> Int? {
            condition.lock()
            defer { condition.unlock() }
            guard next < results.count else { return nil }
            next += 1
            return next - 1
        }

        func put(_ i: Int, _ value: T) {
            condition.lock()
            results[i] = value
            condition.broadcast()
            condition.unlock()
        }

        /// Blocks until result `i` is there.
        func wait(_ i: Int) -> T {
            condition.lock()
            defer { condition.unlock() }
            while results[i] == nil { condition.wait() }
            return results[i]!
        }
    }
}
