/// A `{ ... }` block of statements.
package struct BlockSyntax {
    package var statements: [StatementSyntax]
    /// From `{` to `}` (to the last token read when the block is unclosed).
    package var span: SourceSpan
    static let empty = BlockSyntax(statements: [], span: .none)
}

/// One statement inside a block.
package struct StatementSyntax {
    package indirect enum Kind {
        case touch([Identifier])
        case switchTable(Identifier)
        case kickSiblings
        case holdSiblings
        case releaseSiblings
        case wait(WaitConditionSyntax)
        case flush(Identifier)
        case irqs(on: Bool)
        /// `set FLAG` (true) or `clear FLAG` (false).
        case setFlag(Identifier, value: Bool)
        case either([BlockSyntax])
    }
    package var kind: Kind
    package var span: SourceSpan
}

/// What `wait until siblings ...` waits for.
package enum WaitConditionSyntax {
    case outOfGuest
    case notIn(Identifier)
    case `in`(Identifier)
}
