import LeakSyntax

/// Turns a `SyntaxTree` into a checked `Model`: resolves every name, expands `per guest`
/// regions and tables and `maps all`, and reports what is wrong or unused.
///
/// Expansion follows the doc comments of `Model` exactly: concrete regions and tables are
/// ordered by declaration, then by guest; a per-guest table copy for guest g maps the plain
/// regions it lists and g's copy of each per-guest region it lists; a plain table listing a
/// per-guest region maps every copy; `maps all` maps every concrete region.
///
/// All names (cores, threads, hosts, guests, regions, tables, buffers, exits, interrupts) share
/// one namespace, so a name always means one thing in messages and traces. A declaration that
/// reuses a name is reported and dropped; references resolve to the first one, so they do not
/// cascade. The model is built only when no error at all was reported (by any phase).
struct Resolver {
    /// More concrete regions or tables than this is refused: the checker's state grows with
    /// them, and a model that large is generated garbage rather than a design.
    static let maxConcrete = 4096
    /// More threads than this is refused: a thread's holds on its siblings are a bit mask over
    /// thread indices in a `UInt64` (`SystemState.ThreadState.holds`, and the same masks in the
    /// encoder), so a hold on a thread with index 64 or more would be silently lost.
    static let maxThreads = 64

    enum NameKind: String {
        case core, thread, host, guest, region, table, buffer, flag, exit, interrupt

        /// "a region", "an exit".
        var withArticle: String {
            switch self {
            case .exit, .interrupt: "an \(rawValue)"
            default: "a \(rawValue)"
            }
        }
    }

    private struct Entry {
        var kind: NameKind
        var index: Int
        var span: SourceSpan
    }

    private let file: SourceFile
    private let sink: DiagnosticSink

    private var names: [String: Entry] = [:]
    /// Names per kind in declaration order (the candidates of "did you mean").
    private var namesByKind: [NameKind: [String]] = [:]

    private var title: (String, SourceSpan)?
    private var cores: [Model.Core] = []
    private var threads: [Model.Thread] = []
    private var hosts: [Model.Host] = []
    private var guests: [Model.Guest] = []
    private var regionSyntax: [RegionSyntax] = []
    private var tableSyntax: [TableSyntax] = []
    private var buffers: [Model.Buffer] = []
    private var flags: [Model.Flag] = []
    /// Buffers whose `fill` had an error (not warned about when unused).
    private var brokenBuffers: Set<Int> = []
    private var exitSyntax: [(name: Identifier, body: BlockSyntax)] = []
    private var interruptSyntax: [(kind: Model.InterruptKind, name: Identifier, threads: [Identifier]?, body: BlockSyntax)] = []
    private var runs: [(guests: [Identifier], threads: [Identifier])] = []
    /// `trusted` declarations' guest names, resolved once every guest is declared.
    private var trustedNames: [Identifier] = []
    /// `attack` declarations, resolved once every guest and buffer is declared.
    private var attacks: [(guests: [Identifier], reads: [Identifier])] = []
    /// The first `sched core` line.
    private var schedCore: SourceSpan?
    /// `start` declarations, resolved once every thread and table is declared.
    private var starts: [(threads: [Identifier], table: Identifier)] = []
    private var hooks: [HookKind: (body: BlockSyntax, kindSpan: SourceSpan)] = [:]
    private var unknownHookBodies: [BlockSyntax] = []
    private var checkSyntax: [(check: CheckSyntax, span: SourceSpan)] = []
    private var sawCheck = false
    private var bound: Model.Bound?
    private var boundSpan: SourceSpan?
    private var expect: Model.Expectation?

    // Resolved along the way.
    private var regionDecls: [Model.RegionDecl] = []
    private var regions: [Model.Region] = []
    private var tableDecls: [Model.TableDecl] = []
    private var tables: [Model.Table] = []

    // Uses, for the "never used" warnings.
    private var regionMapped: [Bool] = []
    private var regionTouched: [Bool] = []
    private var anyMapsAll = false
    private var tableUsed: [Bool] = []
    private var bufferUsed: [Bool] = []
    private var kicksOrHolds = false
    /// Resolving an exit handler's body (where `idle` may appear), and whether one has.
    private var inExitHandler = false
    private var sawIdle = false

