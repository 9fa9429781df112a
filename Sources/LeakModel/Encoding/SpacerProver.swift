import Foundation
import LeakSMT
import LeakSemantics
import LeakSteps
import LeakTrace

/// Proves that no check can ever fail with Z3's Spacer engine (IC3/PDR on constrained Horn
/// clauses), and returns the inductive invariant it found, in the model's terms.
///
/// Spacer's answer is not trusted on its own: the invariant is re-checked with the bounded
/// encoding (it holds initially, is preserved by every step, and excludes every finding)
/// before a proof is reported.
public final class SpacerProver: @unchecked Sendable {
    public let model: Model
    let program: Program
    let context: Z3Context

    public enum Result: Hashable, Sendable {
        /// The invariant in the model's terms, and as SMT-LIB 2 (declarations and one
        /// `assert` over the state variables) for a certificate.
        case proved(Invariant, smtlib: String)
        /// Spacer derived a finding (of some length; bounded model checking shows it).
        case reachable
        case unknown(reason: String)
    }

    /// What re-checking a stored invariant gave.
    public enum Revalidation: Hashable, Sendable {
        /// It is still an inductive invariant that excludes every finding: a proof.
        case holds(Invariant)
        /// It is not (the model changed, or the text is not an invariant of this model).
        case fails(String)
        case unknown(reason: String)
    }

    public init(model: Model) throws {
        self.model = model
        self.program = Program(model)
        self.context = try Z3Context()
    }

    public func prove(deadline: DispatchTime? = nil, cancellation: Cancellation? = nil) throws -> Result {
        // Z3 4.8.12's fixedpoint engine is not safe to run in two contexts at once: two
        // Spacer runs of `check -j` ended in a sort mismatch inside Z3. One runs at a time.
        Self.oneAtATime.lock()
        defer { Self.oneAtATime.unlock() }
        return try stoppable(deadline: deadline, cancellation: cancellation, stopped: { .unknown(reason: $0) }) { stoppedBy in
            try self.run(stoppedBy: stoppedBy)
        }
    }

    private static let oneAtATime = NSLock()

    /// Re-checks an invariant stored as SMT-LIB 2 text (from `Result.proved`) against the
    /// model as it is now, with one query. The text is trusted for nothing: `CertificateParser`
    /// reads it as data, accepting only declarations of this model's state variables and one
    /// assertion in a fixed grammar, before the solver sees any of it; the formula is then
    /// built through the term API (never by the solver's SMT-LIB interpreter, which would obey
    /// commands such as `set-option` or `echo`), and the query decides.
    public func revalidate(smtlib text: String, deadline: DispatchTime? = nil,
                           cancellation: Cancellation? = nil) throws -> Revalidation {
        try stoppable(deadline: deadline, cancellation: cancellation, stopped: { .unknown(reason: $0) }) { stoppedBy in
            let ctx = self.context
            let frame = try InductionFrame(model: self.model, program: self.program, context: ctx,
                                           stopReason: { stoppedBy.value })
            let (sorts, exprs) = try CertificateTermBuilder.signature(of: frame.vars)
            let formula: CertificateFormula
            switch CertificateParser(variables: sorts).parse(text) {
            case .success(let f): formula = f
            case .failure(let rejection): return .fails("its text is refused at \(rejection)")
            }
            let candidate = try CertificateTermBuilder(context: ctx, variables: exprs).build(formula)
            // The grammar admits nothing else; checked again on the built formula all the same.
            let known = Set(frame.vars)
            let (constants, others) = try ctx.symbols(of: candidate)
            if let stranger = constants.first(where: { !known.contains($0) }) {
                return .fails("it speaks of '\(stranger)', which is not a state variable of this model")
            }
            if let other = others.first { return .fails("it contains \(other)") }
            if let reason = stoppedBy.value { return .unknown(reason: reason) }
            switch try frame.isInductiveInvariant(candidate) {
            case true?:
                return .holds(try frame.translate(ctx.simplify(candidate), program: self.program))
            case false?:
                return .fails("it is not an inductive invariant of this model that excludes every finding")
            case nil:
                return .unknown(reason: stoppedBy.value ?? "the solver gave up")
            }
        }
    }

    /// A certificate made of clauses that are, with the encoding's well-formedness, an
    /// inductive invariant excluding every finding: what k-induction at depth 0 from mined
    /// clauses proves (`KInduction.proveWithMinedInvariant`). The text is re-checked exactly as
    /// a stored certificate is (`revalidate`), so what is saved is what re-checks; never
    /// `.reachable`, and `.unknown` with the reason when the re-check does not hold.
    public func certificate(of clauses: [StepTerm], deadline: DispatchTime? = nil,
                            cancellation: Cancellation? = nil) throws -> Result {
        // Over the state `InductionFrame` names its variables after (step 0); the frame itself,
        // with every command of the step, is built once, by `revalidate`.
        let encoder = try Encoder(context: context, model: model, program: program)
        let s = try SymbolicState(step: 0, space: encoder.space, context: context)
        let candidate = try encoder.expr(StepTerm.all([try encoder.system().wellFormed] + clauses), s)
        let text = Self.compacted(try context.smtlib2Script(asserting: candidate))
        switch try revalidate(smtlib: text, deadline: deadline, cancellation: cancellation) {
        case .holds(let invariant): return .proved(invariant, smtlib: text)
        case .fails(let why): return .unknown(reason: "the mined clauses do not re-check as a certificate: \(why)")
        case .unknown(let reason): return .unknown(reason: reason)
        }
    }

