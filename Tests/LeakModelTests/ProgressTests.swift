import Foundation
import Testing
@testable import LeakModel
@testable import LeakTrace
@testable import LeakExplicit
@testable import LeakEncoding

/// `check progress` beyond the hand-derived rows of DesignRuleTests: the replay refuses
/// lassos that DESIGN.md 6.2 does not count, and Spacer's proofs on the lasso monitor agree
/// with the rows.
@Suite("Progress: lassos, their replay, and Spacer on the lasso monitor")
struct ProgressTests {
    static func row(_ id: String) throws -> Model {
        try loadModel(try #require(designRules.first { $0.id == id }).model, path: "\(id).leak")
    }

    /// The step from `s` by the first move of thread `t` that `match` accepts.
    static func step(_ interpreter: Interpreter, _ s: SystemState, thread t: Int,
                     _ match: (Action) -> Bool) throws -> Trace.Step {
        let (action, next) = try #require(interpreter.moves(of: t, in: s).first { match($0.0) })
        return Trace.Step(action: action, state: next)
    }

    /// An endless NMI storm is no fair loop: with the interrupt starts of the row's model as
    /// the loop, the replay says why it refuses the lasso.
    @Test func anInterruptStartInTheLoopIsRefused() throws {
        let model = try Self.row("progress-interrupt-storm-is-not-fair")
        let interpreter = Interpreter(model: model)
        let s0 = try #require(interpreter.initialStates()?.first)
        let isNMI = { (a: Action) in if case .interrupt = a { true } else { false } }
        let first = try Self.step(interpreter, s0, thread: 0, isNMI)
        let second = try Self.step(interpreter, first.state, thread: 0, isNMI)
        // The first start fills l1d with the table's regions; the second changes nothing.
        #expect(second.state == first.state)
        #expect(throws: Replay.Failure.self) {
            try Replay(interpreter: interpreter).validateLasso(initial: s0, steps: [first, second], loopStart: 1)
        }
        do {
            _ = try Replay(interpreter: interpreter).validateLasso(initial: s0, steps: [first, second], loopStart: 1)
        } catch let failure as Replay.Failure {
            #expect(failure.reason.contains("interrupt"), "\(failure)")
        }
    }

    /// A thread that could enter its guest but never steps makes the loop unfair: in the
    /// held-sibling row's model, t0 running vm1 while t1, not held, waits at its entry.
    @Test func aThreadThatCouldMoveButDoesNotMakesTheLoopUnfair() throws {
        let model = try Self.row("progress-held-sibling-starves")
        let interpreter = Interpreter(model: model)
        let s0 = try #require(interpreter.initialStates()?.first)
        let entry = try Self.step(interpreter, s0, thread: 0) { if case .entry = $0 { true } else { false } }
        let run = try Self.step(interpreter, entry.state, thread: 0) { if case .guestStep = $0 { true } else { false } }
        #expect(run.state == entry.state)
        do {
            _ = try Replay(interpreter: interpreter).validateLasso(initial: s0, steps: [entry, run], loopStart: 1)
            Issue.record("an unfair loop was accepted")
        } catch let failure as Replay.Failure {
            #expect(failure.reason.contains("never steps in the loop"), "\(failure)")
        }
        // The engines' own lasso for the same model is accepted, and starves t0 or t1.
        guard case .finding(let trace) = ExplicitChecker(model: model).check(bound: nil).0 else {
            Issue.record("no starvation found")
            return
        }
        #expect(try Replay(interpreter: interpreter).validate(trace) == trace.finding)
        // Moving the loop's start off the state the schedule returns to breaks the lasso.
        let l = try #require(trace.loopStart)
        #expect(throws: Replay.Failure.self) {
            try Replay(interpreter: interpreter).validateLasso(initial: trace.initial, steps: trace.steps, loopStart: l - 1)
        }
    }

    /// Spacer on the lasso monitor (liveness to safety): it must prove progress exactly for
    /// the rows derived safe and derive a starvation exactly for the rows derived starving;
    /// on the two smallest rows it must decide.
    @Test(arguments: designRules.filter { $0.id.hasPrefix("progress-") && !$0.id.contains("section-6.2") })
    func spacerAgreesWithTheRows(_ rule: DesignRule) throws {
        var model = try loadModel(rule.model, path: "\(rule.id).leak")
        model.checks = [.progress]
        let starves = ExplicitChecker(model: model).check(bound: nil).0.verdictWord == "starvation"
        let result = try SpacerProver(model: model).prove(deadline: .now() + .seconds(30))
        switch result {
        case .proved(let invariant, _):
            #expect(!starves, "\(rule.id): Spacer proves progress, the row starves")
            #expect(invariant.outline().contains("loop"), "\(rule.id): the invariant speaks of the loop: \(invariant.outline())")
        case .reachable:
            #expect(starves, "\(rule.id): Spacer derives a starvation, the row has none")
        case .unknown(let reason):
            #expect(!["progress-held-sibling-starves", "progress-released-sibling-must-enter"].contains(rule.id),
                    "\(rule.id): Spacer did not decide (\(reason))")
        }
    }
}
