import LeakSemantics

/// A readable summary of a resolved model, for `leakcheck parse FILE`.
///
/// It shows what the resolver made of the file, so a reader can check the expansion: threads
/// by core, guests and where they run, every concrete region with its owner, every concrete
/// table with the regions it maps and, per guest, which of those are secret to that guest
/// (the regions a sibling in that table could leak to the guest), then buffers, handlers with
/// their resolved statements, checks, bound and expectation. The output depends only on the
/// model, so it can be compared against a golden file.
public enum ModelSummary {
    /// Handlers longer than this on one line are shown one statement per line.
    static let maxInlineWidth = 100

    /// A class of more interchangeable guests than this (`GuestSymmetry`) is shown by its
    /// first guest: the output stays small for a model with a thousand guests.
    static let maxListedGuests = 4

    public static func render(_ model: Model) -> String {
        var rows: [Row] = []
        // Interchangeable guests beyond the first of a large class are summarised.
        let summarised = GuestSymmetry(model: model).classes.filter { $0.guests.count > maxListedGuests }
        var hidden = Set<Int>()
        var classOf: [Int: GuestSymmetry.GuestClass] = [:]
        for c in summarised {
            hidden.formUnion(c.guests.dropFirst())
            for g in c.guests { classOf[g] = c }
        }
        func isHidden(_ r: Int) -> Bool {
            if case .guest(let g) = model.regions[r].owner { return hidden.contains(g) }
            return false
        }
        /// Guest names, a summarised class as "first ... last (N interchangeable guests)".
        func guestNames(_ guests: [Int]) -> String {
            guests.compactMap { g -> String? in
                guard let c = classOf[g] else { return model.guests[g].name }
                guard g == c.guests[0] else { return nil }
                return "\(model.guests[g].name) ... \(model.guests[c.guests.last!].name) (\(c.guests.count) interchangeable guests)"
            }.joined(separator: " ")
        }
        /// Region names, without the copies of hidden guests (said in a count).
        func regionNames(_ regions: [Int]) -> String {
            let shown = regions.filter { !isHidden($0) }.map { model.regions[$0].name }
            let left = regions.count - shown.count
            return (shown + (left > 0 ? ["and \(left) copies of the interchangeable guests"] : [])).joined(separator: " ")
        }

        rows.append(.text(model.title.map { "model \"\($0.terminalEscaped)\"" } ?? "model (untitled)"))
        rows.append(.blank)

        rows.append(.heading("cores"))
        for core in model.cores {
            rows.append(.item(core.name, "threads " + core.threads.map { model.threads[$0].name }.joined(separator: " ")))
        }
        rows.append(.heading("threads"))
        for thread in model.threads {
            let guests = thread.guests.isEmpty ? "no guest (host-only: idle, and the interrupts steered to it)" : guestNames(thread.guests)
            rows.append(.item(thread.name, "core \(model.cores[thread.core].name), serves \(guests)"))
        }
        if model.schedCore {
            rows.append(.field("sched core", "siblings serve one guest at a time or are idle; every thread starts idle"))
        }
        rows.append(.field("hosts", model.hosts.isEmpty ? "none" : model.hosts.map(\.name).joined(separator: " ")))
        rows.append(.heading("guests"))
        for (g, guest) in model.guests.enumerated() where !hidden.contains(g) {
            let on = model.threads.filter { $0.guests.contains(g) }.map(\.name).joined(separator: " ")
            var trust = guest.trusted ? "; trusted: attacks nobody" : ""
            if !guest.trusted, let read = guest.readsBuffers {
                let what = read.map { model.buffers[$0].name } + (guest.readsSiblings ? ["siblings"] : [])
                trust += "; reads " + (what.isEmpty ? "nothing" : what.joined(separator: ", "))
            }
            if classOf[g] != nil {
                rows.append(.item(guestNames([g]), "each runs on \(on)\(trust); shown by \(guest.name) below"))
            } else {
                rows.append(.item(guest.name, "runs on \(on)\(trust)"))
            }
        }

        rows.append(.heading("regions"))
        for (r, region) in model.regions.enumerated() where !isHidden(r) {
            var owner: String
            switch region.owner {
            case .public: owner = "public"
            case .host(let h): owner = "owner \(model.hosts[h].name)"
            case .guest(let g): owner = "owner \(model.guests[g].name)"
            }
            if model.regionDecls[region.decl].perGuest { owner += " (per guest)" }
            if region.uncached { owner += ", uncached" }
            rows.append(.item(region.name, owner))
        }

        func declName(_ d: Int) -> String { model.tableDecls[d].perGuest ? model.tableDecls[d].name + "[*]" : model.tableDecls[d].name }
        let startDecls = Set(model.threads.indices.map { model.startTableDecl(thread: $0) })
        if model.tableDecls.isEmpty {
            rows.append(.heading("tables (every thread starts in none)"))
        } else if startDecls.count <= 1 {
            rows.append(.heading("tables (every thread starts in \(declName(startDecls.first ?? 0)))"))
        } else {
            let each = model.threads.indices.map { "\(model.threads[$0].name) in \(declName(model.startTableDecl(thread: $0)))" }
            rows.append(.heading("tables (threads start: \(each.joined(separator: ", ")))"))
        }
        let tableOwner = GuestSymmetry.copyOwners(model).tables
        for (t, table) in model.tables.enumerated() where !(tableOwner[t].map(hidden.contains) ?? false) {
            let maps = Array(table.maps)
            rows.append(.item(table.name, "maps " + (maps.isEmpty ? "nothing" : regionNames(maps))))
            for (g, guest) in model.guests.enumerated() where !hidden.contains(g) {
                let secret = Array(table.maps.intersection(model.secret(to: g)))
                let like = classOf[g] == nil ? "" : " (and each guest like it)"
                let none = guest.trusted ? "none (trusted)" : "none"
                rows.append(.item("", "secret to \(guest.name)\(like): " + (secret.isEmpty ? none : regionNames(secret))))
            }
        }

        rows.append(.heading("buffers"))
        if model.buffers.isEmpty { rows.append(.item("none", "")) }
        for buffer in model.buffers { rows.append(.item(buffer.name, (buffer.cache ? "cache, " : "") + "fill \(buffer.fill.rawValue)")) }

        rows.append(.heading("hooks"))
        rows.append(contentsOf: blockRows("on vmexit", model.onVMExit, model))
        rows.append(contentsOf: blockRows("on vmentry", model.onVMEntry, model))
        if let fault = model.onFault {
            rows.append(contentsOf: blockRows("on fault", fault, model))
        } else {
            rows.append(.item("on fault", "none: every page fault is a crash"))
        }

        rows.append(.heading("exits"))
        for exit in model.exits {
            if exit.implicit {
                rows.append(.item(exit.name, "(implicit, empty: taken on a pending kick)"))
            } else {
                rows.append(contentsOf: blockRows(exit.name, exit.body, model))
            }
        }

        rows.append(.heading("interrupts"))
        if model.interrupts.isEmpty { rows.append(.item("none", "")) }
        for interrupt in model.interrupts {
            let on = interrupt.threads.map { " on " + $0.map { model.threads[$0].name }.joined(separator: ", ") } ?? ""
            rows.append(contentsOf: blockRows("\(interrupt.kind.rawValue) \(interrupt.name)\(on)", interrupt.body, model))
        }

        rows.append(.blank)
        rows.append(.field("checks", model.checks.map { describe($0, model) }.joined(separator: ", ")))
        rows.append(.field("bound", model.bound.map { String($0.value) } ?? "20 (default)"))
        rows.append(.field("expect", model.expect?.verdict.rawValue ?? "none"))

        var text = layout(rows)
        var legend: [String] = []
        if text.contains("[*]") { legend.append("[*]: the copy of the guest the thread serves") }
        if text.contains("[any]") { legend.append("[any]: any copy of a per-guest table") }
        if !legend.isEmpty { text += "\n" + legend.joined(separator: "; ") + "\n" }
        return text
    }

