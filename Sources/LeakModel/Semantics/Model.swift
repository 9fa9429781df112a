import LeakSyntax

/// A resolved and checked model: every name replaced by an index, `per guest` regions and
/// tables expanded into one copy per guest, `maps all` expanded.
///
/// Nothing after the resolver looks a name up; names are kept only for display.
public struct Model: Sendable {
    public var file: SourceFile
    /// The `model "..."` title, if any.
    public var title: String?
    public var cores: [Core]
    public var threads: [Thread]
    /// Host domains (usually exactly one, `host host`).
    public var hosts: [Host]
    public var guests: [Guest]
    /// Region declarations as written.
    public var regionDecls: [RegionDecl]
    /// Concrete regions: one per plain declaration, one per guest for a `per guest` one.
    public var regions: [Region]
    /// Table declarations as written; the first one is every thread's initial table.
    public var tableDecls: [TableDecl]
    /// Concrete tables: one per plain declaration, one per guest for a `per guest` one.
    public var tables: [Table]
    public var buffers: [Buffer]
    /// `flag NAME per thread|per core` (DESIGN.md 6.1), in declaration order.
    public var flags: [Flag]
    public var onVMExit: Block
    public var onVMEntry: Block
    /// `nil` when the model has no `on fault` block: every page fault is then a crash.
    public var onFault: Block?
    /// Every exit reason, including `kick` (declared, or implicit with an empty body).
    public var exits: [Exit]
    /// Index into `exits` of the `kick` exit forced by a pending kick.
    public var kickExit: Int
    public var interrupts: [Interrupt]
    /// The checks the model names, in source order (never empty after resolution).
    public var checks: [Check]
    public var bound: Bound?
    public var expect: Expectation?
    /// `sched core`: siblings serve one guest at a time or are idle (docs/SEMANTICS.md,
    /// "Core scheduling").
    public var schedCore = false
    /// Some exit handler has an `idle` statement (set by the resolver; never cleared by a
    /// change that removes one, which only widens what `canIdle` allows).
    public var hasIdleStatement = false

    public init(file: SourceFile, title: String?, cores: [Core], threads: [Thread], hosts: [Host],
                guests: [Guest], regionDecls: [RegionDecl], regions: [Region], tableDecls: [TableDecl],
                tables: [Table], buffers: [Buffer], flags: [Flag] = [], onVMExit: Block, onVMEntry: Block, onFault: Block?,
                exits: [Exit], kickExit: Int, interrupts: [Interrupt], checks: [Check], bound: Bound?,
                expect: Expectation?) {
        self.file = file; self.title = title; self.cores = cores; self.threads = threads
        self.hosts = hosts; self.guests = guests; self.regionDecls = regionDecls; self.regions = regions
        self.tableDecls = tableDecls; self.tables = tables; self.buffers = buffers; self.flags = flags
        self.onVMExit = onVMExit; self.onVMEntry = onVMEntry; self.onFault = onFault
        self.exits = exits; self.kickExit = kickExit; self.interrupts = interrupts
        self.checks = checks; self.bound = bound; self.expect = expect
    }
}

extension Model {
    /// Whose the copies of a flag are (declared with the parser's words).
    public typealias FlagScope = LeakSyntax.FlagScope

    /// A Boolean of the state, one copy per thread or per core, false initially.
    public struct Flag: Hashable, Sendable {
        public var name: String
        public var span: SourceSpan
        public var scope: FlagScope
        public init(name: String, span: SourceSpan, scope: FlagScope) {
            self.name = name; self.span = span; self.scope = scope
        }
    }

    /// The copy of flag `f` that thread `t` reads and writes: its own, or its core's.
    public func flagCopy(_ f: Int, thread t: Int) -> Int {
        flags[f].scope == .thread ? t : threads[t].core
    }

    /// Every copy of every flag, false: how flags start (`SystemState.flags`).
    public var initialFlags: [[Bool]] {
        flags.indices.map { Array(repeating: false, count: flagCopies($0)) }
    }

    /// The name of copy `copy` of flag `f`: the flag and the thread or core it belongs to
    /// ("l1tf_flush_l1d@t0", "tainted@c0").
    public func flagCopyName(_ f: Int, copy: Int) -> String {
        "\(flags[f].name)@\(flags[f].scope == .thread ? threads[copy].name : cores[copy].name)"
    }

    /// How many copies flag `f` has.
    public func flagCopies(_ f: Int) -> Int {
        flags[f].scope == .thread ? threads.count : cores.count
    }

