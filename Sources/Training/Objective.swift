import Deterministic

/// What a node trains. The node core runs DiLoCo over this interface without knowing whether
/// the model is a cheap analytic function (thousands of simulated nodes) or a transformer.
public protocol Objective: Sendable {
    /// Number of pipeline layers the model is cut into.
    var layerCount: Int { get }
    /// Memory one layer needs on a node (weights, optimizer state, activations), in MB.
    var layerMemoryMB: Double { get }
    /// The same initial weights on every node (a shared genesis checkpoint).
    func initialParameters(layer: Int) -> [Float]
    /// Work of one inner step over `layers`, in floating-point operations. The simulator turns
    /// work into virtual time with the node's speed; production ignores it.
    func flopsPerStep(layers: Range<Int>) -> Double
    /// The loss and gradients of one minibatch from the node's own data shard, drawn with `rng`.
    func gradients(_ params: LayerParameters, shard: UInt64, rng: inout DeterministicRNG) -> Gradients
    /// Runs `steps` inner optimizer steps on the node's own data shard (a default loops over
    /// `gradients`; an objective may do it faster).
    func train(_ params: inout LayerParameters, optimizer: inout AdamW, steps: Int,
               shard: UInt64, rng: inout DeterministicRNG) -> TrainingReport
    /// The loss a node reports for these layers (lower is better; the analytic objective's
    /// optimum is known, so its loss is the excess over the optimum).
    func evaluate(_ params: LayerParameters) -> Double
    /// The lowest loss any model can reach, when the data makes it known (nil otherwise).
    var lossFloor: Double? { get }
}

extension Objective {
    public var lossFloor: Double? { nil }

    public func initialParameters(range: Range<Int>) -> LayerParameters {
        LayerParameters(range: range, layers: range.map { initialParameters(layer: $0) })
    }

    /// Runs `steps` inner optimizer steps on the node's own data shard.
    public func train(_ params: inout LayerParameters, optimizer: inout AdamW, steps: Int,
                      shard: UInt64, rng: inout DeterministicRNG) -> TrainingReport {
        trainingLoop(&params, optimizer: &optimizer, steps: steps) { gradients($0, shard: shard, rng: &rng) }
    }

    /// `steps` optimizer steps on the gradients `step` returns for the current weights.
    public func trainingLoop(_ params: inout LayerParameters, optimizer: inout AdamW, steps: Int,
                             _ step: (LayerParameters) -> Gradients) -> TrainingReport {
        var lossSum = 0.0, samples = 0
        for _ in 0..<steps {
            let g = step(params)
            lossSum += g.loss
            samples += g.samples
            optimizer.step(&params, gradients: g.layers)
        }
        return TrainingReport(steps: steps, samples: samples, meanLoss: steps > 0 ? lossSum / Double(steps) : 0,
                              flops: flopsPerStep(layers: params.range) * Double(steps))
    }
}

/// One minibatch's loss and the gradient of every held layer (same layout as the parameters).
public struct Gradients: Sendable {
    public var loss: Double
    public var layers: [[Float]]
    public var samples: Int
    public init(loss: Double, layers: [[Float]], samples: Int) {
        self.loss = loss; self.layers = layers; self.samples = samples
    }
}

/// What an inner phase did.
public struct TrainingReport: Equatable, Sendable {
    public var steps: Int
    public var samples: Int
    public var meanLoss: Double
    public var flops: Double
    public init(steps: Int, samples: Int, meanLoss: Double, flops: Double) {
        self.steps = steps; self.samples = samples; self.meanLoss = meanLoss; self.flops = flops
    }
}