    /// Z3's text with the assertion on one line: its indentation is 40% of a mined
    /// certificate (hundreds of clauses), which counts against `CertificateParser.maxBytes`.
    /// Runs of white space collapse to one space only where no quoted symbol or string could
    /// hold them.
    static func compacted(_ text: String) -> String {
        guard !text.contains("|"), !text.contains("\""), let assert = text.range(of: "(assert") else { return text }
        let body = text[assert.lowerBound...].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        return String(text[..<assert.lowerBound]) + body.joined(separator: " ") + "\n"
    }

    /// Runs `body` so that a deadline or a cancellation stops it with `stopped(reason)`.
    ///
    /// Spacer reports an interrupt as "unknown (ok)": remember who stopped it. Z3 clears a
    /// pending interrupt when a query starts, so once a stop is due the watchdog keeps
    /// interrupting until the query returns.
    private func stoppable<T>(deadline: DispatchTime?, cancellation: Cancellation?, stopped: @escaping (String) -> T,
                              _ body: @escaping (StopReason) throws -> T) throws -> T {
        let ctx = context
        let stoppedBy = StopReason()
        if let deadline, DispatchTime.now() >= deadline { return stopped("timeout") }
        let watchdog = DispatchSource.makeTimerSource(queue: .global())
        watchdog.schedule(deadline: .now(), repeating: .milliseconds(100))
        watchdog.setEventHandler {
            if let deadline, DispatchTime.now() >= deadline { stoppedBy.set("timeout") }
            if stoppedBy.value != nil { ctx.interrupt() }
        }
        watchdog.resume()
        defer { watchdog.cancel() }
        let run = { () throws -> T in
            do {
                return try body(stoppedBy)
            } catch let error as Z3Error {
                // An interrupt may surface as a Z3 "canceled" error rather than an unknown.
                if let reason = stoppedBy.value { return stopped(reason) }
                throw error
            } catch let error as Encoder.Stopped {
                return stopped(error.reason)
            }
        }
        guard let cancellation else { return try run() }
        return try cancellation.whileRegistered({ stoppedBy.set("interrupted"); ctx.interrupt() }, run)
    }

    private final class StopReason: @unchecked Sendable {
        private let lock = NSLock()
        private var reason: String?
        func set(_ r: String) { lock.withLock { if reason == nil { reason = r } } }
        var value: String? { lock.withLock { reason } }
    }

    private func run(stoppedBy: StopReason) throws -> Result {
        let ctx = context
        let frame = try InductionFrame(model: model, program: program, context: ctx, stopReason: { stoppedBy.value })
        let vars = frame.vars, next = frame.next

        let inv = try ctx.function("Inv", domain: try vars.map { try $0.sort }, range: ctx.boolSort())
        let err = try ctx.function("Err", domain: [], range: ctx.boolSort())
        let fp = try Z3Fixedpoint(ctx)
        let params = try Z3Params(ctx)
        try params.set("engine", symbol: "spacer")
        // Keep the predicate's arguments as they are, so that the invariant speaks of them.
        try params.set("xform.slice", bool: false)
        try params.set("xform.inline_linear", bool: false)
        try params.set("xform.inline_eager", bool: false)
        try fp.setParams(params)
        try fp.registerRelation(inv)
        try fp.registerRelation(err)
        let invS = try ctx.apply(inv, vars), invN = try ctx.apply(inv, next)
        try fp.addRule(ctx.forAll(vars, ctx.implies(frame.initial(), invS)), name: "init")
        try fp.addRule(ctx.forAll(vars + next + [frame.selector],
                                  ctx.implies(ctx.and([invS, frame.transition()]), invN)),
                       name: "step")
        let errApp = try ctx.apply(err, [])
        try fp.addRule(ctx.forAll(vars, ctx.implies(ctx.and([invS, frame.bad]), errApp)), name: "finding")

        // An interrupt only stops a running call: one that came before the query is seen here.
        if let reason = stoppedBy.value { return .unknown(reason: reason) }
        switch try fp.query(errApp) {
        case .sat:
            return .reachable
        case .unknown(let reason):
            return .unknown(reason: stoppedBy.value ?? reason)
        case .unsat:
            break
        }
        let cover = try fp.cover(of: inv)
        // Z3 numbers the predicate's arguments as de Bruijn variables; accept the order only
        // if the invariant then checks out.
        for order in [vars, vars.reversed()] {
            let candidate = try ctx.simplify(ctx.substituteVariables(cover, Array(order)))
            if try frame.isInductiveInvariant(candidate) == true {
                return .proved(try frame.translate(candidate, program: program), smtlib: try ctx.smtlib2Script(asserting: candidate))
            }
        }
        if let reason = stoppedBy.value { return .unknown(reason: reason) }
        throw BMCChecker.InternalError(description: "Spacer's invariant does not validate against the encoding")
    }
}
