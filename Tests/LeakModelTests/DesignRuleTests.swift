import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics
@testable import LeakTrace

// An independent reading of DESIGN.md section 3 ("Semantics") and "How findings are counted".
//
// Every row quotes one sentence of DESIGN.md verbatim, gives a tiny model whose verdict turns
// on that sentence, and the verdict and length derived BY HAND from the sentence (never copied
// from the tool's output), with the schedule that gives it, step by step.
//
// The world of every row (`world(...)` below), unless a row says otherwise:
//
//   core c0 { t0 [t1 [t2]] }          one core: its threads are siblings
//   host host; guest vm1 [, vm2]
//   region text public                secret to nobody
//   region heap owner host            secret to every guest
//   region vcpu per guest             vcpu[vm1] owned by vm1 (secret to vm2), and so on
//   table kernel maps all             text, heap, every vcpu copy
//   table restricted per guest maps text, vcpu    restricted[vm1] = text, vcpu[vm1]
//   table small maps vcpu             every vcpu copy (a per-guest region listed maps every copy)
//   table pub maps text
//   buffer l1d fill mapped            (or fill touched)
//   run <every guest> on <every thread>
//   bound 12
//
// The table named `first` is declared first: it is the initial table (DESIGN: "Initial state:
// every thread in host mode, table = the first table declared, buffers empty, interrupts off").
//
// Counting used in the derivations, all from section 3: every statement, the start of an
// interrupt handler, an exit, the VM entry and a guest step is one step; returning from a
// handler, choosing a branch of `either`, a page fault itself and the pick of a guest are not.
// A leak (corun, residue) holds in a state: its length is the steps to that state. A fault
// crash happens in a step: the touch (or retried access) that faults with no way out is itself
// counted. A wait in an nmi handler crashes when reached: the step arriving there is the last.
// A crash ends the schedule, with or without `check crash`.
//
// Readings taken where the text allows two (the rows that depend on them say so by id):
// - fill-exit-is-guest-mode-step: the exit is a step of a thread in `guest V`, so it fills
//   with the guest's own regions, not with the host table restored at the exit.
// - kick-declared-exit-is-an-exit-reason: a model's own `exit kick` is one of its exit
//   reasons and may be taken freely; the implicit one only when a kick forces it.
// - crash-empty-on-fault: with an empty `on fault` the retried access is the only step.
// - crash-one-past-bound: "within the bound" is what is asserted; an engine that searches
//   past the bound may still report the crash, but only at its true length, bound + 1.

/// What a row expects of every engine.
enum ExpectedVerdict: Sendable, CustomStringConvertible {
    case leak(Int), crash(Int), deadlock(Int)
    /// A fair starving lasso of this length (prefix plus one turn of the loop).
    case starvation(Int)
    /// No finding, proved for all lengths, and some guest runs.
    case safe
    /// No finding, proved, but only because no guest ever runs: must be reported as vacuous.
    case vacuous
    /// The only finding is longer than the model's bound: nothing within the bound.
    case nothingWithin(bound: Int)

    var description: String {
        switch self {
        case .leak(let n): "leak in \(n)"
        case .crash(let n): "crash in \(n)"
        case .deadlock(let n): "deadlock in \(n)"
        case .starvation(let n): "starvation in \(n)"
        case .safe: "safe (proved)"
        case .vacuous: "safe, vacuous"
        case .nothingWithin(let b): "no finding within \(b)"
        }
    }
}

struct DesignRule: CustomTestStringConvertible, Sendable {
    /// A short handle for the row.
    var id: String
    /// The sentence of DESIGN.md the row pins, verbatim.
    var sentence: String
    var model: String
    var expected: ExpectedVerdict
    /// The hand derivation: the schedule, step by step.
    var schedule: String
    var testDescription: String { "\(id)" }
}

/// The common world described at the top of this file.
private func world(threads: [String] = ["t0"], first: String = "restricted", guests: [String] = ["vm1"],
                   run: String? = nil, fill: String = "mapped", bound: Int = 12, _ body: String) -> String {
    let tables = [
        ("kernel", "table kernel maps all"),
        ("restricted", "table restricted per guest maps text, vcpu"),
        ("small", "table small maps vcpu"),
        ("pub", "table pub maps text"),
    ]
    let ordered = tables.filter { $0.0 == first } + tables.filter { $0.0 != first }
    precondition(ordered.first?.0 == first, "unknown first table \(first)")
    return """
        model "design rule"
        core c0 { \(threads.joined(separator: " ")) }
        host host
        guest \(guests.joined(separator: ", "))
        region text public
        region heap owner host
        region vcpu per guest
        \(ordered.map(\.1).joined(separator: "\n"))
        buffer l1d fill \(fill)
        \(run ?? "run \(guests.joined(separator: ", ")) on \(threads.joined(separator: ", "))")
        \(body)
        bound \(bound)
        """
}

/// The example of DESIGN.md section 6.1 in the common world (host_heap is heap, vcpu_state is
/// vcpu), with `check residue l1d`.
private let section61Example = """
    flag l1d_dirty per thread
    flag tainted per core
    exit emulate { touch heap; set l1d_dirty }
    interrupt irq timer { touch heap; set l1d_dirty }
    on vmentry { if l1d_dirty { flush l1d; clear l1d_dirty } }
    exit cpuid { if not tainted { touch vcpu } else { switch kernel } }
    check residue l1d
    """

