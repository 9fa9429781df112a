/// Guests that the semantics cannot tell apart, and the smaller model that keeps only as many
/// of them as a finding can need (docs/SEMANTICS.md, "Symmetric guests").
///
/// Guests of one class are placed on exactly the same threads, are all trusted or all not, own
/// no plain region, are named by no statement (statements only name "the copy of the guest served"), and every table
/// treats them alike: a plain table maps all of their copies of a per-guest region or none,
/// and the per-guest copies of a table map, for each guest, the same plain regions and its
/// own copy (or every copy, or none) alike. Swapping two such guests, with their copies of
/// every per-guest region and table, is then an automorphism of the transition system that
/// maps findings to findings of the same check, so only the number of guests of the class
/// matters, and beyond `needed` guests not even that.
public struct GuestSymmetry: Sendable {
    /// One class of interchangeable guests.
    public struct GuestClass: Hashable, Sendable {
        /// Guest indices, ascending (at least two).
        public var guests: [Int]
        /// The threads they are placed on, ascending.
        public var threads: [Int]
        /// How many of them a shortest finding can need (`GuestSymmetry.needed`).
        public var needed: Int
        /// The guests kept by the reduction: the first `needed` (all when there are fewer).
        public var kept: [Int] { Array(guests.prefix(needed)) }
    }

    public let classes: [GuestClass]

    /// Given classes (tests use it to check that keeping fewer guests is caught).
    init(classes: [GuestClass]) { self.classes = classes }

    /// The classes of `model` (only classes of two or more guests).
    public init(model: Model) {
        let perGuestTables = model.tableDecls.contains(where: \.perGuest)
        // Guests named by a statement, or owning a plain region, are told apart: no class.
        var distinguished = Set<Int>()
        for r in model.regions where !model.regionDecls[r.decl].perGuest {
            if case .guest(let g) = r.owner { distinguished.insert(g) }
        }
        let copyOwner = Self.copyOwners(model)
        for ref in Self.fixedReferences(model) {
            switch ref {
            case .region(let r): if let g = copyOwner.regions[r] { distinguished.insert(g) }
            case .table(let t): if let g = copyOwner.tables[t] { distinguished.insert(g) }
            }
        }
        var placement: [[Int]: [Int]] = [:]
        var threadsOf = Array(repeating: [Int](), count: model.guests.count)
        for (t, thread) in model.threads.enumerated() {
            for g in thread.guests { threadsOf[g].append(t) }
        }
        // Guests that read differently are told apart: a trusted guest (nothing is secret to
        // it) from an untrusted one, and guests whose `attack` lines differ. The key's
        // negative entries are these marks (thread indices are not negative).
        for g in model.guests.indices where !distinguished.contains(g) {
            let guest = model.guests[g]
            var marks: [Int] = guest.trusted ? [-1] : []
            if !guest.readsSiblings { marks.append(-2) }
            if let read = guest.readsBuffers { marks += [-3] + read.map { -4 - $0 } }
            placement[threadsOf[g] + marks, default: []].append(g)
        }
        var classes: [GuestClass] = []
        for (key, guests) in placement where guests.count > 1 {
            let threads = key.filter { $0 >= 0 }
            guard Self.tablesTreatAlike(guests, model) else { continue }
            let needed = Self.needed(threads: threads.count, perGuestTables: perGuestTables)
            classes.append(GuestClass(guests: guests.sorted(), threads: threads, needed: needed))
        }
        self.classes = classes.sorted { $0.guests[0] < $1.guests[0] }
    }

    /// How many guests of a class placed on `threads` threads a shortest finding can need:
    /// `threads + 1`, or `2 * threads + 1` when the model has a per-guest table (a thread's
    /// loaded table can then be the copy of a guest other than the one it serves). The
    /// argument is in docs/SEMANTICS.md ("Symmetric guests").
    public static func needed(threads: Int, perGuestTables: Bool) -> Int {
        (perGuestTables ? 2 * threads : threads) + 1
    }

