internal import CZ3
import Synchronization

/// Process-wide debug counter of live Z3 wrapper objects (contexts, sorts, expressions,
/// function declarations, solvers, models, parameter sets).
///
/// Every wrapper increments it in `init` and decrements it in `deinit`, so a test can prove
/// that all handles were released. Other threads (e.g. tests running in parallel) may move
/// it too; `Z3Context.liveHandles` counts the handles of one context only.
public enum Z3Handles {
    private static let counter = Atomic<Int>(0)

    /// The number of wrapper objects alive right now in this process.
    public static var live: Int { counter.load(ordering: .relaxed) }

    static func opened() { counter.add(1, ordering: .relaxed) }
    static func closed() { counter.subtract(1, ordering: .relaxed) }
}

/// The version of the Z3 library linked in.
public enum Z3Version {
    /// The full version string, e.g. "4.8.12.0".
    public static var string: String {
        guard let s = Z3_get_full_version() else {
            var major: UInt32 = 0, minor: UInt32 = 0, build: UInt32 = 0, revision: UInt32 = 0
            Z3_get_version(&major, &minor, &build, &revision)
            return "\(major).\(minor).\(build).\(revision)"
        }
        return String(cString: s)
    }
}
