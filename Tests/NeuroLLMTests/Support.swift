import Deterministic
@testable import NeuroLLM
import TensorMath
import Training

/// The micro network of the gradient checks: every part of the architecture, small enough that
/// hundreds of finite-difference evaluations take milliseconds.
func microConfig(heads: Int = 2, kvHeads: Int = 1, blocks: Int = 1) -> ModelConfig {
    BLAS.setThreads(1)
    return ModelConfig(hidden: 8, blocks: blocks, heads: heads, kvHeads: kvHeads, ffn: 12, contextLength: 8)
}

/// Weights far from the genesis scale (norm gains 1 ± 0.3, matrices N(0, 0.5²)), so that every
/// path through a layer carries a gradient of the same order and a wrong term shows.
func randomParameters(_ config: ModelConfig, layers: Range<Int>, seed: UInt64) -> LayerParameters {
    var rng = DeterministicRNG(seed: seed)
    let block = BlockLayout(config), head = HeadLayout(config)
    return LayerParameters(range: layers, layers: layers.map { layer in
        let gains: [Range<Int>] = layer == 0 ? [] : layer == config.headLayer ? [head.norm] : [block.attentionNorm, block.mlpNorm]
        var p = (0..<config.parameterCount(layer: layer)).map { _ in Float(rng.nextGaussian() * 0.5) }
        for range in gains { for i in range { p[i] = 1 + p[i] * 0.6 } }
        return p
    })
}

func randomFloats(_ count: Int, seed: UInt64, std: Double = 1) -> [Float] {
    var rng = DeterministicRNG(seed: seed)
    return (0..<count).map { _ in Float(rng.nextGaussian() * std) }
}

func randomTokens(_ count: Int, vocabulary: Int = 260, seed: UInt64) -> [Int32] {
    var rng = DeterministicRNG(seed: seed)
    return (0..<count).map { _ in Int32(rng.nextInt(below: vocabulary)) }
}

/// Σ aᵢbᵢ in Double: the scalar a stage's output is reduced to when its output gradient is `b`.
func weightedSum(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

extension StageOutput {
    var activations: [Float] {
        guard case .activations(let x) = self else { fatalError("expected activations, got \(self)") }
        return x
    }
    var loss: Double {
        guard case .loss(let l) = self else { fatalError("expected a loss, got \(self)") }
        return l
    }
    var logits: [Float] {
        guard case .logits(let l) = self else { fatalError("expected logits, got \(self)") }
        return l
    }
}
