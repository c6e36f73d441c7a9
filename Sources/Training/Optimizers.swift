import Deterministic

/// AdamW, the inner optimizer (decoupled weight decay, global-norm gradient clipping).
/// Each node keeps its own moments across DiLoCo rounds.
public struct AdamW: Equatable, Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// Clip the global gradient norm to this value; 0 disables clipping.
    public var clipNorm: Float
    /// Scales `learningRate` by the step number (warm-up, then cosine decay).
    public var schedule: LearningRateSchedule = .constant
    public private(set) var stepCount: Int = 0
    /// β₁ᵗ and β₂ᵗ, kept as running products for the bias corrections.
    private var beta1Power: Float = 1
    private var beta2Power: Float = 1
    private var m: [[Float]] = []
    private var v: [[Float]] = []

    public init(learningRate: Float = 1e-4, beta1: Float = 0.9, beta2: Float = 0.95,
                epsilon: Float = 1e-8, weightDecay: Float = 0.1, clipNorm: Float = 1.0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.clipNorm = clipNorm
    }

    /// Forget the moments (used when a node's layers change).
    public mutating func reset() { m = []; v = []; stepCount = 0; beta1Power = 1; beta2Power = 1 }

    public mutating func step(_ params: inout LayerParameters, gradients: [[Float]]) {
        precondition(gradients.count == params.layers.count, "one gradient per layer")
        if m.count != gradients.count {
            m = gradients.map { [Float](repeating: 0, count: $0.count) }
            v = m
        }
        stepCount += 1
        beta1Power *= beta1
        beta2Power *= beta2
        var scale: Float = 1
        if clipNorm > 0 {
            var sq = 0.0
            for g in gradients { for x in g { sq += Double(x) * Double(x) } }
            let norm = Float(sq.squareRoot())
            if norm > clipNorm { scale = clipNorm / norm }
        }
        let c1 = 1 - beta1Power, c2 = 1 - beta2Power
        let lr = learningRate * schedule.factor(step: stepCount), wd = weightDecay, b1 = beta1, b2 = beta2, eps = epsilon
        for i in gradients.indices {
            let g = gradients[i]
            params.layers[i].withUnsafeMutableBufferPointer { p in
                m[i].withUnsafeMutableBufferPointer { m in
                    v[i].withUnsafeMutableBufferPointer { v in
                        for j in p.indices {
                            let gj = g[j] * scale
                            m[j] = b1 * m[j] + (1 - b1) * gj
                            v[j] = b2 * v[j] + (1 - b2) * gj * gj
                            let update = (m[j] / c1) / ((v[j] / c2).squareRoot() + eps)
                            p[j] -= lr * (update + wd * p[j])
                        }
                    }
                }
            }
        }
    }
}

/// Learning-rate multiplier by step: linear warm-up from 1/warmup to 1 over `warmup` steps, then,
/// when `total` is set, a half cosine from 1 down to `floor` at step `total` (and `floor` after).
public struct LearningRateSchedule: Equatable, Sendable {
    public var warmup: Int
    public var total: Int?
    public var floor: Float

    public static let constant = LearningRateSchedule(warmup: 0, total: nil, floor: 1)

    public init(warmup: Int, total: Int?, floor: Float = 0.1) {
        precondition(warmup >= 0 && (total ?? warmup) >= warmup, "the warm-up must fit in the total")
        self.warmup = warmup; self.total = total; self.floor = floor
    }

    /// The multiplier for 1-based step `step`.
    public func factor(step: Int) -> Float {
        if step <= warmup { return Float(step) / Float(warmup) }
        guard let total, total > warmup else { return 1 }
        let progress = min(1, Double(step - warmup) / Double(total - warmup))
        let cosine = 0.5 * (1 + _cos(Double.pi * progress))
        return floor + (1 - floor) * Float(cosine)
    }
}

/// The DiLoCo outer optimizer: SGD with Nesterov momentum applied to the aggregated
/// pseudo-gradient, from θ₀ (PyTorch's formulation: v ← μv + Δ; θ₀ ← θ₀ − lr·(Δ + μv)).
public struct NesterovSGD: Equatable, Sendable {
    public var learningRate: Float
    public var momentum: Float
    public private(set) var velocity: [[Float]] = []

    public init(learningRate: Float = 0.7, momentum: Float = 0.9) {
        self.learningRate = learningRate
        self.momentum = momentum
    }

    public init(learningRate: Float, momentum: Float, velocity: [[Float]]) {
        self.init(learningRate: learningRate, momentum: momentum)
        self.velocity = velocity
    }

    /// Follows a node's move from layers `old` to `new.range`: layers it keeps keep their
    /// momentum, new ones start from zero.
    public mutating func remap(from old: Range<Int>, to new: LayerParameters) {
        let previous = velocity
        velocity = new.range.map { layer in
            old.contains(layer) && !previous.isEmpty ? previous[layer - old.lowerBound]
                : [Float](repeating: 0, count: new[layer].count)
        }
    }

    /// Adopts another replica's momentum for one of `params`' layers (a node taking over layers
    /// continues their outer steps exactly as the holder would).
    public mutating func adopt(_ layerVelocity: [Float], layer: Int, of params: LayerParameters) {
        if velocity.count != params.layers.count {
            velocity = params.layers.map { [Float](repeating: 0, count: $0.count) }
        }
        let i = layer - params.range.lowerBound
        guard velocity.indices.contains(i), velocity[i].count == layerVelocity.count else { return }
        velocity[i] = layerVelocity
    }

    public mutating func step(_ params: inout LayerParameters, pseudoGradient delta: LayerParameters) {
        precondition(delta.range == params.range, "ranges differ")
        if velocity.count != delta.layers.count {
            velocity = delta.layers.map { [Float](repeating: 0, count: $0.count) }
        }
        let mu = momentum, lr = learningRate
        for i in delta.layers.indices {
            let d = delta.layers[i]
            params.layers[i].withUnsafeMutableBufferPointer { p in
                velocity[i].withUnsafeMutableBufferPointer { v in
                    for j in p.indices {
                        v[j] = mu * v[j] + d[j]
                        p[j] -= lr * (d[j] + mu * v[j])
                    }
                }
            }
        }
    }
}
