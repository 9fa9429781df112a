/// Every message the frontend can emit, each case with its parameters and bound to one code.
///
/// As swift-syntax binds a `DiagnosticMessage` to its `MessageID`, a case here fixes the code
/// (and with it the severity) and the text: a site that reports a problem names the case, never
/// a code or a sentence. The text of every message is written in `text`, and nowhere else;
/// docs/LANGUAGE.md quotes these texts and a test checks that it does so exactly. Notes and help
/// lines stay with the site that reports, since they point at other places in the file.
public enum DiagnosticMessage: Hashable, Sendable {
    // MARK: Reading and lexing
    /// E001: "cannot read 'PATH': REASON".
    case unreadableFile(path: String, reason: String)
    /// E002: the first invalid byte of a run, and how many more follow it.
    case invalidUTF8(byte: UInt8, more: Int)
    /// E003: `character` as the lexer describes it ("'@'", "U+00E9 'é'").
    case unexpectedCharacter(character: String)
    /// E004.
    case unterminatedString
    /// E029.
    case binaryFile(path: String)
    /// E030.
    case ifFirstInFaultHandler

    // MARK: Syntax (E005-E009)
    /// "expected WHAT after CONTEXT, found TOKEN".
    case expected(what: String, after: String, found: String)
    /// "expected '}' to close BLOCK, found TOKEN".
    case expectedClosingBrace(block: String, found: String)
    /// "expected ';' or a new line after WHAT, found TOKEN".
    case expectedEndOfLine(after: String, found: String)
    /// "expected ',' between KIND names, found TOKEN".
    case expectedComma(between: String, found: String)
    /// "unexpected '}' with no open block".
    case unmatchedClosingBrace
    /// "expected a declaration, found TOKEN".
    case expectedDeclaration(found: String)
    /// "expected a thread name, found TOKEN".
    case expectedThreadName(found: String)
    /// "expected a statement, found TOKEN".
    case expectedStatement(found: String)
    /// E006: a statement keyword at the top level.
    case statementOutsideBlock(keyword: String)
    /// E006.
    case unknownDeclaration(word: String)
    /// E007.
    case unknownStatement(word: String)
    /// E008.
    case nestingTooDeep(limit: Int)
    /// E009: a word outside a closed set; `set` names it ("hook", "fill kind", "verdict").
    case unknownKeyword(set: String, word: String)

    // MARK: Names (E010-E016)
    /// E010: "unknown KIND 'NAME'".
    case unknownName(kind: String, name: String)
    /// E011: "'NAME' is A KIND, not A KIND"; both kinds with their article.
    case wrongKind(name: String, declared: String, expected: String)
    /// E012: the same name declared twice as the same kind.
    case declaredTwice(kind: String, name: String)
    /// E012: a name taken by a declaration of another kind.
    case nameTaken(kind: String, name: String, firstKind: String)
    /// E012: a thread listed twice in one core.
    case threadListedTwice(thread: String, core: String)
    /// E013.
    case threadInTwoCores(thread: String, firstCore: String, secondCore: String)
    /// E014: "a KIND cannot be 'per guest'".
    case perGuestNotAllowed(kind: String)
    /// E014: a region both `per guest` and public (or owned by one domain).
    case perGuestAndOwned(region: String, isPublic: Bool)
    /// E015.
    case regionWithoutOwner(region: String)
    /// E015.
    case regionWithTwoOwners(region: String)
    /// E016: two `on KIND` blocks.
    case duplicateHook(kind: String)

    // MARK: Settings and the model as a whole (E018-E028)
    /// E019.
    case boundTooSmall(value: Int, minimum: Int)
    /// E019.
    case boundTooLarge(value: Int, maximum: Int)
    /// E020: the number as written.
    case numberTooLarge(number: String)
    /// E021: "'SETTING' is given twice" (`public`, `per guest`, `bound`, `expect`).
    case givenTwice(setting: String)
    /// E021.
    case titleGivenTwice
    /// E021: "DECLARATION 'NAME' has two 'CLAUSE' clauses" (a table's maps, a buffer's fill).
    case twoClauses(declaration: String, name: String, clause: String)
    /// E022: "model declares no KIND".
    case missingDeclaration(kind: String)
    /// E023.
    case missingCheck
    /// E024.
    case singleBranchEither
    /// E025.
    case emptyCore(core: String)
    /// E026.
    case tableWithoutMaps(table: String)
    /// E026.
    case bufferWithoutFill(buffer: String)
    /// E027.
    case regionNamedAll
    /// E028: "model is too large: COUNT WHAT (at most LIMIT)".
    case modelTooLarge(count: Int, what: String, limit: Int)