    init(file: SourceFile, sink: DiagnosticSink) {
        self.file = file
        self.sink = sink
    }

    // MARK: - Driver

    mutating func resolve(_ tree: SyntaxTree) -> Model? {
        for declaration in tree.declarations { collect(declaration) }
        if !checkPresence() { return nil }
        resolveRegions()
        resolveTables()
        resolvePlacement()
        let onVMExit = hooks[.vmexit].map { resolveBlock($0.body) } ?? .empty
        let onVMEntry = hooks[.vmentry].map { resolveBlock($0.body) } ?? .empty
        let onFault = hooks[.fault].map { resolveBlock($0.body) }
        if let onFault { reportIfFirst(in: onFault.statements) }
        for body in unknownHookBodies { _ = resolveBlock(body) }
        var exits: [Model.Exit] = []
        inExitHandler = true
        for e in exitSyntax {
            exits.append(Model.Exit(name: e.name.text, span: e.name.span, body: resolveBlock(e.body), implicit: false))
        }
        inExitHandler = false
        let declaredKick = exits.firstIndex { $0.name == "kick" }
        if declaredKick == nil {
            exits.append(Model.Exit(name: "kick", span: .none, body: .empty, implicit: true))
        }
        var interrupts: [Model.Interrupt] = []
        for i in interruptSyntax {
            let threads = i.threads.map { resolveThreadList($0) }
            interrupts.append(Model.Interrupt(kind: i.kind, name: i.name.text, span: i.name.span, body: resolveBlock(i.body),
                                              threads: threads))
        }
        resolveAttacks()
        let checks = resolveChecks()
        warnUnused(declaredKick: declaredKick.map { exits[$0] })

        guard !sink.hasErrors else { return nil }
        var model = Model(file: file, title: title?.0, cores: cores, threads: threads, hosts: hosts, guests: guests,
                          regionDecls: regionDecls, regions: regions, tableDecls: tableDecls, tables: tables,
                          buffers: buffers, flags: flags, onVMExit: onVMExit, onVMEntry: onVMEntry, onFault: onFault,
                          exits: exits, kickExit: declaredKick ?? exits.count - 1, interrupts: interrupts,
                          checks: checks, bound: bound, expect: expect)
        model.schedCore = schedCore != nil
        model.hasIdleStatement = sawIdle
        reportPerGuestWhileIdle(in: model)
        guard !sink.hasErrors else { return nil }
        return model
    }

    /// Threads named in an interrupt's `on` list (unknown ones reported and dropped; a thread
    /// named twice is reported once).
    private mutating func resolveThreadList(_ ids: [Identifier]) -> [Int] {
        var out: [Int] = []
        for id in ids {
            guard let t = lookup(id, as: .thread) else { continue }
            if out.contains(t) {
                sink.report(.givenTwice(setting: id.text), at: id.span)
                continue
            }
            out.append(t)
        }
        return out.sorted()
    }

    /// `attack GUEST... reads TARGET...`: `siblings`, or buffers.
    private mutating func resolveAttacks() {
        var seen: [Int: SourceSpan] = [:]
        for attack in attacks {
            var readsSiblings = false
            var buffersRead: [Int] = []
            for id in attack.reads {
                if id.text == "siblings" && names[id.text] == nil {
                    if readsSiblings { sink.report(.givenTwice(setting: "siblings"), at: id.span) }
                    readsSiblings = true
                    continue
                }
                guard let b = lookup(id, as: [.buffer], what: "buffer", whatWithArticle: "a buffer",
                                     unknownHelp: "a guest reads buffers, or 'siblings' (what its siblings are exposed to)")?.index
                else { continue }
                if buffersRead.contains(b) {
                    sink.report(.givenTwice(setting: id.text), at: id.span)
                    continue
                }
                bufferUsed[b] = true
                buffersRead.append(b)
            }
            for id in attack.guests {
                guard let g = lookup(id, as: .guest) else { continue }
                if let first = seen[g] {
                    sink.report(.givenTwice(setting: "attack \(id.text)"), at: id.span,
                                notes: [.init("first given here", at: first)])
                    continue
                }
                seen[g] = id.span
                if guests[g].trusted { sink.report(.attackOfTrustedGuest(guest: id.text), at: id.span) }
                guests[g].readsSiblings = readsSiblings
                guests[g].readsBuffers = buffersRead.sorted()
            }
        }
    }

