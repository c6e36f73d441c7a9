import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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
        // Inference pays the other nodes of its route: every node starts with some NEURO.
        let genesis = ["--genesis", try genesisFile(funding: ["token-a", "token-b", "token-c"])]
        let a = try await NodeProcess(token: "token-a", Self.twoLayers + genesis)
        let first = await Self.layers(a)
        #expect(first == [0, 1])
        let b = try await NodeProcess(token: "token-b", Self.twoLayers + genesis + ["--seed-peers", a.grpc])
        #expect(await eventually(within: 20) { await Self.layers(b) == [2, 3] }, "\(b.log)")
        // A latecomer finds every layer held: it doubles the first half and pulls its weights
        // from the holder with GetCheckpoint.
        let c = try await NodeProcess(token: "token-c", Self.twoLayers + genesis + ["--seed-peers", a.grpc])
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

        // Inference while training: the validator's request runs the first half on a peer.
        let answer = try await b.call("POST", "/api/v1/inference", body: Data(#"{"prompt": "ab", "max_tokens": 8}"#.utf8))
        #expect(answer.status == 200, "\(answer.json)")
        #expect(Self.generated(answer.json, atMost: 8))
        #expect(Self.routeNodes(answer.json).last == b.id && Self.routeNodes(answer.json).count == 2)

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

    /// Tokens were generated, up to the limit; fewer only if the model chose to end (eos).
    static func generated(_ json: [String: Any], atMost limit: Int) -> Bool {
        guard let n = json["tokens_generated"] as? Int, let reason = json["finish_reason"] as? String else { return false }
        return reason == "length" ? n == limit : (reason == "eos" && (1...limit).contains(n))
    }

    static func routeNodes(_ json: [String: Any]) -> [String] {
        (json["route"] as? [[String: Any]] ?? []).compactMap { $0["node_id"] as? String }
    }

    /// The model split three ways (0..<2, 2..<3, 3..<4): a request at any node is generated
    /// through all three, answered whole or as Server-Sent Events.
    @Test func inferenceRunsThroughAllThreeNodes() async throws {
        let genesis = ["--genesis", try genesisFile(funding: ["token-a", "token-b", "token-c"])]
        let a = try await NodeProcess(token: "token-a", ["--memory", "1.6", "--no-training"] + genesis)
        let b = try await NodeProcess(token: "token-b", ["--memory", "0.8", "--no-training", "--seed-peers", a.grpc] + genesis)
        #expect(await eventually(within: 20) { await Self.layers(b) == [2] }, "\(b.log)")
        let c = try await NodeProcess(token: "token-c", ["--memory", "0.8", "--no-training", "--seed-peers", a.grpc] + genesis)
        #expect(await eventually(within: 20) { await Self.layers(c) == [3] }, "\(c.log)")
        // Each node knows where every layer is before it plans a route.
        #expect(await eventually(within: 20) {
            for node in [a, b, c] where await node.get("/api/v1/status")["peer_count"] as? Int != 2 { return false }
            return true
        })

        for node in [a, b, c] {
            let r = try await node.call("POST", "/api/v1/inference", body: Data(#"{"prompt": "Hello", "max_tokens": 12, "temperature": 0.5}"#.utf8))
            #expect(r.status == 200, "\(r.json)")
            #expect(Self.generated(r.json, atMost: 12), "\(r.json)")
            #expect(Set(Self.routeNodes(r.json)) == [a.id, b.id, c.id], "\(r.json)")
            #expect((r.json["usage"] as? [String: Any])?["prompt_tokens"] as? Int == 6)
        }

        // Streamed: one event per token, then the body as the final event.
        var request = URLRequest(url: a.base.appendingPathComponent("/api/v1/inference"))
        request.httpMethod = "POST"
        request.setValue("Bearer token-a", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(#"{"prompt": "Hi", "max_tokens": 5, "stream": true}"#.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type") == "text/event-stream")
        let events = String(decoding: data, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
        let tokens = try JSONSerialization.jsonObject(with: Data(events.last!.components(separatedBy: "data: ").last!.utf8))
        let count = try #require((tokens as? [String: Any])?["tokens_generated"] as? Int)
        #expect(events.count == count + 1, "\(events)")
        #expect(events.dropLast().allSatisfy { $0.hasPrefix("data: {\"index\":") }, "\(events)")
        #expect(events.last?.hasPrefix("event: done\ndata: {\"id\":") == true, "\(events)")

        // With the last layer's holder gone, the request is refused, and the others keep serving.
        c.kill()
        #expect(await eventually(within: 20) {
            let r = try? await a.call("POST", "/api/v1/inference", body: Data(#"{"prompt": "x", "max_tokens": 2}"#.utf8))
            return r?.status == 503 && errorCode(r?.json ?? [:]) == "UNAVAILABLE"
        })
        #expect(try await b.call("GET", "/api/v1/health", anonymous: true).status == 200)
        for node in [a, b] { #expect(node.stop().status == 0) }
    }
}
