import Deterministic
import Testing
@testable import Training

/// DiLoCo in lock step (every replica hears every other), on the analytic objective: more
/// replicas average away more of their data skew, so the shared model ends closer to the optimum.
@Test func moreReplicasEndCloserToTheOptimum() {
    let objective = NoisyQuadratic(layerCount: 2, dimension: 16, noise: 0.05, skew: 0.2)
    func finalLoss(replicas n: Int) -> Double {
        var theta0 = objective.initialParameters(range: 0..<2)
        var outer = NesterovSGD(learningRate: 0.7, momentum: 0.9)
        var inners = (0..<n).map { _ in AdamW(learningRate: 0.02, weightDecay: 0) }
        var rng = DeterministicRNG(seed: 1)
        for _ in 0..<100 {
            var deltas: [LayerParameters] = []
            for k in 0..<n {
                var p = theta0
                _ = objective.train(&p, optimizer: &inners[k], steps: 20, shard: UInt64(k), rng: &rng)
                deltas.append(theta0.minus(p))
            }
            var aggregate = deltas[0]
            for l in 0..<2 { aggregate[l] = Aggregator.mean.aggregate(deltas.map { $0[l] }) }
            outer.step(&theta0, pseudoGradient: aggregate)
        }
        return objective.evaluate(theta0)
    }
    let one = finalLoss(replicas: 1), four = finalLoss(replicas: 4), sixteen = finalLoss(replicas: 16)
    #expect(one < objective.evaluate(objective.initialParameters(range: 0..<2)) / 5)
    #expect(four < one / 2)
    #expect(sixteen < four / 2)
}
