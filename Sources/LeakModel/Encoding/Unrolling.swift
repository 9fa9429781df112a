import Foundation
import LeakSMT
import LeakSemantics
import LeakSteps

/// The states 0, 1, 2, ... of an unrolling on one solver, with the step from each to the next
/// asserted as it is added. Shared by bounded model checking, k-induction and reachability.
final class Unrolling {
    let encoder: Encoder
    let solver: Z3Solver
    private(set) var states: [SymbolicState]
    /// The commands at each state, built when first asked for (a confirmation that takes
    /// only the schedule's commands never needs them all).
    private var commandCache: [[Encoder.Command]?]
    /// The selector of the step from state k to state k+1.
    private(set) var selectors: [Z3Expr] = []
    let selectorWidth: Int
    /// The lasso monitor's frame beside each state, for a model with `check progress`
    /// (empty otherwise).
    private(set) var frames: [LassoFrame] = []
    private let progress: Bool

    init(encoder: Encoder, solver: Z3Solver) throws {
        self.encoder = encoder
        self.solver = solver
        let first = try SymbolicState(step: 0, space: encoder.space, context: encoder.ctx)
        states = [first]
        commandCache = [nil]
        selectorWidth = StateSpace.bits(try encoder.descriptors.count + 1)
        progress = encoder.model.checks.contains(.progress)
        if progress {
            frames = [try LassoFrame("0", encoder: encoder)]
            try solver.assert(encoder.lassoInitial(frames[0], first))
        }
    }

    var last: SymbolicState { states[states.count - 1] }

    /// The commands at state k (their guards decide deadlock there).
    func commands(at k: Int) throws -> [Encoder.Command] {
        if let built = commandCache[k] { return built }
        let built = try encoder.commands(at: states[k])
        commandCache[k] = built
        return built
    }

    /// Adds the next state and asserts the step to it: any command, or with `only`, one of
    /// those selector values (`Encoder.transition(from:only:to:selector:)`).
    @discardableResult
    func extend(only chosen: [Int]? = nil) throws -> SymbolicState {
        let ctx = encoder.ctx
        let k = states.count
        let next = try SymbolicState(step: k, space: encoder.space, context: ctx)
        let selector = try ctx.bitVectorConstant("step@\(k - 1)", width: selectorWidth)
        if let chosen {
            try solver.assert(encoder.transition(from: states[k - 1], only: chosen, to: next, selector: selector))
        } else {
            try solver.assert(encoder.transition(from: states[k - 1], commands: commands(at: k - 1), to: next, selector: selector,
                                                 form: .functional))
        }
        selectors.append(selector)
        states.append(next)
        commandCache.append(nil)
        if progress {
            frames.append(try LassoFrame("\(k)", encoder: encoder))
            try solver.assert(encoder.lassoStep(from: frames[k - 1], states[k - 1], commands: commands(at: k - 1), selector: selector,
                                                to: frames[k], next))
        }
        return next
    }

    /// The state predicate of each of `checks` at state k; for progress, a starving lasso
    /// whose loop ends at state k (`LassoFrame`).
    func finding(at k: Int, checks: [Model.Check]) throws -> [Z3Expr] {
        try checks.map { check in
            guard check == .progress else {
                return try encoder.property(check, at: states[k], commands: check == .deadlock ? commands(at: k) : [])
            }
            precondition(progress, "check progress of a model that does not name it")
            return try encoder.lasso(frames[k], states[k])
        }
    }

    /// Gives the next solver call what is left until `deadline`; false when nothing is left.
    func limitTime(to deadline: DispatchTime?) throws -> Bool { try solver.limitTime(to: deadline) }
}

extension Z3Solver {
    /// Gives the next call what is left until `deadline`; false when nothing is left.
    func limitTime(to deadline: DispatchTime?) throws -> Bool {
        guard let deadline else { return true }
        let left = Int64(deadline.uptimeNanoseconds) - Int64(DispatchTime.now().uptimeNanoseconds)
        guard left > 0 else { return false }
        try setTimeout(milliseconds: Int(max(1, left / 1_000_000)))
        return true
    }
}
