import Foundation
import LeakSemantics

/// How much memory the explicit engine may use for the states it stores, and what one stored
/// state costs: the search stops with `unknown` (and says why) before it goes over.
///
/// The packed search (every check but progress) counts the bytes its store holds. For the
/// graph search of `check progress` the cost is an estimate from the model's shape, not a
/// measurement: a `SystemState` is an array of thread states plus one array of `RegionSet`s
/// per core, each a heap allocation; the search stores each state once in its list, once as
/// a key of its index (sharing the heap storage) and a parent link. `docs/PERFORMANCE.md` ("Memory") compares it with the
/// measured peak.
public struct MemoryBudget: Hashable, Sendable {
    /// The budget in bytes.
    public var bytes: Int

    public init(bytes: Int) { self.bytes = bytes }

    public init(megabytes: Int) { self.bytes = megabytes.multipliedReportingOverflow(by: 1 << 20).overflow ? .max : megabytes << 20 }

    /// The default when no `--memory` is given: half the machine's physical memory, at most
    /// 8 GB (a runaway search must not take the machine down).
    public static var defaultBudget: MemoryBudget {
        let half = Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)
        return MemoryBudget(bytes: Swift.min(half, 8 << 30))
    }

    /// Estimated bytes one state of `model` takes while the graph search holds it (the state's own
    /// heap storage, its slots in the list, the index and the parent links, malloc overhead).
    public static func bytesPerState(_ model: Model) -> Int {
        let header = 32, malloc = 16
        let words = Swift.max(1, (model.regions.count + 63) / 64)
        let regionSet = MemoryLayout<RegionSet>.stride + header + 8 * words + malloc
        let perCore = header + malloc + model.buffers.count * regionSet
        let threads = header + malloc + model.threads.count * MemoryLayout<SystemState.ThreadState>.stride
        let state = threads + header + malloc + model.cores.count * perCore
        // The list slot, the index (key, value, about half its slots empty) and the parent link.
        let slots = MemoryLayout<SystemState>.stride * 3 + 8 * 2 + MemoryLayout<(Int, Action)?>.stride
        return state + slots
    }

    /// "1.2 GB", "340 MB".
    public static func describe(bytes: Int) -> String {
        let mb = Double(bytes) / Double(1 << 20)
        return mb >= 1024 ? String(format: "%.1f GB", mb / 1024) : String(format: "%.0f MB", mb)
    }
}
