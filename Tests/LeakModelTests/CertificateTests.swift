import Foundation
import Testing
@testable import LeakModel
@testable import LeakSemantics
@testable import LeakTrace
@testable import LeakSMT
@testable import LeakEncoding
@testable import LeakReport

/// Stored proofs: a certificate re-checks with one query, and nothing in its text can make a
/// model with a finding look safe.
@Suite("Proof certificates")
struct CertificateTests {
    /// The certificate of `file`'s Spacer proof, as written to disk and read back: computed
    /// once per test run (eight tests ask for asi.leak's) and shared.
    static func certificate(of file: String) throws -> String {
        try certificates(file) {
            let model = try ShippedModelsTests.load(file)
            let report = try Checker(options: .init(engine: .spacer)).check(model)
            let certificate = try #require(ProofCertificate(report: report), "\(file): \(report.outcome)")
            return try ProofCertificate.parse(certificate.render()).smtlib
        }
    }

    static let certificates = Memo<String, String>()

    @Test(arguments: ["asi.leak", "nosmt-flush.leak"])
    func aStoredProofIsRecheckedWithoutSearch(file: String) throws {
        let stored = try Self.certificate(of: file)
        let model = try ShippedModelsTests.load(file)
        // What leakcheck writes is inside the certificate grammar.
        let parsed = try Self.parser(for: model).parse(stored)
        if case .failure(let rejection) = parsed { Issue.record("\(file): \(rejection)") }
        let report = try Checker(options: .init(certificate: stored)).check(model)
        #expect(report.engine == "certificate")
        #expect(report.verdict == .safe)
        #expect(report.otherPhases.isEmpty, "\(report.otherPhases)")
        guard case .proved(let proof) = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(proof.invariant?.size ?? 0 > 0)
    }

    /// The asi.leak invariant handed to every shipped model with a finding: it must fail there,
    /// and the search then finds the same finding as without a certificate.
    @Test(arguments: ["asi-kick.leak", "asi-nmi.leak", "asi-percpu-mapped.leak", "asi-release-early.leak",
                      "two-guests.leak", "smt-no-kick.leak"])
    func aCertificateNeverHidesAFinding(file: String) throws {
        let stored = try Self.certificate(of: "asi.leak")
        let model = try ShippedModelsTests.load(file)
        let with = try Checker(options: .init(certificate: stored)).check(model)
        let without = try ShippedModelsTests.defaultReport(file)
        #expect(with.engine != "certificate")
        #expect(with.verdict == without.verdict)
        #expect(summary(with.outcome) == summary(without.outcome))
        #expect(with.otherPhases.first?.engine == .certificate)
        #expect(with.otherPhases.first?.result.hasPrefix("does not hold") == true, "\(with.otherPhases)")
    }

