import Foundation
import LeakSemantics
import LeakSyntax
import LeakTrace

/// A stored safety proof: the inductive invariant as SMT-LIB 2 text, with a header that says
/// what it was made for.
///
/// Nothing in the file is trusted: `Checker` re-checks the formula against the model as it
/// is now (`Options.certificate`), and only that query makes it a proof. The header is for
/// the reader and for a clear message when a file is not a certificate at all.
public struct ProofCertificate: Hashable, Sendable {
    /// The first line of every certificate file.
    public static let formatLine = "; leakcheck proof certificate, format 1"

    /// Declarations of the state variables it uses and one `assert`.
    public var smtlib: String

    public init(smtlib: String) { self.smtlib = smtlib }

    /// The certificate of a proved report; nil when the proof carries no invariant.
    public init?(report: Checker.Report) {
        guard case .proved(let proof) = report.outcome, let smtlib = proof.smtlib else { return nil }
        self.smtlib = smtlib
        header = Self.header(report: report, invariant: proof.invariant)
    }

    private var header: [String] = []

    /// The file's text: the header as SMT-LIB comments, then the formula. Any SMT-LIB 2 solver
    /// reads it (add `(check-sat)`); leakcheck reads it back with `parse`, and the formula only
    /// with `CertificateParser` (a fixed grammar, never an SMT-LIB interpreter).
    public func render() -> String {
        ([Self.formatLine] + header).joined(separator: "\n") + "\n" + smtlib
            + (smtlib.hasSuffix("\n") ? "" : "\n")
    }

    /// Why a file is not a certificate.
    public struct FormatError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Reads a certificate file's text; the formula itself is checked when it is used.
    public static func parse(_ text: String) throws -> ProofCertificate {
        let first = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard first.trimmingCharacters(in: .whitespacesAndNewlines) == formatLine else {
            throw FormatError(description: "it does not start with '\(formatLine)'")
        }
        guard text.contains("(assert") else { throw FormatError(description: "it has no (assert ...) command") }
        return ProofCertificate(smtlib: text)
    }

    /// The most lines of the invariant's outline in the header: a mined invariant has
    /// hundreds of clauses, and the header counts against `CertificateParser.maxBytes`.
    static let outlineLines = 200

    private static func header(report: Checker.Report, invariant: Invariant?) -> [String] {
        let model = report.model
        var lines = [
            "; model: \(model.file.path)\(model.title.map { " \"\($0)\"" } ?? "")",
            "; model sha256: \(ContentHash.sha256(model.file.bytes))",
            "; checks: \(model.checks.map { JSONReport.checkName($0, model) }.joined(separator: ", "))",
            "; made by: leakcheck \(LeakModelVersion.string), proof by \(report.engine)",
            ";",
            "; The assertion below is an inductive invariant over the state at one step: it holds",
            "; in every initial state, every step preserves it, and no state satisfying it has a",
            "; finding of the checks above. `leakcheck check --certificate FILE` re-checks exactly",
            "; that, with one query, against the model as it is then; only that makes it a proof.",
        ]
        if let invariant {
            lines.append(";")
            lines.append("; In the model's terms:")
            let outline = invariant.outline(indent: "  ").split(separator: "\n")
            lines += outline.prefix(outlineLines).map { ";   \($0)" }
            if outline.count > outlineLines {
                lines.append(";   ... and \(outline.count - outlineLines) lines more: the assertion below is the whole invariant")
            }
        }
        return lines
    }
}

extension ProofCertificate: CustomStringConvertible {
    public var description: String { render() }
}
