import Training

/// Whole-model conveniences: one stage over every layer. Each call builds its own workspace, so
/// the type is a plain `Sendable` value any thread can use; a training loop that wants no
/// per-step allocation keeps a `Stage` instead.
public struct NeuroLLM: Sendable {
    public let config: ModelConfig

    public init(config: ModelConfig) throws(ModelError) {
        try config.validate()
        self.config = config
    }

    public var allLayers: Range<Int> { 0..<config.pipelineLayerCount }

    /// The genesis weights of every layer.
    public func initialParameters(seed: UInt64) -> LayerParameters {
        LayerParameters(range: allLayers, layers: allLayers.map { config.initialParameters(layer: $0, seed: seed) })
    }

    /// The mean loss over non-pad targets and the gradient of every layer. `tokens` and
    /// `targets` are batch × sequence ids (targets are usually the tokens shifted by one).
    public func lossAndGradients(_ params: LayerParameters, tokens: [Int32], targets: [Int32],
                                 batch: Int, sequence: Int) throws(ModelError) -> (loss: Double, gradients: [[Float]]) {
        let stage = try Stage(config: config, layers: allLayers, batch: batch, sequence: sequence)
        guard case .loss(let loss) = try stage.forward(params, input: .tokens(tokens), targets: targets) else {
            preconditionFailure("a stage ending at the head, given targets, returns the loss")
        }
        return (loss, try stage.backward(params).gradients)
    }

    /// The loss alone (evaluation): a forward pass that keeps nothing for a backward pass.
    public func loss(_ params: LayerParameters, tokens: [Int32], targets: [Int32],
                     batch: Int, sequence: Int) throws(ModelError) -> Double {
        let stage = try Stage(config: config, layers: allLayers, batch: batch, sequence: sequence, training: false)
        guard case .loss(let loss) = try stage.forward(params, input: .tokens(tokens), targets: targets) else {
            preconditionFailure("a stage ending at the head, given targets, returns the loss")
        }
        return loss
    }

    /// The logits (vocabularySize floats) for the token after `context`, for generation. A
    /// context longer than the context length is cut to its last `contextLength` tokens (the
    /// model never saw longer sequences); an empty context is an error (start with bos).
    /// Every call runs the whole context (there is no key/value cache).
    public func nextTokenLogits(_ params: LayerParameters, context: [Int32]) throws(ModelError) -> [Float] {
        try require(!context.isEmpty, "the context is empty (start it with the bos token, id 1)")
        let window = Array(context.suffix(config.contextLength))
        let stage = try Stage(config: config, layers: allLayers, batch: 1, sequence: window.count, training: false)
        guard case .logits(let logits) = try stage.forward(params, input: .tokens(window)) else {
            preconditionFailure("a stage ending at the head, without targets, returns the logits")
        }
        return Array(logits.suffix(config.vocabularySize))
    }
}
