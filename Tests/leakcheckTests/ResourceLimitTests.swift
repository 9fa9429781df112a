import Foundation
import Testing

/// A model whose bounded search takes far longer than the limits below: five threads on two
/// cores, two guests that may swap, a fault path, and an irq; only a hard-to-reach residue is
/// checked, so the search runs on instead of stopping at a first finding.
let slowModel = """
    core c0 { t0 t1 t2 }
    core c1 { u0 u1 }
    host host
    guest vm1
    guest vm2
    region text public
    region heap owner host
    region percpu owner host
    region vcpu per guest
    region mem per guest
    table restricted per guest maps text, vcpu
    table kernel maps all
    buffer l1d fill mapped
    buffer fb fill touched
    run vm1, vm2 on t0, t1, t2
    run vm1, vm2 on u0, u1
    on vmexit { either { touch vcpu } or { touch mem } }
    on fault { hold siblings; wait until siblings out of guest; switch kernel }
    on vmentry { switch restricted; wait until siblings not in kernel; flush l1d; flush fb; release siblings }
    exit a { touch vcpu }
    exit b { either { touch heap } or { touch percpu } }
    exit c { irqs on; irqs off }
    interrupt irq timer { touch text }
    check residue fb
    bound 60
    expect safe

    """

@Suite("leakcheck: time limits and Ctrl-C")
struct ResourceLimitTests {
    @Test func timeoutGivesUnknownWithHowFarItGot() throws {
        let dir = try TemporaryDirectory()
        try dir.write("slow.leak", slowModel)
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
        try dir.write("slow.leak", slowModel)
        let r = try leakcheck(["check", "-q", "slow.leak", "slow.leak"], in: dir.url, interruptAfter: 2)
        #expect(r.status == 130, "\(r)")
        #expect(r.stdout.contains("(interrupted)"), "\(r)")
        #expect(r.stderr.contains("leakcheck: interrupted"), "\(r)")
        // The second file is not started after the interrupt.
        #expect(r.stdout.components(separatedBy: "slow.leak:").count == 2, "\(r)")
    }

    @Test func memoryLimitIsValidated() throws {
        let r = try leakcheck(["check", "--memory", "0", "Models/asi.leak"])
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.contains("--memory must be a positive number of megabytes"), "\(r)")
    }
}
