import Benchmark
import Foundation
import LeakModel

/// One search per iteration: a shipped model checked by one engine, loaded before measuring.
///
/// The models and engines are those of docs/PERFORMANCE.md: the explicit engine on a proof
/// and on findings, bounded model checking on findings, and Spacer's proof (after a one-step
/// bounded search) on the safe models.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 20
    )
    let cases: [(engine: Checker.Engine, bound: Int?, models: [String])] = [
        (.explicit, nil, ["asi", "asi-kick", "asi-release-early", "two-guests"]),
        (.bmc, nil, ["asi-kick", "asi-release-early", "two-guests"]),
        (.spacer, 1, ["asi", "nosmt-flush"]),
    ]
    for (engine, bound, models) in cases {
        for name in models {
            Benchmark("\(engine.rawValue) \(name)") { benchmark in
                let model = try ShippedModel.load(name)
                let checker = Checker(options: .init(bound: bound, engine: engine))
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(try checker.check(model))
                }
            }
        }
    }
}

/// The models in the repository's Models/ folder, found from this file's path.
enum ShippedModel {
    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    /// `Models/NAME.leak`, resolved; throws with the diagnostics when it does not load.
    static func load(_ name: String) throws -> Model {
        // Benchmarks/InProcess/Benchmarks/Engines/Engines.swift: five levels below the root.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { root = root.deletingLastPathComponent() }
        let path = root.appendingPathComponent("Models/\(name).leak").path
        let result = Frontend.load(path: path)
        guard let model = result.model else {
            throw LoadError(description: "\(path): \(result.diagnostics.map(\.message).joined(separator: "; "))")
        }
        return model
    }
}
