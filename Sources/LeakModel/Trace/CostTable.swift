import LeakSemantics

/// Cycles per action, for `leakcheck cost`: documented defaults (docs/COST.md, each with its
/// published source), overridable one by one (`--cost ipi=2500`) or from a file.
public struct CostTable: Sendable, Equatable {
    /// An action that costs cycles.
    public enum Action: String, Sendable, CaseIterable {
        /// A VM exit and the VM entry back into the guest.
        case vmexit
        /// An IPI to a sibling (`kick siblings`, `hold siblings`) and its forced VM exit, up to the
        /// kicker seeing it out of the guest.
        case ipi
        /// A CR3 write that keeps the TLB (PCID): `switch T`.
        case `switch`
        /// An L1D flush (`flush` of a buffer named l1d): the MSR write and the refill after it.
        case flushL1D = "flush_l1d"
        /// Clearing the other CPU buffers (`flush` of any other buffer): VERW.
        case flushBuffers = "flush_buffers"
        /// A page fault taken in the restricted table (the entry into `on fault`).
        case fault
    }

    /// One action's cycles and where the number comes from.
    public struct Entry: Sendable, Equatable {
        public var action: Action
        public var cycles: Double
        /// The published source, or "--cost" / the file that overrode it.
        public var source: String
    }

    public var entries: [Entry]
    /// What SMT adds to a core's throughput (a fraction: 0.25 is 25%), which SMT off gives up.
    public var smtGain: Double
    public var smtGainSource: String

    public subscript(_ a: Action) -> Double { entries.first { $0.action == a }!.cycles }

    /// The defaults of docs/COST.md.
    public static let defaults = CostTable(entries: [
        Entry(action: .vmexit, cycles: 1_200,
              source: "measured: CPUID exit round trip 1,018-1,110 cycles (Sean Christopherson and Bernhard Kauer, kvm@vger, Dec 2024, kvm-unit-tests vmexit.flat); VMCALL 1,529-1,559 on Skylake-SP (Wanpeng Li, Mar 2020)"),
        Entry(action: .ipi, cycles: 3_000,
              source: "estimate: no published measurement of a kick of the sibling; the nearest, a vCPU IPI round trip, is 3,203-6,059 cycles (Wanpeng Li 2019-2020; Zeng Guang, Intel, Mar 2022)"),
        Entry(action: .switch, cycles: 250,
              source: "Andy Lutomirski, kvm@vger, 14 May 2019 (seeds/): \"a PCID-don't-flush CR3 write is IIRC under 300 cycles\""),
        Entry(action: .flushL1D, cycles: 2_500,
              source: "estimate: 1,000 for the IA32_FLUSH_CMD write (at least 512 for a 32 KiB L1D) and 1,500 for the refill; l1tf.rst gives only 1% to 50% whole-workload slowdown"),
        Entry(action: .flushBuffers, cycles: 500,
              source: "estimate: no published cycle count for VERW with MD_CLEAR (mds.rst gives none)"),
        Entry(action: .fault, cycles: 2_500,
              source: "estimate: a minor fault with its handler; the kernel crossing alone is about 790 cycles (Yizhou Shan, Xeon E5 v3, KPTI off)"),
    ], smtGain: 0.25, smtGainSource: "Intel's up to 30% for Hyper-Threading; 27-35% measured on a web and database load (AnandTech 2003); none for compute-bound code")

    /// A problem with an override, in words.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Applies `KEY=CYCLES` (a key of `Action`, or `smt_gain` as a fraction); `source` says
    /// where it came from.
    public mutating func override(_ assignment: String, source: String) throws(Failure) {
        let parts = assignment.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters() }
        guard parts.count == 2, !parts[0].isEmpty else {
            throw Failure(message: "expected KEY=CYCLES, found '\(assignment)'")
        }
        guard let value = Double(parts[1]), value.isFinite, value >= 0, value <= 1e9 else {
            throw Failure(message: "'\(parts[1])' is not a number of cycles from 0 to 1e9 (for '\(parts[0])')")
        }
        if parts[0] == "smt_gain" {
            guard value <= 10 else { throw Failure(message: "smt_gain is a fraction of a core's throughput (0.25 for 25%), not \(parts[1])") }
            smtGain = value; smtGainSource = source
            return
        }
        guard let action = Action(rawValue: parts[0]), let i = entries.firstIndex(where: { $0.action == action }) else {
            let keys = (Action.allCases.map(\.rawValue) + ["smt_gain"]).joined(separator: ", ")
            throw Failure(message: "unknown cost '\(parts[0])' (known: \(keys))")
        }
        entries[i].cycles = value
        entries[i].source = source
    }

    /// Applies a file of `KEY = CYCLES` lines (`#` comments, blank lines).
    public mutating func override(file text: String, path: String) throws(Failure) {
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if line.trimmingCharacters().isEmpty { continue }
            do { try override(line, source: "\(path):\(n + 1)") } catch { throw Failure(message: "\(path):\(n + 1): \(error.message)") }
        }
    }
}
