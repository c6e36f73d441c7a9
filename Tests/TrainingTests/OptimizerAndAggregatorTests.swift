import Deterministic
import Testing
@testable import Training

@Suite struct AggregatorTests {
    let updates: [[Float]] = [[1, 10, -3], [2, 20, 5], [3, 30, 4], [100, -50, 0], [4, 40, 6]]

    @Test func mean() {
        #expect(Aggregator.mean.aggregate(updates) == [22, 10, 2.4])
    }

    @Test func medianOddAndEven() {
        #expect(Aggregator.median.aggregate(updates) == [3, 20, 4])
        #expect(Aggregator.median.aggregate(Array(updates.prefix(4))) == [2.5, 15, 2])
    }

    @Test func trimmedMeanDropsExtremes() {
        // β = 0.2 of 5 drops one value at each end of every coordinate.
        #expect(Aggregator.trimmedMean(beta: 0.2).aggregate(updates) == [3, 20, 3])
        // β = 0 is the mean.
        #expect(Aggregator.trimmedMean(beta: 0).aggregate(updates) == Aggregator.mean.aggregate(updates))
    }

    @Test func singleUpdatePassesThrough() {
        #expect(Aggregator.median.aggregate([[7, 8]]) == [7, 8])
    }

    @Test func robustAggregatorsIgnoreOneOutlier() {
        let honest: [[Float]] = [[1], [1.1], [0.9], [1.05]]
        let attacked = honest + [[1000]]
        #expect(abs(Aggregator.median.aggregate(attacked)[0] - 1.05) < 1e-6)
        #expect(Aggregator.mean.aggregate(attacked)[0] > 100)
    }
}

@Suite struct OptimizerTests {
    @Test func adamFirstStepMovesByLearningRate() {
        // Bias-corrected first step: m̂ = g, v̂ = g², so the update is lr·sign(g) (ε aside).
        var adam = AdamW(learningRate: 0.1, weightDecay: 0, clipNorm: 0)
        var p = LayerParameters(range: 0..<1, layers: [[1, -1, 0.5]])
        adam.step(&p, gradients: [[0.3, -2, 0]])
        #expect(abs(p[0][0] - 0.9) < 1e-6)
        #expect(abs(p[0][1] - -0.9) < 1e-6)
        #expect(p[0][2] == 0.5)
        #expect(adam.stepCount == 1)
    }

    @Test func decoupledWeightDecay() {
        var adam = AdamW(learningRate: 0.1, weightDecay: 0.5, clipNorm: 0)
        var p = LayerParameters(range: 0..<1, layers: [[2]])
        adam.step(&p, gradients: [[0]])
        // Zero gradient: only the decay acts, p -= lr·wd·p.
        #expect(abs(p[0][0] - 1.9) < 1e-6)
    }

    @Test func clippingBoundsTheGlobalNorm() {
        var clipped = AdamW(learningRate: 0.1, beta1: 0, beta2: 0, epsilon: 0, weightDecay: 0, clipNorm: 1)
        var p = LayerParameters(range: 0..<2, layers: [[0], [0]])
        // β = 0 makes the update g/|g| per coordinate, so clipping shows only through m and v
        // being the clipped gradient: the direction is unchanged.
        clipped.step(&p, gradients: [[30], [-40]])
        #expect(abs(p[0][0] - -0.1) < 1e-6 && abs(p[1][0] - 0.1) < 1e-6)
    }

    @Test func nesterovMatchesTheFormula() {
        var sgd = NesterovSGD(learningRate: 0.5, momentum: 0.9)
        var p = LayerParameters(range: 0..<1, layers: [[1]])
        let d = LayerParameters(range: 0..<1, layers: [[0.2]])
        sgd.step(&p, pseudoGradient: d)
        // v = 0.2; p = 1 − 0.5·(0.2 + 0.9·0.2) = 0.81
        #expect(abs(p[0][0] - 0.81) < 1e-6)
        sgd.step(&p, pseudoGradient: d)
        // v = 0.9·0.2 + 0.2 = 0.38; p = 0.81 − 0.5·(0.2 + 0.9·0.38) = 0.539
        #expect(abs(p[0][0] - 0.539) < 1e-6)
    }
}

