import Deterministic
import Identity
import Ledger
import Training

/// What the shell is asked to generate: the request's text and sampling options, and the
/// route through the holders of the model's layers (this node's own windows run on `local`).
public struct InferenceOrder: Sendable {
    public var id: String
    public var prompt: String
    public var maxTokens: Int
    public var temperature: Double
    public var topK: Int?
    public var topP: Double?
    public var stop: [String]
    /// Server-Sent Events, one per token, then a final event with the response body.
    public var stream: Bool
    public var route: [InferenceHop]
    /// This node's weights, for the hops it runs itself (a snapshot: training goes on meanwhile).
    public var local: LayerParameters
    /// Seeds the sampling.
    public var seed: UInt64
}

/// Layers run by one node: this one (`address` nil) or a peer, over gRPC Forward.
public struct InferenceHop: Sendable, Equatable {
    public var layers: Range<Int>
    public var node: NodeID
    public var address: String?

    public init(layers: Range<Int>, node: NodeID, address: String?) {
        self.layers = layers
        self.node = node
        self.address = address
    }
}

/// A finished generation, as the shell reports it.
public struct InferenceResult: Sendable, Equatable {
    public var text: String
    public var promptTokens: Int
    public var tokens: Int
    /// "stop", "length" or "eos".
    public var finishReason: String
    /// Time spent generating (the rest of the request's time it waited).
    public var inference: TimeSpan

    public init(text: String, promptTokens: Int, tokens: Int, finishReason: String, inference: TimeSpan) {
        self.text = text; self.promptTokens = promptTokens; self.tokens = tokens
        self.finishReason = finishReason; self.inference = inference
    }
}

/// Why a generation could not finish (a hop's node died midway, say).
public struct InferenceFailure: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// A generation the shell is running: when it started, its id, its route, and the NEURO held
/// back to pay the other nodes of the route.
struct RunningInference: Sendable {
    var started: Timestamp
    var id: String
    var route: [InferenceHop]
    var held: Micro
}

/// `POST /api/v1/inference` (SPEC §4): the core checks the request and plans the route; the shell
/// runs it (it involves other nodes and real time) and reports back; the core answers.
extension NodeCore {
    /// What one generated token costs through the whole model: 0.001 NEURO (1,000 micro-NEURO).
    static let microPerToken: Int64 = 1_000

    /// What `tokens` cost for the layers the other nodes of `route` run, per node: each is paid
    /// for its share of the model's layers (this node's own layers are free, so a lone full
    /// replica serves its owner with an empty wallet).
    func payments(for tokens: Int, route: [InferenceHop]) -> [(node: NodeID, amount: Micro)] {
        var owed: [NodeID: Int64] = [:]
        for hop in route where hop.node != config.id {
            owed[hop.node, default: 0] += Int64(tokens) * Self.microPerToken * Int64(hop.layers.count) / Int64(objective.layerCount)
        }
        return owed.sorted { $0.key < $1.key }.compactMap { node, micro in
            micro > 0 ? Micro(micro: micro).map { (node, $0) } : nil
        }
    }

    static func total(_ payments: [(node: NodeID, amount: Micro)]) -> Micro {
        payments.reduce(.zero) { $0.adding($1.amount) ?? .max }
    }

    mutating func startInference(_ request: APIRequest, now: Timestamp, rng: inout DeterministicRNG) throws(APIError) {
        let body = try RequestBody(request.body)
        let prompt = try body.string("prompt", required: true)!
        let maxTokens = try body.integer("max_tokens") ?? 100, temperature = try body.number("temperature") ?? 1
        let topP = try body.number("top_p") ?? 1, topK = try body.integer("top_k") ?? 50
        let stop = try body.strings("stop") ?? [], stream = try body.bool("stream") ?? false
        guard (1...4096).contains(maxTokens) else { throw RequestBody.invalid("max_tokens", "must be in 1...4096") }
        guard (0...10).contains(temperature) else { throw RequestBody.invalid("temperature", "must be in 0...10") }
        guard topP > 0, topP <= 1 else { throw RequestBody.invalid("top_p", "must be in (0, 1]") }
        guard topK >= 0 else { throw RequestBody.invalid("top_k", "must not be negative (0: no limit)") }
        guard prompt.utf8.count <= 65_536 else { throw RequestBody.invalid("prompt", "is longer than 65536 bytes") }
        guard stop.count <= 16 else { throw RequestBody.invalid("stop", "holds more than 16 strings") }
        guard objective is any PipelineObjective else {
            throw APIError(.unavailable, "This node's model does not generate text")
        }
        let route = try inferenceRoute()
        // The price is known before any work: the most the other nodes can be owed is held back.
        let held = Self.total(payments(for: maxTokens, route: route))
        if held > .zero {
            let free = try coverage(now: now).subtracting(reserved) ?? .zero
            guard free >= held else { throw Self.insufficient(free, held) }
            reserved = reserved.adding(held) ?? .max
        }
        metrics.inferenceRequests += 1
        let id = "inf-\(config.id.short)-\(metrics.inferenceRequests)"
        inferences[request.id] = RunningInference(started: now, id: id, route: route, held: held)
        out.append(.infer(requestID: request.id, InferenceOrder(
            id: id, prompt: prompt, maxTokens: maxTokens, temperature: temperature,
            topK: topK == 0 ? nil : topK, topP: topP, stop: stop, stream: stream,
            route: route, local: theta0, seed: rng.next())))
    }