    public struct Core: Hashable, Sendable {
        public var name: String
        public var span: SourceSpan
        /// Indices into `Model.threads`, in declaration order.
        public var threads: [Int]
        public init(name: String, span: SourceSpan, threads: [Int]) {
            self.name = name; self.span = span; self.threads = threads
        }
    }

    public struct Thread: Hashable, Sendable {
        public var name: String
        public var span: SourceSpan
        /// Index into `Model.cores`.
        public var core: Int
        /// Guests that may run on this thread (indices into `Model.guests`, ascending); empty for
        /// a host-only thread, which is idle for ever (docs/SEMANTICS.md, "Idle threads").
        public var guests: [Int]
        /// `start THREAD in TABLE`: the table declaration it starts in (nil: the first declared).
        public var startTable: Int?
        public init(name: String, span: SourceSpan, core: Int, guests: [Int], startTable: Int? = nil) {
            self.name = name; self.span = span; self.core = core; self.guests = guests; self.startTable = startTable
        }
    }

    public struct Host: Hashable, Sendable {
        public var name: String
        public var span: SourceSpan
        public init(name: String, span: SourceSpan) { self.name = name; self.span = span }
    }

    public struct Guest: Hashable, Sendable {
        public var name: String
        public var span: SourceSpan
        /// `trusted NAME`: the guest attacks nobody (its own data is still secret to the others).
        public var trusted: Bool
        /// `attack NAME reads ...`: whether it reads what its siblings are exposed to (`corun`),
        /// and which buffers it reads (nil: every one). Without an `attack` line, everything.
        public var readsSiblings: Bool
        public var readsBuffers: [Int]?
        public init(name: String, span: SourceSpan, trusted: Bool = false, readsSiblings: Bool = true,
                    readsBuffers: [Int]? = nil) {
            self.name = name; self.span = span; self.trusted = trusted
            self.readsSiblings = readsSiblings; self.readsBuffers = readsBuffers
        }
    }

    /// Who owns a region.
    public enum Owner: Hashable, Sendable {
        case `public`
        case host(Int)
        case guest(Int)
    }

    public struct RegionDecl: Hashable, Sendable {
        public var name: String
        public var span: SourceSpan
        public var perGuest: Bool
        /// Concrete regions of this declaration: one, or one per guest indexed by guest.
        public var copies: [Int]
        public init(name: String, span: SourceSpan, perGuest: Bool, copies: [Int]) {
            self.name = name; self.span = span; self.perGuest = perGuest; self.copies = copies
        }
    }

    public struct Region: Hashable, Sendable {
        /// Display name: `percpu`, or `vcpu_state[vm1]` for a per-guest copy.
        public var name: String
        public var decl: Int
        public var owner: Owner
        /// `uncached`: never enters a `cache` buffer.
        public var uncached: Bool
        public init(name: String, decl: Int, owner: Owner, uncached: Bool = false) {
            self.name = name; self.decl = decl; self.owner = owner; self.uncached = uncached
        }
    }

    public struct TableDecl: Hashable, Sendable {
        public var name: String
        public var span: SourceSpan
        public var perGuest: Bool
        /// Concrete tables of this declaration: one, or one per guest indexed by guest.
        public var copies: [Int]
        public init(name: String, span: SourceSpan, perGuest: Bool, copies: [Int]) {
            self.name = name; self.span = span; self.perGuest = perGuest; self.copies = copies
        }
    }

    public struct Table: Hashable, Sendable {
        /// Display name: `kernel`, or `restricted[vm1]` for a per-guest copy.
        public var name: String
        public var decl: Int
        /// Concrete regions this table maps. A per-guest copy for guest g maps g's copy of each
        /// per-guest region it lists; a plain table listing a per-guest region maps every copy.
        public var maps: RegionSet
        public init(name: String, decl: Int, maps: RegionSet) {
            self.name = name; self.decl = decl; self.maps = maps
        }
    }

    /// What fills a buffer (declared in Syntax/DeclarationWords.swift, which the parser sees).
    public typealias Fill = BufferFill

    public struct Buffer: Hashable, Sendable {
        public var name: String
        public var span: SourceSpan
        public var fill: Fill
        /// `cache`: a cache (L1D); `uncached` regions never enter it.
        public var cache: Bool
        public init(name: String, span: SourceSpan, fill: Fill, cache: Bool = false) {
            self.name = name; self.span = span; self.fill = fill; self.cache = cache
        }
    }

