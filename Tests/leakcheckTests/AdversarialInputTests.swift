import Foundation
import Testing

/// Adversarial inputs of issue 19 (docs/TESTING.md, "Adversarial inputs and limits"): every
/// input gets an answer within its limits, signals are honoured by every command, and a file
/// that is not a regular file is refused. Time bounds are generous: they only tell "answered"
/// from "ignored the limit for minutes".
@Suite("leakcheck: limits on every input")
struct AdversarialInputTests {
    /// Two threads of one core running one guest with the ASI protocol, and the given body.
    static func model(guests: [String] = ["vm1"], body: String) -> String {
        """
        model "adversarial"
        core c0 { t0 t1 }
        host host
        \(guests.map { "guest \($0)" }.joined(separator: "\n"))
        region kvm_text public
        region host_heap owner host
        region vcpu_state per guest
        table kernel maps all
        table restricted per guest maps kvm_text, vcpu_state
        buffer l1d fill mapped
        run \(guests.joined(separator: ", ")) on t0, t1
        on vmexit { }
        on fault { hold siblings; wait until siblings out of guest; switch kernel }
        on vmentry { switch restricted; wait until siblings not in kernel; flush l1d; release siblings }
        \(body)
        check corun
        check residue l1d
        check crash
        bound 20

        """
    }

    /// An exit with `n` branches: its successors and its encoding are thousands wide.
    static func wideEither(_ n: Int) -> String {
        model(body: "exit big { either " + Array(repeating: "{ touch vcpu_state }", count: n).joined(separator: " or ") + " }")
    }

    @Test func wideEitherHonoursTheTimeLimit() throws {
        let dir = try TemporaryDirectory()
        try dir.write("wide.leak", Self.wideEither(4000))
        let start = Date()
        let r = try leakcheck(["check", "-q", "--timeout", "5", "wide.leak"], in: dir.url)
        // Before: no answer after 53 s, 12 GB.
        #expect(Date().timeIntervalSince(start) < 40, "\(r)")
        #expect(r.status == Documented.undecided, "\(r)")
        #expect(r.stdout.contains("(timeout; the model is large: 4007 statements)"), "\(r)")
    }

    @Test func ctrlCStopsTheExplicitEngineInsideALayer() throws {
        let dir = try TemporaryDirectory()
        try dir.write("wide.leak", Self.wideEither(4000))
        let r = try leakcheck(["check", "-q", "--engine", "explicit", "wide.leak"], in: dir.url, interruptAfter: 3)
        #expect(r.status == 130, "\(r)")
        #expect(r.stdout.contains("(interrupted"), "\(r)")
        #expect((r.secondsAfterSignal ?? 0) < 20, "\(r)")
    }

    @Test func explicitEngineStaysWithinItsMemoryBudget() throws {
        let dir = try TemporaryDirectory()
        // One core (no decomposition), 701,603 states: about 35 MB packed.
        let g = try leakcheck(["generate", "--cores", "1", "--threads-per-core", "2", "--exits", "64", "--regions", "64",
                               "--interrupts", "8", "-o", "big.leak"], in: dir.url)
        #expect(g.status == 0, "\(g)")
        let r = try leakcheck(["check", "-q", "--engine", "explicit", "--memory", "5", "big.leak"], in: dir.url)
        #expect(r.status == Documented.undecided, "\(r)")
        #expect(r.stdout.contains("memory budget of 5 MB reached"), "\(r)")
        #expect(!r.stdout.contains(": safe"), "\(r)")
    }

    @Test func z3BelowItsMinimumMemoryIsUndecidedNotAnInternalError() throws {
        for megabytes in ["1", "10"] {
            let r = try leakcheck(["check", "-q", "--engine", "bmc", "--memory", megabytes, "Models/asi-kick.leak"])
            #expect(r.status == Documented.undecided, "\(r)")
            #expect(r.stdout.contains("Z3 ran out of memory"), "\(r)")
        }
        // Whatever 40 MB allows, it is never an internal error.
        let r = try leakcheck(["check", "-q", "--memory", "40", "Models/asi-kick.leak"])
        #expect(r.status != Documented.internalError, "\(r)")
    }