    /// E031: what an idle thread may run or start in (an interrupt handler that may start on
    /// it, then `on fault`; the start table of a thread that starts idle) cannot name a
    /// per-guest region or table: an idle thread serves no guest.
    private func reportPerGuestWhileIdle(in model: Model) {
        let idle = model.threads.indices.filter(model.canIdle)
        guard !idle.isEmpty else { return }
        for t in model.threads.indices where model.startsIdle(t) {
            let d = model.startTableDecl(thread: t)
            if model.tableDecls[d].perGuest {
                sink.report(.perGuestStartWhileIdle(thread: model.threads[t].name, table: model.tableDecls[d].name),
                            at: model.threads[t].span,
                            help: "add 'start \(model.threads[t].name) in TABLE' with a table that is not 'per guest'")
            }
        }
        var faultWhileIdle: Int?
        for (i, interrupt) in model.interrupts.enumerated() {
            guard let t = idle.first(where: { model.interrupt(i, canStartOn: $0) }) else { continue }
            faultWhileIdle = faultWhileIdle ?? t
            if let (kind, name, span) = Self.firstPerGuestName(in: interrupt.body, model: model) {
                sink.report(.perGuestWhileIdle(code: "interrupt '\(interrupt.name)'", kind: kind, name: name,
                                               thread: model.threads[t].name),
                            at: span, help: "keep the interrupt off that thread with 'interrupt ... \(interrupt.name) on THREAD, ...'")
            }
        }
        // A touch in such an interrupt handler may fault: `on fault` then runs while idle too.
        if let t = faultWhileIdle, let fault = model.onFault,
           let (kind, name, span) = Self.firstPerGuestName(in: fault, model: model) {
            sink.report(.perGuestWhileIdle(code: "on fault", kind: kind, name: name, thread: model.threads[t].name),
                        at: span, help: "an interrupt may start on that thread and fault; keep interrupts off it with 'interrupt ... on THREAD, ...'")
        }
    }

    /// The first per-guest region or table a block names, with the statement's span.
    private static func firstPerGuestName(in block: Model.Block, model: Model) -> (String, String, SourceSpan)? {
        for statement in block.statements {
            switch statement.kind {
            case .touch(let refs):
                for case .perGuest(let d) in refs { return ("region", model.regionDecls[d].name, statement.span) }
            case .switchTable(.perGuest(let d)):
                return ("table", model.tableDecls[d].name, statement.span)
            default:
                break
            }
            for b in statement.kind.branches {
                if let found = firstPerGuestName(in: b, model: model) { return found }
            }
        }
        return nil
    }

    // MARK: - Declarations

    /// Enters a name into the namespace; reports and refuses a name already taken.
    private mutating func declare(_ name: Identifier, as kind: NameKind, index: Int) -> Bool {
        if let first = names[name.text] {
            // Past the error cap the message would be dropped: do not spend time building it.
            if sink.isSaturated { return false }
            let message: DiagnosticMessage = first.kind == kind
                ? .declaredTwice(kind: kind.rawValue, name: name.text)
                : .nameTaken(kind: kind.rawValue, name: name.text, firstKind: first.kind.rawValue)
            sink.report(message, at: name.span,
                       notes: [.init("\(first.kind.rawValue) '\(name.text)' is first declared here", at: first.span)],
                       help: first.kind == kind ? nil : "all names share one namespace: rename one of them")
            return false
        }
        names[name.text] = Entry(kind: kind, index: index, span: name.span)
        namesByKind[kind, default: []].append(name.text)
        return true
    }

