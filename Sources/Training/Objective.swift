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
    /// Runs `steps` inner optimizer steps on the node's own data shard.
    func train(_ params: inout LayerParameters, optimizer: inout AdamW, steps: Int,
               shard: UInt64, rng: inout DeterministicRNG) -> TrainingReport
    /// The loss a node reports for these layers (lower is better; the analytic objective's
    /// optimum is known, so its loss is the excess over the optimum).
    func evaluate(_ params: LayerParameters) -> Double
}

extension Objective {
    public func initialParameters(range: Range<Int>) -> LayerParameters {
        LayerParameters(range: range, layers: range.map { initialParameters(layer: $0) })
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
