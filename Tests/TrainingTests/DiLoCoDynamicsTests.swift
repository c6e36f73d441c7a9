import Deterministic
import Testing
@testable import Training

@Test func lockstepDiLoCoProbe() {
    let obj = NoisyQuadratic(layerCount: 4, dimension: 16, noise: 0, skew: 0.1)
    for n in [1, 2, 4] {
        var theta0 = obj.initialParameters(range: 0..<4)
        var outer = NesterovSGD(learningRate: 0.7, momentum: 0.9)
        var inners = (0..<n).map { _ in AdamW(learningRate: 0.02, weightDecay: 0) }
        var rng = DeterministicRNG(seed: 1)
        var losses: [Double] = []
        for _ in 0..<150 {
            var deltas: [LayerParameters] = []
            for k in 0..<n {
                var p = theta0
                _ = obj.train(&p, optimizer: &inners[k], steps: 20, shard: UInt64(k), rng: &rng)
                deltas.append(theta0.minus(p))
            }
            var agg = deltas[0]
            for l in 0..<4 { agg[l] = Aggregator.mean.aggregate(deltas.map { $0[l] }) }
            outer.step(&theta0, pseudoGradient: agg)
            losses.append(obj.evaluate(theta0))
        }
        print("n=\(n) losses", losses.enumerated().filter { $0.offset % 15 == 0 }.map { $0.element })
    }
}