    private mutating func collect(_ declaration: DeclarationSyntax) {
        switch declaration {
        case .model(let text, let span):
            if let first = title {
                sink.report(.titleGivenTwice, at: span,
                           notes: [.init("the first title is here", at: first.1)])
            } else {
                title = (text, span)
            }
        case .core(let name, let threadNames, _):
            // A core whose name is taken is still kept with its threads (the model will not be
            // built anyway), so that references to those threads do not cascade.
            _ = declare(name, as: .core, index: cores.count)
            let coreIndex = cores.count
            cores.append(Model.Core(name: name.text, span: name.span, threads: []))
            if threadNames?.isEmpty == true {
                sink.report(.emptyCore(core: name.text), at: name.span,
                           help: "list its hardware threads: 'core \(name.text) { t0 t1 }'")
            }
            for t in threadNames ?? [] {
                if let first = names[t.text], first.kind == .thread {
                    let firstCore = threads[first.index].core
                    if firstCore == coreIndex {
                        sink.report(.threadListedTwice(thread: t.text, core: name.text), at: t.span,
                                   notes: [.init("thread '\(t.text)' is first listed here", at: first.span)])
                    } else {
                        sink.report(.threadInTwoCores(thread: t.text, firstCore: cores[firstCore].name, secondCore: name.text),
                                   at: t.span,
                                   notes: [.init("thread '\(t.text)' is first listed in core '\(cores[firstCore].name)' here",
                                                 at: first.span)],
                                   help: "a hardware thread belongs to exactly one core")
                    }
                    continue
                }
                if declare(t, as: .thread, index: threads.count) {
                    cores[coreIndex].threads.append(threads.count)
                    threads.append(Model.Thread(name: t.text, span: t.span, core: coreIndex, guests: []))
                }
            }
        case .hosts(let list, _):
            for h in list where declare(h, as: .host, index: hosts.count) {
                hosts.append(Model.Host(name: h.text, span: h.span))
            }
        case .guests(let list, _):
            for g in list where declare(g, as: .guest, index: guests.count) {
                if g.text == "trusted" {
                    sink.report(.guestNamedTrusted, at: g.span, help: "to trust a guest, declare it and then write 'trusted NAME' on a line of its own")
                }
                guests.append(Model.Guest(name: g.text, span: g.span))
            }
        case .trusted(let list, _):
            trustedNames += list
        case .attack(let list, let reads, _):
            attacks.append((list, reads))
        case .schedCore(let span):
            if let first = schedCore {
                sink.report(.givenTwice(setting: "sched core"), at: span, notes: [.init("first given here", at: first)])
            } else {
                schedCore = span
            }
        case .start(let list, let table, _):
            starts.append((list, table))
        case .region(let r):
            if declare(r.name, as: .region, index: regionSyntax.count) { regionSyntax.append(r) }
        case .table(let t):
            if declare(t.name, as: .table, index: tableSyntax.count) { tableSyntax.append(t) }
        case .buffer(let name, let fill, let cache, _):
            if declare(name, as: .buffer, index: buffers.count) {
                if fill == nil { brokenBuffers.insert(buffers.count) }
                buffers.append(Model.Buffer(name: name.text, span: name.span, fill: fill ?? .mapped, cache: cache))
            }
        case .flag(let name, let scope, _):
            if declare(name, as: .flag, index: flags.count) {
                flags.append(Model.Flag(name: name.text, span: name.span, scope: scope ?? .thread))
            }
        case .run(let g, let t, _):
            runs.append((g, t))
        case .hook(let kind, let kindSpan, let body, _):
            guard let kind else {
                unknownHookBodies.append(body)
                return
            }
            if let first = hooks[kind] {
                sink.report(.duplicateHook(kind: kind.rawValue), at: kindSpan,
                           notes: [.init("the first 'on \(kind.rawValue)' block is here", at: first.kindSpan)],
                           help: "merge them into one block")
                unknownHookBodies.append(body)  // still resolved, for the errors inside
            } else {
                hooks[kind] = (body, kindSpan)
            }
        case .exit(let name, let body, _):
            if declare(name, as: .exit, index: exitSyntax.count) { exitSyntax.append((name, body)) }
        case .interrupt(let kind, let name, let threads, let body, _):
            if declare(name, as: .interrupt, index: interruptSyntax.count) {
                interruptSyntax.append((kind, name, threads, body))
            }
        case .check(let check, let span):
            sawCheck = true
            if let check { checkSyntax.append((check, span)) }
        case .bound(let value, let valueSpan, let span):
            // The range is checked even on a second `bound`, so both mistakes show at once.
            var valid = false
            if let value {
                if value < Model.Bound.validRange.lowerBound {
                    sink.report(.boundTooSmall(value: value, minimum: Model.Bound.validRange.lowerBound), at: valueSpan,
                               help: "the bound is the longest schedule explored, in steps")
                } else if value > Model.Bound.validRange.upperBound {
                    sink.report(.boundTooLarge(value: value, maximum: Model.Bound.validRange.upperBound), at: valueSpan)
                } else {
                    valid = true
                }
            }
            if let first = boundSpan {
                sink.report(.givenTwice(setting: "bound"), at: span,
                           notes: [.init("the first 'bound' is here", at: first)])
                return
            }
            boundSpan = span
            if valid, let value { bound = Model.Bound(value: value, span: span) }
        case .expect(let verdict, let span):
            if let first = expect {
                sink.report(.givenTwice(setting: "expect"), at: span,
                           notes: [.init("the first 'expect' is here", at: first.span)])
            } else {
                expect = Model.Expectation(verdict: verdict, span: span)
            }
        }
    }

