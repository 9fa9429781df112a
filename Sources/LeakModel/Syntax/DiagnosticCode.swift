/// The stable codes of every diagnostic the frontend emits.
///
/// Codes never change meaning once released: scripts and CI logs grep for them. docs/LANGUAGE.md
/// lists each one with an example input and its message; keep the two in step.
public enum DiagnosticCode {
    // MARK: Reading and lexing
    /// The file cannot be read (missing, a directory, permissions, too large).
    public static let unreadableFile = "E001"
    /// Bytes that are not valid UTF-8.
    public static let invalidUTF8 = "E002"
    /// A character that starts no token (`@`, `é`, a control character).
    public static let unexpectedCharacter = "E003"
    /// A string literal without its closing quote on the same line.
    public static let unterminatedString = "E004"

    // MARK: Syntax
    /// A token other than the one the grammar needs here ("expected '{' after exit name").
    public static let expectedToken = "E005"
    /// A line that starts with no known declaration keyword.
    public static let unknownDeclaration = "E006"
    /// A block line that starts with no known statement keyword.
    public static let unknownStatement = "E007"
    /// `either` blocks nested deeper than the parser allows.
    public static let nestingTooDeep = "E008"
    /// A word outside a closed set: hook kind, interrupt kind, check, fill kind, verdict.
    public static let unknownKeyword = "E009"

    // MARK: Names
    /// A name that no declaration introduces.
    public static let unknownName = "E010"
    /// A name of the wrong kind ("'kernel' is a table, not a buffer").
    public static let wrongKind = "E011"
    /// A name declared twice; every kind of name shares one namespace.
    public static let duplicateName = "E012"
    /// A thread listed in two cores.
    public static let threadInTwoCores = "E013"
    /// `per guest` where it makes no sense.
    public static let misplacedPerGuest = "E014"
    /// A region with no owner, or with two.
    public static let badOwnership = "E015"
    /// Two `on` blocks of the same kind.
    public static let duplicateHook = "E016"
    // E017 ("a guest placed on no thread") is retired: DESIGN.md allows such a guest, and
    // W008 (`unplacedGuest`) says so instead. The number is not reused.
    /// A thread on which no guest is placed.
    public static let idleThread = "E018"
    /// A `bound` that is not between 1 and 1000.
    public static let badBound = "E019"
    /// A number too large to represent.
    public static let numberTooLarge = "E020"
    /// A setting given twice: `model`, `bound`, `expect`, a table's `maps`, a buffer's `fill`.
    public static let duplicateSetting = "E021"
    /// A model without a core, a guest or a table.
    public static let missingDeclaration = "E022"
    /// A model without any `check`.
    public static let missingCheck = "E023"
    /// An `either` with a single branch.
    public static let singleBranchEither = "E024"
    /// A core with no thread.
    public static let emptyCore = "E025"
    /// A table without `maps`, a buffer without `fill`.
    public static let missingClause = "E026"
    /// A name the language reserves (`all`, which `maps all` would make ambiguous).
    public static let reservedName = "E027"
    /// A model whose expansion would be too large to check.
    public static let modelTooLarge = "E028"
    /// A file that holds a NUL byte in its first 8 KiB: binary, not a model.
    public static let binaryFile = "E029"

    // MARK: Warnings
    /// A region no table maps, no statement touches and no guest owns.
    public static let unusedRegion = "W001"
    /// A table never switched to nor waited on, other than the first.
    public static let unusedTable = "W002"
    /// A buffer never flushed nor checked for residue.
    public static let unusedBuffer = "W003"
    /// `exit kick` declared while nothing kicks or holds siblings.
    public static let unreachableKickExit = "W004"
    /// The same check named twice.
    public static let duplicateCheck = "W005"
    /// Something said twice with no effect (a region listed twice in one `maps`, a placement repeated).
    public static let redundant = "W006"
    /// A statement that no schedule runs (found by visiting every reachable state).
    public static let neverRuns = "W007"
    /// A guest placed on no thread: a VM that runs elsewhere, whose regions stay secret.
    public static let unplacedGuest = "W008"

    /// Notes the frontend adds itself ("too many errors"): no code.
    public static let none = ""
}
