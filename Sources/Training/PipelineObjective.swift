import Deterministic

/// What enters a pipeline stage: token ids for the holder of layer 0, the previous stage's
/// output activations otherwise.
public enum PipelineInput: Sendable, Equatable {
    case tokens([Int32])
    case activations([Float])
}

/// What an inference stage passes on: activations (positions × hidden) for the next stage, or
/// the scores of the next token from the stage that ends the model.
public enum InferenceOutput: Sendable, Equatable {
    case activations([Float])
    case logits([Float])
}

/// One stage's share of a training step's backward pass.
public struct StageGradients: Sendable {
    /// The minibatch loss (the stage holding the last layer only).
    public var loss: Double?
    /// The gradient of the stage's input activations (nil for the holder of layer 0).
    public var input: [Float]?
    /// The gradient of every held layer, in the parameters' layout.
    public var layers: [[Float]]

    public init(loss: Double?, input: [Float]?, layers: [[Float]]) {
        self.loss = loss; self.input = input; self.layers = layers
    }
}

/// An objective whose layers can be split over nodes (SPEC §6): the holder of layer 0 draws a
/// minibatch and runs its layers; every next holder runs its layers on the activations it is
/// sent; the holder of the last layer computes the loss and starts the backward pass, whose
/// input gradients travel back the same way.
///
/// Calls take the stage's window of layers as `params.range`. They throw on inputs that do not
/// fit (wrong sizes, ids out of range): those can come from other nodes.
public protocol PipelineObjective: Objective {
    /// Rows in one minibatch.
    var batch: Int { get }
    /// Floats in the activations passed between two stages.
    var activationCount: Int { get }
    /// One minibatch of shard `shard`: the input tokens (to layer 0) and the targets (to the loss).
    func minibatch(shard: UInt64, rng: inout DeterministicRNG) -> (inputs: [Int32], targets: [Int32])
    /// Why `targets` received from another node cannot be used (nil when they can).
    func problem(targets: [Int32]) -> String?
    /// The stage's output activations.
    func forward(_ params: LayerParameters, input: PipelineInput) throws -> [Float]
    /// The stage's gradients, recomputing its forward pass from `input` (a stage keeps no
    /// activations between messages). A stage ending at the last layer starts from `targets`;
    /// any other from the gradient of its output.
    func backward(_ params: LayerParameters, input: PipelineInput, outputGradient: [Float]?,
                  targets: [Int32]?) throws -> StageGradients
    /// The most positions inference may show the model at once.
    var contextLength: Int { get }
    /// Inference on one sequence (1 … `contextLength` positions): `params.range` run on token
    /// ids (from layer 0) or on the previous stage's activations; nothing is kept.
    func infer(_ params: LayerParameters, input: PipelineInput) throws -> InferenceOutput
}