    public struct Block: Hashable, Sendable {
        public var statements: [Statement]
        /// The span of the whole block (or of its header for an empty one).
        public var span: SourceSpan
        public init(statements: [Statement], span: SourceSpan) {
            self.statements = statements; self.span = span
        }
        public static let empty = Block(statements: [], span: .none)
    }

    public struct Exit: Hashable, Sendable {
        public var name: String
        public var span: SourceSpan
        public var body: Block
        /// True for the `kick` exit the model did not declare.
        public var implicit: Bool
        public init(name: String, span: SourceSpan, body: Block, implicit: Bool) {
            self.name = name; self.span = span; self.body = body; self.implicit = implicit
        }
    }

    /// Declared in Syntax/DeclarationWords.swift, which the parser sees.
    public typealias InterruptKind = LeakSyntax.InterruptKind

    public struct Interrupt: Hashable, Sendable {
        public var kind: InterruptKind
        public var name: String
        public var span: SourceSpan
        public var body: Block
        /// `on THREAD, ...`: the threads it may start on (nil: every thread).
        public var threads: [Int]?
        public init(kind: InterruptKind, name: String, span: SourceSpan, body: Block, threads: [Int]? = nil) {
            self.kind = kind; self.name = name; self.span = span; self.body = body; self.threads = threads
        }
    }

    /// A region named in a statement: fixed, or the copy of the guest the thread serves.
    public enum RegionRef: Hashable, Sendable {
        case region(Int)
        case perGuest(decl: Int)
    }

    /// A table named in a statement: fixed, or the copy of the guest the thread serves.
    public enum TableRef: Hashable, Sendable {
        case table(Int)
        case perGuest(decl: Int)
    }

    /// What a `wait until siblings ...` waits for. A per-guest table matches any of its copies.
    public enum WaitCondition: Hashable, Sendable {
        case outOfGuest
        case notIn(tableDecl: Int)
        case `in`(tableDecl: Int)
    }

    public struct Statement: Hashable, Sendable {
        public indirect enum Kind: Hashable, Sendable {
            case touch([RegionRef])
            case switchTable(TableRef)
            case kickSiblings
            case holdSiblings
            case releaseSiblings
            /// `idle`: the vCPU task blocks and the thread goes idle (only in an exit handler).
            case idle
            case wait(WaitCondition)
            case flush(buffer: Int)
            case irqs(on: Bool)
            /// `set FLAG` (true) or `clear FLAG` (false): the acting thread's copy.
            case setFlag(flag: Int, value: Bool)
            /// Two or more branches; choosing one is not a step.
            case either([Block])
            /// `if [not] FLAG { then } [else { ... }]`: `then` runs when the acting thread's copy
            /// of the flag is `value`. Choosing the branch is not a step: the flag is read when
            /// the thread takes its next step there (DESIGN.md 6.1).
            case ifFlag(flag: Int, value: Bool, then: Block, else: Block?)
        }
        public var kind: Kind
        public var span: SourceSpan
        public init(_ kind: Kind, span: SourceSpan) { self.kind = kind; self.span = span }
    }

    public enum Check: Hashable, Sendable {
        case corun
        case residue(buffer: Int)
        case crash
        case deadlock
        /// `check progress` (DESIGN.md 6.2): no fair loop in which some thread never runs its guest.
        case progress
    }

    public struct Bound: Hashable, Sendable {
        public var value: Int
        public var span: SourceSpan
        public init(value: Int, span: SourceSpan) { self.value = value; self.span = span }

        /// The bounds a model may state, and the only ones every command accepts (`--bound`
        /// of check, explain, report and export; `generate --bound`): a bound is the longest
        /// schedule explored, and a schedule of 0 steps never runs a guest.
        public static let validRange = 1...1000
    }

    /// The verdict a model states with `expect` (declared in Syntax/DeclarationWords.swift,
    /// which the parser sees).
    public typealias ExpectedVerdict = LeakSyntax.ExpectedVerdict

    public struct Expectation: Hashable, Sendable {
        public var verdict: ExpectedVerdict
        public var span: SourceSpan
        public init(verdict: ExpectedVerdict, span: SourceSpan) { self.verdict = verdict; self.span = span }
    }
}

extension Model {
    /// Regions secret to guest `g`: neither owned by g nor public; none for a trusted guest,
    /// which reads nothing it should not (docs/SEMANTICS.md, "Trusted guests").
    public func secret(to g: Int) -> RegionSet {
        var set = RegionSet(count: regions.count)
        if guests[g].trusted { return set }
        for (i, r) in regions.enumerated() {
            switch r.owner {
            case .public: break
            case .guest(let o) where o == g: break
            default: set.insert(i)
            }
        }
        return set
    }

