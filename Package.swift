// swift-tools-version:6.0
import PackageDescription

// Module arrows point one way (see README "Layout"):
// Deterministic ← Training ← NeuroShardCore ← Scenario ← Simulator ← neuroshard (CLI)
// COpenBLAS ← TensorMath ← NeuroLLM (the transformer) ← Scenario, Simulator
// Deterministic ← Language (tokenizer, genesis data, decoding) ← NeuroLLM
// NeuroShardCore ← Server (the production shell: Hummingbird) ← neuroshard (CLI)
let package = Package(
    name: "NeuroShard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "neuroshard", targets: ["NeuroShardCLI"]),
        .executable(name: "neuroshard-bench", targets: ["NeuroShardBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        .target(name: "Deterministic"),
        .systemLibrary(name: "COpenBLAS"),
        .target(name: "TensorMath", dependencies: ["COpenBLAS"]),
        .target(name: "Training", dependencies: ["Deterministic"]),
        .target(name: "Language", dependencies: ["Deterministic"]),
        .target(name: "NeuroLLM", dependencies: ["Deterministic", "TensorMath", "Training", "Language"]),
        .target(name: "NeuroShardCore", dependencies: ["Deterministic", "Training"]),
        .target(name: "Scenario", dependencies: ["NeuroShardCore", "NeuroLLM", .product(name: "Yams", package: "Yams")]),
        .target(name: "Simulator", dependencies: ["Deterministic", "Training", "NeuroShardCore", "Scenario", "NeuroLLM", "Language", "TensorMath"]),
        .target(name: "Server", dependencies: [
            "Deterministic", "NeuroShardCore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .executableTarget(name: "NeuroShardCLI", dependencies: [
            "Simulator", "Scenario", "Training", "Server", "TensorMath", "NeuroLLM",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "NeuroShardBench", dependencies: [
            "Simulator", "Deterministic", "TensorMath", "NeuroLLM", "Server", "NeuroShardCore", "Training",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "DeterministicTests", dependencies: ["Deterministic"]),
        .testTarget(name: "TensorMathTests", dependencies: ["TensorMath", "Deterministic"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training"]),
        .testTarget(name: "LanguageTests", dependencies: ["Language", "Deterministic"]),
        .testTarget(name: "NeuroLLMTests", dependencies: ["NeuroLLM", "Language", "Training", "TensorMath", "Deterministic"]),
        .testTarget(name: "NeuroShardCoreTests", dependencies: ["NeuroShardCore", "NeuroLLM"]),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Scenario"]),
        // Runs the built `neuroshard` binary as a user would (exit codes, files written).
        .testTarget(name: "CLITests", dependencies: ["NeuroShardCLI", "Server", "NeuroShardCore", "Training"]),
    ]
)
