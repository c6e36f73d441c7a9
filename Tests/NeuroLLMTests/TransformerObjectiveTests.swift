import Deterministic
import Language
import Testing
import Training
@testable import NeuroLLM

@Suite struct TransformerObjectiveTests {
    static func objective() throws -> TransformerObjective {
        let config = try #require(ModelConfig.preset("tiny"))
        let source = MarkovSource(symbols: 8, order: 1, alpha: 0.3, seed: 3)
        return try TransformerObjective(model: NeuroLLM(config: config), batch: 4, sequence: 16, seed: 3,
                                        lossFloor: source.expectedLoss(sequenceLength: 16),
                                        validation: source.validationSet(batches: 2, batch: 4, sequence: 16)) { shard, rng in
            var stream = MarkovStream(source: source, rng: DeterministicRNG(seed: rng.next()))
            return stream.nextBatch(batch: 4, sequence: 16)
        }
    }

    @Test func trainingLowersTheValidationLossTowardTheFloor() throws {
        let o = try Self.objective()
        var params = o.initialParameters(range: 0..<o.layerCount)
        let before = o.evaluate(params)
        var adam = AdamW(learningRate: 0.01, weightDecay: 0)
        var rng = DeterministicRNG(seed: 1)
        let report = o.train(&params, optimizer: &adam, steps: 150, shard: 0, rng: &rng)
        let after = o.evaluate(params)
        #expect(report.steps == 150 && report.samples == 600)
        #expect(after < before - 2)
        #expect(after > o.lossFloor!)
        #expect(o.flopsPerStep(layers: 0..<o.layerCount) == o.model.config.flops(layers: 0..<4, tokens: 64, sequence: 16))
    }

    @Test func onlyAFullReplicaReportsALoss() throws {
        let o = try Self.objective()
        #expect(o.evaluate(o.initialParameters(range: 1..<3)).isNaN)
    }

    @Test func generationIsSeededAndRespectsMaxTokens() throws {
        let o = try Self.objective()
        let params = o.initialParameters(range: 0..<o.layerCount)
        let options = GenerationOptions(maxTokens: 12, temperature: 0.8, topK: 10)
        var a = DeterministicRNG(seed: 5), b = DeterministicRNG(seed: 5)
        let first = try o.model.generate(params, prompt: "ab", options: options, rng: &a)
        let second = try o.model.generate(params, prompt: "ab", options: options, rng: &b)
        #expect(first == second)
        #expect(first.tokens <= 12 && first.promptTokens == 3)
    }

    @Test func mismatchedValidationBatchesAreRefused() throws {
        let config = try #require(ModelConfig.preset("tiny"))
        #expect(throws: ModelError.self) {
            try TransformerObjective(model: NeuroLLM(config: config), batch: 4, sequence: 16, seed: 1,
                                     validation: [(inputs: [1, 2], targets: [2, 3])]) { _, _ in ([], []) }
        }
    }
}
