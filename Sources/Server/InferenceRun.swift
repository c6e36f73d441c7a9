import Deterministic
import Foundation
import GRPCCore
import Language
import NeuroShardCore
import Training
import Wire

/// One generation along an `InferenceOrder`'s route: the sampling loop (`Generator`), with each
/// token's logits computed hop by hop — this node's layers here, a peer's over gRPC Forward
/// (`session_id` set), which answers with its output.
struct InferenceRun: Sendable {
    let order: InferenceOrder
    let objective: any PipelineObjective
    let links: PeerLinks
    let signer: CallSigner
    /// This node's weights for each of its hops, by first layer: cut once, not once per token.
    let local: [Int: LayerParameters]
    static let hopTimeout: Duration = .seconds(30)

    init(order: InferenceOrder, objective: any PipelineObjective, links: PeerLinks, signer: CallSigner) {
        self.order = order
        self.objective = objective
        self.links = links
        self.signer = signer
        local = Dictionary(uniqueKeysWithValues: order.route.filter { $0.address == nil }
            .map { ($0.layers.lowerBound, order.local.restricted(to: $0.layers)) })
    }

    /// Generates, handing each token's piece of text to `onPiece` as it comes, until done or
    /// cancelled.
    func run(onPiece: (Int, String) -> Void) async -> Result<InferenceResult, InferenceFailure> {
        let clock = ContinuousClock(), started = clock.now
        var generator = Generator(prompt: order.prompt, options: GenerationOptions(
            maxTokens: order.maxTokens, temperature: order.temperature, topK: order.topK, topP: order.topP,
            stop: order.stop, contextLength: objective.contextLength))
        var rng = DeterministicRNG(seed: order.seed)
        var index = 0
        do throws(InferenceFailure) {
            while !generator.isFinished {
                // Cancelled when the node stops: the generation ends at a token boundary.
                if Task.isCancelled { throw InferenceFailure("the node is stopping") }
                let logits = try await logits(for: Array(generator.context), token: index)
                onPiece(index, generator.advance(logits: logits, rng: &rng))
                index += 1
            }
        } catch {
            return .failure(error)
        }
        let r = generator.result, elapsed = clock.now - started
        return .success(InferenceResult(text: r.text, promptTokens: r.promptTokens, tokens: r.tokens,
                                        finishReason: r.finishReason.rawValue,
                                        inference: TimeSpan(elapsed)))
    }

    /// The next token's scores for `context`, through every hop of the route.
    private func logits(for context: [Int32], token: Int) async throws(InferenceFailure) -> [Float] {
        var input = PipelineInput.tokens(context)
        for hop in order.route {
            let output: InferenceOutput
            if let address = hop.address {
                output = try await remote(hop, address: address, input: input, token: token)
            } else {
                do { output = try objective.infer(local[hop.layers.lowerBound]!, input: input) } catch {
                    throw InferenceFailure("layers \(hop.layers.lowerBound)..<\(hop.layers.upperBound) here: \(error)")
                }
            }
            switch output {
            case .activations(let a): input = .activations(a)
            case .logits(let l): return l
            }
        }
        throw InferenceFailure("the route ended before the model's last layer")
    }

    private func remote(_ hop: InferenceHop, address: String, input: PipelineInput, token: Int) async throws(InferenceFailure)
        -> InferenceOutput {
        guard let peer = links.client(address) else { throw InferenceFailure("no link to \(address)") }
        var request = Neuroshard_ForwardRequest.with {
            $0.caller = signer.caller()
            $0.sessionID = order.id
            $0.requestID = UInt64(token)
            $0.layer = Int32(hop.layers.lowerBound)
            switch input {
            case .tokens(let ids): $0.tokens = ids
            case .activations(let a): $0.activations = Neuroshard_Tensor(a)
            }
        }
        signer.sign(&request)
        var options = CallOptions.defaults
        options.timeout = Self.hopTimeout
        let response: Neuroshard_ForwardResponse
        do { response = try await peer.forward(request, options: options) } catch {
            throw InferenceFailure("layers \(hop.layers.lowerBound)..<\(hop.layers.upperBound) at \(address): \(error)")
        }
        // The peer may have moved since the route was planned: its output must be what the next hop expects.
        guard Int(response.nextLayer) == hop.layers.upperBound else {
            throw InferenceFailure("\(address) no longer holds layers \(hop.layers.lowerBound)..<\(hop.layers.upperBound)")
        }
        do {
            let values = try response.output.floats("output")
            return hop.layers.upperBound == objective.layerCount ? .logits(values) : .activations(values)
        } catch {
            throw InferenceFailure("\(address) answered: \(error)")
        }
    }
}
