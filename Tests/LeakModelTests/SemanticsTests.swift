import Testing
@testable import LeakModel
@testable import LeakTrace
@testable import LeakExplicit
@testable import LeakEncoding

/// One rule of DESIGN.md section 3, as a tiny model whose verdict depends on it. A fault
/// crash counts the faulting access as a step ("How findings are counted"), so the crash
/// rows end with the touch that crashes.
struct RuleCase: CustomTestStringConvertible, Sendable {
    var name: String
    var body: String
    /// "leak", "crash", "deadlock" or "safe"; and the shortest length for a finding.
    var verdict: String
    var length: Int?
    var testDescription: String { name }
}

/// A one-core model with both tables; `first` picks the initial table.
private func model(threads: String = "t0", first: String = "restricted", _ body: String) -> String {
    let tables = first == "kernel"
        ? "table kernel maps all\ntable restricted per guest maps text, vcpu\ntable small maps vcpu"
        : "table restricted per guest maps text, vcpu\ntable kernel maps all\ntable small maps vcpu"
    return """
        core c0 { \(threads) }
        host host
        guest vm1
        region text public
        region heap owner host
        region vcpu per guest
        \(tables)
        buffer l1d fill mapped
        run vm1 on \(threads.split(separator: " ").joined(separator: ", "))
        \(body)
        bound 12
        """
}

let ruleCases: [RuleCase] = [
    RuleCase(name: "touch without on fault crashes at once",
             body: model("on vmentry { touch heap }\nexit x { }\ncheck crash"), verdict: "crash", length: 1),
    RuleCase(name: "touch with a fault path maps, retries, and fills",
             body: model("on fault { switch kernel }\non vmentry { touch heap }\nexit x { }\ncheck crash\ncheck residue l1d"),
             verdict: "leak", length: 3),
    RuleCase(name: "a fault inside on fault crashes",
             body: model("on fault { touch heap }\non vmentry { touch heap }\nexit x { }\ncheck crash"), verdict: "crash", length: 1),
    RuleCase(name: "a retry still unmapped crashes",
             body: model("on fault { flush l1d }\non vmentry { touch heap }\nexit x { }\ncheck crash"), verdict: "crash", length: 2),
    RuleCase(name: "switch fills with the table it leaves",
             body: model(first: "kernel", "on vmentry { switch restricted }\nexit x { }\ncheck residue l1d"), verdict: "leak", length: 2),
    RuleCase(name: "flush then switch leaves the old table's data",
             body: model(first: "kernel", "on vmentry { flush l1d; switch restricted }\nexit x { }\ncheck residue l1d"),
             verdict: "leak", length: 3),
    RuleCase(name: "switch then flush is clean",
             body: model(first: "kernel", "on vmentry { switch restricted; flush l1d }\nexit x { }\ncheck residue l1d"),
             verdict: "safe"),
    RuleCase(name: "kick does not keep the sibling out",
             body: model(threads: "t0 t1", "exit x { kick siblings; wait until siblings out of guest; switch kernel; switch restricted }\ncheck corun"),
             verdict: "leak", length: 6),
    RuleCase(name: "hold keeps the sibling out until release",
             body: model(threads: "t0 t1", "exit x { hold siblings; wait until siblings out of guest; switch kernel; switch restricted; release siblings }\ncheck corun"),
             verdict: "safe"),
    RuleCase(name: "a held thread cannot enter",
             body: model(threads: "t0 t1", first: "kernel", "on vmentry { hold siblings }\nexit x { }\ncheck deadlock"),
             verdict: "deadlock", length: 2),
    RuleCase(name: "released threads can enter",
             body: model(threads: "t0 t1", first: "kernel", "on vmentry { hold siblings; release siblings }\nexit x { }\ncheck deadlock"),
             verdict: "safe"),
    RuleCase(name: "wait until siblings in T blocks while they are elsewhere",
             body: model(threads: "t0 t1", first: "kernel", "on vmentry { wait until siblings in restricted }\nexit x { }\ncheck deadlock"),
             verdict: "deadlock", length: 0),
    RuleCase(name: "wait until siblings in T passes when they are there",
             body: model(threads: "t0 t1", first: "kernel", "on vmentry { wait until siblings in kernel }\nexit x { }\ncheck deadlock"),
             verdict: "safe"),
    RuleCase(name: "wait until siblings not in T blocks while they are there",
             body: model(threads: "t0 t1", first: "kernel", "on vmentry { wait until siblings not in kernel }\nexit x { }\ncheck deadlock"),
             verdict: "deadlock", length: 0),
    RuleCase(name: "wait until siblings not in T passes when they are elsewhere",
             body: model(threads: "t0 t1", first: "kernel", "on vmentry { wait until siblings not in restricted }\nexit x { }\ncheck deadlock"),
             verdict: "safe"),
    RuleCase(name: "wait until siblings out of guest blocks while one runs",
             body: model(threads: "t0 t1", "exit x { wait until siblings out of guest; switch kernel; switch restricted }\ncheck corun"),
             verdict: "leak", length: 5),
    RuleCase(name: "without the wait the sibling may still be running",
             body: model(threads: "t0 t1", "exit x { switch kernel; switch restricted }\ncheck corun"),
             verdict: "leak", length: 4),
    RuleCase(name: "an irq needs interrupts on",
             body: model("on vmentry { irqs on; irqs off }\nexit x { }\ninterrupt irq timer { touch heap }\ncheck crash"),
             verdict: "crash", length: 3),
    RuleCase(name: "no irq while interrupts are off",
             body: model("exit x { }\ninterrupt irq timer { touch heap }\ncheck crash"), verdict: "safe"),
    RuleCase(name: "either offers every branch",
             body: model("on vmentry { either { flush l1d; touch heap } or { } }\nexit x { }\ncheck crash"), verdict: "crash", length: 2),
    RuleCase(name: "an nmi may interrupt an irq handler",
             body: model("on vmentry { irqs on; irqs off }\nexit x { }\ninterrupt irq timer { switch small; switch restricted }\ninterrupt nmi n { touch text }\ncheck crash"),
             verdict: "crash", length: 5),
    RuleCase(name: "the exit restores the table loaded at entry",
             body: model(first: "kernel", "on vmentry { switch restricted; flush l1d }\nexit x { touch heap }\ncheck crash"),
             verdict: "crash", length: 5),
    RuleCase(name: "a wait inside an nmi handler crashes",
             body: model(threads: "t0 t1", "exit x { }\ninterrupt nmi n { wait until siblings out of guest }\ncheck crash"),
             verdict: "crash", length: 1),
    RuleCase(name: "an nmi's fault path that waits crashes",
             body: model("on fault { hold siblings; wait until siblings out of guest; switch kernel }\nexit x { }\ninterrupt nmi n { touch heap }\ncheck crash"),
             verdict: "crash", length: 2),
    RuleCase(name: "a guest's own data is no residue for it",
             body: model("on vmentry { flush l1d }\nexit x { touch vcpu }\ncheck residue l1d"), verdict: "safe"),
    RuleCase(name: "the scheduler's pick switches guests without a flush",
             body: """
                core c0 { t0 }
                host host
                guest vm1
                guest vm2
                region vcpu per guest
                table restricted per guest maps vcpu
                buffer l1d fill touched
                run vm1, vm2 on t0
                on vmentry { switch restricted }
                exit x { touch vcpu }
                check residue l1d
                bound 12
                """, verdict: "leak", length: 6),
]

