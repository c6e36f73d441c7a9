// swift-tools-version:6.0
import PackageDescription

// Module arrows point one way (see README "Layout"):
// Deterministic ← Training ← NeuroShardCore ← Scenario ← Simulator ← neuroshard (CLI)
// COpenBLAS ← TensorMath ← NeuroLLM (the transformer) ← Scenario, Simulator
// Deterministic ← Language (tokenizer, genesis data, decoding) ← NeuroLLM
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
        .executableTarget(name: "NeuroShardCLI", dependencies: [
            "Simulator", "Scenario", "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "NeuroShardBench", dependencies: [
            "Simulator", "Deterministic", "TensorMath", "NeuroLLM",
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
        .testTarget(name: "CLITests", dependencies: ["NeuroShardCLI"]),
    ]
)
