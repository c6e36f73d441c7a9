import Foundation
import Testing

/// Three real node processes on loopback, talking gRPC: they find each other through one seed,
/// split the model, train it through the pipeline, run DiLoCo rounds, and survive a crash.
@Suite(.serialized) struct ClusterTests {
    /// `tiny` has 4 layers of 0.78 MB each (GET /api/v1/layers): 1.6 MB holds two of them.
    static let twoLayers = ["--memory", "1.6", "--diloco-steps", "300"]

    static func layers(_ node: NodeProcess) async -> [Int]? {
        await node.get("/api/v1/status")["layers"] as? [Int]
    }

    @Test func threeNodesSplitTheModelTrainItAndSurviveACrash() async throws {
        let a = try NodeProcess(token: "token-a", Self.twoLayers)
        let first = await Self.layers(a)
        #expect(first == [0, 1])
        let b = try NodeProcess(token: "token-b", Self.twoLayers + ["--seed-peers", a.grpc])
        #expect(await eventually(within: 20) { await Self.layers(b) == [2, 3] }, "\(b.log)")
        // A latecomer finds every layer held: it doubles the first half and pulls its weights
        // from the holder with GetCheckpoint.
        let c = try NodeProcess(token: "token-c", Self.twoLayers + ["--seed-peers", a.grpc])
        #expect(await eventually(within: 20) { await Self.layers(c) == [0, 1] }, "\(c.log)")
        #expect(await eventually(within: 10) { c.log.contains("checkpoint of layers 0..<2 from \(a.id.prefix(8))") }, "\(c.log)")

        // Status, peers and layers agree: each node lists the other two, with the layers they report.
        let nodes = [a, b, c]
        let agree = await eventually(within: 20) {
            for node in nodes {
                let peers = (await node.get("/api/v1/peers")["peers"] as? [[String: Any]]) ?? []
                let listed = Dictionary(peers.map { ($0["id"] as? String ?? "", $0["layers"] as? [Int] ?? []) }) { x, _ in x }
                for other in nodes where other !== node {
                    guard let held = await Self.layers(other), listed[other.id] == held else { return false }
                }
                guard listed.count == 2 else { return false }
            }
            return true
        }
        if !agree {
            for node in nodes { Issue.record("\(node.id): \(await node.get("/api/v1/peers"))") }
        }

        // The pipeline runs across the processes (the validator's loss falls) and the two holders
        // of the first half finish DiLoCo rounds together over ExchangeGradient.
        #expect(await eventually(within: 60) { a.log.contains(", 2 contributors") && c.log.contains(", 2 contributors") },
                "\(a.log)\n\(c.log)")
        let metrics = await a.get("/api/v1/metrics")["training"] as? [String: Any]
        #expect((metrics?["gradients_accepted"] as? Int ?? 0) > 0, "\(metrics ?? [:])")
        #expect(await eventually(within: 30) { (await b.get("/api/v1/status")["training"] as? [String: Any])?["loss"] is Double })

        // A crash: the survivors notice, one of them takes over the lost half, and both keep serving.
        b.kill()
        let takenOver = await eventually(within: 40) {
            let held = [await Self.layers(a), await Self.layers(c)]
            return held.contains([2, 3]) && held.contains([0, 1])
        }
        #expect(takenOver, "\(a.log)\n\(c.log)")
        for node in [a, c] {
            #expect(try await node.call("GET", "/api/v1/health", anonymous: true).status == 200)
            #expect(await eventually(within: 15) { await node.get("/api/v1/status")["peer_count"] as? Int == 1 })
        }
        // Training goes on through the new pipeline: the new validator reports a loss.
        let validator = await Self.layers(a) == [2, 3] ? a : c
        #expect(await eventually(within: 30) { validator.log.contains("done: loss") }, "\(validator.log)")

        for node in [a, c] {
            let (status, output) = node.stop()
            #expect(status == 0)
            #expect(output.contains("node \(node.id) stopped"))
        }
    }
}