    /// Reports a model without core, guest, table or check, or too large to expand. Returns
    /// false when expansion must not be attempted.
    private mutating func checkPresence() -> Bool {
        let at = title?.1 ?? SourceSpan(start: 0, end: 0)
        if cores.isEmpty {
            sink.reportFileLevel(.missingDeclaration(kind: "core"), at: at,
                       help: "declare the hardware, e.g. 'core c0 { t0 t1 }'")
        }
        if guests.isEmpty {
            sink.reportFileLevel(.missingDeclaration(kind: "guest"), at: at,
                       help: "declare one, e.g. 'guest vm1'")
        }
        if tableSyntax.isEmpty {
            sink.reportFileLevel(.missingDeclaration(kind: "table"), at: at,
                       help: "declare one, e.g. 'table kernel maps all'")
        }
        if !sawCheck {
            sink.reportFileLevel(.missingCheck, at: at,
                       help: "add 'check corun', 'check residue BUFFER', 'check crash', 'check deadlock' or 'check progress'")
        }
        let copies = max(guests.count, 1)
        let regionCount = regionSyntax.reduce(0) { $0 + ($1.ownership.isPerGuest ? copies : 1) }
        let tableCount = tableSyntax.reduce(0) { $0 + ($1.perGuest ? copies : 1) }
        var ok = true
        if regionCount > Resolver.maxConcrete {
            sink.report(.modelTooLarge(count: regionCount, what: "concrete regions", limit: Resolver.maxConcrete),
                       at: regionSyntax[0].name.span)
            ok = false
        }
        if threads.count > Resolver.maxThreads {
            sink.report(.modelTooLarge(count: threads.count, what: "threads", limit: Resolver.maxThreads),
                       at: threads[Resolver.maxThreads].span)
            ok = false
        }
        if tableCount > Resolver.maxConcrete {
            sink.report(.modelTooLarge(count: tableCount, what: "concrete tables", limit: Resolver.maxConcrete),
                       at: tableSyntax[0].name.span)
            ok = false
        }
        return ok
    }

    // MARK: - Names

    /// The declaration `id` names, if it is of one of `kinds`; otherwise reports "unknown WHAT"
    /// (with a suggestion among the names of those kinds) or "'x' is a K, not WHAT".
    private func lookup(_ id: Identifier, as kinds: [NameKind], what: String, whatWithArticle: String,
                        unknownHelp: String? = nil) -> Entry? {
        if let e = names[id.text] {
            if kinds.contains(e.kind) { return e }
            if sink.isSaturated { return nil }
            sink.report(.wrongKind(name: id.text, declared: e.kind.withArticle, expected: whatWithArticle),
                       at: id.span, notes: [.init("\(e.kind.rawValue) '\(id.text)' is declared here", at: e.span)])
            return nil
        }
        if sink.isSaturated { return nil }
        let candidates = kinds.flatMap { namesByKind[$0] ?? [] }
        sink.report(.unknownName(kind: what, name: id.text), at: id.span,
                   help: Spelling.help(id.text, among: candidates) ?? unknownHelp)
        return nil
    }

