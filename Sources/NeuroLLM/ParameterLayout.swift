import Deterministic

// Each pipeline layer's parameters are one flat [Float] (what AdamW, DiLoCo and the robust
// aggregators work on). Matrices are row-major and stored as (out × in), so a projection is
// y = x·Wᵀ. The layouts below give the offset of every tensor inside the flat array; gradients
// use the same layout.

/// Layer 0: the token embedding, `vocabularySize × hidden` (row i is token i's vector).
public struct EmbeddingLayout: Sendable, Equatable {
    public let table: Range<Int>
    public var count: Int { table.upperBound }

    public init(_ config: ModelConfig) {
        table = 0..<(config.vocabularySize * config.hidden)
    }
}

/// Layers 1…blocks: one transformer block. In order:
///
/// | tensor | shape |
/// |---|---|
/// | attentionNorm (RMSNorm gain) | hidden |
/// | wq | hidden × hidden |
/// | wk | kvWidth × hidden |
/// | wv | kvWidth × hidden |
/// | wo | hidden × hidden |
/// | mlpNorm (RMSNorm gain) | hidden |
/// | wGate | ffn × hidden |
/// | wUp | ffn × hidden |
/// | wDown | hidden × ffn |
///
/// wq, wk and wv are adjacent, so together they are the fused (hidden + 2·kvWidth) × hidden
/// projection computed by one matrix product; wGate and wUp likewise form one 2·ffn × hidden.
public struct BlockLayout: Sendable, Equatable {
    public let attentionNorm, wq, wk, wv, wo, mlpNorm, wGate, wUp, wDown: Range<Int>

    public init(_ config: ModelConfig) {
        let h = config.hidden, kv = config.kvWidth, f = config.ffn
        var offset = 0
        func next(_ size: Int) -> Range<Int> {
            defer { offset += size }
            return offset..<(offset + size)
        }
        attentionNorm = next(h)
        wq = next(h * h)
        wk = next(kv * h)
        wv = next(kv * h)
        wo = next(h * h)
        mlpNorm = next(h)
        wGate = next(f * h)
        wUp = next(f * h)
        wDown = next(h * f)
    }

    public var count: Int { wDown.upperBound }
    /// wq, wk and wv as one matrix.
    public var wqkv: Range<Int> { wq.lowerBound..<wv.upperBound }
    /// wGate and wUp as one matrix.
    public var wGateUp: Range<Int> { wGate.lowerBound..<wUp.upperBound }

    /// The tensors by name, in layout order (for tests and diagnostics).
    public var named: [(name: String, range: Range<Int>)] {
        [("attentionNorm", attentionNorm), ("wq", wq), ("wk", wk), ("wv", wv), ("wo", wo),
         ("mlpNorm", mlpNorm), ("wGate", wGate), ("wUp", wUp), ("wDown", wDown)]
    }
}

/// Layer blocks+1: the final RMSNorm gain (hidden), then the LM head wOut (vocabularySize × hidden).
public struct HeadLayout: Sendable, Equatable {
    public let norm, wOut: Range<Int>

    public init(_ config: ModelConfig) {
        norm = 0..<config.hidden
        wOut = config.hidden..<(config.hidden + config.vocabularySize * config.hidden)
    }

    public var count: Int { wOut.upperBound }
}

extension ModelConfig {
    /// The genesis weights of one pipeline layer: the same on every node for the same seed.
    ///
    /// Every tensor draws from its own stream, split from the seed by layer and tensor name, so
    /// its values do not depend on the other tensors' shapes. Norm gains start at 1. Projections
    /// are N(0, 1/fan-in): a unit-scale input gives a unit-scale output at any width. The
    /// projections that write into the residual stream (wo, wDown) are further scaled by
    /// 1/√(2·blocks), so the stream's scale stays O(1) however deep the network is. Embedding rows
    /// are N(0, 1), the scale the normalised stream has. The LM head is N(0, 0.25/hidden): initial
    /// logits have a standard deviation of 0.5, so the first loss is close to ln(vocabulary), the
    /// loss of a uniform guess, while every block still receives a gradient on the first step.
    public func initialParameters(layer: Int, seed: UInt64) -> [Float] {
        var params = [Float](repeating: 0, count: parameterCount(layer: layer))
        let rng = DeterministicRNG(seed: seed).split(UInt64(layer))
        func fill(_ name: String, _ range: Range<Int>, std: Double) {
            var stream = rng.split(name)
            for i in range { params[i] = Float(stream.nextGaussian() * std) }
        }
        func ones(_ range: Range<Int>) {
            for i in range { params[i] = 1 }
        }
        let h = Double(hidden)
        switch layer {
        case 0:
            fill("embedding", EmbeddingLayout(self).table, std: 1)
        case headLayer:
            let layout = HeadLayout(self)
            ones(layout.norm)
            fill("wOut", layout.wOut, std: 0.5 / h.squareRoot())
        default:
            let layout = BlockLayout(self)
            let residual = 1 / Double(2 * blocks).squareRoot()
            ones(layout.attentionNorm)
            ones(layout.mlpNorm)
            fill("wq", layout.wq, std: 1 / h.squareRoot())
            fill("wk", layout.wk, std: 1 / h.squareRoot())
            fill("wv", layout.wv, std: 1 / h.squareRoot())
            fill("wo", layout.wo, std: residual / h.squareRoot())
            fill("wGate", layout.wGate, std: 1 / h.squareRoot())
            fill("wUp", layout.wUp, std: 1 / h.squareRoot())
            fill("wDown", layout.wDown, std: residual / Double(ffn).squareRoot())
        }
        return params
    }
}
