// swift-tools-version: 6.1
// In-process engine benchmarks (ordo-one/package-benchmark): wall clock, CPU time and mallocs
// per search, for the explicit engine, bounded model checking and the Spacer proof engine on
// shipped models. A package of its own, so that `swift build` and `swift test` at the
// repository root never build it (docs/PERFORMANCE.md):
//
//     cd Benchmarks/InProcess && swift package benchmark
import PackageDescription

let package = Package(
    name: "LeakcheckBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "leakcheck", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Engines",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LeakModel", package: "leakcheck"),
            ],
            path: "Benchmarks/Engines",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