    /// Texts that are no proof of asi.leak, with the reason each must give.
    @Test(arguments: [
        ("(assert true)", "not an inductive invariant"),
        ("(declare-fun stranger () Bool)\n(assert (or stranger (not stranger)))", "not a state variable"),
        ("(declare-fun f (Bool) Bool)\n(assert (f true))", "1:17: expected ')' (a state variable takes no arguments), found 'Bool'"),
        ("(assert (forall ((x Bool)) (or x (not x))))", "1:10: unknown operator 'forall'"),
        ("(assert (and", "1:13: expected a term, found the end of the certificate"),
        ("(assert 42)", "1:9: a bare numeral is not a term"),
    ])
    func whatIsNoProofIsRefused(text: String, reason: String) throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let result = try SpacerProver(model: model).revalidate(smtlib: text)
        guard case .fails(let why) = result else { Issue.record("\(text): \(result)"); return }
        #expect(why.contains(reason), "\(text): \(why)")
    }

    /// A next-state copy of a variable would let a formula speak of two states at once, which
    /// the one-step check does not account for: refused by name, before any query (by the
    /// parser: it is no current-state variable).
    @Test func aNextStateVariableIsRefused() throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let stored = try Self.certificate(of: "asi.leak")
        let smuggled = stored.replacingOccurrences(of: "@0", with: "@1")
        let result = try SpacerProver(model: model).revalidate(smtlib: smuggled)
        guard case .fails(let why) = result else { Issue.record("\(result)"); return }
        #expect(why.contains("is not a state variable of this model"), "\(why)")
        #expect(why.hasPrefix("its text is refused at "), "\(why)")
    }

    /// An explicit-engine proof has no invariant of its own: with `wantsCertificate` Spacer
    /// supplies one, and the report still says which engine proved the model.
    @Test func anExplicitProofGetsAnInvariantForItsCertificate() throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let report = try Checker(options: .init(wantsCertificate: true)).check(model)
        #expect(report.engine == "explicit")
        let certificate = try #require(ProofCertificate(report: report))
        #expect(certificate.render().hasPrefix(ProofCertificate.formatLine + "\n"))
        let again = try Checker(options: .init(certificate: certificate.smtlib)).check(model)
        #expect(again.engine == "certificate" && again.verdict == .safe)
    }

    /// k-induction at depth 0 is a proof by the mined clauses alone: with `wantsCertificate`
    /// they are the certificate's invariant (Spacer is not asked), and the file as written
    /// re-checks on the model and fails on a flawed variant of it.
    @Test func aMinedProofIsItsOwnCertificate() throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let report = try Checker(options: .init(engine: .kinduction, wantsCertificate: true)).check(model)
        guard case .proved(let proof) = report.outcome else { Issue.record("\(report.outcome)"); return }
        #expect(proof.summary.hasPrefix("k-induction at depth 0, strengthened by"), "\(proof.summary)")
        #expect(report.otherPhases.last?.result == "the mined clauses are the certificate's invariant, re-checked with one query",
                "\(report.otherPhases)")
        #expect(!report.otherPhases.contains { $0.engine == .spacer }, "\(report.otherPhases)")
        let file = try #require(ProofCertificate(report: report)).render()
        #expect(file.utf8.count <= CertificateParser.maxBytes)
        #expect(file.contains("lines more: the assertion below is the whole invariant"))
        let again = try Checker(options: .init(certificate: file)).check(model)
        #expect(again.engine == "certificate" && again.verdict == .safe, "\(again.otherPhases)")
        let flawed = try Checker(options: .init(certificate: file)).check(ShippedModelsTests.load("asi-release-early.leak"))
        #expect(flawed.otherPhases.first?.result.hasPrefix("does not hold") == true, "\(flawed.otherPhases)")
    }

    /// Clauses that are no inductive invariant make no certificate: the re-check says so.
    @Test func clausesThatAreNoInvariantMakeNoCertificate() throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let result = try SpacerProver(model: model).certificate(of: [])
        guard case .unknown(let reason) = result else { Issue.record("\(result)"); return }
        #expect(reason.hasPrefix("the mined clauses do not re-check as a certificate: it is not an inductive invariant"), "\(reason)")
    }

    @Test(arguments: ["", "(assert true)", "; leakcheck proof certificate, format 2\n(assert true)",
                      "; leakcheck proof certificate, format 1\n"])
    func filesThatAreNoCertificateAreRejected(text: String) {
        #expect(throws: ProofCertificate.FormatError.self) { try ProofCertificate.parse(text) }
    }

    /// A proof by certificate of a model where no guest runs is still vacuous.
    @Test func aCertificateOfAVacuousModelStaysVacuous() throws {
        let model = try loadModel(VacuityTests.neverEnters)
        let report = try Checker(options: .init(engine: .spacer, wantsCertificate: true)).check(model)
        let certificate = try #require(ProofCertificate(report: report))
        let again = try Checker(options: .init(certificate: certificate.smtlib)).check(model)
        #expect(again.engine == "certificate")
        #expect(again.verdict == .vacuous)
    }
}

// MARK: - Adversarial certificates (docs/TESTING.md, "Adversarial certificates")

extension CertificateTests {
    /// The parser for `model`'s state variables, as `revalidate` builds it.
    static func parser(for model: Model) throws -> CertificateParser {
        let ctx = try Z3Context()
        let frame = try InductionFrame(model: model, program: Program(model), context: ctx)
        return CertificateParser(variables: try CertificateTermBuilder.signature(of: frame.vars).sorts)
    }

    /// `body` as a certificate file: the format line, then `body` from line 2.
    static func file(_ body: String) -> String { ProofCertificate.formatLine + "\n" + body }

    /// `(assert (not (not ... true)))`, `depth` levels of `not`.
    static func nested(_ depth: Int) -> String {
        "(assert " + String(repeating: "(not ", count: depth) + "true" + String(repeating: ")", count: depth) + ")"
    }

    /// `(assert (and v (and v ... v)))`, `depth` levels of `and` over a declared variable.
    static func nestedAnd(_ depth: Int) -> String {
        "(declare-fun t0.retry.base@0 () Bool)\n(assert " + String(repeating: "(and t0.retry.base@0 ", count: depth)
            + "t0.retry.base@0" + String(repeating: ")", count: depth + 1)
    }