    /// Whether the reduction leaves some guest out.
    public var reduces: Bool { classes.contains { $0.guests.count > $0.needed } }

    /// The owning guest of every per-guest copy of a region and of a table.
    package static func copyOwners(_ model: Model) -> (regions: [Int: Int], tables: [Int: Int]) {
        var regions: [Int: Int] = [:], tables: [Int: Int] = [:]
        for d in model.regionDecls where d.perGuest { for (g, c) in d.copies.enumerated() { regions[c] = g } }
        for d in model.tableDecls where d.perGuest { for (g, c) in d.copies.enumerated() { tables[c] = g } }
        return (regions, tables)
    }

    /// A fixed region or table a statement names.
    enum FixedReference: Hashable { case region(Int), table(Int) }

    /// Every fixed region and table the model's statements name (the resolver only makes
    /// references to plain declarations fixed; an edited model may name a copy).
    static func fixedReferences(_ model: Model) -> Set<FixedReference> {
        var out = Set<FixedReference>()
        func walk(_ block: Model.Block) {
            for s in block.statements {
                switch s.kind {
                case .touch(let refs):
                    for case .region(let r) in refs { out.insert(.region(r)) }
                case .switchTable(.table(let t)): out.insert(.table(t))
                default: s.kind.branches.forEach(walk)
                }
            }
        }
        for block in Self.blocks(model) { walk(block) }
        return out
    }

    /// Every block of statements of a model.
    static func blocks(_ model: Model) -> [Model.Block] {
        [model.onVMExit, model.onVMEntry] + (model.onFault.map { [$0] } ?? [])
            + model.exits.map(\.body) + model.interrupts.map(\.body)
    }

    /// Whether every table treats the guests of `group` alike (see the type's comment).
    static func tablesTreatAlike(_ group: [Int], _ model: Model) -> Bool {
        let inGroup = Set(group)
        let perGuestRegionDecls = model.regionDecls.filter(\.perGuest)
        let plainRegions = model.regions.indices.filter { !model.regionDecls[model.regions[$0].decl].perGuest }
        let copyOwner = copyOwners(model)
        // How a table maps the group's copies of region declaration d: none, all, or only
        // `own`'s copy; nil for anything else.
        enum Kind: Hashable { case none, all, own }
        func kind(_ maps: RegionSet, _ d: Model.RegionDecl, own: Int?) -> Kind? {
            let mapped = group.filter { maps.contains(d.copies[$0]) }
            if mapped.isEmpty { return Kind.none }
            if mapped.count == group.count { return .all }
            if let own, mapped == [own] { return .own }
            return nil
        }
        for (t, table) in model.tables.enumerated() {
            // The group's own copies of per-guest tables are compared with each other below.
            if let g = copyOwner.tables[t], inGroup.contains(g) { continue }
            for d in perGuestRegionDecls {
                guard let k = kind(table.maps, d, own: nil), k != .own else { return false }
            }
        }
        for decl in model.tableDecls where decl.perGuest {
            /// What the copy of guest g maps, in terms that do not name g.
            struct Shape: Hashable {
                var plain: [Int]
                var perGuest: [Kind?]
                var others: [[Int]]
            }
            func shape(_ g: Int) -> Shape {
                let maps = model.tables[decl.copies[g]].maps
                return Shape(plain: plainRegions.filter { maps.contains($0) },
                             perGuest: perGuestRegionDecls.map { kind(maps, $0, own: g) },
                             others: perGuestRegionDecls.map { d in
                                 d.copies.indices.filter { !inGroup.contains($0) && maps.contains(d.copies[$0]) }
                             })
            }
            let first = shape(group[0])
            if first.perGuest.contains(where: { $0 == nil }) { return false }
            for g in group.dropFirst() where shape(g) != first { return false }
        }
        // Per-guest copies must belong to their guest (true of every resolved model).
        for d in perGuestRegionDecls {
            for g in group where model.regions[d.copies[g]].owner != .guest(g) { return false }
        }
        return true
    }
}