@Suite("Semantics rules, on both engines")
struct SemanticsTests {
    @Test(arguments: ruleCases)
    func explicitEngine(_ rule: RuleCase) throws {
        let model = try loadModel(rule.body)
        let (outcome, _) = ExplicitChecker(model: model).check(bound: nil)
        try expectVerdict(outcome, rule)
    }

    @Test(arguments: ruleCases)
    func smtEngine(_ rule: RuleCase) throws {
        let model = try loadModel(rule.body)
        let (outcome, _) = try BMCChecker(model: model).check(bound: 12)
        try expectVerdict(outcome, rule)
    }

    private func expectVerdict(_ outcome: Outcome, _ rule: RuleCase) throws {
        switch outcome {
        case .finding(let trace):
            #expect(trace.finding.check.verdictKind.rawValue == rule.verdict, "\(rule.name)")
            #expect(trace.length == rule.length, "\(rule.name)")
        case .proved, .noFindingWithin:
            #expect(rule.verdict == "safe", "\(rule.name): no finding")
        case .unknown(let reason, _):
            Issue.record("\(rule.name): unknown (\(reason))")
        }
    }

    @Test func releaseDropsOnlyTheReleasersHolds() throws {
        let model = try loadModel("""
            core c0 { t0 t1 t2 }
            host host
            guest vm1
            region text public
            table kernel maps all
            run vm1 on t0, t1, t2
            on vmentry { hold siblings; release siblings }
            exit x { }
            check corun
            """)
        let interpreter = Interpreter(model: model)
        var s = try #require(interpreter.initialStates()?.first)
        // t0 and t1 hold their siblings; t0 releases: t2 stays held by t1.
        for (t, _) in [(0, "hold"), (1, "hold"), (0, "release")] {
            let moves = interpreter.moves(of: t, in: s).filter {
                if case .statement = $0.0 { true } else { false }
            }
            #expect(moves.count == 1)
            s = moves[0].1
        }
        #expect(interpreter.isHeld(2, in: s))
        #expect(interpreter.isHeld(0, in: s))
        #expect(!interpreter.isHeld(1, in: s))
    }
}