    /// `n` nested lets, each binding a term twice the size of the previous one.
    static func letBomb(_ n: Int) -> String {
        var text = "(declare-fun t0.retry.base@0 () Bool)\n(assert (let ((a0 t0.retry.base@0)) "
        for i in 1...n { text += "(let ((a\(i) (and a\(i - 1) a\(i - 1)))) " }
        return text + "a\(n)" + String(repeating: ")", count: n + 2)
    }

    /// `n` nested lets, each binding a term 30 deeper than the previous one.
    static func letTower(_ n: Int) -> String {
        var text = "(declare-fun t0.retry.base@0 () Bool)\n(assert (let ((a0 t0.retry.base@0)) "
        for i in 1...n {
            text += "(let ((a\(i) " + String(repeating: "(not ", count: 30) + "a\(i - 1)" + String(repeating: ")", count: 30) + ")) "
        }
        return text + "a\(n)" + String(repeating: ")", count: n + 2)
    }

    /// What a certificate may not do or be, each refused by the parser at the place given,
    /// before the solver sees any of it (asi.leak's state variables; line 1 is the format line).
    /// With today's SMT-LIB interpreter the commands would act: redirect output, set limits
    /// for the rest of the run, read files.
    @Test(arguments: [
        ("(set-option :regular-output-channel \"/dev/null\")\n(echo \"x\")\n(assert true)", "2:2: the command 'set-option' is not allowed"),
        ("(set-option :rlimit 1)\n(assert true)", "2:2: the command 'set-option' is not allowed"),
        ("(set-option :memory_max_size 1)\n(assert true)", "2:2: the command 'set-option' is not allowed"),
        ("(set-option :proof true)\n(assert true)", "2:2: the command 'set-option' is not allowed"),
        ("(include \"Models/asi.leak\")\n(assert true)", "2:2: the command 'include' is not allowed"),
        ("(echo \"hello\")\n(assert true)", "2:2: the command 'echo' is not allowed"),
        ("(set-info :status unsat)\n(assert true)", "2:2: the command 'set-info' is not allowed"),
        ("(assert true)\n(push 1)", "3:2: the command 'push' is not allowed"),
        ("(assert true)\n(check-sat)", "3:2: the command 'check-sat' is not allowed"),
        ("(define-fun t0.if@0 () Bool true)\n(assert t0.if@0)", "2:2: the command 'define-fun' is not allowed"),
        ("(declare-fun stranger () Bool)\n(assert stranger)", "2:14: 'stranger' is not a state variable of this model"),
        ("(declare-fun t0.table@0 () Bool)\n(assert t0.table@0)", "2:14: 't0.table@0' is declared with sort Bool, but the model's state variable has sort (_ BitVec 1)"),
        ("(declare-fun t0.if@0 () Bool)\n(declare-const t0.if@0 Bool)\n(assert t0.if@0)", "3:16: 't0.if@0' is declared twice"),
        ("(assert t0.if@0)", "2:9: 't0.if@0' is used before it is declared"),
        ("(assert stranger)", "2:9: unknown symbol 'stranger'"),
        ("(assert true)\n(assert false)", "3:2: a second assert"),
        ("; only comments", "2:16: the certificate has no (assert ...)"),
        ("(assert (bvadd #b1 #b1))", "2:10: unknown operator 'bvadd'"),
        ("(assert (not true false))", "2:10: 'not' takes one argument, not 2"),
        ("(assert (and true #b1))", "2:10: argument 2 of 'and' has sort (_ BitVec 1), not Bool"),
        ("(assert (= #b1 #b01))", "2:10: argument 2 of '=' has sort (_ BitVec 2), not (_ BitVec 1)"),
        ("(assert (= (_ bv4 2) #b00))", "2:15: 4 does not fit in 2 bits"),
        ("(assert (= #x0000 #x0000))", "2:12: a 16-bit literal is wider than any state variable (5 bits)"),
        ("(assert ((_ extract 5 0) #b1))", "2:10: extract's high bit 5 is outside a 1-bit vector"),
        ("(assert (let ((a true)) a) a)", "2:28: expected ')' to end the assert command, found 'a'"),
        ("(assert (and (let ((a true)) a) a))", "2:33: unknown symbol 'a'"),
        ("(assert \"true\")", "2:9: a string literal is not allowed"),
        ("\u{7F}ELF\u{02}\u{01}\u{00}", "2:1: unexpected byte 0x7F"),
        ("(assert (and true true)))", "2:25: ')' closes nothing"),
        ("(assert (and", "2:13: expected a term, found the end of the certificate"),
    ])
    func whatIsNoCertificateIsRefusedWhereItStands(body: String, expected: String) throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let result = try SpacerProver(model: model).revalidate(smtlib: Self.file(body))
        guard case .fails(let why) = result else { Issue.record("\(body): \(result)"); return }
        #expect(why.hasPrefix("its text is refused at " + expected), "\(body): \(why)")
    }

    /// `(set-option :regular-output-channel FILE)` then `(echo ...)`: with an SMT-LIB
    /// interpreter this appends to any writable file, even though the certificate fails.
    @Test func anOutputChannelCertificateWritesNothing() throws {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("leakcheck-cert-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: target) }
        let body = "(set-option :regular-output-channel \"\(target)\")\n(echo \"owned\")\n(assert true)"
        let model = try ShippedModelsTests.load("asi-kick.leak")
        let report = try Checker(options: .init(certificate: Self.file(body))).check(model)
        #expect(!FileManager.default.fileExists(atPath: target), "the certificate wrote \(target)")
        #expect(report.verdict == .finding(.leak), "\(report.verdict)")
        #expect(report.otherPhases.first?.result.hasPrefix("does not hold: its text is refused at 2:2") == true, "\(report.otherPhases)")
    }

    /// Sizes and depths beyond the caps: refused at once, without a crash.
    @Test(arguments: [
        (nested(30_000), "2:5004: parentheses nested deeper than 1,000"),
        (nestedAnd(30_000), "3:20988: parentheses nested deeper than 1,000"),
        (letBomb(24), "with its lets expanded, the formula has more than 4,000,000 nodes"),
        (letTower(40), "with its lets expanded, the formula nests deeper than 1,000"),
        ("(assert true)\n;" + String(repeating: "x", count: CertificateParser.maxBytes), "1:1: the certificate has 4,194,"),
    ])
    func oversizedCertificatesAreRefusedFast(body: String, expected: String) throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let start = ContinuousClock.now
        let result = try SpacerProver(model: model).revalidate(smtlib: Self.file(body), deadline: .now() + 5)
        let elapsed = ContinuousClock.now - start
        guard case .fails(let why) = result else { Issue.record("\(result)"); return }
        #expect(why.contains(expected), "\(why)")
        #expect(elapsed < .seconds(2), "\(elapsed)")
    }

    /// At the depth limit a certificate is still read, built and decided, fast.
    @Test func aCertificateAtTheDepthLimitIsDecided() throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let start = ContinuousClock.now
        let result = try SpacerProver(model: model).revalidate(smtlib: Self.file(Self.nested(CertificateParser.maxDepth - 1)),
                                                                 deadline: .now() + 5)
        #expect(ContinuousClock.now - start < .seconds(2))
        guard case .fails(let why) = result else { Issue.record("\(result)"); return }
        #expect(why.contains("not an inductive invariant"), "\(why)")
    }

    /// Every operator of the grammar is read, built and handed to the query (a tautology is
    /// no invariant that excludes the findings, so the query says so).
    @Test func everyOperatorOfTheGrammarReachesTheQuery() throws {
        let body = """
            ; comments anywhere
            (declare-fun t0.table@0 () (_ BitVec 1))
            (declare-const t0.retry.base@0 Bool) ; declare-const too
            (declare-fun c0.l1d@0 () (_ BitVec 5))
            (assert (let ((a!1 (= t0.table@0 #b0)) (a!2 ((_ extract 1 0) c0.l1d@0)))
              (or a!1 (not a!1) (=> t0.retry.base@0 true false) (= a!1 a!1 a!1)
                  (ite t0.retry.base@0 (bvule a!2 #b11) (bvult a!2 (_ bv3 2)))
                  (bvuge (bvnot a!2) (bvand a!2 #b01 a!2)) (bvugt (bvor a!2 #b10) #b00)
                  (= (concat a!2 t0.table@0) #b000) ((_ bit2bool 4) c0.l1d@0) (and false) (= #x1 #x1))))
            """
        let model = try ShippedModelsTests.load("asi.leak")
        let result = try SpacerProver(model: model).revalidate(smtlib: Self.file(body))
        guard case .fails(let why) = result else { Issue.record("\(result)"); return }
        #expect(why.contains("not an inductive invariant"), "\(why)")
    }

    /// Literals mean what SMT-LIB says, at any width (64-bit limbs, decimal `(_ bvN W)`).
    @Test(arguments: [
        ("(= (_ bv21 5) #b10101)", 5),
        ("(= #x1 (concat #b0 #b001))", 5),
        ("(and ((_ bit2bool 0) #b01) (not ((_ bit2bool 1) #b01)))", 5),
        ("(= (_ bv680564733841876926926749214863536422917 130) (concat #b10 (_ bv5 128)))", 130),
        ("(= ((_ extract 129 64) (_ bv680564733841876926926749214863536422917 130)) #b1" + String(repeating: "0", count: 65) + ")", 130),
        ("(bvult #x0ffffffffffffffff (_ bv18446744073709551616 68))", 130),
    ])
    func literalsKeepTheirValue(formula: String, width: Int) throws {
        let parser = CertificateParser(variables: ["w@0": .bitVector(width: width)])
        let parsed = parser.parse("(assert \(formula))")
        guard case .success(let f) = parsed else { Issue.record("\(parsed)"); return }
        let ctx = try Z3Context()
        let builder = CertificateTermBuilder(context: ctx, variables: ["w@0": try ctx.bitVectorConstant("w@0", width: width)])
        #expect(try ctx.simplify(builder.build(f)).isTrue, "\(formula)")
    }

    /// What the parser reports, exactly: no solver involved.
    @Test(arguments: [
        ("(declare-fun x () Bool)\n(assert (and x\n   (bvule x x)))", "3:5: 'bvule' takes bit-vectors, and its first argument has sort Bool"),
        ("(assert (let () true))", "1:10: a let binds no name"),
        ("(assert (let ((a true) (a false)) a))", "1:25: 'a' is bound twice in one let"),
        ("(assert (x true))", "1:10: unknown operator 'x'"),
        ("(declare-fun x () Bool)\n(assert (x true))", "2:10: 'x' is not an operator: it cannot be applied"),
        ("(assert ((_ zero_extend 1) #b1))", "1:13: unknown indexed operator 'zero_extend'"),
        ("(assert (_ bv1))", "1:15: expected the literal's width (a numeral), found ')'"),
        ("(assert #b12)", "1:9: a literal is followed by character '2'"),
        ("(assert :named)", "1:9: the keyword ':named' is not allowed"),
        ("(assert (= #b1 (_ bv1 99999999999)))", "1:23: the literal's width 99999999999 is too large"),
    ])
    func theParserSaysWhereAndWhat(text: String, expected: String) {
        let parser = CertificateParser(variables: ["x": .bool])
        guard case .failure(let rejection) = parser.parse(text) else { Issue.record("accepted: \(text)"); return }
        #expect("\(rejection)".hasPrefix(expected), "\(rejection)")
    }
}

