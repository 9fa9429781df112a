// libFuzzer entry point for proof certificates (built by `Fuzz/build certificate`, run by
// `FUZZ_TARGET=certificate Fuzz/run SECONDS`).
//
// Compiled against the targets LeakEncoding needs, the Z3 layer included (see Fuzz/build),
// which it imports with @testable for their internal API. For every input it:
//   1. reads the bytes as a certificate with CertificateParser, against two sets of state
//      variables: those of Models/asi.leak (what `--certificate` would use for it) and a
//      synthetic one with a 130-bit variable (literals wider than one 64-bit limb);
//   2. for a refused input, checks the rejection: a line and column inside the text, and a
//      non-empty lowercase message;
//   3. for an accepted input, checks the formula's shape (every argument before its use,
//      sorts consistent, a Boolean root, only declared state variables of the right sort),
//      then builds it with CertificateTermBuilder in Z3 and checks that the result is Boolean
//      and mentions only those state variables, and simplifies it.
// A broken contract is a trap (libFuzzer saves the input as a crash), like any crash inside.

@testable import LeakEncoding
@testable import LeakSemantics
@testable import LeakSMT
@testable import LeakSyntax

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(never)
func certificateFuzzFail(_ what: String) -> Never {
    let text = Array("leakcheck certificate fuzz: contract violated: \(what)\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

/// One set of state variables: the parser for it, and the same variables in Z3.
struct CertificateFuzzSignature {
    let parser: CertificateParser
    let exprs: [String: Z3Expr]
}

/// The fuzzing context and its signatures, made once (the same context for every input, as a
/// long `leakcheck check` run uses one per model).
nonisolated(unsafe) let certificateFuzzSetup: (context: Z3Context, signatures: [CertificateFuzzSignature]) = {
    do {
        let ctx = try Z3Context()
        // Fuzz/CertificateFuzzTarget.swift -> the repository's Models/asi.leak.
        var root = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).dropLast(2).joined(separator: "/")
        if root.isEmpty { root = "." }
        let loaded = Frontend.load(path: root + "/Models/asi.leak")
        guard let model = loaded.model else { certificateFuzzFail("cannot load \(root)/Models/asi.leak") }
        let frame = try InductionFrame(model: model, program: Program(model), context: ctx)
        let asi = try CertificateTermBuilder.signature(of: frame.vars)
        let wide: [String: Z3Expr] = [
            "w@0": try ctx.bitVectorConstant("w@0", width: 130),
            "x@0": try ctx.bitVectorConstant("x@0", width: 3),
            "b@0": try ctx.boolConstant("b@0"),
        ]
        return (ctx, [
            CertificateFuzzSignature(parser: CertificateParser(variables: asi.sorts), exprs: asi.exprs),
            CertificateFuzzSignature(parser: CertificateParser(variables: ["w@0": .bitVector(width: 130), "x@0": .bitVector(width: 3), "b@0": .bool]),
                                     exprs: wide),
        ])
    } catch {
        certificateFuzzFail("set-up: \(error)")
    }
}()

func certificateFuzzOne(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    let utf8 = Array(text.utf8)
    let lines = utf8.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    let (ctx, signatures) = certificateFuzzSetup
    for signature in signatures {
        switch signature.parser.parse(text) {
        case .failure(let rejection):
            let p = rejection.position
            if p.line < 1 || p.line > lines || p.column < 1 || p.column > utf8.count + 1 {
                certificateFuzzFail("rejection at \(p), outside a text of \(lines) lines and \(utf8.count) bytes")
            }
            guard let first = rejection.message.first else { certificateFuzzFail("an empty rejection message") }
            if first.isUppercase { certificateFuzzFail("a rejection message that is not lowercase: \(rejection.message)") }
        case .success(let formula):
            check(formula, signature)
            do {
                let built = try CertificateTermBuilder(context: ctx, variables: signature.exprs).build(formula)
                guard built.isBool else { certificateFuzzFail("the built formula is not Boolean: \(built)") }
                let known = Set(signature.exprs.values)
                let (constants, others) = try ctx.symbols(of: built)
                if let stranger = constants.first(where: { !known.contains($0) }) {
                    certificateFuzzFail("the built formula mentions \(stranger)")
                }
                if let other = others.first { certificateFuzzFail("the built formula contains \(other)") }
                _ = try ctx.simplify(built)
            } catch {
                certificateFuzzFail("an accepted certificate does not build: \(error)")
            }
        }
    }
}

/// The shape an accepted formula must have.
private func check(_ f: CertificateFormula, _ signature: CertificateFuzzSignature) {
    if f.nodes.count != f.sorts.count { certificateFuzzFail("\(f.nodes.count) nodes but \(f.sorts.count) sorts") }
    if !f.nodes.indices.contains(f.root) || f.sorts[f.root] != .bool { certificateFuzzFail("the root is not a Boolean node") }
    if f.nodes.count > CertificateParser.maxBytes { certificateFuzzFail("more nodes than bytes") }
    for d in f.declarations where signature.parser.variables[d.name] != d.sort {
        certificateFuzzFail("declared \(d.name) with sort \(d.sort)")
    }
    for (i, node) in f.nodes.enumerated() {
        switch node {
        case .variable(let name):
            if signature.parser.variables[name] != f.sorts[i] { certificateFuzzFail("variable \(name) with sort \(f.sorts[i])") }
            if !f.declarations.contains(where: { $0.name == name }) { certificateFuzzFail("undeclared variable \(name)") }
        case .bool:
            if f.sorts[i] != .bool { certificateFuzzFail("a Boolean literal of sort \(f.sorts[i])") }
        case .bitVector(let limbs, let width):
            if f.sorts[i] != .bitVector(width: width) || limbs.count != (width + 63) / 64 {
                certificateFuzzFail("a \(width)-bit literal with \(limbs.count) limbs and sort \(f.sorts[i])")
            }
            if width % 64 != 0, let top = limbs.last, top >> UInt64(width % 64) != 0 {
                certificateFuzzFail("a \(width)-bit literal with bits above its width")
            }
        case .apply(_, let arguments):
            if arguments.isEmpty || arguments.contains(where: { $0 < 0 || $0 >= i }) {
                certificateFuzzFail("node \(i) has arguments \(arguments)")
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    certificateFuzzOne(bytes)
    return 0
}