let designRules: [DesignRule] = [
    // MARK: Initial state

    DesignRule(id: "init-first-table-restricted",
               sentence: "Initial state: every thread in host mode, table = the first table declared, buffers empty, interrupts off",
               model: world(first: "restricted", "exit x { touch text }\ncheck residue l1d\ncheck crash"),
               expected: .safe,
               schedule: "t0 starts in restricted[vm1] = {text, vcpu[vm1]} with l1d empty; every host step fills only those (not secret to vm1), touch text is mapped; no heap ever enters l1d"),
    DesignRule(id: "init-first-table-kernel",
               sentence: "Initial state: every thread in host mode, table = the first table declared, buffers empty, interrupts off",
               model: world(first: "kernel", "on vmentry { touch text }\nexit x { }\ncheck residue l1d"),
               expected: .leak(2),
               schedule: "1 t0 touch text (fills kernel: heap into l1d); 2 t0 VM entry -> vm1 runs with heap in l1d"),

    DesignRule(id: "init-start-line-overrides-first-table",
               sentence: "Initial state: every thread in host mode, table = the first table declared",
               model: world(first: "kernel", "start t0 in restricted\non vmentry { touch text }\nexit x { }\ncheck residue l1d"),
               expected: .safe,
               schedule: "`start t0 in restricted` (docs/SEMANTICS.md) replaces the first table for t0: 1 touch text fills restricted[vm1] (text, vcpu[vm1]); 2 entry, clean; every exit returns to restricted. Without the line: leak in 2 (init-first-table-kernel)"),

    // MARK: Buffers fill at every step

    DesignRule(id: "fill-vm-entry-adds-guest-regions",
               sentence: "a guest-mode step, the VM entry included, adds the guest's own regions",
               model: world(first: "kernel", "check residue l1d"),
               expected: .safe,
               schedule: "no exit declared (implicit kick never forced): 1 VM entry adds vcpu[vm1] only, then guest steps add vcpu[vm1]; no host-mode step ever fills with kernel"),
    DesignRule(id: "fill-switch-fills-with-old-table",
               sentence: "a host-mode thread that acts first adds to each `fill mapped` buffer of its core every region its table maps",
               model: world(first: "kernel", "on vmentry { switch restricted }\nexit x { }\ncheck residue l1d"),
               expected: .leak(2),
               schedule: "1 t0 switch restricted (fills with kernel first: heap into l1d); 2 VM entry -> residue heap"),
    DesignRule(id: "fill-switch-then-flush-is-clean",
               sentence: "`flush B` empties B.",
               model: world(first: "kernel", "on vmentry { switch restricted; flush l1d }\nexit x { touch text }\ncheck residue l1d"),
               expected: .safe,
               schedule: "1 switch (fill kernel: heap); 2 flush (fill restricted, then empty); 3 entry clean; after exits the table is restricted and every pass ends with a flush"),
    DesignRule(id: "fill-flush-then-switch-leaks",
               sentence: "then does its statement",
               model: world(first: "kernel", "on vmentry { flush l1d; switch restricted }\nexit x { }\ncheck residue l1d"),
               expected: .leak(3),
               schedule: "1 flush (fill kernel, then empty); 2 switch restricted (fills with kernel: heap); 3 VM entry -> residue heap"),
    DesignRule(id: "fill-touched-ignores-mapped",
               sentence: "(to a `fill touched` buffer, only what it touches)",
               model: world(first: "kernel", fill: "touched", "on vmentry { switch restricted }\nexit x { }\ncheck residue l1d"),
               expected: .safe,
               schedule: "nothing is ever touched; l1d only ever holds vcpu[vm1] from guest steps"),
    DesignRule(id: "fill-touched-gets-touched-region",
               sentence: "(to a `fill touched` buffer, only what it touches)",
               model: world(first: "kernel", fill: "touched", "on vmentry { touch heap }\nexit x { }\ncheck residue l1d"),
               expected: .leak(2),
               schedule: "1 touch heap (mapped by kernel; heap into l1d); 2 VM entry -> residue heap"),
    DesignRule(id: "fill-guest-steps-add-own-regions",
               sentence: "A running guest fills buffers with its own regions.",
               model: world(guests: ["vm1", "vm2"], fill: "touched", "exit x { }\ncheck residue l1d"),
               expected: .leak(3),
               schedule: "1 entry vm1 (vcpu[vm1] into l1d); 2 exit x; pick vm2 (not a step); 3 entry vm2 -> vcpu[vm1] is secret to vm2"),

    DesignRule(id: "fill-exit-is-guest-mode-step",
               sentence: "In `guest V`: keep running, or take any exit reason X of the model.",
               model: world(first: "kernel", "exit x { }\ncheck residue l1d"),
               expected: .safe,
               schedule: "empty hooks and handler: 1 entry, 2 exit x, 3 entry... the exit is taken in guest mode (a guest-mode step: vcpu[vm1] only) and no host-mode step ever fills with kernel"),
    DesignRule(id: "fill-buffers-per-core",
               sentence: "Buffers are per core. Threads of different cores never share a buffer.",
               model: """
                   core c0 { t0 }
                   core c1 { t1 }
                   host host
                   guest vm1
                   region text public
                   region heap owner host
                   region vcpu per guest
                   table kernel maps all
                   table restricted per guest maps text, vcpu
                   buffer l1d fill mapped
                   run vm1 on t0, t1
                   on vmentry { switch restricted; flush l1d }
                   exit x { }
                   check corun
                   check residue l1d
                   bound 12
                   """,
               expected: .safe,
               schedule: "t0 and t1 are on different cores: no sibling to co-run with; each core's l1d is flushed after its own thread's kernel fill, and t1's kernel fill never reaches c0's l1d"),

    // MARK: Statements, one step each (kernel first; each S costs exactly one step)

    DesignRule(id: "step-touch",
               sentence: "Statements, one step each:",
               model: world(first: "kernel", "on vmentry { touch text; switch restricted }\nexit x { }\ncheck residue l1d"),
               expected: .leak(3),
               schedule: "1 touch text (fill kernel: heap); 2 switch restricted; 3 VM entry -> residue"),
    DesignRule(id: "step-irqs-on",
               sentence: "`flush B`; `irqs on`; `irqs off`.",
               model: world(first: "kernel", "on vmentry { irqs on; switch restricted }\nexit x { }\ncheck residue l1d"),
               expected: .leak(3),
               schedule: "1 irqs on (fill kernel: heap); 2 switch restricted; 3 VM entry -> residue"),
    DesignRule(id: "step-kick-alone",
               sentence: "`kick siblings`: an IPI.",
               model: world(first: "kernel", "on vmentry { kick siblings; switch restricted }\nexit x { }\ncheck residue l1d"),
               expected: .leak(3),
               schedule: "1 kick siblings (no sibling; fill kernel: heap); 2 switch restricted; 3 VM entry -> residue"),
    DesignRule(id: "step-wait-vacuous",
               sentence: "the thread cannot move until that holds for all its siblings",
               model: world(first: "kernel", "on vmentry { wait until siblings in small; switch restricted }\nexit x { }\ncheck residue l1d"),
               expected: .leak(3),
               schedule: "no siblings: the wait holds; 1 wait (fill kernel: heap); 2 switch restricted; 3 VM entry -> residue"),
    DesignRule(id: "step-either-choice-not-a-step",
               sentence: "choosing a branch of `either`",
               model: world(first: "kernel", "on vmentry { either { touch text } or { irqs off; irqs off } ; switch restricted }\nexit x { }\ncheck residue l1d"),
               expected: .leak(3),
               schedule: "choose the first branch (not a step); 1 touch text (fill kernel: heap); 2 switch restricted; 3 VM entry -> residue"),
    DesignRule(id: "step-either-empty-branch",
               sentence: "`either { ... } or { ... }`: nondeterministic choice.",
               model: world(first: "kernel", "on vmentry { either { } or { touch text } ; switch restricted }\nexit x { }\ncheck residue l1d"),
               expected: .leak(2),
               schedule: "choose the empty branch (not a step); 1 switch restricted (fill kernel: heap); 2 VM entry -> residue"),

    // MARK: Exits

    DesignRule(id: "exit-restores-entry-table-crash",
               sentence: "After an exit the thread is in host mode with **the table it had at VM entry**",
               model: world(first: "kernel", "on vmentry { switch restricted }\nexit x { touch heap }\ncheck crash"),
               expected: .crash(4),
               schedule: "1 switch restricted; 2 VM entry; 3 exit x (host mode, restricted[vm1]); 4 touch heap faults, no on fault: crash in this step"),
    DesignRule(id: "exit-restores-entry-table-deadlock",
               sentence: "After an exit the thread is in host mode with **the table it had at VM entry**",
               model: world(threads: ["t0", "t1"], first: "kernel",
                            "on vmentry { switch restricted }\nexit x { wait until siblings in kernel }\ncheck deadlock"),
               expected: .deadlock(6),
               schedule: "1 t0 switch; 2 t1 switch; 3 t0 entry; 4 t0 exit; 5 t1 entry; 6 t1 exit: both at the wait in restricted, neither sibling in kernel, no interrupts"),
    DesignRule(id: "exit-runs-vmexit-handler-vmentry",
               sentence: "it runs `on vmexit`, then X's handler, then `on vmentry`, and then its next step is the VM entry",
               model: world("on vmexit { switch kernel }\nexit x { touch text }\non vmentry { switch restricted }\ncheck residue l1d"),
               expected: .leak(7),
               schedule: "1 switch restricted; 2 entry; 3 exit x; 4 on vmexit switch kernel (fill restricted); 5 x: touch text (fill kernel: heap); 6 on vmentry switch restricted; 7 entry -> residue"),

    // MARK: Interrupts

    DesignRule(id: "irq-nmi-start-is-step-return-is-not",
               sentence: "Not steps: returning from an interrupt handler",
               model: world("on vmentry { touch text }\nexit x { }\ninterrupt nmi n { switch kernel }\ncheck residue l1d"),
               expected: .leak(4),
               schedule: "1 nmi start (fill restricted); 2 switch kernel; return (not a step, kernel stays loaded); 3 touch text (fill kernel: heap); 4 entry -> residue"),
    DesignRule(id: "irq-needs-interrupts-on",
               sentence: "`irq` only while its interrupts are on",
               model: world("on vmentry { touch text }\nexit x { }\ninterrupt irq i { switch kernel }\ncheck residue l1d"),
               expected: .safe,
               schedule: "interrupts start off and nothing turns them on: the irq never starts, the table stays restricted"),
    DesignRule(id: "irq-with-interrupts-on",
               sentence: "`irq` only while its interrupts are on",
               model: world("on vmentry { irqs on; touch text }\nexit x { }\ninterrupt irq i { switch kernel }\ncheck residue l1d"),
               expected: .leak(5),
               schedule: "1 irqs on; 2 irq start; 3 switch kernel; return (not a step); 4 touch text (fill kernel: heap); 5 entry -> residue"),
    DesignRule(id: "irq-flag-restored-on-return",
               sentence: "the thread is back where it was interrupted, with its interrupt flag as it was",
               model: world("on vmentry { irqs on }\nexit x { }\ninterrupt irq i { switch kernel }\ncheck residue l1d"),
               expected: .leak(6),
               schedule: "1 irqs on; 2 irq start; 3 switch kernel; return, interrupts on again; 4 irq start again (fill kernel: heap); 5 switch kernel; 6 entry -> residue (without the restore: 7, via exit and on vmentry)"),
    DesignRule(id: "irq-flag-kept-across-entry-and-exit",
               sentence: "VM entry and exit leave the interrupt flag as it is.",
               model: world("on vmentry { irqs on }\non vmexit { switch small; switch restricted }\nexit x { }\ninterrupt irq i { touch text }\ncheck crash"),
               expected: .crash(6),
               schedule: "only small lacks text: 1 irqs on; 2 entry (still on); 3 exit x (still on); 4 switch small; 5 irq start; 6 touch text faults, no on fault: crash in this step"),
    DesignRule(id: "irq-nmi-restores-off-nothing-interrupts-nmi",
               sentence: "An interrupt handler runs with interrupts off; an `nmi` may interrupt an `irq` handler, nothing interrupts an `nmi` handler.",
               model: world("exit x { }\ninterrupt nmi n { irqs on; touch text }\ninterrupt irq i { switch kernel; touch text }\ncheck residue l1d"),
               expected: .safe,
               schedule: "interrupts are on only inside the nmi, which nothing interrupts; its return restores them off: the irq never starts, restricted stays loaded"),
    DesignRule(id: "irq-nmi-interrupts-irq",
               sentence: "an `nmi` may interrupt an `irq` handler",
               model: world(first: "kernel", "on vmentry { irqs on }\nexit x { }\ninterrupt irq i { switch restricted; switch kernel }\ninterrupt nmi n { touch heap }\ncheck crash"),
               expected: .crash(5),
               schedule: "1 irqs on; 2 irq start; 3 switch restricted; 4 nmi start inside the irq; 5 touch heap faults in restricted, no on fault: crash in this step"),
    DesignRule(id: "irq-nmi-interrupts-irq-wait",
               sentence: "an `nmi` may interrupt an `irq` handler",
               model: world(first: "kernel", "on fault { hold siblings; wait until siblings out of guest; switch kernel }\non vmentry { irqs on }\nexit x { }\ninterrupt irq i { switch restricted; switch kernel }\ninterrupt nmi n { touch heap }\ncheck crash"),
               expected: .crash(5),
               schedule: "1 irqs on; 2 irq start; 3 switch restricted; 4 nmi start inside the irq; touch heap faults (not a step); 5 hold siblings arrives at the wait inside the nmi: crash"),
    DesignRule(id: "irq-nothing-interrupts-nmi",
               sentence: "nothing interrupts an `nmi` handler",
               model: world(first: "kernel", "exit x { }\ninterrupt nmi n { switch restricted; switch kernel }\ninterrupt nmi m { touch heap }\ncheck crash"),
               expected: .safe,
               schedule: "m could fault only inside n between its two switches, where nothing may interrupt; everywhere else kernel is loaded"),
    DesignRule(id: "irq-handler-leaves-table",
               sentence: "and the table the handler left loaded",
               model: world(first: "kernel", "exit x { }\ninterrupt nmi n { switch restricted }\ninterrupt nmi m { touch heap }\ncheck crash"),
               expected: .crash(4),
               schedule: "1 n start; 2 switch restricted; return (restricted stays); 3 m start; 4 touch heap faults, no on fault: crash in this step"),

    // MARK: Waits and interrupts

    DesignRule(id: "wait-blocks-deadlock",
               sentence: "`check deadlock`: a reachable state where no thread can move.",
               model: world(threads: ["t0", "t1"], "on vmentry { wait until siblings in small }\nexit x { }\ncheck deadlock"),
               expected: .deadlock(0),
               schedule: "initial state: both threads at the wait, the sibling in restricted (not small), no interrupts: nobody can move"),
    DesignRule(id: "wait-can-take-nmi",
               sentence: "A thread blocked in a `wait` can still take an interrupt.",
               model: world(threads: ["t0", "t1"], "on vmentry { wait until siblings in small }\nexit x { }\ninterrupt nmi n { switch small; switch restricted }\ncheck deadlock"),
               expected: .safe,
               schedule: "an nmi can always start outside an nmi and its switches never block: no deadlock; 1 t0 nmi; 2 t0 switch small; 3 t1 wait passes; 4 t1 entry, so a guest runs"),
    DesignRule(id: "wait-can-take-irq-vacuous",
               sentence: "A `safe` that holds only because the model never lets a guest run is vacuous and must be reported as such.",
               model: world(threads: ["t0", "t1"], "on vmentry { irqs on; wait until siblings in small }\nexit x { }\ninterrupt irq i { touch text }\ncheck deadlock"),
               expected: .vacuous,
               schedule: "at the wait interrupts are on, so the irq can always start (its return restores them on): no deadlock; nobody ever loads small, so no guest runs"),
    DesignRule(id: "wait-in-nmi-reached-by-start",
               sentence: "Reaching a wait inside an `nmi` handler is a crash finding.",
               model: world("exit x { }\ninterrupt nmi n { wait until siblings out of guest }\ncheck crash"),
               expected: .crash(1),
               schedule: "1 nmi start arrives at the wait: crash, this is the last step counted"),
    DesignRule(id: "wait-in-nmi-reached-after-statement",
               sentence: "the step that arrives there is the last one counted",
               model: world("exit x { }\ninterrupt nmi n { touch text; wait until siblings out of guest }\ncheck crash"),
               expected: .crash(2),
               schedule: "1 nmi start; 2 touch text arrives at the wait: crash"),
    DesignRule(id: "wait-in-nmi-first-in-either-branch",
               sentence: "choosing a branch of `either`",
               model: world("exit x { }\ninterrupt nmi n { either { wait until siblings out of guest } or { touch text } }\ncheck crash"),
               expected: .crash(1),
               schedule: "1 nmi start, choosing the first branch (not a step) arrives at the wait: crash"),
    DesignRule(id: "wait-in-nmi-through-on-fault",
               sentence: "a page fault itself (the thread goes straight to the first statement of `on fault`)",
               model: world("on fault { hold siblings; wait until siblings out of guest; switch kernel }\nexit x { }\ninterrupt nmi n { touch heap }\ncheck crash"),
               expected: .crash(2),
               schedule: "1 nmi start; touch heap faults (not a step); 2 hold siblings (first of on fault) arrives at the wait inside the nmi: crash"),
    DesignRule(id: "wait-in-nmi-first-in-on-fault",
               sentence: "A wait inside an `nmi` handler crashes when it is *reached*: the step that arrives there is the last one counted.",
               model: world("on fault { wait until siblings out of guest; switch kernel }\nexit x { }\ninterrupt nmi n { touch heap }\ncheck crash"),
               expected: .crash(2),
               schedule: "1 nmi start (at touch heap); 2 the step taken at the touch: it faults and goes straight to the wait, first in on fault, inside the nmi: reached by that step, crash (as section 6.1 reads a wait first in an if branch: reached by the step taken at the if)"),

    // MARK: Kick, hold, release

    DesignRule(id: "kick-forces-exit-not-remembered-in-host",
               sentence: "Every sibling in guest mode gets a pending kick.",
               model: world(threads: ["t0", "t1"], first: "kernel", "on vmentry { kick siblings; touch heap; switch restricted }\ncheck crash"),
               expected: .crash(8),
               schedule: "no exit but kick: 1 t1 kick (t0 in host: no effect); 2 t1 touch heap; 3 t1 switch; 4 t1 entry; 5 t0 kick; 6 t1 forced exit kick (restricted); 7 t1 kick; 8 t1 touch heap faults: crash (7 if host-mode kicks were kept)"),
    DesignRule(id: "kick-implicit-exit-only-when-forced",
               sentence: "A pending kick forces the exit `kick` (an empty handler unless the model gives one) at its next step.",
               model: world("on vmexit { touch heap }\ncheck crash"),
               expected: .safe,
               schedule: "no exit declared and no sibling to kick: 1 entry, then guest steps forever; on vmexit (which would fault) never runs"),
    DesignRule(id: "kick-declared-exit-is-an-exit-reason",
               sentence: "In `guest V`: keep running, or take any exit reason X of the model.",
               model: world("exit kick { touch heap }\ncheck crash"),
               expected: .crash(3),
               schedule: "the model gives exit kick, so it is one of its exit reasons: 1 entry; 2 exit kick; 3 touch heap faults in restricted, no on fault: crash in this step"),
    DesignRule(id: "hold-also-kicks",
               sentence: "`hold siblings`: a kick that also holds every sibling",
               model: world(threads: ["t0", "t1"], first: "kernel", "on vmentry { hold siblings; release siblings; touch heap; switch restricted }\ncheck crash"),
               expected: .crash(10),
               schedule: "no exit but kick: 1 t1 hold; 2 t1 release; 3 t1 touch heap (kernel); 4 t1 switch; 5 t1 entry; 6 t0 hold (t1 kicked and held); 7 t1 forced exit kick (restricted); 8 t1 hold; 9 t1 release; 10 t1 touch heap faults: crash in this step"),
    DesignRule(id: "hold-blocks-entry",
               sentence: "a thread that any sibling holds cannot take the VM entry step",
               model: world(threads: ["t0", "t1"], first: "kernel", "on vmentry { hold siblings }\nexit x { }\ncheck deadlock"),
               expected: .deadlock(2),
               schedule: "1 t0 hold (t1 held); 2 t1 hold (t0 held): both at the VM entry, both held, no interrupts"),
    DesignRule(id: "release-drops-only-own-holds",
               sentence: "drops the holds this thread put on its siblings (holds that other siblings put stay)",
               model: world(threads: ["t0", "t1", "t2"],
                            "exit x { hold siblings; wait until siblings out of guest; switch kernel; switch restricted; release siblings }\ncheck corun"),
               expected: .safe,
               schedule: "a thread in kernel holds every sibling from its hold to its release and saw them all out of guest after the hold: no sibling runs a guest meanwhile; restricted exposes nothing secret (dropping other threads' holds would let t2 in while t1 is in kernel)"),

    // MARK: Faults and crash counting

    DesignRule(id: "crash-no-on-fault",
               sentence: "the `touch` (or the retried access) that faults with no way out is itself a step and is counted",
               model: world("on vmentry { touch heap }\nexit x { }\ncheck crash"),
               expected: .crash(1),
               schedule: "1 touch heap faults in restricted, no on fault: crash in this step"),
    DesignRule(id: "crash-fault-recovered-retry-is-a-step",
               sentence: "the `on fault` block runs first, then the access is made again",
               model: world("on fault { switch kernel }\non vmentry { touch heap }\nexit x { }\ncheck crash\ncheck residue l1d"),
               expected: .leak(3),
               schedule: "touch heap faults (not a step); 1 switch kernel (on fault); 2 retried touch heap (fill kernel: heap); 3 entry -> residue"),
    DesignRule(id: "crash-fault-inside-on-fault",
               sentence: "a fault inside the `on fault` block itself",
               model: world("on fault { touch heap }\non vmentry { touch heap }\nexit x { }\ncheck crash"),
               expected: .crash(1),
               schedule: "touch heap faults (not a step); 1 on fault's touch heap faults inside on fault: crash in this step"),
    DesignRule(id: "crash-fault-inside-on-fault-later",
               sentence: "a fault inside the `on fault` block itself",
               model: world("on fault { flush l1d; touch heap }\non vmentry { touch heap }\nexit x { }\ncheck crash"),
               expected: .crash(2),
               schedule: "touch heap faults (not a step); 1 flush l1d; 2 on fault's touch heap faults: crash in this step"),
    DesignRule(id: "crash-still-unmapped-after-on-fault",
               sentence: "an access still unmapped after `on fault`",
               model: world("on fault { flush l1d }\non vmentry { touch heap }\nexit x { }\ncheck crash"),
               expected: .crash(2),
               schedule: "touch heap faults (not a step); 1 flush l1d; 2 retried touch heap still unmapped: crash in this step"),
    DesignRule(id: "crash-empty-on-fault",
               sentence: "then the access is made again; a region still not mapped then is a **crash** finding",
               model: world("on fault { }\non vmentry { touch heap }\nexit x { }\ncheck crash"),
               expected: .crash(1),
               schedule: "touch heap faults (not a step); on fault is empty; 1 retried touch heap still unmapped: crash in this step"),
    DesignRule(id: "crash-ends-schedule-corun-only",
               sentence: "Without `check crash`, a schedule that crashes simply finds nothing.",
               model: world(threads: ["t0", "t1"], "exit x { touch heap; switch kernel }\ncheck corun"),
               expected: .safe,
               schedule: "kernel could only be loaded after touch heap in x, which crashes (no on fault) and ends the schedule; restricted exposes nothing secret; guests do run"),
    DesignRule(id: "crash-ends-schedule-with-check-crash",
               sentence: "A fault crash happens *in* a step",
               model: world(threads: ["t0", "t1"], "exit x { touch heap; switch kernel }\ncheck corun\ncheck crash"),
               expected: .crash(3),
               schedule: "1 t0 entry; 2 t0 exit x; 3 touch heap faults, no on fault: crash in this step"),
    DesignRule(id: "crash-is-no-deadlock",
               sentence: "it is no deadlock (a thread about to crash is not blocked; a touch never waits)",
               model: world("exit x { touch heap }\ncheck deadlock"),
               expected: .safe,
               schedule: "1 entry; 2 exit x: t0 is about to crash, not blocked; its crash ends the schedule and nothing is reported from it"),
    DesignRule(id: "crash-vacuous-when-every-schedule-crashes",
               sentence: "**A crash ends the schedule** whether or not `check crash` is named",
               model: world("on vmentry { touch heap }\nexit x { }\ncheck corun"),
               expected: .vacuous,
               schedule: "the only move is touch heap, which crashes before any VM entry: no guest ever runs"),
    DesignRule(id: "crash-within-bound",
               sentence: "A fault crash happens *in* a step",
               model: world(bound: 2, "on vmentry { touch text; touch heap }\nexit x { }\ncheck crash"),
               expected: .crash(2),
               schedule: "1 touch text; 2 touch heap faults, no on fault: crash in step 2 = bound"),
    DesignRule(id: "crash-one-past-bound",
               sentence: "A fault crash happens *in* a step",
               model: world(bound: 1, "on vmentry { touch text; touch heap }\nexit x { }\ncheck crash"),
               expected: .nothingWithin(bound: 1),
               schedule: "1 touch text; 2 touch heap crashes: 2 steps, one more than bound 1"),

    // MARK: Ties

    DesignRule(id: "tie-leak-before-crash",
               sentence: "(ties: leak, then crash, then deadlock)",
               model: world("on vmentry { switch kernel; switch restricted }\nexit x { }\ninterrupt nmi n { touch text; touch heap }\ncheck residue l1d\ncheck crash"),
               expected: .leak(3),
               schedule: "leak: 1 switch kernel; 2 switch restricted (fill kernel: heap); 3 entry. crash: 1 nmi; 2 touch text; 3 touch heap faults. Both 3: leak"),
    DesignRule(id: "tie-crash-before-deadlock",
               sentence: "(ties: leak, then crash, then deadlock)",
               model: world(threads: ["t0", "t1"], "on vmentry { touch text; either { wait until siblings in small } or { touch heap } }\nexit x { }\ncheck crash\ncheck deadlock"),
               expected: .crash(2),
               schedule: "deadlock: 1 t0 touch text; 2 t1 touch text, both at the wait. crash: 1 t0 touch text; 2 t0 touch heap faults. Both 2: crash"),

    DesignRule(id: "tie-leak-before-deadlock",
               sentence: "(ties: leak, then crash, then deadlock)",
               model: world(threads: ["t0", "t1"], first: "kernel", "on vmentry { touch text; either { wait until siblings in small } or { } }\nexit x { }\ncheck corun\ncheck deadlock"),
               expected: .leak(2),
               schedule: "deadlock: 1 t0 touch text; 2 t1 touch text, both at the wait. leak: 1 t1 touch text; 2 t1 entry while t0 has kernel loaded. Both 2: leak"),

    // MARK: Interrupt declarations

    DesignRule(id: "decl-interrupt-nmi-perf",
               sentence: "`interrupt nmi perf` and `interrupt perf nmi` are the same declaration",
               model: world("exit x { }\ninterrupt nmi perf { wait until siblings out of guest }\ncheck crash"),
               expected: .crash(1),
               schedule: "1 nmi perf starts and arrives at the wait: crash"),
    DesignRule(id: "decl-interrupt-perf-nmi",
               sentence: "`interrupt nmi perf` and `interrupt perf nmi` are the same declaration",
               model: world("exit x { }\ninterrupt perf nmi { wait until siblings out of guest }\ncheck crash"),
               expected: .crash(1),
               schedule: "same declaration as interrupt nmi perf: 1 nmi start arrives at the wait: crash"),
    DesignRule(id: "decl-interrupt-nmi-nmi",
               sentence: "(when both words are kinds, the first is the kind)",
               model: world("exit x { }\ninterrupt nmi nmi { wait until siblings out of guest }\ncheck crash"),
               expected: .crash(1),
               schedule: "an nmi named nmi: 1 nmi start arrives at the wait: crash"),
    DesignRule(id: "decl-interrupt-nmi-irq",
               sentence: "(when both words are kinds, the first is the kind)",
               model: world("exit x { }\ninterrupt nmi irq { wait until siblings out of guest }\ncheck crash"),
               expected: .crash(1),
               schedule: "an nmi named irq: 1 nmi start (interrupts off does not matter) arrives at the wait: crash"),
    DesignRule(id: "decl-interrupt-irq-nmi",
               sentence: "(when both words are kinds, the first is the kind)",
               model: world("on vmentry { irqs on }\nexit x { }\ninterrupt irq nmi { wait until siblings out of guest }\ncheck crash"),
               expected: .safe,
               schedule: "an irq named nmi: a wait in an irq is no crash, and with no sibling it holds at once"),

    // MARK: A guest placed on no thread

    DesignRule(id: "unplaced-guest-regions-secret",
               sentence: "**A guest placed on no thread** is allowed (a warning)",
               model: world(threads: ["t0", "t1"], first: "small", guests: ["vm1", "vm2"], run: "run vm1 on t0, t1",
                            "exit x { }\ncheck corun"),
               expected: .leak(1),
               schedule: "1 t1 entry vm1 while t0 in host has small loaded, which maps vcpu[vm2]: secret to vm1 (vm2 runs nowhere)"),
    DesignRule(id: "unplaced-guest-absent-is-safe",
               sentence: "its regions are still secret to every other guest",
               model: world(threads: ["t0", "t1"], first: "small", "exit x { }\ncheck corun"),
               expected: .safe,
               schedule: "the same without vm2: small maps only vcpu[vm1], and tables stay small: nothing secret to vm1 is exposed"),

    // MARK: Flags (section 6.1)

    DesignRule(id: "flag-set-fills-first",
               sentence: "`set F` and `clear F` are statements, one step each (a host-mode step: buffers fill first).",
               model: world(first: "kernel", "flag dirty per thread\non vmentry { flush l1d; set dirty }\nexit x { }\ncheck residue l1d"),
               expected: .leak(3),
               schedule: "1 flush (fills kernel, then empties); 2 set dirty (fills kernel first: heap into l1d); 3 VM entry -> residue heap"),
    DesignRule(id: "flag-set-clear-one-step-each",
               sentence: "`set F` and `clear F` are statements, one step each (a host-mode step: buffers fill first).",
               model: world(first: "kernel", "flag dirty per core\non vmentry { set dirty; clear dirty }\nexit x { }\ncheck residue l1d"),
               expected: .leak(3),
               schedule: "1 set dirty (fills kernel: heap); 2 clear dirty; 3 VM entry -> residue heap"),
    DesignRule(id: "flag-set-after-flush-in-restricted-is-clean",
               sentence: "`set F` and `clear F` are statements, one step each (a host-mode step: buffers fill first).",
               model: world(first: "kernel", "flag dirty per thread\non vmentry { switch restricted; flush l1d; set dirty }\nexit x { }\ncheck residue l1d"),
               expected: .safe,
               schedule: "1 switch (fills kernel: heap); 2 flush (fills restricted, empties); 3 set dirty (fills restricted: text, vcpu[vm1], not secret); 4 entry clean; every later pass runs in restricted and ends the same way"),
    DesignRule(id: "flag-starts-false",
               sentence: "`flag F per thread | per core` declares a boolean that is part of the state; every copy starts false.",
               model: world(first: "restricted", "flag dirty per thread\non vmentry { if not dirty { switch kernel } }\nexit x { }\ncheck residue l1d"),
               expected: .leak(5),
               schedule: "dirty is false, so `not dirty` takes the branch: 1 switch kernel (fills restricted: text, vcpu[vm1]); 2 entry (clean); 3 exit x (restores kernel); 4 switch kernel (fills kernel: heap); 5 entry -> residue heap (a flag starting true would never switch: safe)"),
    DesignRule(id: "flag-per-thread-is-the-threads-own",
               sentence: "A per-thread flag is the acting thread's own",
               model: world(threads: ["t0", "t1"], "flag f per thread\non vmentry { if f { switch kernel } else { set f } }\nexit x { }\ncheck corun"),
               expected: .leak(6),
               schedule: "t1 must set its own f and pass once: 1 t0 set f; 2 t0 entry; 3 t1 set f; 4 t1 entry; 5 t1 exit x; 6 t1 switch kernel while t0 runs vm1 -> corun (3 if t0's set were t1's)"),
    DesignRule(id: "flag-per-core-is-shared",
               sentence: "a per-core flag is shared by the siblings of one core.",
               model: world(threads: ["t0", "t1"], "flag f per core\non vmentry { if f { switch kernel } else { set f } }\nexit x { }\ncheck corun"),
               expected: .leak(3),
               schedule: "1 t0 set f (the core's); 2 t0 entry; 3 t1 at the if reads the core's f, true: switch kernel while t0 runs vm1 -> corun"),
    DesignRule(id: "if-choice-not-a-step",
               sentence: "like `either`, choosing the branch is not a step",
               model: world(first: "kernel", "flag f per thread\non vmentry { if not f { switch restricted } }\nexit x { }\ncheck residue l1d"),
               expected: .leak(2),
               schedule: "1 the step at the if runs switch restricted (fills kernel: heap); 2 entry -> residue heap (3 if choosing were a step)"),
    DesignRule(id: "if-empty-branch-runs-what-follows",
               sentence: "or, through an empty branch, the statement after the `if`",
               model: world(first: "kernel", "flag f per thread\non vmentry { if not f { } else { touch heap }; switch restricted }\nexit x { }\ncheck residue l1d"),
               expected: .leak(2),
               schedule: "f false: the empty branch; 1 the step at the if is switch restricted (fills kernel: heap); 2 entry -> residue heap"),
    DesignRule(id: "if-nests",
               sentence: "`if` blocks nest like `either`.",
               model: world(first: "kernel", "flag f per thread\nflag g per core\non vmentry { if not f { if not g { switch restricted } } }\nexit x { }\ncheck residue l1d"),
               expected: .leak(2),
               schedule: "both false: 1 the step at the outer if runs the inner if's branch, switch restricted (fills kernel: heap); 2 entry -> residue heap"),
    DesignRule(id: "if-branch-read-when-the-thread-steps",
               sentence: "A sibling or an interrupt that changes a flag before the thread steps changes the branch taken.",
               model: world(threads: ["t0", "t1"], "flag f per thread\non vmentry { irqs on; if f { switch kernel } }\nexit x { }\ninterrupt irq i { set f }\ncheck corun"),
               expected: .leak(6),
               schedule: "1 t0 irqs on; 2 t0 entry (f false); 3 t1 irqs on (now at the if); 4 t1 irq starts; 5 t1 set f; the return puts t1 back at the if, which now reads true: 6 t1 switch kernel while t0 runs vm1 -> corun (safe if the branch were fixed on arriving at the if)"),
    DesignRule(id: "flag-per-thread-kept-across-guests",
               sentence: "A per-thread flag belongs to the thread, not to the guest it serves: it keeps its value when the thread picks another guest.",
               model: world(guests: ["vm1", "vm2"], "flag f per thread\non vmentry { if f { switch small } }\nexit x { set f }\ncheck residue l1d"),
               expected: .leak(5),
               schedule: "f is false on the first pass: 1 entry vm1 (the step at the if); 2 exit x; 3 set f (fills restricted[vm1]: vcpu[vm1]); the pick of vm2; 4 f still true: switch small; 5 entry vm2 -> residue vcpu[vm1] (4 if f were vm2's own, false: entry at step 4)"),
    // The section 6.1 example itself (`section61Example`).
    DesignRule(id: "flag-section-6.1-example-fill-touched",
               sentence: "the branch is the one the flag's value selects at the moment the thread takes its next step there",
               model: world(first: "kernel", fill: "touched", section61Example),
               expected: .safe,
               schedule: "fill touched: heap enters l1d only by `touch heap` in exit emulate (interrupts are never on, so the irq never starts), which sets l1d_dirty before its handler ends; the next on vmentry then takes the flushing branch (flush, then clear: touching nothing) before the entry; cpuid touches only vcpu[vm1]; tainted is never set"),
    DesignRule(id: "flag-section-6.1-example-fill-mapped",
               sentence: "`set F` and `clear F` are statements, one step each (a host-mode step: buffers fill first).",
               model: world(first: "kernel", section61Example),
               expected: .leak(4),
               schedule: "fill mapped in the kernel table: 1 the step at the if (l1d_dirty false) is the entry; 2 exit cpuid; 3 touch vcpu (the step at `if not tainted`; fills kernel: heap); 4 entry, l1d_dirty false -> residue heap (the emulate path is longer: its `clear` after the flush fills heap again, 7)"),
    DesignRule(id: "if-wait-in-nmi-reached-by-the-step-at-the-if",
               sentence: "A `wait` inside an `nmi` handler that is first in the chosen branch of an `if` is reached by the step taken at the `if`.",
               model: world("flag f per thread\nexit x { }\ninterrupt nmi n { if not f { wait until siblings out of guest } }\ncheck crash"),
               expected: .crash(2),
               schedule: "1 nmi start: arrives at the if (the branch is chosen at the next step, not on arrival); 2 the step taken at the if reaches the wait inside the nmi: crash (1 if the branch were chosen on arrival, as for either)"),

    // MARK: 6.2 Progress
    DesignRule(id: "progress-held-sibling-starves",
               sentence: "A sibling that stays held at its VM entry has no such move, so a loop in which it stays held is fair: that is starvation.",
               model: world(threads: ["t0", "t1"], "exit x { hold siblings }\ncheck progress"),
               expected: .starvation(5),
               schedule: "1 t0 entry; 2 t0 exit x; 3 t0 hold siblings (t1 is ready: held, not kicked); 4 t0 entry (nobody holds t0); loop: 5 t0 runs vm1, back to the state after 4; t1 has no move but is in host mode throughout. Smallest prefix plus loop: a loop from the state after 3 needs entry, exit, hold again (6)"),
    DesignRule(id: "progress-released-sibling-must-enter",
               sentence: "A sibling that is released, even briefly, in every turn of the loop could enter, so it must: a kicker that re-holds it each time is not a finding.",
               model: world(threads: ["t0", "t1"], "exit x { hold siblings; release siblings }\ncheck progress"),
               expected: .safe,
               schedule: "a starving thread is never in guest mode in the loop, so it stays at its VM entry (its only host path leads there) and must have no move: held all along; the holder is at `release siblings` right after each hold, a move it must take, after which the held one can enter and so must: no fair loop starves anybody (starvation 5 if a hold were enough)"),
    DesignRule(id: "progress-interrupt-storm-is-not-fair",
               sentence: "no interrupt handler starts during the loop (an endless interrupt storm starves anything)",
               model: world("exit x { }\ninterrupt nmi n { }\ncheck progress"),
               expected: .safe,
               schedule: "one thread: every host path of t0 leads to its VM entry, and t0 can always move, so a fair loop has t0 step, and its only cycles pass through guest mode; nmi starts are the one way to stay in host mode, and they are not in a fair loop (with them: starvation in 2, the first nmi fills l1d, the second is the loop)"),
    DesignRule(id: "progress-about-to-crash-cannot-stay-still",
               sentence: "a crashing step counts as a step (so a thread about to crash cannot stay still in a fair loop; a crash ends the schedule instead)",
               model: world(threads: ["t0", "t1"], "exit x { touch heap }\ncheck progress"),
               expected: .safe,
               schedule: "t1 at `touch heap` (restricted does not map heap, no on fault) can move: the crashing step; a fair loop must take it, and a crash ends the schedule; without that step nobody is held and nothing waits, so each thread's loops pass through its guest (starvation in 4 if t1 could stay still: 1 t1 entry, 2 t1 exit x, 3 t0 entry, loop 4 t0 runs vm1)"),
    DesignRule(id: "progress-deadlock-is-no-loop",
               sentence: "a deadlock is no loop, so a model that can only deadlock is `safe` for `check progress` (name `check deadlock` for that)",
               model: world(threads: ["t0", "t1"], "exit x { switch kernel; wait until siblings not in kernel; switch restricted }\ncheck progress"),
               expected: .safe,
               schedule: "a starving thread has no move in the loop: blocked at its wait while the sibling is in kernel; the sibling is in kernel only at its own wait (blocked too: a deadlock, no loop) or at `switch restricted` (a move it must take, which unblocks the first): safe (the deadlock itself: 1 t0 entry, 2 t1 entry, 3 t0 exit, 4 t1 exit, 5 t0 switch kernel, 6 t1 switch kernel, see the next row)"),
    DesignRule(id: "progress-deadlock-named-apart",
               sentence: "a deadlock is no loop, so a model that can only deadlock is `safe` for `check progress` (name `check deadlock` for that)",
               model: world(threads: ["t0", "t1"], "exit x { switch kernel; wait until siblings not in kernel; switch restricted }\ncheck progress\ncheck deadlock"),
               expected: .deadlock(6),
               schedule: "1 t0 entry, 2 t1 entry, 3 t0 exit x, 4 t1 exit x, 5 t0 switch kernel, 6 t1 switch kernel: both wait for the other to leave kernel (a thread at its wait while the other is still in guest or restricted passes it)"),
    DesignRule(id: "progress-interrupt-started-in-prefix-goes-on",
               sentence: "an interrupt handler that started in the prefix may go on running in the loop",
               model: world(threads: ["t0", "t1"], "on vmentry { irqs on; irqs off }\nexit x { }\ninterrupt irq i { wait until siblings out of guest }\ncheck progress"),
               expected: .starvation(6),
               schedule: "1 t1 irqs on; 2 irq i starts on t1 (at its wait: t0 is out of guest, but t1 has yet to step there); 3 t0 irqs on; 4 t0 irqs off; 5 t0 entry: t1's wait now blocks, and in the handler interrupts are off; loop: 6 t0 runs vm1 (safe if no handler could be active in the loop: t1 has no other way to stay out of guest)"),
    DesignRule(id: "progress-section-6.2-example-without-release",
               sentence: "Example: scenario \"ASI as in section 4 without the `interrupt`\" (safe) with `release siblings` removed is still free of leaks and crashes, but the sibling that a fault path held never runs its guest again: `starvation`.",
               model: section4Example(release: false),
               expected: .starvation(17),
               schedule: "t0 must end held at its entry (any other host position has a move that leads to the entry): 1 t0 switch restricted, 2 t1 switch restricted, 3 t0 wait, 4 t0 flush (t0 ready), then t1: 5 wait, 6 flush, 7 entry, 8 exit ept, 9 fault at touch host_heap: hold siblings, 10 wait out of guest, 11 switch kernel, 12 touch host_heap, 13 switch restricted, 14 wait, 15 flush, 16 entry; loop: 17 t1 runs vm1"),
    DesignRule(id: "progress-section-6.2-example-with-release",
               sentence: "With `release siblings` it makes progress: `safe`.",
               model: section4Example(release: true),
               expected: .safe,
               schedule: "the fault path's hold is dropped by `release siblings` at the end of on vmentry, before the holder's entry; no wait blocks while the sibling it waits for can move to unblock it"),

    // MARK: Trusted guests (`trusted vm1`: vm1 attacks nobody; docs/SEMANTICS.md, "Trusted guests";
    // Linux l1tf.rst, "Mitigation selection guide", 2. "Virtualization with trusted guests")

    DesignRule(id: "trusted-guest-is-no-victim",
               sentence: "more (trusted guests, host-only threads, interrupt affinity, core scheduling, per-thread buffers and regions) is for the project to design and document",
               model: world(threads: ["t0", "t1"], first: "kernel", "trusted vm1\nexit x { }\ncheck corun\ncheck residue l1d"),
               expected: .safe,
               schedule: "without `trusted vm1`: 1 t1 enters vm1 while t0 is in kernel (maps heap): corun in 1; with it nothing is secret to vm1, so no state is a finding"),
    DesignRule(id: "trusted-guest-data-stays-secret",
               sentence: "a thread running guest W is exposed to W's own regions",
               model: world(threads: ["t0", "t1"], first: "pub", guests: ["vm1", "vm2"], run: "run vm1 on t0\nrun vm2 on t1",
                            "trusted vm1\nexit x { }\ncheck corun"),
               expected: .leak(2),
               schedule: "pub maps only text: 1 t0 enters vm1 (exposes vcpu[vm1], secret to vm2); 2 t1 enters vm2: corun. vm1 running beside vm2 is no finding for vm1, which is trusted"),
    DesignRule(id: "two-trusted-guests-are-safe",
               sentence: "more (trusted guests, host-only threads, interrupt affinity, core scheduling, per-thread buffers and regions) is for the project to design and document",
               model: world(threads: ["t0", "t1"], first: "pub", guests: ["vm1", "vm2"], run: "run vm1 on t0\nrun vm2 on t1",
                            "trusted vm1, vm2\nexit x { }\ncheck corun"),
               expected: .safe,
               schedule: "as above, but vm2 trusted too: nothing is secret to either guest"),

    // MARK: What a guest reads, uncached memory, idle threads, interrupt affinity, core
    // scheduling (docs/SEMANTICS.md; docs/LANGUAGE.md section 9). Each row is derived from
    // the sentences of docs/SEMANTICS.md named in its schedule; `without` gives the same
    // model without the line, derived by DESIGN.md alone.

    DesignRule(id: "attack-without-siblings-no-corun",
               sentence: extensionSentence,
               model: world(threads: ["t0", "t1"], first: "kernel", "attack vm1 reads l1d\nexit x { }\ncheck corun"),
               expected: .safe,
               schedule: "vm1 does not read what its siblings are exposed to, so corun never fires; without the line: 1 t1 enters vm1 while t0 is in kernel (maps heap): corun in 1"),
    DesignRule(id: "attack-without-buffer-no-residue",
               sentence: extensionSentence,
               model: world(first: "kernel", "attack vm1 reads siblings\non vmentry { touch text }\nexit x { }\ncheck residue l1d"),
               expected: .safe,
               schedule: "vm1 reads no buffer; without the line: 1 touch text fills kernel (heap) into l1d, 2 entry: residue in 2 (init-first-table-kernel)"),
    DesignRule(id: "attack-reads-the-buffer",
               sentence: extensionSentence,
               model: world(first: "kernel", "attack vm1 reads l1d\non vmentry { touch text }\nexit x { }\ncheck residue l1d"),
               expected: .leak(2),
               schedule: "vm1 reads l1d: 1 touch text fills kernel (heap) into l1d, 2 entry: residue in 2"),
    DesignRule(id: "uncached-never-enters-a-cache",
               sentence: extensionSentence,
               model: uncached(world(first: "kernel", "on vmentry { touch text }\nexit x { }\ncheck residue l1d")),
               expected: .safe,
               schedule: "kernel maps text, heap (uncached) and vcpu[vm1]; l1d is a cache, so it only ever holds text and vcpu[vm1], neither secret to vm1; cached, residue in 2"),
    DesignRule(id: "uncached-is-still-mapped",
               sentence: extensionSentence,
               model: uncached(world(threads: ["t0", "t1"], first: "kernel", "exit x { }\ncheck corun")),
               expected: .leak(1),
               schedule: "1 t1 enters vm1 while t0 is in kernel, which maps heap (uncached or not): corun in 1"),
    DesignRule(id: "host-only-thread-idles-in-its-start-table",
               sentence: extensionSentence,
               model: world(threads: ["t0", "t1"], first: "kernel", run: "run vm1 on t0", "exit x { }\ncheck corun"),
               expected: .leak(1),
               schedule: "t1 serves no guest: idle in kernel (the first table). 1 t0 enters vm1 while t1 is exposed to kernel (heap): corun in 1"),
    DesignRule(id: "host-only-thread-started-elsewhere",
               sentence: extensionSentence,
               model: world(threads: ["t0", "t1"], first: "kernel", run: "run vm1 on t0", "start t1 in pub\nexit x { }\ncheck corun"),
               expected: .safe,
               schedule: "t1 idles in pub (text) for ever: whatever t0 has loaded, the sibling of the guest is exposed to nothing secret"),
    DesignRule(id: "idle-loop-fills-buffers",
               sentence: extensionSentence,
               model: world(threads: ["t0", "t1"], first: "kernel", run: "run vm1 on t0", "start t0 in pub\nexit x { }\ncheck residue l1d"),
               expected: .leak(2),
               schedule: "1 t1 idles: a host-mode step in kernel fills heap into l1d; 2 t0 (in pub, ready) enters vm1: residue in 2"),
    DesignRule(id: "interrupt-steered-to-the-host-only-thread",
               sentence: extensionSentence,
               model: world(threads: ["t0", "t1"], first: "pub", run: "run vm1 on t1",
                            "exit x { irqs on }\ninterrupt irq i on t0 { switch kernel }\ncheck corun"),
               expected: .leak(3),
               schedule: "t0 is host-only, idle with interrupts on: 1 t1 enters vm1, 2 irq i starts on t0, 3 switch kernel: t0 exposes heap next to vm1"),
    DesignRule(id: "interrupt-steered-to-the-guest-thread",
               sentence: extensionSentence,
               model: world(threads: ["t0", "t1"], first: "pub", run: "run vm1 on t1",
                            "exit x { irqs on }\ninterrupt irq i on t1 { switch kernel }\ncheck corun"),
               expected: .safe,
               schedule: "i runs only on t1, the guest's own thread; its sibling t0 idles in pub for ever"),
    DesignRule(id: "sched-core-siblings-serve-one-guest",
               sentence: extensionSentence,
               model: world(threads: ["t0", "t1"], first: "pub", guests: ["vm1", "vm2"], "sched core\nexit x { idle }\ncheck corun"),
               expected: .safe,
               schedule: "without sched core: 1 t0 enters vm1 (exposes vcpu[vm1]), 2 t1 enters vm2: corun in 2; with it a thread is scheduled onto a guest only while its sibling is idle or serves the same one"),
    DesignRule(id: "sched-core-pick-keeps-the-guest",
               sentence: extensionSentence,
               model: world(first: "pub", guests: ["vm1", "vm2"], "sched core\nexit x { }\ncheck residue l1d"),
               expected: .safe,
               schedule: "t0 is scheduled onto one guest and the pick after each exit keeps it, so l1d only ever holds text and that guest's vcpu; without sched core: 1 entry vm1, 2 exit x and pick vm2, 3 entry: residue in 3"),
    DesignRule(id: "sched-core-idle-changes-the-guest",
               sentence: extensionSentence,
               model: world(first: "pub", guests: ["vm1", "vm2"], "sched core\nexit x { idle }\ncheck residue l1d"),
               expected: .leak(6),
               schedule: "1 t0 scheduled onto vm1, 2 entry (l1d += vcpu[vm1]), 3 exit x, 4 idle, 5 scheduled onto vm2, 6 entry: l1d holds vcpu[vm1], secret to vm2"),
    DesignRule(id: "step-at-an-if-back-to-idle-is-a-move",
               sentence: extensionSentence,
               model: world(threads: ["t0", "t1"], first: "kernel", run: "run vm1 on t0",
                            "flag f per thread\non vmentry { wait until siblings in small }\ninterrupt irq tick on t1 { if f { clear f } }\nexit x { }\ncheck deadlock"),
               expected: .vacuous,
               schedule: "t0 waits for ever (t1 idles in kernel), so vm1 never runs: vacuous; t1 can always start tick, and the step at its `if` (f false) returns to idle: a move, not an idle step, so no state is a deadlock"),
    DesignRule(id: "schedule-step-through-the-symmetry-reduction",
               sentence: extensionSentence,
               model: """
                   core c0 { t0 t1 }
                   host host
                   guest g1, g2, g3, g4, vz
                   region text public
                   region heap owner host
                   table restricted maps text
                   table kernel maps all
                   buffer l1d fill touched
                   flag f per thread
                   run g1, g2, g3, g4 on t1
                   run vz on t0
                   attack vz reads l1d
                   on vmentry { if f { switch kernel } }
                   exit hlt { set f; idle }
                   check corun
                   """,
               expected: .leak(7),
               schedule: "g1..g4 are interchangeable (auto checks two of them); 1 t1 enters a g, 2 t0 enters vz, 3 exit hlt, 4 set f, 5 idle, 6 t0 scheduled onto vz (guest 4 of the model, 2 of the reduced one), 7 switch kernel (f set): t0 exposes heap next to the g"),
]