    // MARK: - Layout

    private enum Row {
        case text(String)
        case blank
        case heading(String)
        /// An indented name and what is said about it, in aligned columns.
        case item(String, String)
        /// A top-level name and its value, aligned with the items.
        case field(String, String)
    }

    private static func layout(_ rows: [Row]) -> String {
        var width = 16
        for row in rows {
            switch row {
            case .item(let name, _): width = max(width, name.count + 4)
            case .field(let name, _): width = max(width, name.count + 2)
            default: break
            }
        }
        var out = ""
        var afterItem = false
        func separate() { if !out.isEmpty && !out.hasSuffix("\n\n") { out += "\n" } }
        for row in rows {
            switch row {
            case .text(let s):
                out += s + "\n"
                afterItem = false
            case .blank:
                separate()
                afterItem = false
            case .heading(let s):
                // Each group of items stands apart from what precedes it.
                separate()
                out += s + "\n"
                afterItem = false
            case .item(let name, let value):
                out += trimmed("  " + name.padding(to: width - 2) + value) + "\n"
                afterItem = true
            case .field(let name, let value):
                if afterItem { separate() }
                out += trimmed(name.padding(to: width) + value) + "\n"
                afterItem = false
            }
        }
        return out
    }

    private static func trimmed(_ s: String) -> String {
        var s = s
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }

    /// One row for a short block, or one row per statement for a long one.
    private static func blockRows(_ name: String, _ block: Model.Block, _ model: Model) -> [Row] {
        let inline = model.text(of: block)
        if inline.count <= maxInlineWidth { return [.item(name, inline)] }
        var rows: [Row] = [.item(name, "{")]
        for s in block.statements { rows.append(.item("", "  " + model.text(of: s.kind))) }
        rows.append(.item("", "}"))
        return rows
    }

    // MARK: - Checks

    private static func describe(_ check: Model.Check, _ model: Model) -> String {
        switch check {
        case .corun: "corun"
        case .residue(let b): "residue \(model.buffers[b].name)"
        case .crash: "crash"
        case .deadlock: "deadlock"
        case .progress: "progress"
        }
    }
}

private extension String {
    /// The string padded with spaces to `width` characters, plus one space if already longer.
    func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
