import ArgumentParser
import Deterministic
import Foundation
import Identity
import Ledger
import LedgerStore
import NeuroLLM
import NeuroShardCore
import Scenario
import Server
import ServiceLifecycle
import Simulator
import TensorMath
import Training

/// `neuroshard --token T [--port P] …`: one real node, the production shell around the core
/// (SPEC §2). It prints its identity and addresses once the HTTP port is bound, serves until
/// SIGINT or SIGTERM, then leaves its peers politely.
struct Node: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a node (the default command: `neuroshard --token T` runs one).")

    @Option(help: "The node's secret: any string, or a 12-word BIP39 phrase. Its SHA-256 is the node's key; it is also the operator's bearer token (a phrase's token is the hex of its seed's first 32 bytes).")
    var token: String

    @Option(help: "HTTP port (0: any free port); gRPC takes port + 1000.")
    var port = 8000

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Folder for the node's identity and state.")
    var dataDir: String?

    @Option(help: "Peers to join through, host:port,… (their gRPC ports).")
    var seedPeers = ""

    @Flag(help: "Serve without training.")
    var noTraining = false

    @Option(help: "Inner steps per DiLoCo round (H).")
    var dilocoSteps = 500

    @Option(help: "Memory for layers, in MB: how many layers the node may hold (default 8192).")
    var memory: Double?

    @Option(help: "Model preset: \(ModelConfig.presetNames.joined(separator: ", ")).")
    var model = "tiny"

    @Option(help: "A read-only API key (repeat for more).")
    var apiKey: [String] = []

    @Option(help: "A token /metrics (Prometheus) requires; open without one.")
    var metricsToken: String?

    @Option(help: "BLAS threads for the model's math.")
    var cpuThreads = 1

    @Option(help: "standard (SPEC §4: 100 status, 60 inference, 10 wallet calls a minute per token) or off (a private test network, benchmarks).")
    var rateLimits = "standard"

    @Option(help: "Run node --index of this scenario file: its model, settings, behaviour and token (`neuroshard simulate --real` starts such nodes).")
    var scenario: String?

    @Option(help: "With --scenario: which of its nodes, counted in file order from 0.")
    var index = 0

    @Option(help: "A genesis file: {\"allocations\": {\"<address>\": NEURO, …}}, counted as minted (a test network's starting balances).")
    var genesis: String?

    func validate() throws {
        guard !token.isEmpty else { throw ValidationError("--token must not be empty") }
        guard (0...64535).contains(port) else { throw ValidationError("--port must be in 0...64535 (gRPC takes port + 1000)") }
        guard TransformerSpec(preset: model) != nil else {
            throw ValidationError("unknown model '\(model)' (known: \(ModelConfig.presetNames.joined(separator: ", ")))")
        }
        guard cpuThreads > 0 else { throw ValidationError("--cpu-threads must be positive") }
        guard ["standard", "off"].contains(rateLimits) else { throw ValidationError("--rate-limits must be standard or off") }
        guard dilocoSteps > 0 else { throw ValidationError("--diloco-steps must be positive") }
        guard (memory ?? 1) > 0, memory?.isFinite ?? true else { throw ValidationError("--memory must be a positive number of MB") }
    }

    func run() async throws {
        BLAS.setThreads(cpuThreads)
        let secret = try operatorToken()
        let (template, objective, speed) = try plan(token: secret)
        let id = template.id
        let ledger = try openLedger(genesis: template.ledger.genesis)
        let records: [Record]
        do { records = try ledger.records() } catch { throw ValidationError("the ledger file: \(error)") }
        let store = dataDir.map { DurableStore(directory: $0) }
        let restored = try store?.load()
        if let restored, let problem = mismatch(restored.theta0, objective) {
            throw ValidationError("\(store!.file.path) holds \(problem); move it away to start this model afresh")
        }
        // The servers bind first: the node's address is the port the gRPC server got.
        let slot = HostSlot()
        let grpc = GRPCFront(slot: slot, host: host, port: port == 0 ? 0 : port + 1000)
        let (httpPorts, httpBound) = AsyncStream.makeStream(of: Int.self)
        let http = HTTPFront.application(slot: slot, address: host, port: port) { httpBound.yield($0) }
        let starter = NodeStarter { [self] in
            guard let grpcPort = await grpc.port else { throw ValidationError("cannot listen on \(host):\(port + 1000)") }
            var httpPort = port
            for await bound in httpPorts { httpPort = bound; break }
            var config = template
            config.address = "\(host):\(grpcPort)"
            let node = makeHost(config, objective: objective, speed: speed, store: store, restored: restored,
                                ledger: ledger, records: records)
            slot.fill(node)
            await node.start()
            // A node picks its layers at its first heartbeat: report them once it has.
            for _ in 0..<100 where await node.role == .idle { try? await Task.sleep(for: .milliseconds(50)) }
            let role = await node.role, layers = await node.info.layers
            say("node \(id.hex) role \(role.rawValue) layers \(layers.lowerBound)..<\(layers.upperBound) "
                + "http http://\(host):\(httpPort) grpc \(host):\(grpcPort)")
            return node
        } stop: { node in
            await node.shutdown()
            say("node \(id.hex) stopped")
        }
        // Shutdown runs in reverse: the node leaves its peers and saves, then the servers stop.
        let group = ServiceGroup(services: [grpc, http, starter], gracefulShutdownSignals: [.sigterm, .sigint],
                                 logger: http.logger)
        try await group.run()
    }

    /// The node's settings (its address comes once the server is bound) and model: from the
    /// flags, or node `--index` of `--scenario` (then also its group's compute speed, FLOP/s).
    private func plan(token: String) throws -> (NodeConfig, any Objective, Double?) {
        let peers = seedPeers.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var config: NodeConfig
        let objective: any Objective
        var speed: Double?
        if let scenario {
            let loaded: Scenario
            do { loaded = try ScenarioReader.load(path: scenario) } catch { throw ValidationError(error.description) }
            let configs = Simulation.nodeConfigs(for: loaded)
            guard configs.indices.contains(index) else {
                throw ValidationError("--index \(index): \(scenario) has \(configs.count) nodes")
            }
            config = configs[index]
            guard config.token == token else { throw ValidationError("--token is not the token of node \(index) of \(scenario)") }
            objective = try Simulation.objective(for: loaded)
            speed = loaded.groups.flatMap { g in Array(repeating: g.flops, count: g.count) }[index]
        } else {
            config = NodeConfig(address: "", token: token, apiKeys: apiKey, trainingEnabled: !noTraining,
                                diloco: DiLoCoSettings(innerSteps: dilocoSteps),
                                ledger: try genesis.map(GenesisFile.read).map { LedgerSettings(rules: $0.rules, genesis: $0.allocations) }
                                    ?? LedgerSettings())
            config.dataShard = config.id.low
            if let memory { config.memoryMB = memory }
            objective = try TransformerSpec(preset: model)!.objective(seed: 0, nodes: 1)
        }
        config.seedPeers = peers
        if rateLimits == "off" { config.rateLimits = .off }
        config.metricsToken = metricsToken
        return (config, objective, speed)
    }

    private func makeHost(_ config: NodeConfig, objective: any Objective, speed: Double?, store: DurableStore?,
                          restored: DurableState?, ledger: LedgerStore, records: [Record]) -> NodeHost {
        NodeHost(core: NodeCore(config: config, objective: objective, restoring: restored, ledgerRecords: records),
                 store: ledger, seed: UInt64.random(in: .min ... .max), computeSpeed: speed, persist: { state in
                            guard let store else { return true }
                            do { try store.save(state); return true } catch { say("\(error)"); return false }
                        }, log: say)
    }

    /// Why saved weights do not fit the model (another preset, say), or nil.
    private func mismatch(_ saved: LayerParameters, _ objective: any Objective) -> String? {
        guard saved.range.upperBound <= objective.layerCount else {
            return "layers \(saved.range.lowerBound)..<\(saved.range.upperBound), but '\(model)' has \(objective.layerCount)"
        }
        for layer in saved.range {
            let expected = objective.initialParameters(layer: layer).count
            if saved[layer].count != expected {
                return "\(saved[layer].count) weights for layer \(layer), which has \(expected) in '\(model)'"
            }
        }
        return nil
    }

    /// The token the node's key comes from: `--token` itself, or a BIP39 phrase's token.
    private func operatorToken() throws -> String {
        let words = token.split(whereSeparator: \.isWhitespace)
        guard words.count > 1 else { return token }
        do { return try Mnemonic.token(phrase: token) } catch {
            throw ValidationError("--token looks like a BIP39 phrase, but \(error)")
        }
    }

    /// The ledger's store: `<data-dir>/ledger.sqlite`, durable (WAL, synchronous=FULL); in memory
    /// when the node keeps no data folder.
    private func openLedger(genesis: [GenesisAllocation]) throws -> LedgerStore {
        guard let dataDir else { return try LedgerStore(path: nil, durable: false, genesis: genesis) }
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let path = URL(fileURLWithPath: dataDir).appendingPathComponent("ledger.sqlite").path
        do { return try LedgerStore(path: path, durable: true, genesis: genesis) } catch {
            throw ValidationError("\(path): \(error)")
        }
    }
}

/// A line on standard output, written at once (a pipe would otherwise buffer it, and whoever
/// waits for the ready line would wait forever).
@Sendable private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
