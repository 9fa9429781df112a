import Foundation
import Testing

/// Writes a safe model whose search takes far longer than the limits below (tens of seconds
/// in a debug build): four cores of two threads, four guests that may swap, 64 exits, 64
/// regions and 4 interrupts, from `leakcheck generate`. (A hand-written "slow" model used
/// before turned out to have a residue leak at 12 steps, which the explicit engine now finds
/// within a second. Without interrupts, the explicit engine of 2026-12-04 proves this one in
/// 3.6 s of a debug build, too close to the 2 s after which Ctrl-C comes; with them, 43 s.)
func writeSlowModel(in dir: TemporaryDirectory) throws {
    let r = try leakcheck(["generate", "--cores", "4", "--threads-per-core", "2", "--guests", "4",
                           "--exits", "64", "--regions", "64", "--interrupts", "4", "-o", "slow.leak"], in: dir.url)
    #expect(r.status == 0, "\(r)")
}

@Suite("leakcheck: time limits and Ctrl-C")
struct ResourceLimitTests {
    @Test func timeoutGivesUnknownWithHowFarItGot() throws {
        let dir = try TemporaryDirectory()
        try writeSlowModel(in: dir)
        let start = Date()
        let r = try leakcheck(["check", "-q", "--timeout", "1", "slow.leak"], in: dir.url)
        #expect(r.status == 3, "\(r)")
        #expect(r.stdout.contains("slow.leak: unknown: no finding within "), "\(r)")
        #expect(r.stdout.contains("(timeout)"), "\(r)")
        #expect(!r.stdout.contains(": safe:"), "\(r)")
        // The limit is honoured (with room for a slow machine), not ignored.
        #expect(Date().timeIntervalSince(start) < 30)
    }

    @Test func ctrlCInterruptsAndPrintsThePartialResult() throws {
        let dir = try TemporaryDirectory()
        try writeSlowModel(in: dir)
        // One at a time (`-j 1`): with several jobs the second file would already be running.
        let r = try leakcheck(["check", "-q", "-j", "1", "slow.leak", "slow.leak"], in: dir.url, interruptAfter: 2)
        #expect(r.status == 130, "\(r)")
        #expect(r.stdout.contains("(interrupted)"), "\(r)")
        #expect(r.stderr.contains("leakcheck: interrupted"), "\(r)")
        // The second file is not started after the interrupt.
        #expect(r.stdout.components(separatedBy: "slow.leak:").count == 2, "\(r)")
    }

    /// With two jobs both files are running when Ctrl-C comes: both stop, and both say so.
    @Test func ctrlCStopsEveryJob() throws {
        let dir = try TemporaryDirectory()
        try writeSlowModel(in: dir)
        let r = try leakcheck(["check", "-q", "-j", "2", "slow.leak", "slow.leak"], in: dir.url, interruptAfter: 2)
        #expect(r.status == 130, "\(r)")
        #expect(r.stdout.components(separatedBy: "(interrupted)").count == 3, "\(r)")
        #expect(r.stderr.contains("leakcheck: interrupted"), "\(r)")
    }

    @Test func memoryLimitIsValidated() throws {
        let r = try leakcheck(["check", "--memory", "0", "Models/asi.leak"])
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.contains("--memory must be a positive number of megabytes"), "\(r)")
    }
}
