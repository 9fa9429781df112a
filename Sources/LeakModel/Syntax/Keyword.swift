#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The words the grammar gives a meaning to in some position.
///
/// Keywords are contextual: the lexer tags an identifier with the keyword it spells, and the
/// parser decides by position whether it is one (`host host` declares a host named `host`).
/// Tagging once in the lexer keeps the parser free of string comparisons, which matters for
/// huge inputs in debug builds.
enum Keyword: String, Sendable, CaseIterable {
    // Declarations.
    case model, core, host, guest, trusted, attack, sched, region, table, buffer, flag, run, start, on, exit, interrupt, check, bound, expect
    // Statements.
    case touch, `switch`, kick, hold, release, wait, flush, irqs, `set`, clear, either, `if`, `else`, idle
    // Other words.
    case or, `public`, owner, per, maps, all, fill, siblings, until, out, of, not, `in`, off, thread, reads, uncached, cache

    /// True for the words that start a declaration.
    var startsDeclaration: Bool {
        switch self {
        case .model, .core, .host, .guest, .trusted, .attack, .sched, .region, .table, .buffer, .flag, .run, .start,
             .on, .exit, .interrupt, .check, .bound, .expect: true
        default: false
        }
    }

    /// True for the words that start a statement.
    var startsStatement: Bool {
        switch self {
        case .touch, .switch, .kick, .hold, .release, .wait, .flush, .irqs, .set, .clear, .either, .if, .idle: true
        default: false
        }
    }

    /// The keyword the `length` bytes at `p` spell, if any.
    static func classify(_ p: UnsafePointer<UInt8>, length n: Int) -> Keyword? {
        func eq(_ s: StaticString) -> Bool {
            s.utf8CodeUnitCount == n && memcmp(p, s.utf8Start, n) == 0
        }
        switch p[0] {
        case 0x61: // a
            if eq("all") { return .all }
            if eq("attack") { return .attack }
        case 0x62: // b
            if eq("buffer") { return .buffer }
            if eq("bound") { return .bound }
        case 0x63: // c
            if eq("core") { return .core }
            if eq("check") { return .check }
            if eq("clear") { return .clear }
            if eq("cache") { return .cache }
        case 0x65: // e
            if eq("exit") { return .exit }
            if eq("expect") { return .expect }
            if eq("either") { return .either }
            if eq("else") { return .else }
        case 0x66: // f
            if eq("flush") { return .flush }
            if eq("fill") { return .fill }
            if eq("flag") { return .flag }
        case 0x67: // g
            if eq("guest") { return .guest }
        case 0x68: // h
            if eq("host") { return .host }
            if eq("hold") { return .hold }
        case 0x69: // i
            if eq("in") { return .in }
            if eq("idle") { return .idle }
            if eq("if") { return .if }
            if eq("interrupt") { return .interrupt }
            if eq("irqs") { return .irqs }
        case 0x6B: // k
            if eq("kick") { return .kick }
        case 0x6D: // m
            if eq("model") { return .model }
            if eq("maps") { return .maps }
        case 0x6E: // n
            if eq("not") { return .not }
        case 0x6F: // o
            if eq("on") { return .on }
            if eq("or") { return .or }
            if eq("of") { return .of }
            if eq("off") { return .off }
            if eq("out") { return .out }
            if eq("owner") { return .owner }
        case 0x70: // p
            if eq("per") { return .per }
            if eq("public") { return .public }
        case 0x72: // r
            if eq("region") { return .region }
            if eq("run") { return .run }
            if eq("release") { return .release }
            if eq("reads") { return .reads }
        case 0x73: // s
            if eq("switch") { return .switch }
            if eq("siblings") { return .siblings }
            if eq("set") { return .set }
            if eq("start") { return .start }
            if eq("sched") { return .sched }
        case 0x74: // t
            if eq("table") { return .table }
            if eq("touch") { return .touch }
            if eq("thread") { return .thread }
            if eq("trusted") { return .trusted }
        case 0x75: // u
            if eq("until") { return .until }
            if eq("uncached") { return .uncached }
        case 0x77: // w
            if eq("wait") { return .wait }
        default:
            break
        }
        return nil
    }
}
