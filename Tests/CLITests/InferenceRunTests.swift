import Identity
import NeuroLLM
import Testing
import Wire
@testable import NeuroShardCore
@testable import Server

/// A generation runs to its end, and stops before its next token once its task is cancelled:
/// a stopping node cancels its generations, so a long one does not hold the exit up.
@Suite struct InferenceRunTests {
    func run() throws -> InferenceRun {
        let objective = try TransformerObjective(model: NeuroLLM(config: ModelConfig.preset("tiny")!), batch: 1, sequence: 8,
                                                 seed: 5, validation: [(Array(repeating: 5, count: 8), Array(repeating: 6, count: 8))]) { _, _ in
            (Array(repeating: 5, count: 8), Array(repeating: 6, count: 8))
        }
        let layers = 0..<objective.layerCount
        let order = InferenceOrder(id: "gen-1", prompt: "Hello", maxTokens: 16, temperature: 1, topK: nil, topP: nil,
                                   stop: [], stream: false,
                                   route: [InferenceHop(layers: layers, node: NodeID(high: 1, low: 1), address: nil)],
                                   local: objective.initialParameters(range: layers), seed: 7)
        let signer = CallSigner(key: SigningKey(token: "inference-run-test"), address: "127.0.0.1:1")
        return InferenceRun(order: order, objective: objective, links: PeerLinks(signer: signer) { _ in }, signer: signer)
    }

    @Test func aGenerationRunsToItsEnd() async throws {
        let run = try run()
        let outcome = await Task { await run.run { _, _ in } }.value
        #expect(try outcome.get().tokens > 0)
    }

    @Test func aCancelledGenerationStopsWithTheReason() async throws {
        let run = try run()
        let outcome = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await run.run { _, _ in Issue.record("a cancelled generation produced a token") }
        }.value
        guard case .failure(let failure) = outcome else {
            Issue.record("a cancelled generation finished: \(outcome)")
            return
        }
        #expect(failure.reason == "the node is stopping")
    }
}
