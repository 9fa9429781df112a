internal import CZ3
import Synchronization

/// A Z3 context with reference-counted handles (`Z3_mk_context_rc`).
///
/// Every Z3 error becomes a thrown `Z3Error`: the context installs an error handler that does
/// nothing (so Z3 never prints or calls `exit`), and every C call that can fail is followed by
/// a check of `Z3_get_error_code`.
///
/// Threading: a context and all its handles (`Z3Sort`, `Z3Expr`, `Z3Solver`...) must be used by
/// one thread at a time; this includes releasing the last reference to a handle. The only
/// method that may be called from another thread while the context is in use is `interrupt()`.
/// The class is `@unchecked Sendable` for that single purpose.
public final class Z3Context: @unchecked Sendable {
    /// The raw `Z3_context`; valid as long as this object lives.
    let raw: Z3_context
    private let handles = Atomic<Int>(0)

    /// Creates a context (reference-counted, silent error handler).
    public init() throws {
        guard let config = Z3_mk_config() else {
            throw Z3Error(.nullHandle, "Z3_mk_config returned NULL")
        }
        defer { Z3_del_config(config) }
        guard let ctx = Z3_mk_context_rc(config) else {
            // Creating a context only fails when Z3 cannot allocate it: a `memory_max_size`
            // below what a context needs (about 40 MB), or the machine is out of memory.
            throw Z3Error(.memoryOut, "Z3_mk_context_rc returned NULL (Z3 could not allocate a context)")
        }
        // Nothing may print or exit from a C callback: errors are read with Z3_get_error_code.
        Z3_set_error_handler(ctx) { _, _ in }
        raw = ctx
        Z3Handles.opened()
    }

    /// Sets Z3's process-wide memory limit (the `memory_max_size` parameter); 0 removes it.
    /// A query that needs more stops with "unknown" or a memory-out error.
    public static func setMemoryLimit(megabytes: Int) {
        // Z3's global parameters are not thread-safe: checks running in parallel (`check -j`)
        // set them under the lock, and only when the value changes.
        limit.withLock { current in
            let wanted = megabytes > 0 ? megabytes : nil
            guard let set = current, set == wanted else {
                Z3_global_param_set("memory_max_size", String(max(0, megabytes)))
                current = .some(wanted)
                return
            }
        }
    }

    /// The memory limit last set with `setMemoryLimit`, in megabytes (nil: none).
    public static var memoryLimit: Int? { limit.withLock { $0 ?? nil } }
    /// nil until `setMemoryLimit` is first called, then the limit it set (nil inside: none).
    private static let limit = Mutex<Int??>(nil)

    deinit {
        Z3_del_context(raw)
        Z3Handles.closed()
    }

    /// Interrupts a running check, simplification or tactic; thread-safe (`Z3_interrupt`).
    ///
    /// A `Z3Solver.check` running on another thread returns `.unknown` (reason "interrupted"
    /// or similar). An interrupt that arrives while nothing runs may be lost.
    public func interrupt() {
        Z3_interrupt(raw)
    }

    /// The number of wrapper handles of this context alive right now (debug counter).
    public var liveHandles: Int { handles.load(ordering: .relaxed) }

    // MARK: - Internal helpers

    func handleOpened() {
        handles.add(1, ordering: .relaxed)
        Z3Handles.opened()
    }

    func handleClosed() {
        handles.subtract(1, ordering: .relaxed)
        Z3Handles.closed()
    }

    /// Throws if the last Z3 call on this context set an error code.
    func checkError() throws {
        if let error = pendingError() { throw error }
    }

    /// The error set by the last Z3 call on this context, if any. Read it before the next
    /// Z3 call: most calls reset the error code.
    func pendingError() -> Z3Error? {
        let code = Z3_get_error_code(raw)
        guard code != Z3_OK else { return nil }
        let message: String
        if let text = Z3_get_error_msg(raw, code) {
            message = String(cString: text)
        } else {
            message = "(no message)"
        }
        return Z3Error(Z3Error.Code(code), message)
    }

    /// Checks for an error, then wraps a non-NULL AST result.
    func expr(_ ast: Z3_ast?, _ what: StaticString) throws -> Z3Expr {
        try checkError()
        guard let ast else { throw Z3Error(.nullHandle, "\(what) returned NULL") }
        return Z3Expr(self, ast)
    }

    /// Checks for an error, then wraps a non-NULL sort result.
    func sort(_ sort: Z3_sort?, _ what: StaticString) throws -> Z3Sort {
        try checkError()
        guard let sort else { throw Z3Error(.nullHandle, "\(what) returned NULL") }
        return Z3Sort(self, sort)
    }

    /// Throws unless every handle belongs to this context.
    func requireOwned(_ exprs: [Z3Expr]) throws {
        for e in exprs where e.context !== self {
            throw Z3Error(.mixedContexts, "an expression of another context was passed")
        }
    }

    /// Throws unless every handle belongs to this context.
    func requireOwned(_ exprs: Z3Expr...) throws {
        try requireOwned(exprs)
    }

    /// A string symbol for `name`.
    func symbol(_ name: String) throws -> Z3_symbol {
        let s = Z3_mk_string_symbol(raw, name)
        try checkError()
        guard let s else { throw Z3Error(.nullHandle, "Z3_mk_string_symbol returned NULL") }
        return s
    }

    /// Converts a Swift count or width to `unsigned`, rejecting negative and huge values.
    func unsigned(_ value: Int, _ what: String) throws -> UInt32 {
        guard let v = UInt32(exactly: value) else {
            throw Z3Error(.badArgument, "\(what) must be in 0...\(UInt32.max), got \(value)")
        }
        return v
    }

    /// Calls `body` with the raw ASTs of `exprs`, keeping the wrappers alive meanwhile.
    func withRaw<R>(_ exprs: [Z3Expr], _ body: (UInt32, UnsafePointer<Z3_ast?>) throws -> R) throws -> R {
        try requireOwned(exprs)
        let count = try unsigned(exprs.count, "argument count")
        let raws: [Z3_ast?] = exprs.map { $0.raw }
        return try withExtendedLifetime(exprs) {
            try raws.withUnsafeBufferPointer { buffer in
                // An empty array may have a nil base address; Z3 never reads it when count is 0.
                guard let base = buffer.baseAddress else {
                    var none: Z3_ast? = nil
                    return try body(0, &none)
                }
                return try body(count, base)
            }
        }
    }
}