    private func lookup(_ id: Identifier, as kind: NameKind) -> Int? {
        lookup(id, as: [kind], what: kind.rawValue, whatWithArticle: kind.withArticle)?.index
    }

    // MARK: - Regions and tables

    private mutating func resolveRegions() {
        regionMapped = Array(repeating: false, count: regionSyntax.count)
        regionTouched = regionMapped
        for (d, r) in regionSyntax.enumerated() {
            switch r.ownership {
            case .perGuest?:
                var copies: [Int] = []
                for (g, guest) in guests.enumerated() {
                    copies.append(regions.count)
                    regions.append(Model.Region(name: "\(r.name.text)[\(guest.name)]", decl: d, owner: .guest(g),
                                                uncached: r.uncached))
                }
                regionDecls.append(Model.RegionDecl(name: r.name.text, span: r.name.span, perGuest: true, copies: copies))
            case .owner(let domain)?:
                var owner = Model.Owner.public
                if let e = lookup(domain, as: [.host, .guest], what: "domain",
                                  whatWithArticle: "a domain (a host or a guest)",
                                  unknownHelp: "domains are declared with 'host NAME' and 'guest NAME'") {
                    owner = e.kind == .host ? .host(e.index) : .guest(e.index)
                }
                appendPlainRegion(r, owner: owner, decl: d)
            case .public?, nil:
                appendPlainRegion(r, owner: .public, decl: d)
            }
        }
    }

    private mutating func appendPlainRegion(_ r: RegionSyntax, owner: Model.Owner, decl d: Int) {
        regionDecls.append(Model.RegionDecl(name: r.name.text, span: r.name.span, perGuest: false,
                                            copies: [regions.count]))
        regions.append(Model.Region(name: r.name.text, decl: d, owner: owner, uncached: r.uncached))
    }

    private mutating func resolveTables() {
        tableUsed = Array(repeating: false, count: tableSyntax.count)
        if !tableUsed.isEmpty { tableUsed[0] = true }  // every thread starts in the first table
        bufferUsed = Array(repeating: false, count: buffers.count)
        for (d, t) in tableSyntax.enumerated() {
            // The region declarations listed, resolved once for all copies.
            var listed: [Int] = []
            var mapsAll = false
            switch t.maps {
            case .all?:
                mapsAll = true
                anyMapsAll = true
            case .regions(let ids)?:
                var seen: [Int: SourceSpan] = [:]
                for id in ids {
                    guard let r = lookup(id, as: .region) else { continue }
                    if let first = seen[r] {
                        sink.report(.regionListedTwice(region: id.text, table: t.name.text),
                                     at: id.span, notes: [.init("first listed here", at: first)])
                        continue
                    }
                    seen[r] = id.span
                    listed.append(r)
                    regionMapped[r] = true
                }
            case nil:
                break
            }
            func maps(forGuest g: Int?) -> RegionSet {
                if mapsAll { return RegionSet(count: regions.count, regions.indices) }
                var set = RegionSet(count: regions.count)
                for r in listed {
                    let decl = regionDecls[r]
                    if !decl.perGuest {
                        set.insert(decl.copies[0])
                    } else if let g {
                        set.insert(decl.copies[g])
                    } else {
                        for c in decl.copies { set.insert(c) }
                    }
                }
                return set
            }
            if t.perGuest {
                var copies: [Int] = []
                for (g, guest) in guests.enumerated() {
                    copies.append(tables.count)
                    tables.append(Model.Table(name: "\(t.name.text)[\(guest.name)]", decl: d, maps: maps(forGuest: g)))
                }
                tableDecls.append(Model.TableDecl(name: t.name.text, span: t.name.span, perGuest: true, copies: copies))
            } else {
                tableDecls.append(Model.TableDecl(name: t.name.text, span: t.name.span, perGuest: false,
                                                  copies: [tables.count]))
                tables.append(Model.Table(name: t.name.text, decl: d, maps: maps(forGuest: nil)))
            }
        }
    }

