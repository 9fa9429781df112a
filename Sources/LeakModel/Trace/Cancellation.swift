import Foundation

/// Stops a running check from another thread (a signal source, a deadline): the engines poll
/// `isCancelled`, and registered handlers interrupt Z3.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var handlers: [Int: @Sendable () -> Void] = [:]
    private var nextID = 0

    public init() {}

    public var isCancelled: Bool { lock.withLock { cancelled } }

    /// Why a run must stop now, if it must: "interrupted" once `cancellation` is cancelled,
    /// "timeout" once `deadline` has passed, else nil. Engines poll it in their inner loops.
    public static func stopReason(deadline: DispatchTime?, cancellation: Cancellation?) -> () -> String? {
        {
            if cancellation?.isCancelled == true { return "interrupted" }
            if let deadline, DispatchTime.now() >= deadline { return "timeout" }
            return nil
        }
    }

    /// Cancels, and runs every registered handler once (on the calling thread).
    public func cancel() {
        let toRun: [@Sendable () -> Void] = lock.withLock {
            guard !cancelled else { return [] }
            cancelled = true
            return Array(handlers.values)
        }
        for handler in toRun { handler() }
    }

    /// Runs `body` with `handler` registered: it is called if cancellation happens meanwhile
    /// (at once if it already happened).
    public func whileRegistered<T>(_ handler: @escaping @Sendable () -> Void, _ body: () throws -> T) rethrows -> T {
        let (id, already): (Int, Bool) = lock.withLock {
            let id = nextID
            nextID += 1
            handlers[id] = handler
            return (id, cancelled)
        }
        if already { handler() }
        defer { _ = lock.withLock { handlers.removeValue(forKey: id) } }
        return try body()
    }
}
