/// The parsed form of a model file: declarations as written, names not yet resolved.
///
/// Every node carries the span it was parsed from so the resolver can point at it. The parser
/// already checked what needs no name lookup (a region has exactly one kind of owner, a table
/// has one `maps` clause, closed keyword sets); the resolver does the rest. After a syntax
/// error a declaration may still be recorded with what could be read (its name, usually), so
/// that later references to it do not cascade into "unknown name" errors.
package struct SyntaxTree {
    package var declarations: [DeclarationSyntax]
}

/// A name as written.
package struct Identifier: Hashable, Sendable {
    package var text: String
    package var span: SourceSpan
}
