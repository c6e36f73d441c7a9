import Deterministic
import Foundation
import Ledger
import NeuroLLM
@testable import NeuroShardCore
import Testing
import Training

// POST /api/v1/inference on the core: the request is checked, the route through the holders
// of the layers is planned, the shell is asked to run it, and its report becomes the answer.

private let stages: [(n: UInt64, address: String, layers: Range<Int>)] = [(1, "driver", 0..<2), (2, "worker", 2..<3), (3, "validator", 3..<4)]

private func tinyObjective() throws -> TransformerObjective {
    try TransformerObjective(model: NeuroLLM(config: ModelConfig.preset("tiny")!), batch: 1, sequence: 8, seed: 5,
                             validation: [(Array(repeating: 5, count: 8), Array(repeating: 6, count: 8))]) { _, _ in
        (Array(repeating: 5, count: 8), Array(repeating: 6, count: 8))
    }
}

/// Three nodes that know each other, the tiny model split 0..<2 / 2..<3 / 3..<4, not training;
/// the genesis gives each `funds` NEURO.
private func split(_ objective: TransformerObjective, funds: Double = 10) -> Cluster {
    var cluster = Cluster()
    let genesis = funds > 0 ? stages.map { GenesisAllocation(address: nodeID($0.n), amount: Micro(neuro: funds)!) } : []
    for stage in stages {
        var config = membershipConfig(stage.n, stage.address, seeds: ["driver"])
        config.ledger.genesis = genesis
        config.memoryMB = objective.layerMemoryMB * Double(stage.layers.count)
        config.rateLimits = RateLimits(window: .seconds(60), status: 100, inference: 3, wallet: 10)
        config.apiKeys = ["reader"]
        cluster.add(NodeCore(config: config, objective: objective,
                             restoring: DurableState(round: 0, completedRounds: 0, theta0: objective.initialParameters(range: stage.layers),
                                                     outerVelocity: [], knownPeers: [])), seed: stage.n)
    }
    for stage in stages { cluster.input(stage.address, .start, at: at(0)) }
    cluster.tickAll(at: at(1))
    cluster.tickAll(at: at(2))
    return cluster
}

private func post(_ cluster: inout Cluster, _ address: String, _ body: String, id: UInt64, at now: Timestamp = at(3)) -> [Effect] {
    cluster.input(address, .api(APIRequest(id: id, method: "POST", path: "/api/v1/inference",
                                           authorization: "Bearer token-\(address)", body: Array(body.utf8))), at: now)
}

@Suite struct InferenceAPITests {
    @Test func theRouteRunsThroughEveryHolderAndGivesTheWholeModelsLogits() throws {
        let objective = try tinyObjective()
        var cluster = split(objective)
        let effects = post(&cluster, "worker", #"{"prompt": "Hi", "max_tokens": 3, "top_k": 0, "stop": ["\n"]}"#, id: 7)
        guard case .infer(let requestID, let order)? = effects.first, effects.count == 1 else {
            Issue.record("expected one infer effect: \(effects)"); return
        }
        #expect(requestID == 7)
        #expect(order.route == [InferenceHop(layers: 0..<2, node: nodeID(1), address: "driver"),
                                InferenceHop(layers: 2..<3, node: nodeID(2), address: nil),
                                InferenceHop(layers: 3..<4, node: nodeID(3), address: "validator")])
        #expect(order.maxTokens == 3 && order.topK == nil && order.topP == 1 && order.temperature == 1 && order.stop == ["\n"])
        #expect(order.local == cluster["worker"].parameters)

        // What the shell does with the route gives what one node holding everything computes.
        var input = PipelineInput.tokens([1, 72, 105])
        var logits: [Float] = []
        for hop in order.route {
            let holder = cluster[hop.address ?? "worker"]
            switch try objective.infer(holder.parameters.restricted(to: hop.layers), input: input) {
            case .activations(let a): input = .activations(a)
            case .logits(let l): logits = l
            }
        }
        let whole = LayerParameters(range: 0..<4, layers: stages.flatMap { cluster[$0.address].parameters.layers })
        let expected = try objective.model.nextTokenLogits(whole, context: [1, 72, 105])
        #expect(logits.count == expected.count)
        #expect(zip(logits, expected).allSatisfy { abs($0 - $1) <= 1e-5 })

