import Deterministic
import Training

/// NeuroLLM as the objective a node trains with DiLoCo: minibatches from the node's data shard,
/// the loss reported on a fixed validation set (the same for every node, so losses compare).
///
/// A full replica trains with `gradients` and `train`; nodes holding part of the model run
/// their stage through the `PipelineObjective` calls.
public struct TransformerObjective: PipelineObjective {
    /// One minibatch of shard `shard`, drawn with the job's generator: `batch` rows of
    /// `sequence` input tokens and their targets.
    public typealias BatchSource = @Sendable (_ shard: UInt64, _ rng: inout DeterministicRNG) -> (inputs: [Int32], targets: [Int32])

    public let model: NeuroLLM
    public let batch: Int
    public let sequence: Int
    public let layerMemoryMB: Double
    /// Seeds the genesis weights.
    public let seed: UInt64
    /// The best loss any model can reach on the validation set, when the data source knows it.
    public let lossFloor: Double?
    private let source: BatchSource
    private let validation: [(inputs: [Int32], targets: [Int32])]

    public init(model: NeuroLLM, batch: Int, sequence: Int, seed: UInt64, layerMemoryMB: Double? = nil,
                lossFloor: Double? = nil, validation: [(inputs: [Int32], targets: [Int32])],
                source: @escaping BatchSource) throws(ModelError) {
        try require(batch > 0 && sequence > 0 && sequence <= model.config.contextLength,
                    "batch must be positive and sequence within 1...\(model.config.contextLength)")
        try require(!validation.isEmpty, "the validation set is empty")
        try require(validation.allSatisfy { $0.inputs.count == batch * sequence && $0.targets.count == batch * sequence },
                    "validation batches must be \(batch) × \(sequence) tokens")
        self.model = model
        self.batch = batch
        self.sequence = sequence
        self.seed = seed
        self.lossFloor = lossFloor
        self.validation = validation
        self.source = source
        self.layerMemoryMB = layerMemoryMB ?? Self.defaultLayerMemoryMB(model.config, batch: batch, sequence: sequence)
    }

    /// Four copies of the largest layer (weights, θ₀, two AdamW moments) plus a block's
    /// activations for one minibatch, in MB.
    static func defaultLayerMemoryMB(_ config: ModelConfig, batch: Int, sequence: Int) -> Double {
        let largest = (0..<config.pipelineLayerCount).map { config.parameterCount(layer: $0) }.max() ?? 0
        let activations = batch * sequence * (6 * config.hidden + 3 * config.ffn + config.heads * sequence)
        return Double(4 * largest + activations) * 4 / 1_048_576
    }

    public var layerCount: Int { model.config.pipelineLayerCount }

    public func initialParameters(layer: Int) -> [Float] {
        model.config.initialParameters(layer: layer, seed: seed)
    }

    public func flopsPerStep(layers: Range<Int>) -> Double {
        model.config.flops(layers: layers, tokens: batch * sequence, sequence: sequence)
    }

    public func gradients(_ params: LayerParameters, shard: UInt64, rng: inout DeterministicRNG) -> Gradients {
        precondition(params.range == model.allLayers, "a node holding part of NeuroLLM trains it as a pipeline stage")
        let (inputs, targets) = source(shard, &rng)
        do {
            let (loss, grads) = try model.lossAndGradients(params, tokens: inputs, targets: targets,
                                                           batch: batch, sequence: sequence)
            return Gradients(loss: loss, layers: grads, samples: batch)
        } catch {
            preconditionFailure("the objective built these shapes itself: \(error)")
        }
    }

    public func minibatch(shard: UInt64, rng: inout DeterministicRNG) -> (inputs: [Int32], targets: [Int32]) {
        source(shard, &rng)
    }

    /// Mean loss over the validation set; NaN for a node that does not hold the whole model
    /// (there is no loss to report without the head and the embedding).
    public func evaluate(_ params: LayerParameters) -> Double {
        guard params.range == model.allLayers else { return .nan }
        var total = 0.0
        for v in validation {
            do {
                total += try model.loss(params, tokens: v.inputs, targets: v.targets, batch: batch, sequence: sequence)
            } catch {
                preconditionFailure("the objective built these shapes itself: \(error)")
            }
        }
        return total / Double(validation.count)
    }
}
