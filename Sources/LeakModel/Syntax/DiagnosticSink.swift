/// Collects the diagnostics of one frontend run, caps them, and sorts them by position.
///
/// A reference type because the lexer, the parser and the resolver all report into the same
/// sink. The cap keeps a garbage or huge input from producing millions of diagnostics: once
/// `limit` errors are recorded the sink is *saturated*, the parser stops at the next
/// declaration and the resolver is skipped, like a compiler's "too many errors" stop.
package final class DiagnosticSink {
    /// How many errors (and, separately, warnings) are kept.
    let limit: Int
    private var recorded: [Diagnostic] = []
    /// Indices in `recorded` of file-level diagnostics (E022, E023: "model declares no core"):
    /// they have no place of their own and are often consequences of an earlier syntax error,
    /// so they come after every diagnostic with a real position.
    private var fileLevel: Set<Int> = []
    private(set) var errorCount = 0
    private var warningCount = 0
    private var droppedWarnings = 0

    package init(limit: Int = 100) { self.limit = limit }

    /// True once `limit` errors were reported: further work would only produce dropped errors.
    package var isSaturated: Bool { errorCount >= limit }
    package var hasErrors: Bool { errorCount > 0 }

    func emit(_ diagnostic: Diagnostic) {
        switch diagnostic.severity {
        case .error:
            errorCount += 1
            if errorCount <= limit { recorded.append(diagnostic) }
        case .warning:
            warningCount += 1
            if warningCount <= limit { recorded.append(diagnostic) } else { droppedWarnings += 1 }
        case .note:
            recorded.append(diagnostic)
        }
    }

    /// Records `message` with the severity its code carries.
    package func report(_ message: DiagnosticMessage, at span: SourceSpan,
                notes: [Diagnostic.Note] = [], help: String? = nil) {
        emit(Diagnostic(message, at: span, notes: notes, help: help))
    }

    /// An error about the file as a whole (`span` only says where to point, e.g. the title):
    /// listed after the positioned diagnostics, so that the first real error comes first.
    package func reportFileLevel(_ message: DiagnosticMessage, at span: SourceSpan, help: String? = nil) {
        let before = recorded.count
        report(message, at: span, help: help)
        if recorded.count > before { fileLevel.insert(before) }
    }

    /// The diagnostics sorted by start offset (stable: equal offsets keep the order they were
    /// reported in), then the file-level ones in the order reported, followed by a note when
    /// some were dropped.
    package func finish(endOfFile: Int) -> [Diagnostic] {
        // Sort indices with the index as tie-breaker: `sort` is not documented as stable.
        let order = recorded.indices.filter { !fileLevel.contains($0) }.sorted {
            (recorded[$0].span.start, $0) < (recorded[$1].span.start, $1)
        } + recorded.indices.filter { fileLevel.contains($0) }
        var result = order.map { recorded[$0] }
        let end = SourceSpan(start: endOfFile, end: endOfFile)
        if errorCount >= limit {
            result.append(Diagnostic(.tooManyErrors(limit: limit), at: end))
        }
        if droppedWarnings > 0 {
            result.append(Diagnostic(.moreWarnings(count: droppedWarnings), at: end))
        }
        return result
    }
}
