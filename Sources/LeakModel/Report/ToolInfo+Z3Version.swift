import Synchronization

extension ToolInfo {
    private static let z3Version = Mutex("unknown")

    /// The Z3 version a report names when it is not given one: "unknown" until whoever links
    /// Z3 says which (the command-line tool, from `Checker.z3Version`, before it checks).
    /// Reports never call Z3 themselves: the target LeakReport does not depend on LeakSMT
    /// (docs/ARCHITECTURE.md).
    public static var defaultZ3Version: String {
        get { z3Version.withLock { $0 } }
        set { z3Version.withLock { $0 = newValue } }
    }
}