/// The sentence of DESIGN.md section 6 that leaves these additions to the project.
private let extensionSentence =
    "more (trusted guests, host-only threads, interrupt affinity, core scheduling, per-thread buffers and regions) is for the project to design and document"

/// A model of the common world with `heap` uncached and `l1d` a cache.
private func uncached(_ model: String) -> String {
    model.replacingOccurrences(of: "region heap owner host", with: "region heap owner host uncached")
        .replacingOccurrences(of: "buffer l1d fill mapped", with: "buffer l1d cache fill mapped")
}

/// DESIGN.md section 4's model without the `interrupt` (scenario "ASI as in section 4 without
/// the interrupt"), with or without `release siblings`, checking progress as well.
private func section4Example(release: Bool) -> String {
    """
    model "ASI as in section 4 without the interrupt"
    core c0 { t0 t1 }
    host host
    guest vm1
    region kvm_text    public
    region host_heap   owner host
    region percpu      owner host
    region vcpu_state  per guest
    region guest_mem   per guest
    table kernel      maps all
    table restricted  per guest maps kvm_text, vcpu_state
    buffer l1d fill mapped
    run vm1 on t0, t1
    on vmexit  { }
    on fault   { hold siblings; wait until siblings out of guest; switch kernel }
    on vmentry { switch restricted; wait until siblings not in kernel; flush l1d\(release ? "; release siblings" : "") }
    exit cpuid { touch vcpu_state }
    exit ept   { either { touch vcpu_state } or { touch host_heap } }
    exit hlt   { irqs on; irqs off }
    check corun
    check residue l1d
    check crash
    check progress
    bound 20
    """
}