    @Test func sigtermIsLikeCtrlC() throws {
        let dir = try TemporaryDirectory()
        try dir.write("wide.leak", Self.wideEither(4000))
        let r = try leakcheck(["check", "-q", "wide.leak"], in: dir.url, interruptAfter: 3, signal: SIGTERM)
        #expect(r.status == 130, "\(r)")
        #expect((r.secondsAfterSignal ?? 0) < 20, "\(r)")
        #expect(r.stdout.contains("wide.leak: unknown"), "\(r)")
        #expect(r.stdout.contains("(interrupted"), "\(r)")
        #expect(r.stderr.contains("leakcheck: interrupted"), "\(r)")
    }

    @Test func explainStopsOnCtrlC() throws {
        let dir = try TemporaryDirectory()
        try dir.write("wide.leak", Self.wideEither(4000))
        let r = try leakcheck(["explain", "wide.leak"], in: dir.url, interruptAfter: 3)
        #expect(r.status == 130, "\(r)")
        #expect((r.secondsAfterSignal ?? 0) < 20, "\(r)")
        #expect(r.stderr.contains("leakcheck: interrupted"), "\(r)")
    }

    @Test func reportExits130OnCtrlC() throws {
        let dir = try TemporaryDirectory()
        try dir.write("wide.leak", Self.wideEither(4000))
        let r = try leakcheck(["report", "wide.leak", "-o", "r.html"], in: dir.url, interruptAfter: 3)
        #expect(r.status == 130, "\(r)")
        #expect((r.secondsAfterSignal ?? 0) < 20, "\(r)")
        #expect(FileManager.default.fileExists(atPath: dir.path("r.html")), "what was found so far is written")
    }

    /// A FIFO named like a model blocks `open` until someone writes. If the tool hangs in it
    /// (the bug), the test opens the FIFO for writing after 20 s, so it fails instead of hanging.
    private func withUnblocking<T>(_ fifo: String, _ body: () throws -> T) rethrows -> T {
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            if done.wait(timeout: .now() + 20) == .timedOut {
                let fd = open(fifo, O_WRONLY | O_NONBLOCK)
                if fd >= 0 { close(fd) }
            }
        }
        defer { done.signal() }
        return try body()
    }

    @Test func fifoIsRefused() throws {
        let dir = try TemporaryDirectory()
        let fifo = dir.path("pipe.leak")
        #expect(mkfifo(fifo, 0o600) == 0)
        let r = try withUnblocking(fifo) { try leakcheck(["check", "pipe.leak"], in: dir.url) }
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stderr.contains("cannot read 'pipe.leak': is a FIFO (named pipe), not a regular file"), "\(r)")
    }

    @Test func fifoInAFolderIsAnErrorForThatFileOnly() throws {
        let dir = try TemporaryDirectory()
        try dir.write("models/good.leak", Self.model(body: "exit cpuid { touch vcpu_state }"))
        let fifo = dir.path("models/pipe.leak")
        #expect(mkfifo(fifo, 0o600) == 0)
        let r = try withUnblocking(fifo) { try leakcheck(["check", "-q", "models"], in: dir.url) }
        #expect(r.status == Documented.modelOrUsageError, "\(r)")
        #expect(r.stdout.contains("models/good.leak: "), "the regular file is still checked: \(r)")
        #expect(r.stderr.contains("pipe.leak': is a FIFO"), "\(r)")
    }

    static let thousandGuests = model(guests: (0..<1000).map { "g\($0)" }, body: "exit cpuid { touch vcpu_state }")

    @Test func thousandInterchangeableGuestsAreReduced() throws {
        let dir = try TemporaryDirectory()
        try dir.write("many.leak", Self.thousandGuests)
        let start = Date()
        let r = try leakcheck(["check", "-q", "--timeout", "120", "many.leak"], in: dir.url)
        // Before: no verdict in 300 s (3.3 GB).
        #expect(Date().timeIntervalSince(start) < 120, "\(r)")
        #expect(r.stdout.contains("many.leak: leak (corun) in 6 steps"), "\(r)")
        #expect(r.stdout.contains("symmetry: 1000 interchangeable guests (g0 ... g999 on t0 t1) checked as 5"), "\(r)")
    }

    @Test func parseOutputOfAThousandGuestsStaysSmall() throws {
        let dir = try TemporaryDirectory()
        try dir.write("many.leak", Self.thousandGuests)
        let r = try leakcheck(["parse", "many.leak"], in: dir.url)
        #expect(r.status == Documented.ok, "\(r)")
        // Before: 85 MB.
        #expect(r.stdout.utf8.count < 10_000, "\(r.stdout.prefix(2000))")
        #expect(r.stdout.contains("g0 ... g999 (1000 interchangeable guests)"), "\(r)")
    }
}
