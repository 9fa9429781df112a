import Foundation
import LeakSemantics

/// How often each VM-exit reason happens, read from `perf kvm stat report` (its real text
/// output, `--event=vmexit`, the default) or from a CSV of `reason,count` lines.
public struct ExitMix: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// As the source names it: a VMX reason (`EPT_VIOLATION`), an SVM one (`npf`), or a
        /// model's exit name.
        public var reason: String
        public var count: Double
        /// Line in the source (1-based).
        public var line: Int
    }

    public enum Format: String, Sendable { case perf = "perf kvm stat report", csv = "CSV" }

    public var entries: [Entry]
    public var format: Format
    public var path: String

    public var total: Double { entries.reduce(0) { $0 + $1.count } }

    /// A problem in a mix file, with where.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var message: String
        public var description: String { "\(line):\(column): \(message)" }
    }

    /// Reads a mix: `perf kvm stat report` output when a line starts with the `VM-EXIT` column
    /// header, otherwise CSV.
    public init(text: String, path: String) throws(Failure) {
        self.path = path
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).replacingCR() }
        if let header = lines.firstIndex(where: { Self.words($0).first.map { $0.uppercased() == "VM-EXIT" } ?? false }) {
            format = .perf
            entries = try Self.perfRows(lines, after: header)
        } else if let other = lines.firstIndex(where: { $0.contains("IO Port Access") || $0.contains("MMIO Access") || $0.contains("MSR Access") }) {
            throw Failure(line: other + 1, column: 1, message: "this is the report of perf kvm stat's ioport, mmio or msr event; cost needs the VM-exit report (`perf kvm stat report`, the default --event=vmexit)")
        } else {
            format = .csv
            entries = try Self.csvRows(lines)
        }
        guard !entries.isEmpty else {
            throw Failure(line: 1, column: 1, message: "no exits in the mix (expected `perf kvm stat report` output or `reason,count` lines)")
        }
        guard total > 0 else { throw Failure(line: 1, column: 1, message: "every count in the mix is 0") }
    }

    /// The rows under perf's header: `REASON  SAMPLES  SAMPLES%  TIME%  MIN  MAX  AVG ( +- X% )`,
    /// up to the `Total Samples:` line.
    private static func perfRows(_ lines: [String], after header: Int) throws(Failure) -> [Entry] {
        var out: [Entry] = []
        for (i, line) in lines.enumerated().dropFirst(header + 1) {
            let w = words(line)
            guard let first = w.first else { continue }
            let trimmed = line.trimmingCharacters()
            if trimmed.hasPrefix("Total Samples") { break }
            // perf interleaves these with the rows for codes its table lacks (rows "UNKNOWN").
            if trimmed.hasPrefix("unknown kvm exit code") { continue }
            // The name may have blanks (SVM's "PF excp"): it ends at the first whole number that
            // the Samples% column follows.
            guard let k = w.indices.dropFirst().first(where: { Int(w[$0]) != nil && ($0 + 1 == w.count || w[$0 + 1].hasSuffix("%")) }) else {
                let found = w.count >= 2 ? ", found '\(w[1])'" : ""
                throw Failure(line: i + 1, column: column(of: w.count >= 2 ? w[1] : first, in: line),
                              message: "expected a sample count after '\(first)'\(found)")
            }
            let n = Int(w[k])!
            guard n >= 0, n <= 1_000_000_000_000_000 else {
                throw Failure(line: i + 1, column: column(of: w[k], in: line), message: "sample count \(w[k]) is out of range")
            }
            let reason = w[..<k].joined(separator: " ")
            out.append(Entry(reason: reason, count: Double(n), line: i + 1))
        }
        return out
    }

    /// `reason,count` lines; `#` comments, blank lines and a header line `exit,count` (or
    /// `reason,...`) are skipped.
    private static func csvRows(_ lines: [String]) throws(Failure) -> [Entry] {
        var out: [Entry] = []
        for (i, raw) in lines.enumerated() {
            let line = (raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "")
            if line.trimmingCharacters().isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters() }
            guard fields.count >= 2, !fields[0].isEmpty else {
                throw Failure(line: i + 1, column: 1, message: "expected 'reason,count', found '\(line.trimmingCharacters())'")
            }
            guard let n = Double(fields[1]), n.isFinite, n >= 0, n <= 1e18 else {
                if out.isEmpty, ["exit", "reason", "vm-exit", "vmexit"].contains(fields[0].lowercased()) { continue }
                throw Failure(line: i + 1, column: column(of: fields[1], in: line),
                              message: "expected a count after '\(fields[0])', found '\(fields[1])'")
            }
            out.append(Entry(reason: fields[0], count: n, line: i + 1))
        }
        return out
    }

    private static func words(_ line: String) -> [String] {
        line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    private static func column(of word: String, in line: String) -> Int {
        guard let r = line.range(of: word) else { return 1 }
        return line.distance(from: line.startIndex, to: r.lowerBound) + 1
    }

    // MARK: Mapping reasons to a model's exits

    /// How a reason was matched to an exit of the model.
    public enum Match: Sendable, Equatable {
        /// Given with `--map REASON=EXIT`.
        case mapped(exit: Int)
        /// The same name, ignoring case and underscores (`CPUID` and `cpuid`).
        case sameName(exit: Int)
        /// A known alias (`EPT_VIOLATION` and `ept`), docs/COST.md.
        case alias(exit: Int)
        /// The model has no exit for it.
        case unhandled

        public var exit: Int? {
            switch self {
            case .mapped(let x), .sameName(let x), .alias(let x): x
            case .unhandled: nil
            }
        }
    }

    /// Model exit names that a VMX (or SVM) exit reason may go by, most specific first: the
    /// first that the model declares is taken (docs/COST.md lists them).
    public static let aliases: [(reason: String, names: [String])] = [
        ("EPT_VIOLATION", ["ept_violation", "ept", "npf", "page_fault", "pf"]),
        ("EPT_MISCONFIG", ["ept_misconfig", "mmio", "ept"]),
        // AMD: perf prints the strings of SVM_EXIT_REASONS (arch/x86/include/uapi/asm/svm.h).
        ("npf", ["npf", "ept_violation", "ept", "page_fault"]),
        ("interrupt", ["interrupt", "external_interrupt", "extint", "intr", "irq"]),
        ("io", ["io", "io_instruction", "pio", "ioio"]),
        ("hypercall", ["hypercall", "vmcall", "vmmcall"]),
        ("msr", ["msr", "msr_write", "msr_read", "wrmsr", "rdmsr"]),
        ("pause", ["pause", "pause_instruction", "ple"]),
        ("MSR_READ", ["msr_read", "rdmsr", "msr"]),
        ("MSR_WRITE", ["msr_write", "wrmsr", "msr"]),
        ("EXTERNAL_INTERRUPT", ["external_interrupt", "extint", "intr", "irq", "interrupt"]),
        ("IO_INSTRUCTION", ["io_instruction", "io", "pio", "ioio"]),
        ("PAUSE_INSTRUCTION", ["pause_instruction", "pause", "ple"]),
        ("HLT", ["hlt", "halt"]),
        ("CPUID", ["cpuid"]),
        ("PREEMPTION_TIMER", ["preemption_timer", "timer"]),
        ("APIC_WRITE", ["apic_write", "apic"]),
        ("APIC_ACCESS", ["apic_access", "apic"]),
        ("EOI_INDUCED", ["eoi_induced", "eoi", "apic"]),
        ("VMCALL", ["vmcall", "hypercall"]),
        ("EXCEPTION_NMI", ["exception_nmi", "exception"]),
        ("CR_ACCESS", ["cr_access", "cr"]),
        ("RDTSC", ["rdtsc"]), ("RDTSCP", ["rdtscp", "rdtsc"]),
        ("XSETBV", ["xsetbv"]), ("INVLPG", ["invlpg"]), ("WBINVD", ["wbinvd"]),
    ]

    /// `CPUID`, `cpuid` and `Cpu_Id` all read `cpuid`.
    public static func normalized(_ name: String) -> String {
        String(name.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    /// Matches every reason of the mix to an exit of `model`: `--map` first, then the same name,
    /// then the alias table.
    public func matches(_ model: Model, mapping: [String: String]) -> [Match] {
        let declared = model.exits.indices.filter { !model.exits[$0].implicit }
        func exit(named name: String) -> Int? {
            declared.first { Self.normalized(model.exits[$0].name) == Self.normalized(name) }
        }
        return entries.map { e in
            if let target = mapping.first(where: { Self.normalized($0.key) == Self.normalized(e.reason) })?.value {
                return exit(named: target).map { .mapped(exit: $0) } ?? .unhandled
            }
            if let x = exit(named: e.reason) { return .sameName(exit: x) }
            if let names = Self.aliases.first(where: { Self.normalized($0.reason) == Self.normalized(e.reason) })?.names {
                for n in names { if let x = exit(named: n) { return .alias(exit: x) } }
            }
            return .unhandled
        }
    }
}

extension String {
    fileprivate func replacingCR() -> String { hasSuffix("\r") ? String(dropLast()) : self }
}
