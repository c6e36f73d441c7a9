import Deterministic

/// A cheap analytic objective with a known optimum, so that thousands of simulated nodes fit in
/// one process and "how close to the optimum" is exact.
///
/// Layer l has `dimension` parameters θ and a diagonal curvature a (log-spaced from 1 to
/// `conditionNumber`). The global loss is ½·mean_j a_j (θ_j − θ*_j)², averaged over layers.
/// Node k sees a skewed target θ* + skew·z_k (z_k ~ N(0, I) from its shard id): non-i.i.d. data
/// whose mean over many nodes is the true optimum. Gradients carry N(0, noise²) noise per
/// coordinate, like minibatch noise.
public struct NoisyQuadratic: Objective {
    public var layerCount: Int
    public var dimension: Int
    public var conditionNumber: Double
    public var noise: Double
    public var skew: Double
    public var initialDistance: Double
    public var layerMemoryMB: Double
    /// Virtual cost of one step on one layer, so that compute time looks like a real model's.
    public var stepFlopsPerLayer: Double
    public var seed: UInt64

    private let curvature: [Float]

    public init(layerCount: Int = 4, dimension: Int = 16, conditionNumber: Double = 10,
                noise: Double = 0.1, skew: Double = 0.5, initialDistance: Double = 1,
                layerMemoryMB: Double = 100, stepFlopsPerLayer: Double = 1e9, seed: UInt64 = 1) {
        precondition(layerCount > 0 && dimension > 0 && conditionNumber >= 1)
        self.layerCount = layerCount
        self.dimension = dimension
        self.conditionNumber = conditionNumber
        self.noise = noise
        self.skew = skew
        self.initialDistance = initialDistance
        self.layerMemoryMB = layerMemoryMB
        self.stepFlopsPerLayer = stepFlopsPerLayer
        self.seed = seed
        curvature = (0..<dimension).map { j in
            let t = dimension == 1 ? 0 : Double(j) / Double(dimension - 1)
            return Float(_exp(t * _log(conditionNumber)))
        }
    }

    /// θ* for a layer: fixed by the objective's seed.
    public func optimum(layer: Int) -> [Float] {
        var rng = DeterministicRNG(seed: seed).split("optimum").split(UInt64(layer))
        return (0..<dimension).map { _ in Float(rng.nextGaussian()) }
    }

    public func initialParameters(layer: Int) -> [Float] {
        var rng = DeterministicRNG(seed: seed).split("init").split(UInt64(layer))
        let scale = initialDistance / Double(dimension).squareRoot()
        return zip(optimum(layer: layer), 0..<dimension).map { opt, _ in
            opt + Float(rng.nextGaussian() * scale * 2)
        }
    }

    public func flopsPerStep(layers: Range<Int>) -> Double {
        stepFlopsPerLayer * Double(layers.count)
    }

    private func localTarget(layer: Int, shard: UInt64) -> [Float] {
        var rng = DeterministicRNG(seed: seed).split("shard").split(shard).split(UInt64(layer))
        return optimum(layer: layer).map { $0 + Float(rng.nextGaussian() * skew) }
    }

    public func gradients(_ params: LayerParameters, shard: UInt64, rng: inout DeterministicRNG) -> Gradients {
        gradients(params, targets: params.range.map { localTarget(layer: $0, shard: shard) }, rng: &rng)
    }

    /// The same over many steps, drawing the shard's targets once (thousands of simulated nodes
    /// spend most of their time here).
    public func train(_ params: inout LayerParameters, optimizer: inout AdamW, steps: Int,
                      shard: UInt64, rng: inout DeterministicRNG) -> TrainingReport {
        let targets = params.range.map { localTarget(layer: $0, shard: shard) }
        return trainingLoop(&params, optimizer: &optimizer, steps: steps) { gradients($0, targets: targets, rng: &rng) }
    }

    private func gradients(_ params: LayerParameters, targets: [[Float]], rng: inout DeterministicRNG) -> Gradients {
        var loss = 0.0
        var grads = params.layers.map { [Float](repeating: 0, count: $0.count) }
        for i in params.layers.indices {
            let target = targets[i]
            params.layers[i].withUnsafeBufferPointer { theta in
                grads[i].withUnsafeMutableBufferPointer { g in
                    for j in 0..<dimension {
                        let d = theta[j] - target[j]
                        loss += 0.5 * Double(curvature[j] * d * d)
                        g[j] = curvature[j] * d + Float(rng.nextGaussian() * noise)
                    }
                }
            }
        }
        return Gradients(loss: loss / Double(dimension * max(1, params.layers.count)), layers: grads, samples: 1)
    }

    public func evaluate(_ params: LayerParameters) -> Double {
        guard !params.range.isEmpty else { return 0 }
        var total = 0.0
        for layer in params.range {
            let opt = optimum(layer: layer)
            let theta = params[layer]
            var s = 0.0
            for j in 0..<dimension {
                let d = Double(theta[j] - opt[j])
                s += 0.5 * Double(curvature[j]) * d * d
            }
            total += s / Double(dimension)
        }
        return total / Double(params.range.count)
    }
}