    // MARK: Warnings (W001-W009)
    /// W001.
    case unusedRegion(region: String)
    /// W002.
    case unusedTable(table: String)
    /// W003.
    case unusedBuffer(buffer: String)
    /// W004.
    case unforcedKickExit
    /// W005.
    case duplicateCheck(check: String)
    /// W006.
    case regionListedTwice(region: String, table: String)
    /// W006.
    case guestPlacedTwice(guest: String, thread: String)
    /// W006.
    case regionTouchedTwice(region: String)
    /// W007: `reached` tells whether some schedule reaches the statement (and blocks or
    /// crashes there every time) or none does.
    case neverRuns(statement: String, reached: Bool)
    /// W008.
    case unplacedGuest(guest: String)
    /// W009.
    case guestNamedTrusted
    /// W010.
    case attackOfTrustedGuest(guest: String)
    /// E032.
    case idleOutsideExitHandler
    /// E031: "WHERE names per-guest KIND 'NAME', but it may run on thread 'T', which serves no guest".
    case perGuestWhileIdle(code: String, kind: String, name: String, thread: String)
    /// E031: a thread that starts idle cannot start in a per-guest table.
    case perGuestStartWhileIdle(thread: String, table: String)

    // MARK: Notes of the frontend itself (no code)
    /// The error cap was reached.
    case tooManyErrors(limit: Int)
    /// Warnings past the cap were dropped.
    case moreWarnings(count: Int)

    /// The stable code; nil for the frontend's own notes.
    public var code: DiagnosticCode? {
        switch self {
        case .unreadableFile: .unreadableFile
        case .invalidUTF8: .invalidUTF8
        case .unexpectedCharacter: .unexpectedCharacter
        case .unterminatedString: .unterminatedString
        case .binaryFile: .binaryFile
        case .ifFirstInFaultHandler: .ifFirstInFaultHandler
        case .expected, .expectedClosingBrace, .expectedEndOfLine, .expectedComma, .unmatchedClosingBrace,
             .expectedDeclaration, .expectedThreadName, .expectedStatement: .expectedToken
        case .statementOutsideBlock, .unknownDeclaration: .unknownDeclaration
        case .unknownStatement: .unknownStatement
        case .nestingTooDeep: .nestingTooDeep
        case .unknownKeyword: .unknownKeyword
        case .unknownName: .unknownName
        case .wrongKind: .wrongKind
        case .declaredTwice, .nameTaken, .threadListedTwice: .duplicateName
        case .threadInTwoCores: .threadInTwoCores
        case .perGuestNotAllowed, .perGuestAndOwned: .misplacedPerGuest
        case .regionWithoutOwner, .regionWithTwoOwners: .badOwnership
        case .duplicateHook: .duplicateHook
        case .perGuestWhileIdle, .perGuestStartWhileIdle: .perGuestWhileIdle
        case .attackOfTrustedGuest: .attackOfTrustedGuest
        case .idleOutsideExitHandler: .idleOutsideExitHandler
        case .boundTooSmall, .boundTooLarge: .badBound
        case .numberTooLarge: .numberTooLarge
        case .givenTwice, .titleGivenTwice, .twoClauses: .duplicateSetting
        case .missingDeclaration: .missingDeclaration
        case .missingCheck: .missingCheck
        case .singleBranchEither: .singleBranchEither
        case .emptyCore: .emptyCore
        case .tableWithoutMaps, .bufferWithoutFill: .missingClause
        case .regionNamedAll: .reservedName
        case .modelTooLarge: .modelTooLarge
        case .unusedRegion: .unusedRegion
        case .unusedTable: .unusedTable
        case .unusedBuffer: .unusedBuffer
        case .unforcedKickExit: .unreachableKickExit
        case .duplicateCheck: .duplicateCheck
        case .regionListedTwice, .guestPlacedTwice, .regionTouchedTwice: .redundant
        case .neverRuns: .neverRuns
        case .unplacedGuest: .unplacedGuest
        case .guestNamedTrusted: .guestNamedTrusted
        case .tooManyErrors, .moreWarnings: nil
        }
    }

    /// The code's severity; `note` for the frontend's own notes.
    public var severity: Diagnostic.Severity { code?.severity ?? .note }

