// A small synchronous driver for the SMT layer, to run under valgrind (valgrind 3.19 crashes on
// Swift binaries with an async main, so this cannot be the test runner). Built by
// .ci/valgrind-smt straight from Sources/LeakModel/SMT with swiftc.
// Exits 1 if an answer is wrong or a wrapper handle is still alive at the end.

#if canImport(Glibc)
import Glibc
#endif

var failures = 0
@MainActor func check(_ condition: Bool, _ what: String) {
    if !condition {
        print("FAIL: \(what)")
        failures += 1
    }
}

@MainActor func run() throws {
    let ctx = try Z3Context()
    let x = try ctx.bitVectorConstant("t0.pc@3", width: 8)
    let p = try ctx.boolConstant("p")
    let solver = try Z3Solver(ctx)
    try solver.assert(ctx.eq(ctx.extract(x, high: 7, low: 4), ctx.bitVector(1, width: 4)))
    try solver.assert(ctx.iff(p, ctx.bvUlt(x, ctx.bitVector(0x12, width: 8))))
    try solver.assert(ctx.eq(ctx.bvAnd(x, ctx.bitVector(0x0F, width: 8)), ctx.bitVector(3, width: 8)))
    check(try solver.check() == .sat, "sat")
    let model = try solver.model()
    check(try model.uint(x) == 0x13, "x = 0x13")
    check(try model.bool(p) == false, "p = false")

    try solver.push()
    try solver.assert(p)
    check(try solver.check() == .unsat, "unsat after push")
    try solver.pop()
    check(try solver.check() == .sat, "sat after pop")

    let a = try ctx.boolConstant("a")
    try solver.assert(ctx.implies(a, ctx.eq(x, ctx.bitVector(0, width: 8))))
    check(try solver.check(assumptions: [a]) == .unsat, "unsat under assumption")
    check(try solver.unsatCore() == [a], "core = [a]")

    var errors = 0
    do { _ = try ctx.and([x, p]) } catch { errors += 1 }
    do { _ = try ctx.eq(p, x) } catch { errors += 1 }
    do { _ = try Z3Solver(ctx).model() } catch { errors += 1 }
    check(errors == 3, "three Z3 errors thrown")

    let hard = try Z3Solver(ctx)
    let u = try ctx.bitVectorConstant("u", width: 32)
    let v = try ctx.bitVectorConstant("v", width: 32)
    try hard.assert(ctx.eq(ctx.bvMul(ctx.zeroExtend(u, by: 32), ctx.zeroExtend(v, by: 32)),
                           ctx.bitVector(18_446_743_979_220_271_189, width: 64)))
    try hard.assert(ctx.bvUlt(ctx.bitVector(1, width: 32), u))
    try hard.assert(ctx.bvUlt(ctx.bitVector(1, width: 32), v))
    try hard.setTimeout(milliseconds: 50)
    check(try hard.check() == .unknown(reason: "timeout"), "timeout")
    check(ctx.liveHandles > 0, "handles counted")
}

// SMT_DRIVER_ROUNDS=n repeats the work: memory still held at exit must not grow with n.
let rounds = getenv("SMT_DRIVER_ROUNDS").flatMap { Int(String(cString: $0)) } ?? 1
do {
    for _ in 0..<max(rounds, 1) { try run() }
} catch {
    print("FAIL: unexpected error \(error)")
    failures += 1
}
check(Z3Handles.live == 0, "all handles released (live = \(Z3Handles.live))")
print(failures == 0 ? "valgrind driver: OK" : "valgrind driver: \(failures) failure(s)")
exit(failures == 0 ? 0 : 1)