@Suite struct NoisyQuadraticTests {
    let objective = NoisyQuadratic(layerCount: 3, dimension: 8, noise: 0, skew: 0)

    @Test func optimumHasZeroLossAndInitDoesNot() {
        let opt = LayerParameters(range: 0..<3, layers: (0..<3).map { objective.optimum(layer: $0) })
        #expect(objective.evaluate(opt) == 0)
        #expect(objective.evaluate(objective.initialParameters(range: 0..<3)) > 0.1)
    }

    @Test func everyNodeStartsFromTheSameWeights() {
        #expect(objective.initialParameters(range: 1..<3) == objective.initialParameters(range: 1..<3))
        #expect(objective.initialParameters(layer: 0) != objective.initialParameters(layer: 1))
    }

    @Test func trainingDescendsAndReportsWork() {
        var p = objective.initialParameters(range: 0..<3)
        var adam = AdamW(learningRate: 0.05, weightDecay: 0)
        var rng = DeterministicRNG(seed: 1)
        let before = objective.evaluate(p)
        let report = objective.train(&p, optimizer: &adam, steps: 200, shard: 0, rng: &rng)
        #expect(objective.evaluate(p) < before / 100)
        #expect(report.steps == 200)
        #expect(report.flops == objective.stepFlopsPerLayer * 3 * 200)
    }

    @Test func skewedShardsPullApart() {
        let skewed = NoisyQuadratic(layerCount: 1, dimension: 8, noise: 0, skew: 0.5)
        func trained(_ shard: UInt64) -> [Float] {
            var p = skewed.initialParameters(range: 0..<1)
            var adam = AdamW(learningRate: 0.05, weightDecay: 0)
            var rng = DeterministicRNG(seed: 1)
            _ = skewed.train(&p, optimizer: &adam, steps: 400, shard: shard, rng: &rng)
            return p[0]
        }
        #expect(trained(1) != trained(2))
        #expect(skewed.evaluate(LayerParameters(range: 0..<1, layers: [trained(1)])) > 0.01)
    }
}

@Suite struct BehaviourTests {
    @Test func transforms() {
        var rng = DeterministicRNG(seed: 1)
        let d: [Float] = [1, -2]
        #expect(Behaviour.honest.corrupt(d, rng: &rng) == d)
        #expect(Behaviour.silent.corrupt(d, rng: &rng) == nil)
        #expect(Behaviour.freeRider.corrupt(d, rng: &rng) == [0, 0])
        #expect(Behaviour.signFlip(scale: 10).corrupt(d, rng: &rng) == [-10, 20])
        let noisy = Behaviour.gaussian(sigma: 1).corrupt(d, rng: &rng)!
        #expect(noisy != d && noisy.count == 2)
    }
}

@Suite struct LearningRateScheduleTests {
    @Test func warmUpThenCosineDownToTheFloor() {
        let s = LearningRateSchedule(warmup: 10, total: 110, floor: 0.1)
        #expect(s.factor(step: 1) == 0.1)
        #expect(s.factor(step: 10) == 1)
        // Half way through the decay the cosine is at its middle: (1 + 0.1) / 2.
        #expect(abs(s.factor(step: 60) - 0.55) < 1e-6)
        #expect(abs(s.factor(step: 110) - 0.1) < 1e-6)
        #expect(abs(s.factor(step: 500) - 0.1) < 1e-6)
        #expect(LearningRateSchedule.constant.factor(step: 1) == 1)
        #expect(LearningRateSchedule(warmup: 0, total: nil).factor(step: 1000) == 1)
    }

    @Test func adamFollowsTheSchedule() {
        // Bias-corrected first step moves by lr·factor: with warm-up over 4 steps, a quarter.
        var adam = AdamW(learningRate: 0.1, weightDecay: 0, clipNorm: 0)
        adam.schedule = LearningRateSchedule(warmup: 4, total: nil)
        var p = LayerParameters(range: 0..<1, layers: [[1]])
        adam.step(&p, gradients: [[1]])
        #expect(abs(p[0][0] - 0.975) < 1e-6)
    }
}