@Suite("DESIGN.md rules, derived by hand, on every cheap engine")
struct DesignRuleTests {
    static let engines: [Checker.Engine] = [.explicit, .bmc, .auto]

    @Test(arguments: designRules, engines)
    func rule(_ rule: DesignRule, engine: Checker.Engine) throws {
        let model = try loadModel(rule.model, path: "\(rule.id).leak")
        let report = try Checker(options: .init(engine: engine)).check(model)
        let context = Comment(rawValue: """
            [\(engine.rawValue)] \(rule.id): "\(rule.sentence)"
              expected \(rule.expected): \(rule.schedule)
              got \(Self.describe(report))
            """)
        switch rule.expected {
        case .leak(let n), .crash(let n), .deadlock(let n), .starvation(let n):
            let kind: String = switch rule.expected {
            case .leak: "leak"
            case .crash: "crash"
            case .starvation: "starvation"
            default: "deadlock"
            }
            guard case .finding(let trace) = report.outcome else {
                Issue.record(context)
                return
            }
            #expect(trace.finding.check.verdictKind.rawValue == kind, context)
            #expect(trace.length == n, context)
            // Only a starvation is a lasso, and every schedule replays.
            #expect((trace.loopStart != nil) == (kind == "starvation"), context)
            #expect(try Replay(interpreter: Interpreter(model: model)).validate(trace) == trace.finding, context)
        case .safe, .vacuous:
            let word = if case .vacuous = rule.expected { "vacuous" } else { "safe" }
            if engine == .bmc {
                // Bounded model checking alone proves nothing beyond its bound.
                #expect(report.verdict == .bounded, context)
            } else {
                #expect(report.verdict.word == word, context)
            }
        case .nothingWithin(let bound):
            // Within the bound there is nothing; an engine that searches further may report
            // the finding it has beyond the bound, but then at its true length.
            if case .finding(let trace) = report.outcome {
                #expect(trace.length > bound, context)
                #expect(trace.length == bound + 1 && trace.finding.check.verdictKind.rawValue == "crash", context)
            } else {
                // Not a proof: a crash exists, one step past the bound.
                #expect(report.verdict == .bounded, context)
            }
            if engine == .bmc {
                #expect(report.verdict == .bounded, context)
            }
        }
    }

