import ArgumentParser
import Foundation
import LeakModel

extension LeakCheck {
    /// `leakcheck generate`: writes an ASI-style model of a chosen size, safe or with a planted flaw.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an ASI-style model of a chosen size, safe or with one planted flaw.",
            discussion: """
                The safe design is the one of Models/asi.leak scaled up: a restricted
                per-guest table, the hold/wait/switch protocol on the fault path, a
                flush of L1D on entry, siblings serving the same guest. A flaw changes
                one thing: corun (the restricted table maps host-owned percpu), residue
                (no flush on entry), crash (an NMI touches percpu), deadlock (entry
                waits for the siblings before leaving the kernel table). The file's
                `expect` line states the verdict; its header gives the parameters.

                Exit status: 0 when written, 2 for options out of range.
                """)

        @Option(help: "Cores (1-4).")
        var cores = 1
        @Option(help: "Hardware threads per core (1-2).")
        var threadsPerCore = 2
        @Option(help: "Guests (1-4; at most --cores with two threads per core).")
        var guests = 1
        @Option(help: "Exit reasons (1-64).")
        var exits = 3
        @Option(help: "Concrete regions, a per-guest region counting once per guest (1-64, at least --guests).")
        var regions = 5
        @Option(help: "Interrupt handlers, alternately nmi and irq (0-8).")
        var interrupts = 0
        @Option(help: "The planted flaw: none, corun, residue, crash or deadlock.")
        var flaw = "none"
        @Option(help: "Seed for the choices that vary (which exit touches what).")
        var seed: UInt64 = 1
        @Option(help: "The model's bound line (1-1000, as in a model file).")
        var bound = 20
        @Option(name: [.short, .customLong("output")], help: "Write to this file instead of stdout.")
        var output: String?

        func parameters() throws -> ModelGenerator.Parameters {
            guard let kind = ModelGenerator.Flaw(rawValue: flaw) else {
                throw ValidationError("--flaw must be one of \(ModelGenerator.Flaw.allCases.map(\.rawValue).joined(separator: ", ")), got '\(flaw)'")
            }
            var p = ModelGenerator.Parameters()
            p.cores = cores; p.threadsPerCore = threadsPerCore; p.guests = guests; p.exits = exits
            p.regions = regions; p.interrupts = interrupts; p.flaw = kind; p.seed = seed; p.bound = bound
            return p
        }

        func validate() throws {
            do { _ = try ModelGenerator(parameters()) } catch let e as ModelGenerator.InvalidParameters {
                throw ValidationError(e.description)
            }
        }

        func run() throws {
            try Output.emit(ModelGenerator(parameters()).source(), to: output)
        }
    }
}
