// swift-tools-version: 6.0
import PackageDescription

// One target per stage of the pipeline, so that the compiler enforces its arrows
// (docs/ARCHITECTURE.md). Every stage keeps its folder under Sources/LeakModel/.
// Z3-free: LeakSyntax, LeakSemantics, LeakSteps, LeakTrace, LeakExplicit, LeakExport and
// LeakReport (Fuzz/build compiles exactly these, LeakReport without the files that need
// swift-crypto). Only LeakSMT links CZ3.
let package = Package(
    name: "leakcheck",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "leakcheck", targets: ["leakcheck"]),
        .library(name: "LeakModel", targets: ["LeakModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CZ3",
            pkgConfig: "z3",
            providers: [.apt(["libz3-dev"])]
        ),
        // Lexer, parser, diagnostics, source files.
        .target(name: "LeakSyntax", path: "Sources/LeakModel/Syntax"),
        // The resolved model, the program it lowers to, the state of a run, invariants.
        .target(name: "LeakSemantics", dependencies: ["LeakSyntax"], path: "Sources/LeakModel/Semantics"),
        // The step rules as guarded commands over the declared state variables.
        .target(name: "LeakSteps", dependencies: ["LeakSemantics"], path: "Sources/LeakModel/Steps"),
        // What a check is asked and gives: Trace, Outcome, Coverage, Checker's options and report.
        .target(name: "LeakTrace", dependencies: ["LeakSemantics"], path: "Sources/LeakModel/Trace"),
        // The reference interpreter and the explicit-state engine.
        .target(name: "LeakExplicit", dependencies: ["LeakTrace"], path: "Sources/LeakModel/Explicit"),
        // The safe Swift layer over Z3's C API: the only target that imports CZ3.
        .target(name: "LeakSMT", dependencies: ["CZ3"], path: "Sources/LeakModel/SMT"),
        // The model as Z3 formulas: BMC, k-induction, Spacer, certificates, SMT-LIB export.
        .target(name: "LeakEncoding", dependencies: ["LeakSMT", "LeakSteps", "LeakExplicit"],
                path: "Sources/LeakModel/Encoding"),
        // The driver: which engine, which bound, which verdict; explain, generate.
        .target(name: "LeakEngines", dependencies: ["LeakEncoding", "LeakSMT", "LeakExplicit", "LeakTrace"],
                path: "Sources/LeakModel/Check"),
        // The semantics for SPIN (Promela): Z3-free.
        .target(name: "LeakExport", dependencies: ["LeakSteps"], path: "Sources/LeakModel/Export"),
        // Text, JSON, SARIF, JUnit, HTML, certificates: Z3-free.
        // SHA-256 of the checked file by apple/swift-crypto (Report/ContentHash.swift).
        .target(name: "LeakReport",
                dependencies: ["LeakTrace", .product(name: "Crypto", package: "swift-crypto")],
                path: "Sources/LeakModel/Report"),
        // The library product: re-exports every stage but LeakSMT (Sources/LeakModel/LeakModel.swift).
        .target(
            name: "LeakModel",
            dependencies: ["LeakSyntax", "LeakSemantics", "LeakSteps", "LeakTrace", "LeakExplicit",
                           "LeakEncoding", "LeakEngines", "LeakExport", "LeakReport"],
            path: "Sources/LeakModel",
            exclude: ["Syntax", "Semantics", "Steps", "Trace", "Explicit", "SMT", "Encoding", "Check",
                      "Export", "Report"],
            sources: ["LeakModel.swift"]
        ),
        .executableTarget(
            name: "leakcheck",
            dependencies: [
                "LeakModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "LeakModelTests",
            dependencies: ["LeakModel", "LeakSyntax", "LeakSemantics", "LeakSteps", "LeakTrace", "LeakExplicit",
                           "LeakSMT", "LeakEncoding", "LeakEngines", "LeakExport", "LeakReport"],
            resources: [.copy("Golden")]
        ),
        .testTarget(
            name: "leakcheckTests",
            dependencies: ["leakcheck"]
        ),
    ]
)