    /// "`interrupt nmi perf` and `interrupt perf nmi` are the same declaration (when both words
    /// are kinds, the first is the kind)": the declaration as the frontend resolves it.
    @Test(arguments: [
        ("interrupt nmi perf", "nmi", "perf"),
        ("interrupt perf nmi", "nmi", "perf"),
        ("interrupt irq perf", "irq", "perf"),
        ("interrupt perf irq", "irq", "perf"),
        ("interrupt nmi nmi", "nmi", "nmi"),
        ("interrupt irq irq", "irq", "irq"),
        ("interrupt nmi irq", "nmi", "irq"),
        ("interrupt irq nmi", "irq", "nmi"),
    ])
    func interruptDeclaration(_ head: String, kind: String, name: String) throws {
        let model = try loadModel(world("exit x { }\n\(head) { touch text }\ncheck crash"))
        #expect(model.interrupts.count == 1, "\(head)")
        #expect(model.interrupts.first.map { "\($0.kind)" } == kind, "\(head)")
        #expect(model.interrupts.first?.name == name, "\(head)")
    }

    /// "**A guest placed on no thread** is allowed (a warning)": the model loads, with a
    /// warning naming the guest and no error.
    @Test func unplacedGuestIsAWarning() throws {
        let text = world(threads: ["t0", "t1"], first: "small", guests: ["vm1", "vm2"], run: "run vm1 on t0, t1",
                         "exit x { }\ncheck corun")
        let result = Frontend.load(file: SourceFile(path: "unplaced.leak", text: text))
        let errors = result.diagnostics.filter { $0.severity == .error }.map { "\($0.code) \($0.message)" }
        #expect(errors.isEmpty)
        #expect(result.model != nil)
        let warnings = result.diagnostics.filter { $0.severity == .warning }.map(\.message)
        #expect(warnings.contains { $0.contains("vm2") })
    }

    /// Every row quotes DESIGN.md verbatim (white space folded, Markdown emphasis dropped): a
    /// row whose sentence left the contract must be re-derived, not kept by habit.
    @Test func everySentenceIsInDesignMD() throws {
        let design = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/DESIGN.md")
        let text = try #require(try? String(contentsOf: design, encoding: .utf8),
                                "DESIGN.md is not at \(design.path): the project expects ../shared/ beside it")
        func fold(_ s: String) -> String {
            s.replacingOccurrences(of: "**", with: "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        let contract = fold(text)
        for rule in designRules {
            #expect(contract.contains(fold(rule.sentence)), "\(rule.id): \"\(rule.sentence)\" is not in DESIGN.md")
        }
    }

    static func describe(_ report: Checker.Report) -> String {
        switch report.outcome {
        case .finding(let t):
            "\(t.finding.check.verdictKind.rawValue) in \(t.length) (\(report.engine))"
        default:
            "\(report.verdict.word) (\(report.engine))"
        }
    }
}