    /// The hops through the model: this node's own layers where it holds them, otherwise the
    /// peer holding the next layer that reaches furthest (fewest hops).
    func inferenceRoute() throws(APIError) -> [InferenceHop] {
        var route: [InferenceHop] = []
        var next = 0
        while next < objective.layerCount {
            if layers.contains(next) {
                route.append(InferenceHop(layers: next..<layers.upperBound, node: config.id, address: nil))
                next = layers.upperBound
                continue
            }
            guard let holder = peers.entries.filter({ $0.info.layers.contains(next) })
                .max(by: { ($0.info.layers.upperBound, $1.info.id) < ($1.info.layers.upperBound, $0.info.id) }) else {
                throw APIError(.unavailable, "No node in reach holds layer \(next) of the model",
                               details: [("layer", .int(next))])
            }
            route.append(InferenceHop(layers: next..<holder.info.layers.upperBound, node: holder.info.id, address: holder.info.address))
            next = holder.info.layers.upperBound
        }
        return route
    }

    mutating func inferenceFinished(requestID: UInt64, _ outcome: Result<InferenceResult, InferenceFailure>, now: Timestamp) {
        let running = inferences.removeValue(forKey: requestID)
            ?? RunningInference(started: now, id: "inf-\(config.id.short)-?", route: [], held: .zero)
        let (started, id, route) = (running.started, running.id, running.route)
        reserved = reserved.subtracting(running.held) ?? .zero
        let total = now - started
        metrics.recordInference(latency: total)
        switch outcome {
        case .failure(let failure):
            out.append(.respond(requestID: requestID, APIError(.unavailable, "Inference failed: \(failure.reason)").response))
        case .success(let r):
            metrics.tokensGenerated += r.tokens
            let paid: Micro
            do { paid = try pay(payments(for: r.tokens, route: route), now: now) } catch {
                out.append(.respond(requestID: requestID, error.response))
                return
            }
            let queue = max(.zero, total - r.inference)
            out.append(.respond(requestID: requestID, .ok([
                "id": .string(id),
                "text": .string(r.text),
                "tokens_generated": .int(r.tokens),
                "finish_reason": .string(r.finishReason),
                "usage": ["prompt_tokens": .int(r.promptTokens), "completion_tokens": .int(r.tokens),
                          "total_tokens": .int(r.promptTokens + r.tokens)],
                "cost": ["amount": .double(paid.neuro), "currency": "NEURO"],
                "timing": ["queue_ms": .double(queue.milliseconds), "inference_ms": .double(r.inference.milliseconds),
                           "total_ms": .double(total.milliseconds)],
                // Which nodes ran which layers (the first in-reach holders when the request came).
                "route": .array(route.map { ["node_id": .string($0.node.hex), "layers": .array($0.layers.map { .int($0) })] }),
            ])))
        }
    }
}

extension NodeCore {
    /// Pays the other nodes of a finished generation: one signed inference transfer each (no
    /// fee), gossiped like any transfer. The amounts were held back, so the balance covers them.
    mutating func pay(_ payments: [(node: NodeID, amount: Micro)], now: Timestamp) throws(APIError) -> Micro {
        var paid = Micro.zero
        for (node, amount) in payments {
            _ = try spend(.transfer(Payment(to: node, amount: amount, fee: .zero, memo: "inference", kind: .inference)),
                          needs: amount, keeping: reserved, now: now)
            paid = paid.adding(amount) ?? paid
        }
        return paid
    }
}
