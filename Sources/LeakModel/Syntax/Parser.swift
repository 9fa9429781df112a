/// Recursive-descent parser from tokens to a `SyntaxTree`, with error recovery.
///
/// Goals, in order: never crash or hang on any input; report every independent error of a
/// file in one run; keep each error to one message (no cascades).
///
/// - Recovery: a broken declaration is skipped to the end of its line (`skipToEnd`), a broken
///   statement to the next `;`, newline or closing `}`. Braces met while skipping are skipped
///   with their contents, so a misspelled `exti cpuid { ... }` does not leave a stray block.
/// - Missing `}`: a line inside a block that starts with a declaration keyword (`exit`,
///   `check`, ...) is taken as the end of a block whose `}` was forgotten.
/// - Depth: only `either` nests. Its depth is checked *before* recursing, and a too-deep
///   `either` is skipped with an iterative brace counter, so 10,000 nested blocks cost one
///   error and linear time, and the stack never grows past `maxDepth` levels.
/// - Linear time: every recovery path consumes the tokens it looks at; lookahead (past blank
///   lines, for `{` on the next line and `or`) only buffers tokens, never re-lexes them.
package struct Parser {
    /// The deepest block nesting accepted (`exit { either { either { ... } } }` counts each `{`).
    static let maxDepth = 64

    /// Words that start a declaration.
    static let declarationKeywords = ["model", "core", "host", "guest", "trusted", "attack", "sched", "region", "table", "buffer", "flag", "run", "start",
                                      "on", "exit", "interrupt", "check", "bound", "expect"]
    /// Words that start a statement.
    static let statementKeywords = ["touch", "switch", "kick", "hold", "release", "wait", "flush", "irqs", "set", "clear",
                                    "either", "if", "idle"]

    private var lexer: Lexer
    private let sink: DiagnosticSink
    /// The current token (not yet consumed).
    private var tok: Token
    /// Tokens lexed after `tok` by lookahead, not yet consumed, from `aheadHead` on.
    private var ahead: [Token] = []
    private var aheadHead = 0
    /// End offset of the last consumed token (statement and declaration spans end there).
    private var lastEnd = 0
    /// Kind of the last consumed token: a separator already consumed (by a block that found its
    /// `}` missing) still ends the declaration or statement around it.
    private var lastKind = Token.Kind.newline
    /// How many blocks are open.
    private var depth = 0
    /// Only the innermost of several blocks left open at end of file is reported.
    private var reportedUnclosedAtEndOfFile = false

    /// Parses a whole file, reporting into `sink`.
    package static func parse(_ file: SourceFile, sink: DiagnosticSink) -> SyntaxTree {
        file.bytes.withUnsafeBufferPointer { bytes in
            var parser = Parser(bytes: bytes, sink: sink)
            return parser.parseFile()
        }
    }

    /// `bytes` must stay valid while the parser is used (see `parse`).
    private init(bytes: UnsafeBufferPointer<UInt8>, sink: DiagnosticSink) {
        self.lexer = Lexer(bytes: bytes, sink: sink)
        self.sink = sink
        self.tok = lexer.next()
    }

    // MARK: - Tokens

    /// The `k`-th token after the current one (k >= 1), lexed if needed but not consumed.
    private mutating func peek(_ k: Int) -> Token {
        while ahead.count - aheadHead < k { ahead.append(lexer.next()) }
        return ahead[aheadHead + k - 1]
    }

    @discardableResult
    private mutating func advance() -> Token {
        let t = tok
        if t.kind == .endOfFile { return t }
        lastEnd = t.span.end
        lastKind = t.kind
        if aheadHead < ahead.count {
            tok = ahead[aheadHead]
            aheadHead += 1
            if aheadHead == ahead.count {
                ahead.removeAll(keepingCapacity: true)
                aheadHead = 0
            }
        } else {
            tok = lexer.next()
        }
        return t
    }

    private func isWord(_ word: Keyword) -> Bool {
        tok.kind == .identifier && tok.keyword == word
    }

    /// The first token from the current one on that is not a newline, and how many newlines
    /// precede it (nothing consumed).
    private mutating func peekPastNewlines() -> (skipped: Int, token: Token) {
        if tok.kind != .newline { return (0, tok) }
        var k = 1
        while peek(k).kind == .newline { k += 1 }
        return (k, peek(k))
    }

    private mutating func skipSeparators() {
        while tok.isSeparator { advance() }
    }

    private mutating func skipNewlines() {
        while tok.kind == .newline { advance() }
    }

    private func atEndOfLine() -> Bool {
        tok.isSeparator || tok.kind == .endOfFile
    }

    private mutating func identifier() -> Identifier {
        let t = advance()
        return Identifier(text: t.text, span: t.span)
    }

    // MARK: - Errors and recovery

    /// Reports "expected WHAT after CONTEXT, found ..." at the current token (unless the lexer
    /// already reported that token), with a suggestion when the token is a near miss.
    private mutating func expected(_ what: String, after context: String, suggestions: [String] = []) {
        let t = tok
        guard t.kind != .invalid else { return }
        var help: String? = nil
        if t.kind == .identifier { help = Spelling.help(t.text, among: suggestions) }
        sink.report(.expected(what: what, after: context, found: t.description), at: t.span, help: help)
    }

    /// Skips the rest of a broken declaration or statement: up to (not including) the next
    /// newline or `;` outside braces, or end of file. Braces met on the way are skipped with
    /// their contents. With `stopAtClosingBrace`, a `}` closing the enclosing block ends the skip
    /// (not consumed). A group left open when a new line starts with a declaration keyword is
    /// abandoned there: its `}` was most likely forgotten.
    private mutating func skipToEnd(stopAtClosingBrace: Bool) {
        // Already at the start of a new declaration (a list wrapped after a comma into the next
        // line): nothing of the broken construct is left to skip. The caller consumed at least
        // its keyword, so the parser still moves on.
        if lastKind == .newline, startsDeclarationLine() { return }
        var level = 0
        while true {
            let t = tok
            switch t.kind {
            case .endOfFile:
                return
            case .newline, .semicolon:
                if level == 0 { return }
                advance()
                if t.kind == .newline, startsDeclarationLine() { return }
            case .leftBrace:
                level += 1
                advance()
            case .rightBrace:
                if level == 0 {
                    if stopAtClosingBrace { return }
                    advance()
                } else {
                    level -= 1
                    advance()
                }
            default:
                advance()
            }
        }
    }

    /// Skips a `{ ... }` group (the current token is `{`) with an iterative counter.
    private mutating func skipBalancedGroup() {
        var level = 0
        repeat {
            let t = advance()
            switch t.kind {
            case .leftBrace: level += 1
            case .rightBrace: level -= 1
            case .endOfFile: return
            default: break
            }
        } while level > 0
    }

    /// True when the current token, at the start of a line, is a declaration keyword.
    private func startsDeclarationLine() -> Bool {
        tok.kind == .identifier && tok.keyword?.startsDeclaration == true
    }

    private mutating func reportUnclosed(open: SourceSpan, of what: String) {
        if tok.kind == .endOfFile {
            if reportedUnclosedAtEndOfFile { return }
            reportedUnclosedAtEndOfFile = true
        }
        sink.report(.expectedClosingBrace(block: what, found: tok.description), at: tok.span,
                   notes: [.init("the block starts here", at: open)])
    }

    /// Checks that a declaration ends here; otherwise reports and skips the rest of the line.
    private mutating func finishDeclaration(_ what: String) {
        if atEndOfLine() || lastKind == .newline || lastKind == .semicolon { return }
        if tok.kind != .invalid {
            sink.report(.expectedEndOfLine(after: what, found: tok.description), at: tok.span)
        }
        skipToEnd(stopAtClosingBrace: false)
    }

    /// Checks that a statement ends here (`;`, newline, `}`); otherwise reports and skips it.
    private mutating func finishStatement() {
        if atEndOfLine() || tok.kind == .rightBrace || lastKind == .newline || lastKind == .semicolon { return }
        if tok.kind != .invalid {
            sink.report(.expectedEndOfLine(after: "statement", found: tok.description), at: tok.span)
        }
        skipToEnd(stopAtClosingBrace: true)
    }

    /// Consumes an identifier, or reports "expected WHAT after CONTEXT".
    private mutating func expectName(_ what: String, after context: String) -> Identifier? {
        guard tok.kind == .identifier else {
            expected(what, after: context)
            return nil
        }
        return identifier()
    }

    /// Consumes the keyword `word`, or reports "expected 'WORD' after CONTEXT".
    private mutating func expectWord(_ word: Keyword, after context: String) -> Bool {
        if isWord(word) {
            advance()
            return true
        }
        expected("'\(word.rawValue)'", after: context, suggestions: [word.rawValue])
        return false
    }

    /// Consumes a `{`, which may follow on a later line; or reports "expected '{' after CONTEXT"
    /// at the token right after the header (usually the end of its line).
    private mutating func expectOpenBrace(after context: String) -> SourceSpan? {
        let (skipped, t) = peekPastNewlines()
        guard t.kind == .leftBrace else {
            expected("'{'", after: context)
            return nil
        }
        for _ in 0..<skipped { advance() }
        return advance().span
    }

    /// A list of names. `allowWhitespace`: names may also be separated by blanks only (`core`,
    /// `guest`, `run`); otherwise commas are required and a name right after a name is an error.
    /// A newline may follow a comma. Returns nil after an error (reported), [] if no name starts here.
    private mutating func parseNameList(of what: String, allowWhitespace: Bool,
                                        stopWords: [Keyword] = []) -> [Identifier]? {
        var names: [Identifier] = []
        func startsName(_ t: Token) -> Bool {
            t.kind == .identifier && (stopWords.isEmpty || t.keyword == nil || !stopWords.contains(t.keyword!))
        }
        guard startsName(tok) else { return [] }
        while true {
            names.append(identifier())
            if tok.kind == .comma {
                advance()
                let wrapped = tok.kind == .newline
                skipNewlines()
                // A declaration keyword starting the next line means a trailing comma, not a
                // list continued on that line.
                guard startsName(tok), !(wrapped && startsDeclarationLine()) else {
                    expected("a \(what) name", after: "','")
                    return nil
                }
            } else if startsName(tok) {
                if allowWhitespace { continue }
                sink.report(.expectedComma(between: what, found: tok.description), at: tok.span)
                return nil
            } else {
                return names
            }
        }
    }

    // MARK: - File

    mutating func parseFile() -> SyntaxTree {
        var declarations: [DeclarationSyntax] = []
        while true {
            skipSeparators()
            if tok.kind == .endOfFile || sink.isSaturated { break }
            if let d = parseDeclaration() { declarations.append(d) }
        }
        return SyntaxTree(declarations: declarations)
    }

    private mutating func parseDeclaration() -> DeclarationSyntax? {
        let t = tok
        guard t.kind == .identifier else {
            if t.kind == .rightBrace {
                sink.report(.unmatchedClosingBrace, at: t.span)
                advance()
                return nil
            }
            if t.kind != .invalid {
                sink.report(.expectedDeclaration(found: t.description), at: t.span)
            }
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        switch t.keyword {
        case .model?: return parseModel()
        case .core?: return parseCore()
        case .host?: return parseDomains(host: true)
        case .guest?: return parseDomains(host: false)
        case .trusted?: return parseTrusted()
        case .attack?: return parseAttack()
        case .sched?: return parseSched()
        case .start?: return parseStart()
        case .region?: return parseRegion()
        case .table?: return parseTable()
        case .buffer?: return parseBuffer()
        case .flag?: return parseFlag()
        case .run?: return parseRun()
        case .on?: return parseHook()
        case .exit?: return parseExit()
        case .interrupt?: return parseInterrupt()
        case .check?: return parseCheck()
        case .bound?: return parseBound()
        case .expect?: return parseExpect()
        default:
            if t.keyword?.startsStatement == true {
                sink.report(.statementOutsideBlock(keyword: t.text), at: t.span,
                           help: "statements belong in a block: 'exit NAME { ... }', 'on vmexit { ... }', 'interrupt nmi NAME { ... }'")
            } else {
                sink.report(.unknownDeclaration(word: t.text), at: t.span,
                           help: Spelling.help(t.text, among: Parser.declarationKeywords))
            }
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
    }

    // MARK: - Declarations

    private mutating func parseModel() -> DeclarationSyntax? {
        let start = advance().span.start
        guard tok.kind == .string else {
            expected("a title string", after: "'model'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        let title = advance().text
        let span = SourceSpan(start: start, end: lastEnd)
        finishDeclaration("the model title")
        return .model(title: title, span: span)
    }

    private mutating func parseCore() -> DeclarationSyntax? {
        let start = advance().span.start
        guard let name = expectName("a core name", after: "'core'") else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        guard let open = expectOpenBrace(after: "core name") else {
            skipToEnd(stopAtClosingBrace: false)
            return .core(name: name, threads: nil, span: SourceSpan(start: start, end: lastEnd))
        }
        var threads: [Identifier] = []
        loop: while true {
            var newLine = false
            while tok.kind == .newline || tok.kind == .comma {
                if tok.kind == .newline { newLine = true }
                advance()
            }
            let t = tok
            switch t.kind {
            case .rightBrace:
                advance()
                break loop
            case .identifier:
                if newLine, startsDeclarationLine() {
                    reportUnclosed(open: open, of: "the threads of core '\(name.text)'")
                    return .core(name: name, threads: threads, span: SourceSpan(start: start, end: lastEnd))
                }
                threads.append(identifier())
            case .endOfFile:
                reportUnclosed(open: open, of: "the threads of core '\(name.text)'")
                break loop
            case .invalid:
                advance()
            case .leftBrace:
                sink.report(.expectedThreadName(found: "'{'"), at: t.span)
                skipBalancedGroup()
            default:
                sink.report(.expectedThreadName(found: t.description), at: t.span)
                advance()
            }
        }
        let span = SourceSpan(start: start, end: lastEnd)
        finishDeclaration("core '\(name.text)'")
        return .core(name: name, threads: threads, span: span)
    }

    private mutating func parseDomains(host: Bool) -> DeclarationSyntax? {
        let keyword = advance()
        let kind = host ? "host" : "guest"
        guard let names = parseNameList(of: kind, allowWhitespace: true, stopWords: [.per]) else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        if names.isEmpty {
            expected("a \(kind) name", after: "'\(kind)'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        let span = SourceSpan(start: keyword.span.start, end: lastEnd)
        if isWord(.per) {
            let per = advance()
            if isWord(.guest) {
                let guest = advance()
                sink.report(.perGuestNotAllowed(kind: kind),
                           at: per.span.union(guest.span),
                           help: host ? nil : "each guest is one domain; declare several with 'guest vm1, vm2'")
            } else {
                expected("'guest'", after: "'per'", suggestions: ["guest"])
            }
            skipToEnd(stopAtClosingBrace: false)
        } else {
            finishDeclaration("the \(kind) names")
        }
        return host ? .hosts(names, span: span) : .guests(names, span: span)
    }

    /// `trusted GUEST[, GUEST...]`: guests that attack nobody.
    private mutating func parseTrusted() -> DeclarationSyntax? {
        let keyword = advance()
        guard let names = parseNameList(of: "guest", allowWhitespace: true, stopWords: []) else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        if names.isEmpty {
            expected("a guest name", after: "'trusted'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        let span = SourceSpan(start: keyword.span.start, end: lastEnd)
        finishDeclaration("the trusted guests")
        return .trusted(names, span: span)
    }

    /// `attack GUEST[, GUEST...] reads TARGET[, TARGET...]`: what those guests can read.
    private mutating func parseAttack() -> DeclarationSyntax? {
        let keyword = advance()
        guard let guests = parseNameList(of: "guest", allowWhitespace: true, stopWords: [.reads]) else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        if guests.isEmpty {
            expected("a guest name", after: "'attack'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        guard isWord(.reads) else {
            expected("'reads' and what the guests can read", after: "the attacking guests", suggestions: ["reads"])
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        advance()
        guard let targets = parseNameList(of: "buffer", allowWhitespace: false) else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        if targets.isEmpty {
            expected("a buffer name or 'siblings'", after: "'reads'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        let span = SourceSpan(start: keyword.span.start, end: lastEnd)
        finishDeclaration("what the guests read")
        return .attack(guests: guests, reads: targets, span: span)
    }

    /// `sched core`: core scheduling (siblings serve one guest at a time, or are idle).
    private mutating func parseSched() -> DeclarationSyntax? {
        let keyword = advance()
        guard isWord(.core) else {
            expected("'core'", after: "'sched'", suggestions: ["core"])
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        advance()
        let span = SourceSpan(start: keyword.span.start, end: lastEnd)
        finishDeclaration("'sched core'")
        return .schedCore(span: span)
    }

    /// `start THREAD[, THREAD...] in TABLE`: where threads start instead of the first table.
    private mutating func parseStart() -> DeclarationSyntax? {
        let keyword = advance()
        guard let threads = parseNameList(of: "thread", allowWhitespace: true, stopWords: [.in]) else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        if threads.isEmpty {
            expected("a thread name", after: "'start'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        guard isWord(.in) else {
            expected("'in' and a table", after: "the threads to start", suggestions: ["in"])
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        advance()
        guard tok.kind == .identifier else {
            expected("a table name", after: "'in'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        let table = identifier()
        let span = SourceSpan(start: keyword.span.start, end: lastEnd)
        finishDeclaration("the table the threads start in")
        return .start(threads: threads, table: table, span: span)
    }

    /// `per guest` at the current token (`per` already checked); nil after an error.
    private mutating func parsePerGuest() -> SourceSpan? {
        let per = advance()
        guard isWord(.guest) else {
            expected("'guest'", after: "'per'", suggestions: ["guest"])
            return nil
        }
        return per.span.union(advance().span)
    }

    private mutating func parseRegion() -> DeclarationSyntax? {
        let start = advance().span.start
        guard let name = expectName("a region name", after: "'region'") else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        if name.text == "all" {
            sink.report(.regionNamedAll, at: name.span,
                       help: "'maps all' means every region; choose another name")
        }
        enum Modifier { case `public`, owner(Identifier), perGuest }
        var modifiers: [(Modifier, SourceSpan)] = []
        var uncached: SourceSpan?
        var failed = false
        while !atEndOfLine() {
            if isWord(.uncached) {
                let kw = advance()
                if uncached != nil { sink.report(.givenTwice(setting: "uncached"), at: kw.span) }
                uncached = kw.span
            } else if isWord(.public) {
                modifiers.append((.public, advance().span))
            } else if isWord(.owner) {
                let kw = advance()
                guard let owner = expectName("a domain name", after: "'owner'") else { failed = true; break }
                modifiers.append((.owner(owner), kw.span.union(owner.span)))
            } else if isWord(.per) {
                guard let span = parsePerGuest() else { failed = true; break }
                modifiers.append((.perGuest, span))
            } else {
                expected("'public', 'owner DOMAIN', 'per guest' or 'uncached'", after: "region name",
                         suggestions: ["public", "owner", "per", "uncached"])
                failed = true
                break
            }
        }
        let span = SourceSpan(start: start, end: lastEnd)
        if failed {
            skipToEnd(stopAtClosingBrace: false)
            return .region(RegionSyntax(name: name, ownership: nil, span: span))
        }
        func isPublic(_ m: Modifier) -> Bool { if case .public = m { true } else { false } }
        guard let first = modifiers.first?.0 else {
            sink.report(.regionWithoutOwner(region: name.text), at: name.span,
                       help: "add 'public', 'owner DOMAIN' or 'per guest'")
            return .region(RegionSyntax(name: name, ownership: nil, span: span))
        }
        var ok = true
        for (m, mSpan) in modifiers.dropFirst() {
            switch (first, m) {
            case (.public, .public):
                sink.report(.givenTwice(setting: "public"), at: mSpan)
            case (.perGuest, .perGuest):
                sink.report(.givenTwice(setting: "per guest"), at: mSpan)
            case (.perGuest, _), (_, .perGuest):
                sink.report(.perGuestAndOwned(region: name.text, isPublic: isPublic(first) || isPublic(m)),
                           at: mSpan, help: "each copy of a 'per guest' region is owned by its guest")
            default:
                sink.report(.regionWithTwoOwners(region: name.text), at: mSpan)
            }
            ok = false
        }
        let ownership: RegionSyntax.Ownership? = switch first {
        case .public: .public
        case .owner(let d): .owner(d)
        case .perGuest: .perGuest
        }
        return .region(RegionSyntax(name: name, ownership: ok ? ownership : nil, uncached: uncached != nil, span: span))
    }

    private mutating func parseTable() -> DeclarationSyntax? {
        let start = advance().span.start
        guard let name = expectName("a table name", after: "'table'") else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        var perGuest: [SourceSpan] = []
        var maps: [(TableSyntax.Maps, SourceSpan)] = []
        var failed = false
        while !atEndOfLine() {
            if isWord(.per) {
                guard let span = parsePerGuest() else { failed = true; break }
                perGuest.append(span)
            } else if isWord(.maps) {
                let kw = advance()
                if isWord(.all) {
                    let all = advance()
                    maps.append((.all(all.span), kw.span.union(all.span)))
                } else {
                    guard let list = parseNameList(of: "region", allowWhitespace: false, stopWords: [.per, .maps]) else {
                        failed = true
                        break
                    }
                    if list.isEmpty {
                        expected("'all' or a region name", after: "'maps'")
                        failed = true
                        break
                    }
                    maps.append((.regions(list), kw.span.union(list.last!.span)))
                }
            } else {
                expected("'per guest' or 'maps'", after: maps.isEmpty ? "table name" : "the regions of table '\(name.text)'",
                         suggestions: ["per", "maps"])
                failed = true
                break
            }
        }
        let span = SourceSpan(start: start, end: lastEnd)
        if failed {
            skipToEnd(stopAtClosingBrace: false)
            return .table(TableSyntax(name: name, perGuest: !perGuest.isEmpty, maps: nil, span: span))
        }
        for extra in perGuest.dropFirst() {
            sink.report(.givenTwice(setting: "per guest"), at: extra)
        }
        if maps.isEmpty {
            sink.report(.tableWithoutMaps(table: name.text), at: name.span,
                       help: "add 'maps all' or 'maps REGION, ...'")
        }
        for (_, extra) in maps.dropFirst() {
            sink.report(.twoClauses(declaration: "table", name: name.text, clause: "maps"), at: extra,
                       notes: [.init("the first 'maps' clause is here", at: maps[0].1)],
                       help: "list every region in one clause: 'maps A, B, C'")
        }
        return .table(TableSyntax(name: name, perGuest: !perGuest.isEmpty,
                                  maps: maps.count == 1 ? maps[0].0 : nil, span: span))
    }

    /// `flag NAME per thread | per core` (DESIGN.md 6.1).
    private mutating func parseFlag() -> DeclarationSyntax? {
        let start = advance().span.start
        guard let name = expectName("a flag name", after: "'flag'") else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        var scope: FlagScope?
        if expectWord(.per, after: "flag name") {
            if isWord(.thread) || isWord(.core) {
                scope = advance().keyword == .thread ? .thread : .core
            } else {
                expected("'thread' or 'core'", after: "'per'", suggestions: ["thread", "core"])
            }
        }
        guard scope != nil else {
            skipToEnd(stopAtClosingBrace: false)
            return .flag(name: name, scope: nil, span: SourceSpan(start: start, end: lastEnd))
        }
        let span = SourceSpan(start: start, end: lastEnd)
        finishDeclaration("flag '\(name.text)'")
        return .flag(name: name, scope: scope, span: span)
    }

    private mutating func parseBuffer() -> DeclarationSyntax? {
        let start = advance().span.start
        guard let name = expectName("a buffer name", after: "'buffer'") else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        var fills: [(BufferFill, SourceSpan)] = []
        var cache: SourceSpan?
        var failed = false
        while !atEndOfLine() {
            if isWord(.cache) {
                let kw = advance()
                if cache != nil { sink.report(.givenTwice(setting: "cache"), at: kw.span) }
                cache = kw.span
            } else if isWord(.fill) {
                let kw = advance()
                guard tok.kind == .identifier else {
                    expected("'mapped' or 'touched'", after: "'fill'")
                    failed = true
                    break
                }
                let word = identifier()
                guard let fill = BufferFill(rawValue: word.text) else {
                    sink.report(.unknownKeyword(set: "fill kind", word: word.text), at: word.span,
                               help: Spelling.help(word.text, among: ["mapped", "touched"])
                                   ?? "a buffer fills with what is 'mapped' or what is 'touched'")
                    failed = true
                    break
                }
                fills.append((fill, kw.span.union(word.span)))
            } else if isWord(.per) {
                guard let span = parsePerGuest() else { failed = true; break }
                sink.report(.perGuestNotAllowed(kind: "buffer"), at: span,
                           help: "a buffer belongs to a core and is shared by all its threads, whatever guest they serve")
            } else {
                expected("'fill mapped', 'fill touched' or 'cache'", after: "buffer name", suggestions: ["fill", "cache"])
                failed = true
                break
            }
        }
        let span = SourceSpan(start: start, end: lastEnd)
        if failed {
            skipToEnd(stopAtClosingBrace: false)
            return .buffer(name: name, fill: nil, cache: cache != nil, span: span)
        }
        if fills.isEmpty {
            sink.report(.bufferWithoutFill(buffer: name.text), at: name.span,
                       help: "add 'fill mapped' or 'fill touched'")
        }
        for (_, extra) in fills.dropFirst() {
            sink.report(.twoClauses(declaration: "buffer", name: name.text, clause: "fill"), at: extra,
                       notes: [.init("the first 'fill' clause is here", at: fills[0].1)])
        }
        return .buffer(name: name, fill: fills.count == 1 ? fills[0].0 : nil, cache: cache != nil, span: span)
    }

    private mutating func parseRun() -> DeclarationSyntax? {
        let start = advance().span.start
        guard let guests = parseNameList(of: "guest", allowWhitespace: true, stopWords: [.on]) else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        if guests.isEmpty {
            expected("a guest name", after: "'run'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        guard expectWord(.on, after: "the guests of 'run'") else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        guard let threads = parseNameList(of: "thread", allowWhitespace: true) else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        if threads.isEmpty {
            expected("a thread name", after: "'on'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        let span = SourceSpan(start: start, end: lastEnd)
        finishDeclaration("the threads of 'run'")
        return .run(guests: guests, threads: threads, span: span)
    }

    private mutating func parseHook() -> DeclarationSyntax? {
        let start = advance().span.start
        let choices = HookKind.allCases.map(\.rawValue)
        guard tok.kind == .identifier else {
            expected("'vmexit', 'vmentry' or 'fault'", after: "'on'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        let word = identifier()
        let kind = HookKind(rawValue: word.text)
        if kind == nil {
            sink.report(.unknownKeyword(set: "hook", word: word.text), at: word.span,
                       help: Spelling.help(word.text, among: choices) ?? "the hooks are 'on vmexit', 'on vmentry' and 'on fault'")
        }
        guard let body = parseBlock(after: "'on \(word.text)'", of: "the 'on \(word.text)' block") else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        let span = SourceSpan(start: start, end: lastEnd)
        finishDeclaration("the 'on \(word.text)' block")
        return .hook(kind: kind, kindSpan: word.span, body: body, span: span)
    }

    private mutating func parseExit() -> DeclarationSyntax? {
        let start = advance().span.start
        guard let name = expectName("an exit name", after: "'exit'") else {
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        guard let body = parseBlock(after: "exit name", of: "exit '\(name.text)'") else {
            skipToEnd(stopAtClosingBrace: false)
            // Still declared, so that its name is known.
            return .exit(name: name, body: .empty, span: SourceSpan(start: start, end: lastEnd))
        }
        let span = SourceSpan(start: start, end: lastEnd)
        finishDeclaration("exit '\(name.text)'")
        return .exit(name: name, body: body, span: span)
    }

    private mutating func parseInterrupt() -> DeclarationSyntax? {
        let start = advance().span.start
        guard tok.kind == .identifier else {
            expected("'nmi' or 'irq'", after: "'interrupt'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        // The kind may come first or second (`interrupt nmi perf`, `interrupt perf nmi`); when
        // both words are kinds, the first is the kind (DESIGN.md, "How findings are counted").
        let word = identifier()
        let kind: InterruptKind
        let name: Identifier
        if let first = InterruptKind(rawValue: word.text) {
            guard let second = expectName("an interrupt name", after: "'\(word.text)'") else {
                skipToEnd(stopAtClosingBrace: false)
                return nil
            }
            (kind, name) = (first, second)
        } else if tok.kind == .identifier, let second = InterruptKind(rawValue: tok.text) {
            _ = identifier()
            (kind, name) = (second, word)
        } else {
            sink.report(.unknownKeyword(set: "interrupt kind", word: word.text), at: word.span,
                       help: Spelling.help(word.text, among: ["nmi", "irq"])
                           ?? "write 'interrupt nmi NAME { ... }' or 'interrupt irq NAME { ... }'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        var threads: [Identifier]?
        if isWord(.on) {
            let on = advance()
            guard let list = parseNameList(of: "thread", allowWhitespace: false) else {
                skipToEnd(stopAtClosingBrace: false)
                return nil
            }
            if list.isEmpty {
                expected("a thread name", after: "'\(on.text)'")
                skipToEnd(stopAtClosingBrace: false)
                return nil
            }
            threads = list
        }
        guard let body = parseBlock(after: threads == nil ? "interrupt name" : "the interrupt's threads",
                                    of: "interrupt '\(name.text)'") else {
            skipToEnd(stopAtClosingBrace: false)
            return .interrupt(kind: kind, name: name, threads: threads, body: .empty, span: SourceSpan(start: start, end: lastEnd))
        }
        let span = SourceSpan(start: start, end: lastEnd)
        finishDeclaration("interrupt '\(name.text)'")
        return .interrupt(kind: kind, name: name, threads: threads, body: body, span: span)
    }

    private mutating func parseCheck() -> DeclarationSyntax? {
        let start = advance().span.start
        let choices = ["corun", "residue", "crash", "deadlock", "progress"]
        guard tok.kind == .identifier else {
            expected("'corun', 'residue BUFFER', 'crash', 'deadlock' or 'progress'", after: "'check'")
            skipToEnd(stopAtClosingBrace: false)
            return .check(nil, span: SourceSpan(start: start, end: lastEnd))
        }
        let word = identifier()
        let check: CheckSyntax
        switch word.text {
        case "corun": check = .corun
        case "crash": check = .crash
        case "deadlock": check = .deadlock
        case "progress": check = .progress
        case "residue":
            guard let buffer = expectName("a buffer name", after: "'residue'") else {
                skipToEnd(stopAtClosingBrace: false)
                return .check(nil, span: SourceSpan(start: start, end: lastEnd))
            }
            check = .residue(buffer)
        default:
            sink.report(.unknownKeyword(set: "check", word: word.text), at: word.span,
                       help: Spelling.help(word.text, among: choices)
                           ?? "the checks are 'corun', 'residue BUFFER', 'crash', 'deadlock' and 'progress'")
            skipToEnd(stopAtClosingBrace: false)
            return .check(nil, span: SourceSpan(start: start, end: lastEnd))
        }
        let span = SourceSpan(start: start, end: lastEnd)
        finishDeclaration("the check")
        return .check(check, span: span)
    }

    private mutating func parseBound() -> DeclarationSyntax? {
        let start = advance().span.start
        guard tok.kind == .number else {
            expected("a number", after: "'bound'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        let number = advance()
        let value = Int(number.text)
        if value == nil {
            sink.report(.numberTooLarge(number: number.text), at: number.span)
        }
        let span = SourceSpan(start: start, end: lastEnd)
        finishDeclaration("the bound")
        return .bound(value: value, valueSpan: number.span, span: span)
    }

    private mutating func parseExpect() -> DeclarationSyntax? {
        let start = advance().span.start
        let choices = ExpectedVerdict.allCases.map(\.rawValue)
        guard tok.kind == .identifier else {
            expected("'leak', 'safe', 'crash', 'deadlock' or 'starvation'", after: "'expect'")
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        let word = identifier()
        guard let verdict = ExpectedVerdict(rawValue: word.text) else {
            // Words meaning the opposite of a close spelling ('unsafe' is one edit from 'safe')
            // must not get that spelling as a suggestion.
            let synonyms = ["unsafe": "leak", "leaks": "leak", "leaky": "leak", "insecure": "leak", "secure": "safe",
                            "ok": "safe", "pass": "safe", "crashes": "crash", "oops": "crash", "panic": "crash",
                            "hang": "deadlock", "deadlocks": "deadlock", "stuck": "deadlock",
                            "starves": "starvation", "starve": "starvation", "livelock": "starvation"]
            let help = synonyms[word.text].map { "did you mean '\($0)'?" }
                ?? Spelling.help(word.text, among: choices)
                ?? "a model expects 'leak', 'safe', 'crash', 'deadlock' or 'starvation'"
            sink.report(.unknownKeyword(set: "verdict", word: word.text), at: word.span, help: help)
            skipToEnd(stopAtClosingBrace: false)
            return nil
        }
        let span = SourceSpan(start: start, end: lastEnd)
        finishDeclaration("the expected verdict")
        return .expect(verdict, span: span)
    }

    // MARK: - Blocks and statements

    /// `{ statements }`. Returns nil when there is no `{` (reported); an unclosed block is
    /// returned with what was read, `closed` false.
    private mutating func parseBlock(after context: String, of what: String) -> BlockSyntax? {
        parseBlockReportingClosure(after: context, of: what)?.block
    }

    private mutating func parseBlockReportingClosure(after context: String, of what: String)
        -> (block: BlockSyntax, closed: Bool)? {
        guard let open = expectOpenBrace(after: context) else { return nil }
        depth += 1
        defer { depth -= 1 }
        var statements: [StatementSyntax] = []
        while true {
            skipSeparators()
            let t = tok
            switch t.kind {
            case .rightBrace:
                advance()
                return (BlockSyntax(statements: statements, span: open.union(t.span)), true)
            case .endOfFile:
                reportUnclosed(open: open, of: what)
                return (BlockSyntax(statements: statements, span: SourceSpan(start: open.start, end: lastEnd)), false)
            case .identifier:
                if t.keyword?.startsStatement == true {
                    if let s = parseStatement() { statements.append(s) }
                } else if t.keyword?.startsDeclaration == true {
                    reportUnclosed(open: open, of: what)
                    return (BlockSyntax(statements: statements, span: SourceSpan(start: open.start, end: lastEnd)), false)
                } else {
                    // A lone `else`: its `if` ended with `;` or is missing.
                    let help = t.keyword == .else ? "'else' goes right after the '}' of an 'if': if F { ... } else { ... }"
                        : Spelling.help(t.text, among: Parser.statementKeywords)
                    sink.report(.unknownStatement(word: t.text), at: t.span, help: help)
                    skipToEnd(stopAtClosingBrace: true)
                }
            case .invalid:
                skipToEnd(stopAtClosingBrace: true)
            default:
                sink.report(.expectedStatement(found: t.description), at: t.span)
                skipToEnd(stopAtClosingBrace: true)
            }
            if sink.isSaturated {
                return (BlockSyntax(statements: statements, span: SourceSpan(start: open.start, end: lastEnd)), false)
            }
        }
    }

    /// One statement (the current token is a statement keyword), checked to end properly.
    private mutating func parseStatement() -> StatementSyntax? {
        let keyword = advance()
        let kind: StatementSyntax.Kind?
        switch keyword.keyword {
        case .touch?:
            if let names = parseNameList(of: "region", allowWhitespace: false) {
                if names.isEmpty { expected("a region name", after: "'touch'") }
                kind = names.isEmpty ? nil : .touch(names)
            } else {
                kind = nil
            }
        case .switch?:
            kind = expectName("a table name", after: "'switch'").map { .switchTable($0) }
        case .kick?:
            kind = expectWord(.siblings, after: "'kick'") ? .kickSiblings : nil
        case .hold?:
            kind = expectWord(.siblings, after: "'hold'") ? .holdSiblings : nil
        case .release?:
            kind = expectWord(.siblings, after: "'release'") ? .releaseSiblings : nil
        case .idle?:
            kind = .idle
        case .wait?:
            kind = parseWait().map { .wait($0) }
        case .flush?:
            kind = expectName("a buffer name", after: "'flush'").map { .flush($0) }
        case .irqs?:
            if isWord(.on) || isWord(.off) {
                kind = .irqs(on: advance().keyword == .on)
            } else {
                expected("'on' or 'off'", after: "'irqs'", suggestions: ["on", "off"])
                kind = nil
            }
        case .set?, .clear?:
            kind = expectName("a flag name", after: "'\(keyword.text)'").map { .setFlag($0, value: keyword.keyword == .set) }
        case .either?:
            return parseEither(keyword)
        case .if?:
            return parseIf(keyword)
        default:
            preconditionFailure("parseStatement called on '\(keyword.text)'")
        }
        guard let kind else {
            skipToEnd(stopAtClosingBrace: true)
            return nil
        }
        let span = SourceSpan(start: keyword.span.start, end: lastEnd)
        finishStatement()
        return StatementSyntax(kind: kind, span: span)
    }

    private mutating func parseWait() -> WaitConditionSyntax? {
        guard expectWord(.until, after: "'wait'"), expectWord(.siblings, after: "'wait until'") else { return nil }
        if isWord(.out) {
            advance()
            guard expectWord(.of, after: "'out'"), expectWord(.guest, after: "'out of'") else { return nil }
            return .outOfGuest
        }
        if isWord(.not) {
            advance()
            guard expectWord(.in, after: "'not'"),
                  let table = expectName("a table name", after: "'not in'") else { return nil }
            return .notIn(table)
        }
        if isWord(.in) {
            advance()
            return expectName("a table name", after: "'in'").map { .in($0) }
        }
        expected("'out of guest', 'not in TABLE' or 'in TABLE'", after: "'wait until siblings'",
                 suggestions: ["out", "not", "in"])
        return nil
    }

    /// `either { ... } or { ... } [or { ... }]...`; `or` may start a new line.
    private mutating func parseEither(_ keyword: Token) -> StatementSyntax? {
        // Check the depth before recursing: this is what bounds the stack.
        guard depth < Parser.maxDepth else {
            sink.report(.nestingTooDeep(limit: Parser.maxDepth), at: keyword.span,
                       help: "split the choice into several exits or hooks")
            skipBranches(joinedBy: .or)
            finishStatement()
            return nil
        }
        var branches: [BlockSyntax] = []
        guard let first = parseBlockReportingClosure(after: "'either'", of: "an 'either' branch") else {
            skipToEnd(stopAtClosingBrace: true)
            return nil
        }
        branches.append(first.block)
        var closed = first.closed
        while closed {
            let (skipped, t) = peekPastNewlines()
            guard t.kind == .identifier, t.keyword == .or else { break }
            for _ in 0...skipped { advance() }
            guard let branch = parseBlockReportingClosure(after: "'or'", of: "an 'or' branch") else {
                skipToEnd(stopAtClosingBrace: true)
                return nil
            }
            branches.append(branch.block)
            closed = branch.closed
        }
        // An unclosed branch was reported already; saying it has one branch would be a cascade.
        if branches.count < 2 && closed {
            sink.report(.singleBranchEither, at: keyword.span,
                       help: "add 'or { ... }' after the block")
        }
        let span = SourceSpan(start: keyword.span.start, end: lastEnd)
        finishStatement()
        return StatementSyntax(kind: .either(branches), span: span)
    }

    /// `if [not] FLAG { ... } [else { ... }]`; `else` may start a new line.
    private mutating func parseIf(_ keyword: Token) -> StatementSyntax? {
        guard depth < Parser.maxDepth else {
            sink.report(.nestingTooDeep(limit: Parser.maxDepth), at: keyword.span,
                       help: "split the condition into several exits or hooks")
            if isWord(.not) { advance() }
            if tok.kind == .identifier { advance() }
            skipBranches(joinedBy: .else)
            finishStatement()
            return nil
        }
        var value = true
        if isWord(.not) {
            advance()
            value = false
        }
        guard let flag = expectName("a flag name", after: value ? "'if'" : "'if not'"),
              let then = parseBlockReportingClosure(after: "the flag of 'if'", of: "an 'if' branch") else {
            skipToEnd(stopAtClosingBrace: true)
            return nil
        }
        var otherwise: BlockSyntax?
        if then.closed {
            let (skipped, t) = peekPastNewlines()
            if t.kind == .identifier, t.keyword == .else {
                for _ in 0...skipped { advance() }
                guard let block = parseBlockReportingClosure(after: "'else'", of: "an 'else' branch") else {
                    skipToEnd(stopAtClosingBrace: true)
                    return nil
                }
                otherwise = block.block
            }
        }
        let span = SourceSpan(start: keyword.span.start, end: lastEnd)
        finishStatement()
        return StatementSyntax(kind: .ifFlag(flag, value: value, then: then.block, else: otherwise), span: span)
    }

    /// Skips the blocks of a too-deep `either` or `if` without recursing.
    private mutating func skipBranches(joinedBy word: Keyword) {
        var (skipped, t) = peekPastNewlines()
        guard t.kind == .leftBrace else { return }
        for _ in 0..<skipped { advance() }
        skipBalancedGroup()
        while true {
            (skipped, t) = peekPastNewlines()
            guard t.kind == .identifier, t.keyword == word else { return }
            for _ in 0...skipped { advance() }
            (skipped, t) = peekPastNewlines()
            guard t.kind == .leftBrace else { return }
            for _ in 0..<skipped { advance() }
            skipBalancedGroup()
        }
    }
}
