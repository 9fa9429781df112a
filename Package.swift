// swift-tools-version: 6.0
import PackageDescription

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
        .target(
            name: "LeakModel",
            dependencies: ["CZ3", .product(name: "Crypto", package: "swift-crypto")]
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
            dependencies: ["LeakModel"],
            resources: [.copy("Golden")]
        ),
        .testTarget(
            name: "leakcheckTests",
            dependencies: ["leakcheck"]
        ),
    ]
)
