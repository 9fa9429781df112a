/// A problem found in a model file, as data: rendered later with file:line:col and carets.
public struct Diagnostic: Hashable, Sendable {
    public enum Severity: String, Sendable, Comparable {
        case error, warning, note
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
        private var rank: Int { switch self { case .error: 0; case .warning: 1; case .note: 2 } }
    }

    /// A secondary location with its own message ("first declared here").
    public struct Note: Hashable, Sendable {
        public var message: String
        public var span: SourceSpan
        public init(_ message: String, at span: SourceSpan) { self.message = message; self.span = span }
    }

    /// What was found: binds the code, the severity and the text (`DiagnosticMessage`).
    public var kind: DiagnosticMessage
    public var span: SourceSpan
    public var notes: [Note]
    /// An optional one-line hint ("did you mean 'kernel'?").
    public var help: String?

    /// A stable code such as `E012` (errors) or `W002` (warnings), documented in
    /// docs/LANGUAGE.md; empty for the frontend's own notes.
    public var code: String { kind.code?.rawValue ?? "" }
    public var severity: Severity { kind.severity }
    /// Lowercase, naming the construct: "region 'percpu' is declared twice".
    public var message: String { kind.text }

    public init(_ kind: DiagnosticMessage, at span: SourceSpan, notes: [Note] = [], help: String? = nil) {
        self.kind = kind; self.span = span; self.notes = notes; self.help = help
    }
}