    // MARK: - Placement

    private mutating func resolvePlacement() {
        var placedAt: [[Int: SourceSpan]] = Array(repeating: [:], count: threads.count)
        var guestPlaced = Array(repeating: false, count: guests.count)
        for id in trustedNames {
            if let g = lookup(id, as: .guest) { guests[g].trusted = true }
        }
        var started: [Int: SourceSpan] = [:]
        for start in starts {
            guard let d = lookup(start.table, as: .table) else { continue }
            tableUsed[d] = true
            for id in start.threads {
                guard let t = lookup(id, as: .thread) else { continue }
                if started[t] != nil {
                    sink.report(.givenTwice(setting: "start \(id.text)"), at: id.span,
                                 notes: [.init("first given here", at: started[t]!)])
                    continue
                }
                started[t] = id.span
                threads[t].startTable = d
            }
        }
        for run in runs {
            let gs = run.guests.compactMap { id in lookup(id, as: .guest).map { ($0, id) } }
            let ts = run.threads.compactMap { id in lookup(id, as: .thread).map { ($0, id) } }
            for (g, gid) in gs {
                for (t, tid) in ts {
                    let span = gid.span.union(tid.span)
                    if let first = placedAt[t][g] {
                        sink.report(.guestPlacedTwice(guest: gid.text, thread: tid.text), at: tid.span,
                                     notes: [.init("first placed here", at: first)])
                        continue
                    }
                    placedAt[t][g] = span
                    guestPlaced[g] = true
                }
            }
        }
        for t in threads.indices { threads[t].guests = placedAt[t].keys.sorted() }
        if !threads.isEmpty {
            for (g, guest) in guests.enumerated() where !guestPlaced[g] {
                sink.report(.unplacedGuest(guest: guest.name),
                             at: guest.span, help: "place it with 'run \(guest.name) on THREAD' if it should run here")
            }
        }
    }

    // MARK: - Statements

    private mutating func resolveBlock(_ block: BlockSyntax) -> Model.Block {
        Model.Block(statements: block.statements.compactMap { resolveStatement($0) }, span: block.span)
    }

    private mutating func resolveStatement(_ s: StatementSyntax) -> Model.Statement? {
        let kind: Model.Statement.Kind
        switch s.kind {
        case .touch(let ids):
            var refs: [Model.RegionRef] = []
            var seen: [Int: SourceSpan] = [:]
            for id in ids {
                guard let d = lookup(id, as: .region) else { continue }
                if let first = seen[d] {
                    sink.report(.regionTouchedTwice(region: id.text),
                                 at: id.span, notes: [.init("first named here", at: first)])
                    continue
                }
                seen[d] = id.span
                regionTouched[d] = true
                refs.append(regionDecls[d].perGuest ? .perGuest(decl: d) : .region(regionDecls[d].copies[0]))
            }
            guard !refs.isEmpty else { return nil }
            kind = .touch(refs)
        case .switchTable(let id):
            guard let d = lookup(id, as: .table) else { return nil }
            tableUsed[d] = true
            kind = .switchTable(tableDecls[d].perGuest ? .perGuest(decl: d) : .table(tableDecls[d].copies[0]))
        case .kickSiblings:
            kicksOrHolds = true
            kind = .kickSiblings
        case .holdSiblings:
            kicksOrHolds = true
            kind = .holdSiblings
        case .releaseSiblings:
            kind = .releaseSiblings
        case .idle:
            guard inExitHandler else {
                sink.report(.idleOutsideExitHandler, at: s.span,
                            help: "a vCPU task blocks while it handles an exit: put 'idle' in an 'exit NAME { ... }' block")
                return nil
            }
            sawIdle = true
            kind = .idle
        case .wait(.outOfGuest):
            kind = .wait(.outOfGuest)
        case .wait(.notIn(let id)):
            guard let d = lookup(id, as: .table) else { return nil }
            tableUsed[d] = true
            kind = .wait(.notIn(tableDecl: d))
        case .wait(.in(let id)):
            guard let d = lookup(id, as: .table) else { return nil }
            tableUsed[d] = true
            kind = .wait(.in(tableDecl: d))
        case .flush(let id):
            guard let b = lookup(id, as: .buffer) else { return nil }
            bufferUsed[b] = true
            kind = .flush(buffer: b)
        case .irqs(let on):
            kind = .irqs(on: on)
        case .setFlag(let id, let value):
            guard let f = lookup(id, as: .flag) else { return nil }
            kind = .setFlag(flag: f, value: value)
        case .either(let branches):
            kind = .either(branches.map { resolveBlock($0) })
        case .ifFlag(let id, let value, let then, let otherwise):
            let branches = (resolveBlock(then), otherwise.map { resolveBlock($0) })
            guard let f = lookup(id, as: .flag) else { return nil }
            kind = .ifFlag(flag: f, value: value, then: branches.0, else: branches.1)
        }
        return Model.Statement(kind, span: s.span)
    }

