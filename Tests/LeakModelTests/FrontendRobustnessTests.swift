import Foundation
import Testing
@testable import LeakModel
@testable import LeakSyntax
@testable import LeakSemantics
@testable import LeakReport

/// The frontend never crashes or hangs, whatever it is given: empty, binary, invalid UTF-8,
/// huge, deeply nested, truncated or mutated input, a missing file, a directory.
@Suite(.serialized) struct FrontendRobustnessTests {
    static let designExample: [UInt8] = (try? GoldenSupport.bytes("models", "design-example.leak")) ?? []

    /// A deterministic pseudo-random generator (xorshift64*), so failures reproduce.
    struct Xorshift: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
    }

    static func load(_ bytes: [UInt8], path: String = "input.leak") -> FrontendResult {
        Frontend.load(file: SourceFile(path: path, bytes: bytes))
    }

    /// The invariants every result must keep.
    static func checkInvariants(_ r: FrontendResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect((r.model == nil) == r.hasErrors, sourceLocation: sourceLocation)
        #expect(r.diagnostics.filter { $0.severity == .error }.count <= 100, sourceLocation: sourceLocation)
        #expect(r.diagnostics.filter { $0.severity == .warning }.count <= 100, sourceLocation: sourceLocation)
        if let file = r.file {
            for d in r.diagnostics {
                #expect(d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= file.bytes.count,
                        "span out of the file: \(d)", sourceLocation: sourceLocation)
            }
            // Rendering must work too (and stay proportionate: long lines are windowed).
            let text = DiagnosticRenderer(file: file).render(r.diagnostics)
            #expect(text.utf8.count < 400 * (r.diagnostics.count + 1) * 4, sourceLocation: sourceLocation)
        }
    }

    @Test func emptyFile() {
        let r = Self.load([])
        #expect(r.model == nil)
        #expect(r.diagnostics.map(\.code) == ["E022", "E022", "E022", "E023"])
        #expect(r.diagnostics.map(\.message) == ["model declares no core", "model declares no guest",
                                                 "model declares no table", "model has no check"])
        Self.checkInvariants(r)
    }

    @Test func binaryFileIsOneError() {
        let elf: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + Array(repeating: 0xAB, count: 5000)
        let r = Self.load(elf)
        #expect(r.diagnostics.map(\.code) == ["E029"])
        #expect(r.diagnostics.first?.span == SourceSpan(start: 7, end: 8))
        Self.checkInvariants(r)
    }

    @Test func randomGarbage() {
        var rng = Xorshift(state: 0x5eed)
        for length in [1, 2, 17, 1000, 100_000] {
            // Bytes 1...255: no NUL, so the lexer (not the binary check) has to cope.
            let bytes = (0..<length).map { _ in UInt8.random(in: 1...255, using: &rng) }
            let r = Self.load(bytes)
            #expect(r.model == nil)
            Self.checkInvariants(r)
        }
    }

    @Test(arguments: Array(0x80...0xFF) + [0xC0, 0xC1, 0xF5])
    func invalidUTF8IsReportedAtTheByte(_ byte: Int) throws {
        // A stray byte in a name, in a comment and in a string of a valid model.
        for (prefix, suffix) in [("region per", "cpu public\n"), ("# comment ", "\n"), ("model \"t", "\"\n")] {
            var bytes = Self.designExample
            let insertAt = bytes.count
            bytes += Array(prefix.utf8) + [UInt8(byte)] + Array(suffix.utf8)
            let r = Self.load(bytes)
            let d = try #require(r.diagnostics.first { $0.code == "E002" }, "no E002 for 0x\(String(byte, radix: 16))")
            #expect(d.span.start == insertAt + prefix.utf8.count)
            #expect(d.message.hasPrefix("invalid UTF-8 byte 0x\(String(byte, radix: 16, uppercase: true))"))
            #expect(r.model == nil)
            Self.checkInvariants(r)
        }
    }

    @Test func validUTF8OutsideNamesIsFine() {
        let text = "# café, 日本語, emoji 🚀\nmodel \"naïve ✓\"\n" + String(decoding: Self.designExample, as: UTF8.self)
            .replacingOccurrences(of: "model \"KVM ASI as proposed in May 2019, both siblings serving vm1\"\n", with: "")
        let r = Self.load(Array(text.utf8))
        #expect(r.diagnostics.isEmpty)
        #expect(r.model?.title == "naïve ✓")
    }

    @Test func overlongAndSurrogateSequencesAreInvalid() {
        for seq: [UInt8] in [[0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF]] {
            let r = Self.load(Array("# x ".utf8) + seq + Array("\n".utf8) + Self.designExample)
            #expect(r.diagnostics.map(\.code) == ["E002"], "\(seq)")
        }
    }

    @Test func everyPrefixOfTheDesignExample() {
        // Truncation anywhere must give errors (or, at a few cut points, a valid model), never a crash.
        for n in 0...Self.designExample.count {
            Self.checkInvariants(Self.load(Array(Self.designExample.prefix(n))))
        }
    }

    @Test func randomMutationsOfTheDesignExample() {
        var rng = Xorshift(state: 42)
        let alphabet = Array("{}();,#\"\n \t-0123456789abcdefghijklmnopqrstuvwxyz_@é".utf8)
        for _ in 0..<1500 {
            var bytes = Self.designExample
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes.remove(at: i)
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: i)
                default: bytes[i] = alphabet.randomElement(using: &rng)!
                }
            }
            Self.checkInvariants(Self.load(bytes))
        }
    }

    // MARK: - Size and depth

    static func timed(_ body: () -> FrontendResult) -> (FrontendResult, Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let r = body()
        return (r, clock.now - start)
    }

    /// Budget for a 10 MB file. A debug build takes about 3 s here (a third of it in
    /// `SourceFile.init`); the limit only catches a hang or a quadratic path, with room for a
    /// loaded machine.
    static let bigFileBudget = Duration.seconds(30)

    @Test(.timeLimit(.minutes(2)))
    func tenMegabytesOfRepeatedModel() {
        let copies = 10_000_000 / Self.designExample.count + 1
        var bytes: [UInt8] = []
        bytes.reserveCapacity(copies * Self.designExample.count)
        for _ in 0..<copies { bytes += Self.designExample }
        let (r, time) = Self.timed { Self.load(bytes) }
        #expect(time < Self.bigFileBudget, "took \(time)")
        #expect(r.model == nil)
        #expect(r.diagnostics.filter { $0.severity == .error }.count == 100)
        #expect(r.diagnostics.contains { $0.severity == .note && $0.message == "too many errors; stopped after the first 100" })
        Self.checkInvariants(r)
    }

    @Test(.timeLimit(.minutes(2)))
    func tenMegabytesOfGarbage() {
        var rng = Xorshift(state: 7)
        let bytes = (0..<10_000_000).map { _ in UInt8.random(in: 1...255, using: &rng) }
        let (r, time) = Self.timed { Self.load(bytes) }
        #expect(time < Self.bigFileBudget, "took \(time)")
        #expect(r.model == nil)
        #expect(r.diagnostics.last?.message == "too many errors; stopped after the first 100")
        Self.checkInvariants(r)
    }

    @Test(.timeLimit(.minutes(2)))
    func oneHugeLine() {
        // 5 MB on one line: one statement list, windowed rendering.
        let body = String(repeating: "touch nowhere; ", count: 330_000)
        let text = "core c0 { t0 }\nguest vm1\ntable kernel maps all\nrun vm1 on t0\ncheck corun\nexit x { \(body)}\n"
        let (r, time) = Self.timed { Self.load(Array(text.utf8)) }
        #expect(time < Self.bigFileBudget, "took \(time)")
        #expect(r.diagnostics.filter { $0.severity == .error }.count == 100)
        let rendered = DiagnosticRenderer(file: r.file).render(r.diagnostics)
        #expect(rendered.utf8.count < 100_000)
        Self.checkInvariants(r)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [true, false])
    func tenThousandNestedEithers(balanced: Bool) {
        var text = "core c0 { t0 }\nguest vm1\nregion r public\ntable kernel maps all\nrun vm1 on t0\ncheck corun\nexit deep {\n"
        text += String(repeating: "either {\n", count: 10_000)
        if balanced { text += String(repeating: "} or { touch r }\n", count: 10_000) + "}\n" }
        let (r, time) = Self.timed { Self.load(Array(text.utf8)) }
        #expect(time < .seconds(10), "took \(time)")
        #expect(r.model == nil)
        let codes = r.diagnostics.map(\.code)
        #expect(codes.first == "E008")
        #expect(codes.filter { $0 == "E008" }.count == 1)
        // Unbalanced: the one block left open at end of file is reported once, nothing more.
        #expect(codes.count == (balanced ? 1 : 2))
        Self.checkInvariants(r)
    }

    static func nested(_ depth: Int) -> [UInt8] {
        var text = "core c0 { t0 }\nguest vm1\nregion r public\ntable kernel maps all\nrun vm1 on t0\ncheck corun\nexit deep {\n"
        text += String(repeating: "either {\n", count: depth) + String(repeating: "} or { touch r }\n", count: depth) + "}\n"
        return Array(text.utf8)
    }

    @Test func nestingUpToTheLimitIsAccepted() {
        // The exit's block is level 1, so 63 nested eithers reach exactly the limit of 64.
        let r = Self.load(Self.nested(Parser.maxDepth - 1))
        #expect(r.diagnostics.isEmpty)
        #expect(r.model != nil)
        #expect(Self.load(Self.nested(Parser.maxDepth)).diagnostics.map(\.code) == ["E008"])
    }

    @Test func manyBlankLinesBeforeOr() {
        // Lookahead past blank lines must stay linear.
        let text = "core c0 { t0 }\nguest vm1\nregion r public\ntable kernel maps all\nrun vm1 on t0\ncheck corun\n"
            + "exit x { either { touch r }" + String(repeating: "\n", count: 200_000) + "or { } }\n"
        let (r, time) = Self.timed { Self.load(Array(text.utf8)) }
        #expect(time < .seconds(10))
        #expect(r.diagnostics.isEmpty)
    }

    // MARK: - Files

    @Test func missingFile() {
        let path = NSTemporaryDirectory() + "/leakcheck-no-such-file-\(UUID().uuidString).leak"
        let r = Frontend.load(path: path)
        #expect(r.file == nil)
        #expect(r.model == nil)
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.code == "E001")
        #expect(r.diagnostics.first?.message == "cannot read '\(path)': no such file or directory")
        let rendered = DiagnosticRenderer(file: nil).render(r.diagnostics)
        #expect(rendered == "leakcheck: error[E001]: cannot read '\(path)': no such file or directory\n")
    }

    @Test func directoryGivenAsFile() {
        let dir = NSTemporaryDirectory()
        let r = Frontend.load(path: dir)
        #expect(r.file == nil)
        #expect(r.diagnostics.map(\.code) == ["E001"])
        #expect(r.diagnostics.first?.message == "cannot read '\(dir)': is a directory")
    }

    @Test func readsARealFile() throws {
        let path = NSTemporaryDirectory() + "/leakcheck-\(UUID().uuidString).leak"
        try Data(Self.designExample).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = Frontend.load(path: path)
        #expect(r.file?.path == path)
        #expect(r.file?.bytes == Self.designExample)
        #expect(r.model != nil)
        #expect(r.diagnostics.isEmpty)
    }

    @Test func unreadableFile() throws {
        guard getuid() != 0 else { return }  // root reads anything
        let path = NSTemporaryDirectory() + "/leakcheck-\(UUID().uuidString).leak"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(Self.designExample), attributes: [.posixPermissions: 0]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = Frontend.load(path: path)
        #expect(r.diagnostics.first?.message == "cannot read '\(path)': permission denied")
    }
}
