import Foundation
import Testing
@testable import LeakModel

/// The step rules (`StepRules`, what the SMT encoding and the Promela export translate) against
/// the explicit interpreter, its independent reading of DESIGN.md section 3, one state at a
/// time and without a solver: `StepTerm.evaluate` runs the guarded commands on every state
/// the interpreter reaches. In each: the same initial states; the same successors with the same
/// actions; every check's predicate true exactly when the interpreter finds something; the
/// well-formedness invariant (k-induction's assumption) true; and the state list reads every
/// state back unchanged.
@Suite("Step rules: the guarded commands against the explicit interpreter")
struct StepRulesTests {
    /// A step as a value: the action and the state it leads to.
    struct Move: Hashable {
        var action: Action
        var state: SystemState
    }

    /// The states the interpreter reaches, breadth-first, at most `limit`.
    static func reachable(_ interpreter: Interpreter, limit: Int) -> [SystemState] {
        var seen = Set<SystemState>(), queue = interpreter.initialStates() ?? []
        var out: [SystemState] = [], head = 0
        for s in queue { seen.insert(s) }
        while head < queue.count, out.count < limit {
            let s = queue[head]
            head += 1
            out.append(s)
            for (_, n) in interpreter.successors(of: s) where seen.insert(n).inserted { queue.append(n) }
        }
        return out
    }

    /// Compares the rules with the interpreter on `model`; returns the number of states compared.
    @discardableResult
    static func compare(_ model: Model, _ label: String, limit: Int = 1000) -> Int {
        let program = Program(model)
        let system = StepRules(model: model, program: program).system()
        let space = system.space
        let interpreter = Interpreter(model: model, program: program)

        // Initial states: every combination of the threads' choices, other variables zero.
        var initial: [[StateValue]] = [space.vars.indices.map { space.zero($0).evaluate([]) }]
        for choices in system.initial {
            initial = initial.flatMap { base in
                choices.map { choice in
                    var values = base
                    for a in choice.assignments { values[a.variable] = a.value.evaluate(base) }
                    return values
                }
            }
        }
        #expect(Set(initial.map(space.state(from:))) == Set(interpreter.initialStates() ?? []), "\(label): initial states")

        let states = reachable(interpreter, limit: limit)
        for s in states {
            let values = space.values(of: s)
            #expect(space.state(from: values) == s, "\(label): the state list does not read back \(s)")
            #expect(system.wellFormed.truth(values), "\(label): not well-formed: \(s)")
            var moves = Set<Move>()
            if !system.halted.truth(values) {
                for c in system.commands where c.guard.truth(values) {
                    var next = values
                    for a in c.updates { next[a.variable] = a.value.evaluate(values) }
                    moves.insert(Move(action: c.action, state: space.state(from: next)))
                }
            }
            let successors = interpreter.successors(of: s)
            let expected = Set(successors.map { Move(action: $0.0, state: $0.1) })
            #expect(moves == expected, "\(label): successors of \(s)\nrules only: \(moves.subtracting(expected))\ninterpreter only: \(expected.subtracting(moves))")
            // Progress is a loop, not a state: LassoSearch and the lasso monitor (ProgressTests).
            for check in model.stateChecks {
                let found = interpreter.finding(check, in: s, successors: successors) != nil
                let predicate = system.predicate(of: check)
                    ?? .and([.not(system.halted), .not(.or(system.commands.filter { !$0.action.isIdle }.map(\.guard)))])
                #expect(predicate.truth(values) == found, "\(label): check \(check) in \(s)")
            }
        }
        return states.count
    }

    @Test(arguments: shippedModels)
    func shippedModel(_ shipped: ShippedModel) throws {
        #expect(Self.compare(try ShippedModelsTests.load(shipped.file), shipped.file) > 0)
    }

    /// Flags (DESIGN.md 6.1): per-thread and per-core copies, set and cleared on exit paths, in
    /// interrupt handlers and in `on fault`, on two cores of two threads.
    @Test(arguments: [
        "flag dirty per thread\nflag tainted per core\nexit ept { set dirty; touch heap }\nexit io { set tainted }\non vmentry { clear dirty; either { clear tainted } or { } }",
        "flag dirty per thread\ninterrupt irq timer { set dirty }\non vmexit { irqs on }\non vmentry { irqs off; clear dirty }\nexit x { }",
        "flag tainted per core\non fault { set tainted; switch kernel }\nexit ept { touch heap }\non vmentry { switch restricted; clear tainted }",
        // `if` (DESIGN.md 6.1): the flag read at the step, an interrupt or a sibling changing it
        // first, chained and nested ifs, empty branches through block ends and handler returns.
        "flag dirty per thread\ninterrupt irq timer { touch heap; set dirty }\nexit ept { touch heap; set dirty }\non vmexit { irqs on }\non vmentry { if dirty { irqs off; flush l1d; clear dirty } else { irqs off } }",
        "flag tainted per core\nflag dirty per thread\nexit ept { if not tainted { set tainted } else { set dirty }; if dirty { } }\non vmentry { if tainted { if dirty { clear dirty } else { flush l1d } ; clear tainted } }",
        "flag dirty per thread\ninterrupt irq timer { touch heap; if dirty { } else { set dirty } }\ninterrupt nmi perf { if dirty { wait until siblings out of guest } }\non vmexit { irqs on; switch kernel }\non vmentry { switch restricted; irqs off; if dirty { flush l1d; clear dirty } }\nexit x { }",
        "flag dirty per core\nexit ept { either { set dirty } or { if dirty { touch heap } } }\non fault { switch kernel; if dirty { clear dirty } }\non vmentry { if not dirty { } else { switch restricted } }",
    ])
    func flags(_ body: String) throws {
        let source = """
            core c0 { t0 t1 }
            core c1 { t2 t3 }
            host host
            guest vm1, vm2
            region text public
            region heap owner host
            region vcpu per guest
            table restricted per guest maps text, vcpu
            table kernel maps all
            buffer l1d fill mapped
            run vm1, vm2 on t0, t1, t2, t3
            \(body)
            check corun
            check residue l1d
            check crash
            """
        let model = try loadModel(source, path: "flags.leak")
        #expect(!model.flags.isEmpty)
        #expect(Self.compare(model, body, limit: 4000) > 100)
    }

    /// Random models of every generator shape (the seed classes of `RandomModel`).
    @Test(arguments: Array(UInt64(1)...UInt64(60)))
    func randomModels(seed: UInt64) throws {
        let model = try loadModel(RandomModel(seed: seed, bound: 7).source(), path: "random-\(seed).leak")
        #expect(Self.compare(model, "seed \(seed)", limit: 500) > 0)
    }
}
