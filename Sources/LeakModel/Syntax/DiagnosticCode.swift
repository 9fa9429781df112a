/// The stable codes of every diagnostic the frontend emits, each with its severity.
///
/// Codes never change meaning once released: scripts and CI logs grep for them. docs/LANGUAGE.md
/// lists each one with an example input and its message; keep the two in step. The messages
/// themselves are the cases of `DiagnosticMessage`, each bound to one of these codes.
public enum DiagnosticCode: String, CaseIterable, Hashable, Sendable {
    // MARK: Reading and lexing
    /// The file cannot be read (missing, a directory, permissions, too large).
    case unreadableFile = "E001"
    /// Bytes that are not valid UTF-8.
    case invalidUTF8 = "E002"
    /// A character that starts no token (`@`, `é`, a control character).
    case unexpectedCharacter = "E003"
    /// A string literal without its closing quote on the same line.
    case unterminatedString = "E004"

    // MARK: Syntax
    /// A token other than the one the grammar needs here ("expected '{' after exit name").
    case expectedToken = "E005"
    /// A line that starts with no known declaration keyword.
    case unknownDeclaration = "E006"
    /// A block line that starts with no known statement keyword.
    case unknownStatement = "E007"
    /// `either` blocks nested deeper than the parser allows.
    case nestingTooDeep = "E008"
    /// A word outside a closed set: hook kind, interrupt kind, check, fill kind, verdict.
    case unknownKeyword = "E009"

    // MARK: Names
    /// A name that no declaration introduces.
    case unknownName = "E010"
    /// A name of the wrong kind ("'kernel' is a table, not a buffer").
    case wrongKind = "E011"
    /// A name declared twice; every kind of name shares one namespace.
    case duplicateName = "E012"
    /// A thread listed in two cores.
    case threadInTwoCores = "E013"
    /// `per guest` where it makes no sense.
    case misplacedPerGuest = "E014"
    /// A region with no owner, or with two.
    case badOwnership = "E015"
    /// Two `on` blocks of the same kind.
    case duplicateHook = "E016"
    // E017 ("a guest placed on no thread") is retired: DESIGN.md allows such a guest, and
    // W008 (`unplacedGuest`) says so instead. The number is not reused.
    // E018 ("a thread on which no guest is placed") is retired: such a thread is host-only
    // (docs/SEMANTICS.md, "Idle threads"). The number is not reused.
    /// A `bound` that is not between 1 and 1000.
    case badBound = "E019"
    /// A number too large to represent.
    case numberTooLarge = "E020"
    /// A setting given twice: `model`, `bound`, `expect`, a table's `maps`, a buffer's `fill`.
    case duplicateSetting = "E021"
    /// A model without a core, a guest or a table.
    case missingDeclaration = "E022"
    /// A model without any `check`.
    case missingCheck = "E023"
    /// An `either` with a single branch.
    case singleBranchEither = "E024"
    /// A core with no thread.
    case emptyCore = "E025"
    /// A table without `maps`, a buffer without `fill`.
    case missingClause = "E026"
    /// A name the language reserves (`all`, which `maps all` would make ambiguous).
    case reservedName = "E027"
    /// A model whose expansion would be too large to check.
    case modelTooLarge = "E028"
    /// A file that holds a NUL byte in its first 8 KiB: binary, not a model.
    case binaryFile = "E029"
    /// An `if` among the first statements of `on fault` (not supported yet).
    case ifFirstInFaultHandler = "E030"
    /// Code that may run while its thread serves no guest names a `per guest` region or table.
    case perGuestWhileIdle = "E031"
    /// An `idle` statement outside an exit handler.
    case idleOutsideExitHandler = "E032"

    // MARK: Warnings
    /// A region no table maps, no statement touches and no guest owns.
    case unusedRegion = "W001"
    /// A table never switched to nor waited on, other than the first.
    case unusedTable = "W002"
    /// A buffer never flushed nor checked for residue.
    case unusedBuffer = "W003"
    /// `exit kick` declared while nothing kicks or holds siblings.
    case unreachableKickExit = "W004"
    /// The same check named twice.
    case duplicateCheck = "W005"
    /// Something said twice with no effect (a region listed twice in one `maps`, a placement repeated).
    case redundant = "W006"
    /// A statement that no schedule runs (found by visiting every reachable state).
    case neverRuns = "W007"
    /// A guest placed on no thread: a VM that runs elsewhere, whose regions stay secret.
    case unplacedGuest = "W008"
    /// A guest named `trusted`: `guest vm1 trusted` declares two guests, it trusts none.
    case guestNamedTrusted = "W009"
    /// An `attack` line for a trusted guest, which attacks nothing.
    case attackOfTrustedGuest = "W010"

    /// `error` for the E codes, `warning` for the W codes.
    public var severity: Diagnostic.Severity {
        rawValue.hasPrefix("E") ? .error : .warning
    }
}