        // The report becomes the answer.
        let done = cluster.input("worker", .inferenceFinished(requestID: 7, .success(InferenceResult(
            text: "abc", promptTokens: 3, tokens: 3, finishReason: "length", inference: .milliseconds(40)))), at: at(3.1))
        guard let response = done.compactMap({ e -> APIResponse? in if case .respond(7, let r) = e { r } else { nil } }).first else {
            Issue.record("no answer: \(done)"); return
        }
        #expect(response.status == 200)
        #expect(keys(response.body) == ["id", "text", "tokens_generated", "finish_reason", "usage", "cost", "timing", "route"])
        #expect(response.body["text"] == .string("abc"))
        #expect(response.body["usage"]?["total_tokens"] == .int(6))
        #expect(response.body["cost"]?["currency"] == .string("NEURO"))
        // 3 tokens at 0.001 NEURO through the whole model: the driver ran half of it, the
        // validator a quarter; the worker's own quarter is free.
        #expect(response.body["cost"]?["amount"] == .double(0.00225))
        let paid = records(done).compactMap { sent -> Payment? in if case .transfer(let p) = sent.record.body { p } else { nil } }
        #expect(Set(paid.map { "\($0.to.short) \($0.amount)" }) == ["\(nodeID(1).short) 0.0015", "\(nodeID(3).short) 0.00075"])
        #expect(paid.allSatisfy { $0.kind == .inference && $0.fee == .zero })
        #expect(records(done).allSatisfy { $0.record.isAuthentic && $0.record.author == nodeID(2) })
        #expect(cluster["worker"].ledger!.account(nodeID(2)).available == Micro(neuro: 10 - 0.00225)!)
        #expect(cluster["worker"].ledger!.totals.conserved)
        // The payees' ledgers took the payments in.
        #expect(cluster["driver"].ledger!.account(nodeID(1)).available >= Micro(neuro: 10.0015)!)
        #expect(response.body["timing"]?["total_ms"]?.doubleValue.map { abs($0 - 100) < 1e-6 } == true)
        #expect(response.body["timing"]?["queue_ms"]?.doubleValue.map { abs($0 - 60) < 1e-6 } == true)
        let metrics = cluster["worker"].metricsBody(now: at(4))
        #expect(metrics["inference"]?["requests_total"] == .int(1))
        #expect(metrics["inference"]?["tokens_generated"] == .int(3))
        #expect(metrics["inference"]?["avg_latency_ms"]?.doubleValue.map { abs($0 - 100) < 1e-6 } == true)
    }

    @Test func aFailedGenerationIsAnErrorEnvelope() throws {
        var cluster = split(try tinyObjective())
        _ = post(&cluster, "driver", #"{"prompt": ""}"#, id: 1)
        let done = cluster.input("driver", .inferenceFinished(requestID: 1, .failure(InferenceFailure("validator gone"))), at: at(4))
        guard case .respond(1, let response)? = done.first else { Issue.record("no answer: \(done)"); return }
        expectError(response, status: 503, code: "UNAVAILABLE")
        #expect(response.body["error"]?["message"]?.stringValue?.contains("validator gone") == true)
    }

    @Test func badRequestsAreRefusedBeforeAnythingRuns() throws {
        var cluster = split(try tinyObjective())
        let cases: [(String, String)] = [
            (#"{"prompt": "x",#"#, "not valid JSON"),
            (#"[1, 2]"#, "must be a JSON object"),
            (#"{"max_tokens": 5}"#, "prompt is required"),
            (#"{"prompt": 5}"#, "prompt must be a string"),
            (#"{"prompt": "x", "max_tokens": true}"#, "max_tokens must be an integer"),
            (#"{"prompt": "x", "max_tokens": 2.5}"#, "max_tokens"),
            (#"{"prompt": "x", "max_tokens": 0}"#, "max_tokens must be in"),
            (#"{"prompt": "x", "temperature": -1}"#, "temperature"),
            (#"{"prompt": "x", "top_p": 0}"#, "top_p"),
            (#"{"prompt": "x", "top_k": -3}"#, "top_k"),
            (#"{"prompt": "x", "stop": "\n"}"#, "stop must be an array"),
            (#"{"prompt": "x", "stream": "yes"}"#, "stream must be true or false"),
            (#"{"prompt": null}"#, "prompt is required"),
            (#"{"prompt": "x", "prompt": "y"}"#, "repeated"),
        ]
        for (n, (body, why)) in cases.enumerated() {
            let effects = post(&cluster, "validator", body, id: UInt64(n), at: at(3 + Double(n) * 21)) // 3 calls a minute
            guard case .respond(_, let r)? = effects.first, effects.count == 1 else { Issue.record("\(body): \(effects)"); continue }
            expectError(r, status: 400, code: "INVALID_REQUEST")
            #expect(r.body["error"]?["message"]?.stringValue?.contains(why) == true, "\(body): \(r.body.serialized)")
        }
    }

    @Test func aLayerNobodyHoldsIsUnavailable() throws {
        var cluster = split(try tinyObjective())
        cluster.down = ["validator"]
        for t in stride(from: 3.0, through: 15, by: 2) { cluster.tickAll(at: at(t)) }
        let effects = post(&cluster, "driver", #"{"prompt": "x"}"#, id: 1, at: at(16))
        guard case .respond(_, let r)? = effects.first else { Issue.record("\(effects)"); return }
        expectError(r, status: 503, code: "UNAVAILABLE")
        #expect(r.body["error"]?["details"]?["layer"] == .int(3))
    }

    /// Inference costs NEURO: a read-only key may read the node, not spend through it.
    @Test func aReadOnlyKeyIsForbidden() throws {
        var cluster = split(try tinyObjective())
        let effects = cluster.input("driver", .api(APIRequest(id: 1, method: "POST", path: "/api/v1/inference",
                                                              authorization: "Bearer reader", body: Array(#"{"prompt": "x"}"#.utf8))), at: at(3))
        guard case .respond(_, let r)? = effects.first, effects.count == 1 else { Issue.record("\(effects)"); return }
        expectError(r, status: 403, code: "FORBIDDEN")
    }

    @Test func theInferenceClassHasItsOwnLimit() throws {
        var cluster = split(try tinyObjective())
        for id in 1...3 {
            guard case .infer? = post(&cluster, "driver", #"{"prompt": "x"}"#, id: UInt64(id)).first else { Issue.record("call \(id)"); return }
        }
        guard case .respond(_, let r)? = post(&cluster, "driver", #"{"prompt": "x"}"#, id: 4).first else { Issue.record("no answer"); return }
        expectError(r, status: 429, code: "RATE_LIMITED")
        guard case .infer? = post(&cluster, "driver", #"{"prompt": "x"}"#, id: 5, at: at(64)).first else {
            Issue.record("the window's end frees the limit"); return
        }
    }

    /// The price is known before any work: a caller who cannot pay the other nodes gets 402 and
    /// nothing runs; the most it could owe is held back while the generation runs.
    @Test func aCallerWhoCannotPayGets402AndNothingRuns() throws {
        var poor = split(try tinyObjective(), funds: 0)
        let effects = post(&poor, "worker", #"{"prompt": "Hi", "max_tokens": 100}"#, id: 1)
        guard case .respond(_, let r)? = effects.first, effects.count == 1 else { Issue.record("\(effects)"); return }
        expectError(r, status: 402, code: "INSUFFICIENT_BALANCE")
        #expect(r.body["error"]?["details"] == ["balance": 0.0, "required": 0.075])

        var cluster = split(try tinyObjective(), funds: 0.1)
        #expect(post(&cluster, "worker", #"{"prompt": "Hi", "max_tokens": 100}"#, id: 2).contains { if case .infer = $0 { true } else { false } })
        #expect(try cluster["worker"].balanceBody(APIRequest(id: 0, method: "GET", path: "/api/v1/wallet/balance"))["balances"]?["pending"] == .double(0.075))
        let second = post(&cluster, "worker", #"{"prompt": "Hi", "max_tokens": 100}"#, id: 3, at: at(30))
        guard case .respond(_, let refused)? = second.first else { Issue.record("\(second)"); return }
        expectError(refused, status: 402, code: "INSUFFICIENT_BALANCE")
        #expect(refused.body["error"]?["details"]?["balance"] == .double(0.025), "what is held back cannot be spent twice")
        _ = cluster.input("worker", .inferenceFinished(requestID: 2, .failure(InferenceFailure("gone"))), at: at(31))
        #expect(try cluster["worker"].balanceBody(APIRequest(id: 0, method: "GET", path: "/api/v1/wallet/balance"))["balances"]?["pending"] == .double(0), "a failed generation costs nothing")
        #expect(try cluster["worker"].balanceBody(APIRequest(id: 0, method: "GET", path: "/api/v1/wallet/balance"))["balances"]?["available"] == .double(0.1))
    }

    /// A node holding the whole model serves its owner free, with an empty wallet.
    @Test func aLoneFullReplicaServesForFree() throws {
        let objective = try tinyObjective()
        var cluster = Cluster()
        var config = membershipConfig(9, "alone")
        config.memoryMB = objective.layerMemoryMB * 4
        cluster.add(NodeCore(config: config, objective: objective,
                             restoring: DurableState(round: 0, completedRounds: 0, theta0: objective.initialParameters(range: 0..<4),
                                                     outerVelocity: [], knownPeers: [])), seed: 9)
        cluster.input("alone", .start, at: at(0))
        let effects = cluster.input("alone", .api(APIRequest(id: 1, method: "POST", path: "/api/v1/inference",
                                                             authorization: "Bearer token-alone", body: Array(#"{"prompt": "Hi"}"#.utf8))), at: at(1))
        #expect(effects.contains { if case .infer = $0 { true } else { false } })
        let done = cluster.input("alone", .inferenceFinished(requestID: 1, .success(InferenceResult(
            text: "x", promptTokens: 2, tokens: 5, finishReason: "length", inference: .milliseconds(5)))), at: at(2))
        guard case .respond(1, let r)? = done.first else { Issue.record("\(done)"); return }
        #expect(r.body["cost"]?["amount"] == .double(0))
    }
}
