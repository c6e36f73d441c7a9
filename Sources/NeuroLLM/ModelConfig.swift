/// The shape of a NeuroLLM network: a decoder-only transformer over bytes (pre-norm RMSNorm,
/// rotary positions, grouped-query causal attention, SwiGLU MLP).
///
/// The network is cut into `pipelineLayerCount` pipeline layers, the unit nodes hold, train and
/// exchange: layer 0 is the token embedding, layers 1…blocks the transformer blocks, layer
/// blocks+1 the final RMSNorm with the LM head (and the cross-entropy loss).
public struct ModelConfig: Sendable, Equatable {
    /// 260 for the byte tokenizer: ids 0–3 are pad, bos, eos, unk; byte b is id b + 4.
    public var vocabularySize: Int
    public var hidden: Int
    public var blocks: Int
    /// Query heads.
    public var heads: Int
    /// Key/value heads; each serves heads / kvHeads query heads (grouped-query attention).
    public var kvHeads: Int
    /// Inner size of the SwiGLU MLP.
    public var ffn: Int
    /// The longest sequence the model is trained and queried on.
    public var contextLength: Int
    public var ropeBase: Double
    public var normEpsilon: Float
    /// Tied embedding and LM head. Not supported (`validate()` rejects it): in a pipeline the
    /// embedding lives on the driver and the head on the validator, so one matrix would be
    /// trained and DiLoCo-averaged by two different groups of nodes; and at 260 × hidden it is
    /// under 0.4% of the default network, so tying would save almost nothing.
    public var tiedEmbeddings: Bool

    public init(vocabularySize: Int = 260, hidden: Int, blocks: Int, heads: Int, kvHeads: Int, ffn: Int,
                contextLength: Int, ropeBase: Double = 10_000, normEpsilon: Float = 1e-5, tiedEmbeddings: Bool = false) {
        self.vocabularySize = vocabularySize
        self.hidden = hidden
        self.blocks = blocks
        self.heads = heads
        self.kvHeads = kvHeads
        self.ffn = ffn
        self.contextLength = contextLength
        self.ropeBase = ropeBase
        self.normEpsilon = normEpsilon
        self.tiedEmbeddings = tiedEmbeddings
    }

    public static let presetNames = ["tiny", "small", "default"]

    /// - `tiny`: 41 k parameters. Built for the simulator: eight simulated nodes each training a
    ///   full replica run hundreds of steps in seconds on one core, and it still has every part
    ///   of the architecture (two blocks, GQA with 2 query heads per KV head, head size 8,
    ///   SwiGLU at 3× width) so the simulated training exercises the real code paths.
    /// - `small`: 3.2 M parameters, the benchmark shape: wide enough (256) that every matrix
    ///   product runs near the single-thread sgemm peak.
    /// - `default`: the original network, 11 blocks × 512 hidden × 16 heads (4 KV heads) × FFN
    ///   2048, context 512: 42 M parameters.
    public static func preset(_ name: String) -> ModelConfig? {
        switch name {
        case "tiny": ModelConfig(hidden: 32, blocks: 2, heads: 4, kvHeads: 2, ffn: 96, contextLength: 32)
        case "small": ModelConfig(hidden: 256, blocks: 4, heads: 8, kvHeads: 2, ffn: 768, contextLength: 128)
        case "default": ModelConfig(hidden: 512, blocks: 11, heads: 16, kvHeads: 4, ffn: 2048, contextLength: 512)
        default: nil
        }
    }

    public var headDimension: Int { hidden / heads }
    /// Width of the keys (and of the values): kvHeads · headDimension.
    public var kvWidth: Int { kvHeads * headDimension }
    public var pipelineLayerCount: Int { blocks + 2 }
    public var headLayer: Int { blocks + 1 }

    /// Checks that the shapes fit together; every entry point calls it.
    public func validate() throws(ModelError) {
        try require(vocabularySize > 0, "vocabularySize must be positive")
        try require(hidden > 0 && blocks >= 0 && heads > 0 && kvHeads > 0 && ffn > 0 && contextLength > 0,
                    "hidden, heads, kvHeads, ffn and contextLength must be positive, blocks non-negative")
        try require(hidden % heads == 0, "hidden (\(hidden)) must be a multiple of heads (\(heads))")
        try require(headDimension % 2 == 0, "the head size (\(headDimension)) must be even for rotary positions")
        try require(heads % kvHeads == 0, "heads (\(heads)) must be a multiple of kvHeads (\(kvHeads))")
        try require(ropeBase > 1, "ropeBase must exceed 1")
        try require(normEpsilon > 0, "normEpsilon must be positive")
        try require(!tiedEmbeddings, "tied embeddings are not supported: the embedding and the LM head are separate pipeline layers")
    }

    /// Number of floats in pipeline layer `layer`'s flat parameter array.
    public func parameterCount(layer: Int) -> Int {
        precondition((0..<pipelineLayerCount).contains(layer), "layer \(layer) is outside 0..<\(pipelineLayerCount)")
        switch layer {
        case 0: return EmbeddingLayout(self).count
        case headLayer: return HeadLayout(self).count
        default: return BlockLayout(self).count
        }
    }

    public var parameterCount: Int { (0..<pipelineLayerCount).reduce(0) { $0 + parameterCount(layer: $1) } }

    /// Floating-point operations of one forward and backward pass of `layers` over `tokens`
    /// tokens cut into sequences of `sequence`. A matrix product m×k·k×n counts 2·m·n·k; the
    /// backward pass counts twice the forward (input and weight gradients). Attention counts the
    /// full sequence × sequence score and mixing products, as the code computes them (the causal
    /// half above the diagonal is masked, not skipped). Element-wise work (norms, softmax, gates)
    /// and the embedding lookup count nothing.
    public func flops(layers: Range<Int>, tokens: Int, sequence: Int) -> Double {
        precondition(layers.lowerBound >= 0 && layers.upperBound <= pipelineLayerCount, "layers outside the model")
        let h = Double(hidden), kv = Double(kvWidth), f = Double(ffn), t = Double(sequence)
        let block = 2 * h * (h + 2 * kv) + 2 * h * h + 2 * h * (2 * f) + 2 * f * h + 2 * (2 * t * h)
        let head = 2 * h * Double(vocabularySize)
        var forward = 0.0
        for layer in layers where layer > 0 { forward += layer == headLayer ? head : block }
        return 3 * forward * Double(tokens)
    }
}