    /// The one-line text: lowercase, naming the construct ("region 'percpu' is declared twice").
    public var text: String {
        switch self {
        case .unreadableFile(let path, let reason): "cannot read '\(path)': \(reason)"
        case .invalidUTF8(let byte, let more):
            "invalid UTF-8 byte 0x\(byte < 16 ? "0" : "")\(String(byte, radix: 16, uppercase: true))"
                + (more > 0 ? " (and \(more) more invalid byte\(more > 1 ? "s" : ""))" : "")
        case .unexpectedCharacter(let c): "unexpected character \(c)"
        case .unterminatedString: "unterminated string"
        case .binaryFile(let path): "'\(path)' looks like a binary file, not a model"
        case .ifFirstInFaultHandler: "an 'if' cannot be a first statement of 'on fault' (not supported yet)"
        case .expected(let what, let context, let found): "expected \(what) after \(context), found \(found)"
        case .expectedClosingBrace(let block, let found): "expected '}' to close \(block), found \(found)"
        case .expectedEndOfLine(let what, let found): "expected ';' or a new line after \(what), found \(found)"
        case .expectedComma(let kind, let found): "expected ',' between \(kind) names, found \(found)"
        case .unmatchedClosingBrace: "unexpected '}' with no open block"
        case .expectedDeclaration(let found): "expected a declaration, found \(found)"
        case .expectedThreadName(let found): "expected a thread name, found \(found)"
        case .expectedStatement(let found): "expected a statement, found \(found)"
        case .statementOutsideBlock(let keyword): "statement '\(keyword)' outside of a block"
        case .unknownDeclaration(let word): "unknown declaration '\(word)'"
        case .unknownStatement(let word): "unknown statement '\(word)'"
        case .nestingTooDeep(let limit): "blocks are nested too deeply (at most \(limit) levels)"
        case .unknownKeyword(let set, let word): "unknown \(set) '\(word)'"
        case .unknownName(let kind, let name): "unknown \(kind) '\(name)'"
        case .wrongKind(let name, let declared, let expected): "'\(name)' is \(declared), not \(expected)"
        case .declaredTwice(let kind, let name): "\(kind) '\(name)' is declared twice"
        case .nameTaken(let kind, let name, let firstKind): "\(kind) '\(name)' has the same name as \(firstKind) '\(name)'"
        case .threadListedTwice(let thread, let core): "thread '\(thread)' is listed twice in core '\(core)'"
        case .threadInTwoCores(let thread, let first, let second):
            "thread '\(thread)' is in two cores, '\(first)' and '\(second)'"
        case .perGuestNotAllowed(let kind): "a \(kind) cannot be 'per guest'"
        case .perGuestAndOwned(let region, let isPublic):
            "region '\(region)' cannot be both 'per guest' and \(isPublic ? "public" : "owned by one domain")"
        case .regionWithoutOwner(let region): "region '\(region)' has no owner"
        case .regionWithTwoOwners(let region): "region '\(region)' has more than one owner"
        case .duplicateHook(let kind): "two 'on \(kind)' blocks"
        case .perGuestWhileIdle(let code, let kind, let name, let thread):
            "\(code) names per-guest \(kind) '\(name)', but it may run on thread '\(thread)', which serves no guest"
        case .idleOutsideExitHandler: "'idle' can only be used in an exit handler"
        case .perGuestStartWhileIdle(let thread, let table):
            "thread '\(thread)' starts idle, serving no guest, so it cannot start in per-guest table '\(table)'"
        case .attackOfTrustedGuest(let guest): "guest '\(guest)' is trusted: it attacks nothing, so its 'attack' line has no effect"
        case .boundTooSmall(let value, let minimum): "bound must be at least \(minimum), found \(value)"
        case .boundTooLarge(let value, let maximum): "bound \(value) is too large (at most \(maximum))"
        case .numberTooLarge(let number): "number \(number) is too large"
        case .givenTwice(let setting): "'\(setting)' is given twice"
        case .titleGivenTwice: "the model title is given twice"
        case .twoClauses(let declaration, let name, let clause): "\(declaration) '\(name)' has two '\(clause)' clauses"
        case .missingDeclaration(let kind): "model declares no \(kind)"
        case .missingCheck: "model has no check"
        case .singleBranchEither: "'either' needs at least two branches"
        case .emptyCore(let core): "core '\(core)' has no threads"
        case .tableWithoutMaps(let table): "table '\(table)' has no 'maps' clause"
        case .bufferWithoutFill(let buffer): "buffer '\(buffer)' has no fill kind"
        case .regionNamedAll: "'all' cannot name a region"
        case .modelTooLarge(let count, let what, let limit): "model is too large: \(count) \(what) (at most \(limit))"
        case .unusedRegion(let region): "region '\(region)' is never used"
        case .unusedTable(let table): "table '\(table)' is never used"
        case .unusedBuffer(let buffer): "buffer '\(buffer)' is never used"
        case .unforcedKickExit: "exit 'kick' is never forced"
        case .duplicateCheck(let check): "check '\(check)' is given twice"
        case .regionListedTwice(let region, let table): "region '\(region)' is listed twice in table '\(table)'"
        case .guestPlacedTwice(let guest, let thread): "guest '\(guest)' is already placed on thread '\(thread)'"
        case .regionTouchedTwice(let region): "region '\(region)' is touched twice in one statement"
        case .neverRuns(let statement, let reached):
            reached
                ? "'\(statement)' never runs: every schedule that reaches it blocks or crashes there"
                : "'\(statement)' never runs: no schedule reaches it"
        case .unplacedGuest(let guest):
            "guest '\(guest)' runs on no thread; it stands for a VM that runs elsewhere, and its regions stay secret to the other guests"
        case .guestNamedTrusted:
            "this declares a guest named 'trusted'; it marks no guest as trusted"
        case .tooManyErrors(let limit): "too many errors; stopped after the first \(limit)"
        case .moreWarnings(let count): "\(count) more warning\(count == 1 ? "" : "s") not shown"
        }
    }
}
