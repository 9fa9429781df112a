import Foundation
import Testing
@testable import LeakModel

/// Stored proofs: a certificate re-checks with one query, and nothing in its text can make a
/// model with a finding look safe.
@Suite("Proof certificates")
struct CertificateTests {
    /// The certificate of `file`'s Spacer proof, as written to disk and read back.
    static func certificate(of file: String) throws -> String {
        let model = try ShippedModelsTests.load(file)
        let report = try Checker(options: .init(engine: .spacer)).check(model)
        let certificate = try #require(ProofCertificate(report: report), "\(file): \(report.outcome)")
        return try ProofCertificate.parse(certificate.render()).smtlib
    }

    @Test(arguments: ["asi.leak", "nosmt-flush.leak"])
    func aStoredProofIsRecheckedWithoutSearch(file: String) throws {
        let stored = try Self.certificate(of: file)
        let model = try ShippedModelsTests.load(file)
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
        let without = try Checker().check(model)
        #expect(with.engine != "certificate")
        #expect(with.verdict == without.verdict)
        #expect(summary(with.outcome) == summary(without.outcome))
        #expect(with.otherPhases.first?.engine == "certificate")
        #expect(with.otherPhases.first?.result.hasPrefix("does not hold") == true, "\(with.otherPhases)")
    }

    /// Texts that are no proof of asi.leak, with the reason each must give.
    @Test(arguments: [
        ("(assert true)", "not an inductive invariant"),
        ("(declare-fun stranger () Bool)\n(assert (or stranger (not stranger)))", "not a state variable"),
        ("(declare-fun f (Bool) Bool)\n(assert (f true))", "function application"),
        ("(assert (forall ((x Bool)) (or x (not x))))", "quantifier"),
        ("(assert (and", "does not parse"),
        ("(assert 42)", "does not parse"),
    ])
    func whatIsNoProofIsRefused(text: String, reason: String) throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let result = try SpacerProver(model: model).revalidate(smtlib: text)
        guard case .fails(let why) = result else { Issue.record("\(text): \(result)"); return }
        #expect(why.contains(reason), "\(text): \(why)")
    }

    /// A next-state copy of a variable would let a formula speak of two states at once, which
    /// the one-step check does not account for: refused by name, before any query.
    @Test func aNextStateVariableIsRefused() throws {
        let model = try ShippedModelsTests.load("asi.leak")
        let stored = try Self.certificate(of: "asi.leak")
        let smuggled = stored.replacingOccurrences(of: "@0", with: "@1")
        let result = try SpacerProver(model: model).revalidate(smtlib: smuggled)
        guard case .fails(let why) = result else { Issue.record("\(result)"); return }
        #expect(why.contains("not a state variable"), "\(why)")
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