    /// A fault runs a first statement of `on fault` in the faulting step, and whether that
    /// step crashes is decided from those statements alone (`Program.faultCrashes`): an `if`
    /// among them would make it depend on a flag, which no engine reads yet.
    /// Returns whether some path through `statements` runs none of them.
    @discardableResult
    private mutating func reportIfFirst(in statements: [Model.Statement]) -> Bool {
        for s in statements {
            switch s.kind {
            case .ifFlag:
                sink.report(.ifFirstInFaultHandler, at: s.span, help: "put a statement before the 'if'")
                return false
            case .either(let branches):
                var passes = false
                for b in branches where reportIfFirst(in: b.statements) { passes = true }
                if !passes { return false }
            default:
                return false
            }
        }
        return true
    }

    // MARK: - Checks and warnings

    private mutating func resolveChecks() -> [Model.Check] {
        var checks: [Model.Check] = []
        var firstSpan: [Model.Check: SourceSpan] = [:]
        for (syntax, span) in checkSyntax {
            let check: Model.Check
            let label: String
            switch syntax {
            case .corun: (check, label) = (.corun, "corun")
            case .crash: (check, label) = (.crash, "crash")
            case .deadlock: (check, label) = (.deadlock, "deadlock")
            case .progress: (check, label) = (.progress, "progress")
            case .residue(let id):
                guard let b = lookup(id, as: .buffer) else { continue }
                bufferUsed[b] = true
                (check, label) = (.residue(buffer: b), "residue \(id.text)")
            }
            if let first = firstSpan[check] {
                sink.report(.duplicateCheck(check: label), at: span,
                             notes: [.init("first given here", at: first)])
                continue
            }
            firstSpan[check] = span
            checks.append(check)
        }
        return checks
    }

    private func warnUnused(declaredKick: Model.Exit?) {
        for (d, r) in regionSyntax.enumerated() {
            if r.ownership == nil || r.ownership.isPerGuest || anyMapsAll || regionMapped[d] || regionTouched[d] { continue }
            if case .owner(let o)? = r.ownership, names[o.text]?.kind == .guest { continue }
            sink.report(.unusedRegion(region: r.name.text), at: r.name.span,
                         help: "no table maps it and no statement touches it")
        }
        // Declarations with an error already reported (no maps, no fill) are not warned about.
        for (d, t) in tableSyntax.enumerated() where !tableUsed[d] && t.maps != nil {
            sink.report(.unusedTable(table: t.name.text), at: t.name.span,
                         help: "no statement switches to it or waits on it, and it is not the first table")
        }
        for (b, buffer) in buffers.enumerated() where !bufferUsed[b] && !brokenBuffers.contains(b) {
            sink.report(.unusedBuffer(buffer: buffer.name), at: buffer.span,
                         help: "no statement flushes it and no 'check residue' names it")
        }
        if let kick = declaredKick, !kicksOrHolds {
            sink.report(.unforcedKickExit, at: kick.span,
                         help: "no statement kicks or holds siblings, so it runs only when a guest takes it like any other exit")
        }
    }
}

private extension Optional where Wrapped == RegionSyntax.Ownership {
    var isPerGuest: Bool {
        if case .perGuest? = self { true } else { false }
    }
}
