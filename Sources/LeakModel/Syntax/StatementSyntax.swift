/// A `{ ... }` block of statements.
package struct BlockSyntax: Sendable {
    package var statements: [StatementSyntax]
    /// From `{` to `}` (to the last token read when the block is unclosed).
    package var span: SourceSpan
    static let empty = BlockSyntax(statements: [], span: .none)
}

/// One statement inside a block.
package struct StatementSyntax: Sendable {
    package indirect enum Kind: Sendable {
        case touch([Identifier])
        case switchTable(Identifier)
        case kickSiblings
        case holdSiblings
        case releaseSiblings
        /// `idle`: the vCPU task blocks; the thread goes idle.
        case idle
        case wait(WaitConditionSyntax)
        case flush(Identifier)
        case irqs(on: Bool)
        /// `set FLAG` (true) or `clear FLAG` (false).
        case setFlag(Identifier, value: Bool)
        case either([BlockSyntax])
        /// `if [not] FLAG { ... } [else { ... }]`: `then` runs when the flag is `value`.
        case ifFlag(Identifier, value: Bool, then: BlockSyntax, else: BlockSyntax?)
    }
    package var kind: Kind
    package var span: SourceSpan
}

/// What `wait until siblings ...` waits for.
package enum WaitConditionSyntax: Sendable {
    case outOfGuest
    case notIn(Identifier)
    case `in`(Identifier)
}
