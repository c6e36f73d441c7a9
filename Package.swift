// swift-tools-version:6.0
import PackageDescription

// Module arrows point one way (see README "Layout"):
// Deterministic ← Training ← NeuroShardCore ← Scenario ← Simulator ← neuroshard (CLI)
// COpenBLAS ← TensorMath ← NeuroLLM (the transformer) ← Scenario, Simulator
// Deterministic ← Language (tokenizer, genesis data, decoding) ← NeuroLLM
// NeuroShardCore ← Wire (the gRPC messages of Protos/neuroshard.proto ↔ PeerMessage)
// Wire ← Server (the production shell: Hummingbird + grpc-swift) ← neuroshard (CLI)
// COpenSSL, CSecp256k1 ← Identity (node ids, keys, signatures, BIP39) ← Ledger ← NeuroShardCore, Wire
// Ledger (the NEURO ledger as plain data: signed records, their fold, anti-entropy) ← NeuroShardCore
// CSQLite ← LedgerStore (a node's records and balances on SQLite, for the production shell) ← Server
// AsyncHTTPClient ← NeuroShardClient (the Swift SDK: its own wire types, no project module) ← CLITests
let package = Package(
    name: "NeuroShard",
    platforms: [.macOS(.v15)], // grpc-swift 2 needs macOS 15
    products: [
        .executable(name: "neuroshard", targets: ["NeuroShardCLI"]),
        .executable(name: "neuroshard-bench", targets: ["NeuroShardBench"]),
        .library(name: "NeuroShardClient", targets: ["NeuroShardClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(name: "Deterministic"),
        .systemLibrary(name: "COpenBLAS"),
        .systemLibrary(name: "COpenSSL"),
        .systemLibrary(name: "CSecp256k1"),
        .systemLibrary(name: "CSQLite"),
        .target(name: "Identity", dependencies: ["COpenSSL", "CSecp256k1", "Deterministic"]),
        .target(name: "Ledger", dependencies: ["Deterministic", "Identity"]),
        .target(name: "LedgerStore", dependencies: ["CSQLite", "Ledger", "Identity"]),
        .target(name: "TensorMath", dependencies: ["COpenBLAS"]),
        .target(name: "Training", dependencies: ["Deterministic"]),
        .target(name: "Language", dependencies: ["Deterministic"]),
        .target(name: "NeuroLLM", dependencies: ["Deterministic", "TensorMath", "Training", "Language"]),
        .target(name: "NeuroShardCore", dependencies: ["Deterministic", "Training", "Identity", "Ledger"]),
        .target(name: "Scenario", dependencies: ["NeuroShardCore", "NeuroLLM", "Ledger", .product(name: "Yams", package: "Yams")]),
        .target(name: "Simulator", dependencies: ["Deterministic", "Training", "NeuroShardCore", "Scenario", "NeuroLLM", "Language", "TensorMath", "Ledger"]),
        .target(name: "Wire", dependencies: [
            "Deterministic", "NeuroShardCore", "Training", "Identity", "Ledger",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        .target(name: "Server", dependencies: [
            "Deterministic", "NeuroShardCore", "Wire", "Training", "Language", "Identity", "Ledger", "LedgerStore",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        // The Swift SDK: talks to a node over HTTP only, so it depends on no project module.
        .target(name: "NeuroShardClient", dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .executableTarget(name: "NeuroShardCLI", dependencies: [
            "Simulator", "Scenario", "Training", "Server", "TensorMath", "NeuroLLM", "Identity", "Ledger", "LedgerStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "NeuroShardBench", dependencies: [
            "Simulator", "Deterministic", "TensorMath", "NeuroLLM", "Server", "NeuroShardCore", "Training", "Scenario", "Wire",
            "Identity", "Ledger", "LedgerStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "DeterministicTests", dependencies: ["Deterministic"]),
        .testTarget(name: "IdentityTests", dependencies: ["Identity"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "Identity", "Deterministic"]),
        .testTarget(name: "LedgerStoreTests", dependencies: ["LedgerStore", "Ledger", "Identity", "CSQLite", "Deterministic"]),
        .testTarget(name: "TensorMathTests", dependencies: ["TensorMath", "Deterministic"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training"]),
        .testTarget(name: "LanguageTests", dependencies: ["Language", "Deterministic"]),
        .testTarget(name: "NeuroLLMTests", dependencies: ["NeuroLLM", "Language", "Training", "TensorMath", "Deterministic"]),
        .testTarget(name: "NeuroShardCoreTests", dependencies: ["NeuroShardCore", "NeuroLLM", "Identity", "Ledger"]),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Scenario"]),
        .testTarget(name: "WireTests", dependencies: [
            "Wire", "NeuroShardCore", "Training", "Deterministic", "Identity",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        // Runs the built `neuroshard` binary as a user would (exit codes, files written).
        .testTarget(name: "CLITests", dependencies: [
            "NeuroShardCLI", "Server", "NeuroShardCore", "Training", "Identity", "Ledger", "LedgerStore", "Deterministic", "Wire",
            "NeuroShardClient", "NeuroLLM",
            .product(name: "Yams", package: "Yams"),
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        ]),
    ]
)
