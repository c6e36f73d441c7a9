import Deterministic
import Foundation
import NeuroLLM
import TensorMath
import Testing
import Training

@Suite struct TrainingTests {
    /// The tiny preset learns a repeating byte pattern: after the first few positions of a
    /// window the next byte is fully determined, so the loss falls from ln 260 ≈ 5.6 to near 0
    /// (only the first position of each window, which cannot know the phase, keeps ln 11).
    @Test func tinyLearnsARepeatingPattern() throws {
        BLAS.setThreads(1)
        let config = try #require(ModelConfig.preset("tiny"))
        let pattern = Array("NeuroShard!".utf8).map { Int32($0) + 4 }
        let batch = 4, sequence = config.contextLength
        let stage = try Stage(config: config, layers: 0..<config.pipelineLayerCount, batch: batch, sequence: sequence)
        var params = try NeuroLLM(config: config).initialParameters(seed: 1)
        var optimizer = AdamW(learningRate: 1e-2, weightDecay: 0, clipNorm: 1)
        var rng = DeterministicRNG(seed: 2)
        var losses: [Double] = []
        for _ in 0..<300 {
            var tokens: [Int32] = [], targets: [Int32] = []
            for _ in 0..<batch {
                let phase = rng.nextInt(below: pattern.count)
                for t in 0..<sequence {
                    tokens.append(pattern[(phase + t) % pattern.count])
                    targets.append(pattern[(phase + t + 1) % pattern.count])
                }
            }
            guard case .loss(let loss) = try stage.forward(params, input: .tokens(tokens), targets: targets) else {
                Issue.record("no loss"); return
            }
            losses.append(loss)
            optimizer.step(&params, gradients: try stage.backward(params).gradients)
        }
        #expect(abs(losses[0] - log(260)) < 0.5, "first loss \(losses[0])")
        let last = losses.suffix(10).reduce(0, +) / 10
        #expect(last < 0.3, "mean of the last 10 losses: \(last)")
    }
}
