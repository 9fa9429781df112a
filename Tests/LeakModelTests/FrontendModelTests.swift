import Foundation
import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics
@testable import LeakReport

/// What the resolver makes of correct models: the DESIGN.md section 4 example (copied verbatim
/// into Golden/models/design-example.leak) and a two-guest variant.
@Suite struct FrontendModelTests {
    static func load(_ name: String) throws -> Model {
        let bytes = try GoldenSupport.bytes("models", name)
        let result = Frontend.load(file: SourceFile(path: name, bytes: bytes))
        #expect(result.diagnostics.isEmpty, "\(DiagnosticRenderer(file: result.file).render(result.diagnostics))")
        return try #require(result.model)
    }

    static func load(text: String) -> FrontendResult {
        Frontend.load(file: SourceFile(path: "test.leak", text: text))
    }

    /// The set of region names of a table.
    static func names(_ set: RegionSet, _ model: Model) -> [String] { set.map { model.regions[$0].name } }

    @Test func designExampleIsTheOneInDesignMD() throws {
        // The contract example must be copied verbatim; catch an accidental edit of either copy.
        // The contract lives in ../shared/ beside the project, on every developer's machine and in
        // CI alike: a missing copy is a failure, never a silent pass.
        let design = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/DESIGN.md")
        let text = try #require(try? String(contentsOf: design, encoding: .utf8),
                                "DESIGN.md is not at \(design.path): the project expects ../shared/ beside it")
        let copy = String(decoding: try GoldenSupport.bytes("models", "design-example.leak"), as: UTF8.self)
        #expect(text.contains("```\n" + copy + "```"))
    }

    @Test func designExampleEntities() throws {
        let m = try Self.load("design-example.leak")
        #expect(m.title == "KVM ASI as proposed in May 2019, both siblings serving vm1")
        #expect(m.cores.map(\.name) == ["c0"])
        #expect(m.cores[0].threads == [0, 1])
        #expect(m.threads.map(\.name) == ["t0", "t1"])
        #expect(m.threads.map(\.core) == [0, 0])
        #expect(m.threads.map(\.guests) == [[0], [0]])
        #expect(m.hosts.map(\.name) == ["host"])
        #expect(m.guests.map(\.name) == ["vm1"])

        #expect(m.regionDecls.map(\.name) == ["kvm_text", "host_heap", "percpu", "vcpu_state", "guest_mem"])
        #expect(m.regionDecls.map(\.perGuest) == [false, false, false, true, true])
        #expect(m.regionDecls.map(\.copies) == [[0], [1], [2], [3], [4]])
        #expect(m.regions.map(\.name) == ["kvm_text", "host_heap", "percpu", "vcpu_state[vm1]", "guest_mem[vm1]"])
        #expect(m.regions.map(\.owner) == [.public, .host(0), .host(0), .guest(0), .guest(0)])
        #expect(m.regions.map(\.decl) == [0, 1, 2, 3, 4])

        #expect(m.tableDecls.map(\.name) == ["kernel", "restricted"])
        #expect(m.tableDecls.map(\.perGuest) == [false, true])
        #expect(m.tables.map(\.name) == ["kernel", "restricted[vm1]"])
        #expect(Self.names(m.tables[0].maps, m) == ["kvm_text", "host_heap", "percpu", "vcpu_state[vm1]", "guest_mem[vm1]"])
        #expect(Self.names(m.tables[1].maps, m) == ["kvm_text", "vcpu_state[vm1]"])
        #expect(m.tables[1].maps.intersection(m.secret(to: 0)).isEmpty)
        #expect(Self.names(m.tables[0].maps.intersection(m.secret(to: 0)), m) == ["host_heap", "percpu"])
        #expect(m.initialTable(thread: 0, servingGuest: 0) == 0)

        #expect(m.buffers.map(\.name) == ["l1d"])
        #expect(m.buffers[0].fill == .mapped)

        #expect(m.exits.map(\.name) == ["cpuid", "ept", "hlt", "kick"])
        #expect(m.exits.map(\.implicit) == [false, false, false, true])
        #expect(m.kickExit == 3)
        #expect(m.exits[3].body == .empty)
        #expect(m.exits[3].span == .none)
        #expect(m.exits[0].body.statements.map(\.kind) == [.touch([.perGuest(decl: 3)])])
        #expect(m.exits[1].body.statements.map { Self.shape($0.kind) } == [.either([
            Model.Block(statements: [Model.Statement(.touch([.perGuest(decl: 3)]), span: .none)], span: .none),
            Model.Block(statements: [Model.Statement(.touch([.region(1)]), span: .none)], span: .none),
        ])])
        #expect(m.exits[2].body.statements.map(\.kind) == [.irqs(on: true), .irqs(on: false)])

        #expect(m.interrupts.count == 1)
        #expect(m.interrupts[0].kind == .nmi)
        #expect(m.interrupts[0].name == "nmi")
        #expect(m.interrupts[0].body.statements.map(\.kind) == [.touch([.region(2)])])

        #expect(m.onVMExit.statements.isEmpty)
        let fault = try #require(m.onFault)
        #expect(fault.statements.map(\.kind) == [.holdSiblings, .wait(.outOfGuest), .switchTable(.table(0))])
        #expect(m.onVMEntry.statements.map(\.kind) == [
            .switchTable(.perGuest(decl: 1)), .wait(.notIn(tableDecl: 0)), .flush(buffer: 0), .releaseSiblings,
        ])

        #expect(m.checks == [.corun, .residue(buffer: 0), .crash])
        #expect(m.bound?.value == 20)
        #expect(m.expect?.verdict == .crash)
    }

    /// A statement kind with every nested span cleared, to compare structure only.
    static func shape(_ kind: Model.Statement.Kind) -> Model.Statement.Kind {
        guard case .either(let branches) = kind else { return kind }
        return .either(branches.map { b in
            Model.Block(statements: b.statements.map { Model.Statement(shape($0.kind), span: .none) }, span: .none)
        })
    }

    @Test func spansPointAtTheSource() throws {
        let m = try Self.load("design-example.leak")
        let f = m.file
        #expect(f.text(of: m.threads[1].span) == "t1")
        #expect(f.text(of: m.regionDecls[3].span) == "vcpu_state")
        #expect(f.text(of: m.tableDecls[1].span) == "restricted")
        #expect(f.text(of: m.exits[1].span) == "ept")
        #expect(f.text(of: m.exits[1].body.span) == "{ either { touch vcpu_state } or { touch host_heap } }")
        #expect(f.text(of: m.exits[1].body.statements[0].span) == "either { touch vcpu_state } or { touch host_heap }")
        #expect(f.text(of: m.onVMEntry.statements[1].span) == "wait until siblings not in kernel")
        #expect(f.text(of: m.bound!.span) == "bound 20")
        #expect(f.text(of: m.expect!.span) == "expect crash")
        #expect(f.text(of: m.interrupts[0].span) == "nmi")
    }

    @Test func twoGuestExpansion() throws {
        let m = try Self.load("two-guests.leak")
        #expect(m.guests.map(\.name) == ["vm1", "vm2"])
        #expect(m.threads.map(\.guests) == [[0], [1]])
        #expect(m.regions.map(\.name) == ["kvm_text", "host_heap", "percpu", "vcpu_state[vm1]", "vcpu_state[vm2]",
                                          "guest_mem[vm1]", "guest_mem[vm2]", "vm2_secret"])
        #expect(m.regions.map(\.owner) == [.public, .host(0), .host(0), .guest(0), .guest(1), .guest(0), .guest(1), .guest(1)])
        #expect(m.regionDecls.map(\.copies) == [[0], [1], [2], [3, 4], [5, 6], [7]])
        #expect(m.tables.map(\.name) == ["kernel", "restricted[vm1]", "restricted[vm2]", "shared"])
        #expect(m.tableDecls.map(\.copies) == [[0], [1, 2], [3]])
        #expect(m.tables.map(\.decl) == [0, 1, 1, 2])
        #expect(Self.names(m.tables[0].maps, m).count == 8)
        #expect(Self.names(m.tables[1].maps, m) == ["kvm_text", "vcpu_state[vm1]"])
        #expect(Self.names(m.tables[2].maps, m) == ["kvm_text", "vcpu_state[vm2]"])
        // A plain table listing a per-guest region maps every copy.
        #expect(Self.names(m.tables[3].maps, m) == ["kvm_text", "guest_mem[vm1]", "guest_mem[vm2]"])
        #expect(Self.names(m.tables[3].maps.intersection(m.secret(to: 0)), m) == ["guest_mem[vm2]"])
        #expect(Self.names(m.tables[2].maps.intersection(m.secret(to: 0)), m) == ["vcpu_state[vm2]"])
        #expect(m.table(.perGuest(decl: 1), servingGuest: 1) == 2)
        #expect(m.region(.perGuest(decl: 3), servingGuest: 1) == 4)
        #expect(m.exits.map(\.name) == ["cpuid", "ept", "hlt", "io", "kick"])
        #expect(m.exits[3].body.statements.map(\.kind) == [.wait(.in(tableDecl: 1))])
        guard case .either(let branches) = m.exits[1].body.statements[0].kind else {
            Issue.record("ept is not an either")
            return
        }
        #expect(branches.count == 3)
        #expect(branches[2].statements.map(\.kind) == [.switchTable(.table(3)), .touch([.perGuest(decl: 4)])])
        #expect(m.interrupts.map(\.kind) == [.nmi, .irq])
        #expect(m.interrupts[1].body.statements.map(\.kind) == [.touch([.region(2), .region(7)])])
        #expect(m.checks == [.corun, .residue(buffer: 0), .crash, .deadlock])
        #expect(m.bound == nil)
        #expect(m.expect?.verdict == .leak)
    }

    @Test func perGuestTableMapsAllMapsEveryCopy() throws {
        let r = Self.load(text: """
            core c0 { t0 t1 }
            guest vm1 vm2
            region r per guest
            table big per guest maps all
            run vm1 on t0; run vm2 on t1
            check corun
            """)
        let m = try #require(r.model)
        #expect(m.tables.map(\.name) == ["big[vm1]", "big[vm2]"])
        #expect(Self.names(m.tables[0].maps, m) == ["r[vm1]", "r[vm2]"])
        #expect(m.initialTable(thread: 0, servingGuest: 1) == 1)
    }

    @Test func declaredKickExitIsUsed() throws {
        let r = Self.load(text: """
            core c0 { t0 t1 }
            guest vm1
            table kernel maps all
            run vm1 on t0, t1
            exit kick { }
            exit cpuid { kick siblings }
            check corun
            """)
        let m = try #require(r.model)
        #expect(r.diagnostics.isEmpty)
        #expect(m.exits.map(\.name) == ["kick", "cpuid"])
        #expect(m.exits.map(\.implicit) == [false, false])
        #expect(m.kickExit == 0)
    }

    @Test func placementAccumulatesAndSorts() throws {
        let r = Self.load(text: """
            core c0 { t0 }
            core c1 { t1, t2 }
            guest vm1, vm2
            guest vm3
            table kernel maps all
            run vm3 on t0
            run vm1, vm2 on t0, t1
            run vm2 on t2
            check corun; check deadlock
            """)
        let m = try #require(r.model)
        #expect(m.threads.map(\.name) == ["t0", "t1", "t2"])
        #expect(m.threads.map(\.core) == [0, 1, 1])
        #expect(m.threads.map(\.guests) == [[0, 1, 2], [0, 1], [1]])
        #expect(m.cores.map(\.threads) == [[0], [1, 2]])
        #expect(m.checks == [.corun, .deadlock])
    }

    @Test func separatorsAndLayout() throws {
        // Semicolons, braces on the next line, 'or' on the next line, commas or blanks, CRLF.
        let text = "model \"layout\"; core c0\r\n{\r\n  t0,\r\n  t1\r\n}\r\nguest vm1\r\n"
            + "region a public; region b owner vm1\r\ntable kernel maps a,\r\n  b\r\nrun vm1 on t0 t1\r\n"
            + "exit x\r\n{\r\n  either { touch a }\r\n  or { touch b }\r\n  or { }\r\n}\r\n"
            + "on vmexit {}\r\ncheck corun\r\n"
        let r = Self.load(text: text)
        #expect(r.diagnostics.isEmpty, "\(DiagnosticRenderer(file: r.file).render(r.diagnostics))")
        let m = try #require(r.model)
        #expect(m.threads.map(\.name) == ["t0", "t1"])
        guard case .either(let branches)? = m.exits.first?.body.statements.first?.kind else {
            Issue.record("no either")
            return
        }
        #expect(branches.count == 3)
        #expect(branches[2].statements.isEmpty)
    }

    @Test func keywordsAreContextual() throws {
        // Names that spell keywords are fine where a name is expected.
        let r = Self.load(text: """
            core core { on off }
            host host
            guest guest
            region touch owner host
            region public public
            table table maps touch, public
            buffer fill fill touched
            run guest on on, off
            exit exit { touch touch; flush fill; switch table }
            interrupt irq interrupt { touch public }
            check residue fill
            """)
        #expect(r.diagnostics.isEmpty, "\(DiagnosticRenderer(file: r.file).render(r.diagnostics))")
        #expect(r.model?.threads.map(\.name) == ["on", "off"])
    }

    @Test func unknownHookBodyIsStillResolved() {
        let r = Self.load(text: "core c0 { t0 }\nguest vm1\ntable kernel maps all\nrun vm1 on t0\non vmexi { touch nowhere }\ncheck corun\n")
        #expect(r.diagnostics.map(\.code) == ["E009", "E010"])
        #expect(r.model == nil)
    }
}
