import ArgumentParser
import Foundation
import Identity
import GRPCCore
import GRPCNIOTransportHTTP2
import NeuroShardCore
import Scenario
import Server
import ServiceLifecycle
import Simulator
import Wire

/// `neuroshard-bench grpc`: a node's gRPC server on loopback in this process, called by a client
/// in the same process. Ping (the bare round trip: no payload, no node work) is the reference;
/// Forward carries a 1 MiB activation (tiny model, batch 256 × 32 positions × 32 floats) that the
/// node decodes and checks (size, finiteness) before answering, as a pipeline hop does before
/// its stage runs.
struct GRPCBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grpc",
        abstract: "Round trips of gRPC Ping and of Forward with a 1 MiB activation, and the MB/s it moves.")

    @Option(help: "Calls per measurement.")
    var calls = 200

    func run() async throws {
        var spec = TransformerSpec(preset: "tiny")!
        spec.batch = 256
        spec.evalBatches = 1
        let objective = try spec.objective(seed: 1, nodes: 1)
        let config = NodeConfig(address: "127.0.0.1:0", token: "bench", trainingEnabled: false)
        let node = NodeHost(core: NodeCore(config: config, objective: objective), seed: 1) { _ in }
        let slot = HostSlot()
        slot.fill(node)
        await node.start()
        let server = GRPCFront(slot: slot, host: "127.0.0.1", port: 0)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await server.run() }
            guard let port = await server.port else { throw ValidationError("the gRPC server did not bind") }
            try await withGRPCClient(transport: try PeerAddress.transport(to: "127.0.0.1:\(port)")) { client in
                let peer = Neuroshard_NeuroShard.Client(wrapping: client)
                let floats = [Float](repeating: 0.25, count: objective.activationCount)
                let targets = [Int32](repeating: 5, count: objective.batch * spec.sequence)
                // Each call signed as a peer signs it (SHA-256 of the request, then ECDSA).
                let signer = CallSigner(key: SigningKey(token: "bench-peer"), address: "127.0.0.1:1")
                func forward(_ i: Int) -> Neuroshard_ForwardRequest {
                    var request = Neuroshard_ForwardRequest.with {
                        $0.caller = signer.caller()
                        $0.step = .with { $0.driver = signer.key.nodeID; $0.number = UInt64(i) }
                        $0.layer = 1
                        $0.activations = Neuroshard_Tensor(floats)
                        $0.labels = targets
                    }
                    signer.sign(&request)
                    return request
                }
                let bytes = Double(floats.count * 4 + targets.count * 4)
                _ = try await peer.forward(forward(0)) // connection and first-call costs
                let ping = try await measure(calls) { _ in _ = try await peer.ping(.init()) }
                let hop = try await measure(calls) { i in
                    let ack = try await peer.forward(forward(i)).ack
                    guard ack.accepted else { throw ValidationError("forward refused: \(ack.reason)") }
                }
                print("gRPC over loopback, client and server in one process, \(calls) sequential calls each")
                print(String(format: "  Ping                 p50 %7.3f ms   p99 %7.3f ms", ping.p50 * 1e3, ping.p99 * 1e3))
                print(String(format: "  Forward 1 MiB        p50 %7.3f ms   p99 %7.3f ms   %6.0f MB/s (request bytes / mean round trip)",
                             hop.p50 * 1e3, hop.p99 * 1e3, bytes / hop.mean / 1e6))
                print(String(format: "  Forward 1 MiB / Ping: %.1f× the bare round trip", hop.p50 / ping.p50))
            }
            server.stop()
            try await tasks.waitForAll()
        }
    }

    struct Timing { var p50: Double; var p99: Double; var mean: Double }

    private func measure(_ n: Int, _ call: (Int) async throws -> Void) async throws -> Timing {
        let clock = ContinuousClock()
        var seconds: [Double] = []
        for i in 0..<n {
            let start = clock.now
            try await call(i)
            let d = clock.now - start
            seconds.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        seconds.sort()
        return Timing(p50: seconds[n / 2], p99: seconds[min(n - 1, n * 99 / 100)], mean: seconds.reduce(0, +) / Double(n))
    }
}