    /// What a guest reads from: what its siblings are exposed to, or a buffer of its core.
    public enum Channel: Hashable, Sendable {
        case siblings
        case buffer(Int)
    }

    /// Whether guest `g` reads through `channel` (docs/SEMANTICS.md, "What a guest reads").
    public func reads(_ g: Int, _ channel: Channel) -> Bool {
        let guest = guests[g]
        if guest.trusted { return false }
        switch channel {
        case .siblings: return guest.readsSiblings
        case .buffer(let b): return guest.readsBuffers?.contains(b) ?? true
        }
    }

    /// The regions secret to guest `g` that it can read through `channel`: `secret(to:)`, or
    /// none where it cannot read there.
    public func secret(to g: Int, via channel: Channel) -> RegionSet {
        reads(g, channel) ? secret(to: g) : RegionSet(count: regions.count)
    }

    /// The regions that may enter buffer `b`: all, but no `uncached` one for a `cache`.
    public func enterable(buffer b: Int) -> RegionSet {
        RegionSet(count: regions.count, regions.indices.filter { !buffers[b].cache || !regions[$0].uncached })
    }

    /// Whether thread `t` starts idle: a host-only thread, and every thread under `sched core`.
    public func startsIdle(_ t: Int) -> Bool { threads[t].guests.isEmpty || schedCore }

    /// Whether thread `t` can be idle: when it starts idle, or when some exit handler has an
    /// `idle` statement (docs/SEMANTICS.md, "Idle threads").
    public func canIdle(_ t: Int) -> Bool { startsIdle(t) || hasIdleStatement }

    /// Whether thread `t` can be the starving thread of `check progress`: a host-only thread
    /// runs no guest, so it never starves (docs/SEMANTICS.md, "Idle threads").
    public func canStarve(_ t: Int) -> Bool { !threads[t].guests.isEmpty }

    /// Whether some thread can be idle: the state then has an idle code for `served`.
    public var hasIdle: Bool { threads.indices.contains(where: canIdle) }

    /// The `served` value of an idle thread: no guest.
    public var noGuest: Int { guests.count }

    /// Whether interrupt `i` may start on thread `t` (its `on` list, if any).
    public func interrupt(_ i: Int, canStartOn t: Int) -> Bool { interrupts[i].threads?.contains(t) ?? true }

    /// Regions owned by guest `g` (what it fills buffers with, and what a thread running it exposes).
    public func owned(by g: Int) -> RegionSet {
        var set = RegionSet(count: regions.count)
        for (i, r) in regions.enumerated() where r.owner == .guest(g) { set.insert(i) }
        return set
    }

    /// The region declarations table declaration `d` lists in its `maps` clause (nil for a table
    /// that maps every region, as `maps all` does): what explain can take out, and what
    /// fastpath compares with what a restricted table needs.
    public func listedRegions(tableDecl d: Int) -> [Int]? {
        let copies = tableDecls[d].copies.map { tables[$0].maps }
        if copies.allSatisfy({ maps in regions.indices.allSatisfy { maps.contains($0) } }) { return nil }
        return regionDecls.indices.filter { r in
            copies.allSatisfy { maps in regionDecls[r].copies.contains { maps.contains($0) } }
        }
    }

    /// The siblings of a thread: the other threads of its core.
    public func siblings(of t: Int) -> [Int] {
        cores[threads[t].core].threads.filter { $0 != t }
    }

    /// The concrete region a reference names for a thread serving guest `g`.
    public func region(_ ref: RegionRef, servingGuest g: Int) -> Int {
        switch ref {
        case .region(let r): r
        case .perGuest(let d): regionDecls[d].copies[g]
        }
    }

    /// The concrete table a reference names for a thread serving guest `g`.
    public func table(_ ref: TableRef, servingGuest g: Int) -> Int {
        switch ref {
        case .table(let t): t
        case .perGuest(let d): tableDecls[d].copies[g]
        }
    }

    /// The table declaration thread `t` starts in: its `start` line's, else the first declared.
    public func startTableDecl(thread t: Int) -> Int { threads[t].startTable ?? 0 }

    /// The table thread `t` starts with (its copy for the guest served; `g` is `noGuest` for a
    /// thread that starts idle, whose start table the resolver ensures is not per guest, E031).
    public func initialTable(thread t: Int, servingGuest g: Int) -> Int {
        let d = tableDecls[startTableDecl(thread: t)]
        return d.perGuest ? d.copies[g] : d.copies[0]
    }
}