extension CertificateTests {
    /// The certificate fuzzer's hand-written seeds (Golden/certificates/, docs/TESTING.md): the
    /// attacks are refused where they start, the synthetic one with every operator is accepted
    /// and builds. (asi.cert and nosmt-flush.cert there are seeds only: the shipped models'
    /// own certificates are made afresh by the round-trip tests.)
    @Test(arguments: [
        ("attack-output-channel.cert", "2:2: the command 'set-option' is not allowed"),
        ("attack-options.cert", "2:2: the command 'set-option' is not allowed"),
        ("attack-deep.cert", "2:5004: parentheses nested deeper than 1,000"),
        ("wide-every-operator.cert", nil),
    ])
    func theFuzzSeedsBehaveAsDocumented(file: String, refusal: String?) throws {
        let text = String(decoding: try GoldenSupport.bytes("certificates", file), as: UTF8.self)
        let widths: [String: CertificateFormula.Sort] = ["w@0": .bitVector(width: 130), "x@0": .bitVector(width: 3), "b@0": .bool]
        switch CertificateParser(variables: widths).parse(text) {
        case .failure(let rejection):
            #expect(refusal.map { "\(rejection)".hasPrefix($0) } == true, "\(file): \(rejection)")
        case .success(let formula):
            #expect(refusal == nil, "\(file) accepted")
            let ctx = try Z3Context()
            let exprs = try widths.mapValues { sort -> Z3Expr in
                guard case .bitVector(let w) = sort else { return try ctx.boolConstant("b@0") }
                return try ctx.bitVectorConstant(w == 3 ? "x@0" : "w@0", width: w)
            }
            #expect(try CertificateTermBuilder(context: ctx, variables: exprs).build(formula).isBool)
        }
    }
}
