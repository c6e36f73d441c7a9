import Deterministic
import Testing
@testable import Training

@Suite struct KrumTests {
    /// Five 1-D updates, f = 1, so each score sums the n − f − 2 = 2 smallest squared distances.
    ///   squared distances: 0–1: 1, 0–2: 4, 0–4: 16, 0–100: 10000, 1–2: 1, 1–4: 9, 1–100: 9801,
    ///                      2–4: 4, 2–100: 9604, 4–100: 9216
    ///   scores: [0]: 1+4 = 5, [1]: 1+1 = 2, [2]: 1+4 = 5, [4]: 4+9 = 13, [100]: 9216+9604 = 18820
    let line: [[Float]] = [[0], [1], [2], [4], [100]]

    @Test func scoresMatchTheHandComputation() {
        #expect(Aggregator.krumScores(line, f: 1) == [5, 2, 5, 13, 18820])
    }

    @Test func krumPicksTheLowestScore() {
        #expect(Aggregator.krum(f: 1).aggregate(line) == [1])
    }

    @Test func krumInTwoDimensions() {
        // The unit square's corners, its centre (index 3) and a far point; f = 1, so 3 neighbours.
        //   centre: 4 corners at 0.5 each → 0.5+0.5+0.5 = 1.5
        //   a corner: centre 0.5, two adjacent corners 1 and 1 → 2.5
        //   (10,10): (1,1) 162, centre 180.5, (1,0) 181 → 523.5
        let points: [[Float]] = [[0, 0], [1, 0], [0, 1], [0.5, 0.5], [1, 1], [10, 10]]
        #expect(Aggregator.krumScores(points, f: 1) == [2.5, 2.5, 2.5, 1.5, 2.5, 523.5])
        #expect(Aggregator.krum(f: 1).aggregate(points) == [0.5, 0.5])
        // Multi-Krum, m = n − f = 5: the centre and the four corners, whose mean is the centre.
        #expect(Aggregator.multiKrum(f: 1, m: nil).aggregate(points) == [0.5, 0.5])
    }

    @Test func multiKrumAveragesTheBestM() {
        // m = n − f = 4: scores 2, 5, 5, 13 → [1], [0], [2], [4]: (0 + 1 + 2 + 4)/4 = 1.75.
        #expect(Aggregator.multiKrum(f: 1, m: nil).aggregate(line) == [1.75])
        // m = 2: [1] (score 2), then [0] and [2] tie at 5 and the lower index wins: (0 + 1)/2.
        #expect(Aggregator.multiKrum(f: 1, m: 2).aggregate(line) == [0.5])
        #expect(Aggregator.multiKrum(f: 1, m: 1).aggregate(line) == Aggregator.krum(f: 1).aggregate(line))
    }

    @Test func multiKrumOfEverythingIsTheMean() {
        var rng = DeterministicRNG(seed: 3)
        let updates = (0..<6).map { _ in (0..<50).map { _ in Float(rng.nextGaussian()) } }
        #expect(Aggregator.multiKrum(f: 0, m: 6).aggregate(updates) == Aggregator.mean.aggregate(updates))
    }

    @Test func tiesGoToTheLowestIndex() {
        // f = 1, 2 neighbours: [0]: 1+9 = 10, [1]: 1+4 = 5, [3]: 1+4 = 5, [4]: 1+9 = 10.
        let tied: [[Float]] = [[0], [1], [3], [4], [100]]
        #expect(Aggregator.krumScores(tied, f: 1) == [10, 5, 5, 10, 18625])
        #expect(Aggregator.krum(f: 1).aggregate(tied) == [1])
        // Identical updates all score 0: the first is returned.
        #expect(Aggregator.krum(f: 0).aggregate([[2, 2], [2, 2], [2, 2]]) == [2, 2])
    }

    @Test func tooFewUpdatesForFFallBackToOneNeighbour() {
        // n = 3, f = 1: n − f − 2 = 0 neighbours would make every score 0; one is used instead.
        // [0]: 1 (to [1]), [1]: 1 (to [0]), [5]: 16 (to [1]) → tie, the first.
        let three: [[Float]] = [[0], [1], [5]]
        #expect(Aggregator.krumScores(three, f: 1) == [1, 1, 16])
        #expect(Aggregator.krum(f: 1).aggregate(three) == [0])
        // f far above n: still one neighbour, no crash; Multi-Krum keeps at least one update.
        #expect(Aggregator.krum(f: 10).aggregate(three) == [0])
        #expect(Aggregator.multiKrum(f: 10, m: nil).aggregate(three) == [0])
        // Two updates: nothing tells them apart, the tie rule picks the first.
        #expect(Aggregator.krum(f: 1).aggregate([[5], [3]]) == [5])
        #expect(Aggregator.multiKrum(f: 1, m: 5).aggregate([[5], [3]]) == [4])
    }
}

@Suite struct GeometricMedianTests {
    @Test func symmetricPointsGiveTheirCentre() {
        // All four at distance 1 from their centre (3, 4), which is also their mean, so the
        // weights are equal and the first step does not move: the centre comes back exactly.
        let points: [[Float]] = [[4, 4], [2, 4], [3, 5], [3, 3]]
        #expect(Aggregator.geometricMedian(iterations: 10, epsilon: 1e-6).aggregate(points) == [3, 4])
    }

    @Test func threeCollinearPointsGiveTheMiddleOne() {
        // On one line through the origin with direction (1, 2, 2)/3, at distances 0, 3 and 30:
        // the sum of distances is smallest at the middle point (1, 2, 2), far from the mean
        // (11/3, 22/3, 22/3).
        let points: [[Float]] = [[0, 0, 0], [1, 2, 2], [10, 20, 20]]
        let gm = Aggregator.geometricMedian(iterations: 100, epsilon: 1e-6).aggregate(points)
        #expect(distance(gm, [1, 2, 2]) < 1e-4)
    }

    @Test func oneHugeOutlierBarelyMoves() {
        // In one dimension the geometric median is the median, 2; the mean is 200001.2.
        let points: [[Float]] = [[0], [1], [2], [3], [1_000_000]]
        let gm = Aggregator.geometricMedian(iterations: 100, epsilon: 1e-6).aggregate(points)
        #expect(abs(gm[0] - 2) < 1e-3)
        #expect(Aggregator.mean.aggregate(points)[0] > 100_000)
    }

    @Test func stopsEarlyOnceConverged() {
        // Points in general position: the median is inside their hull and Weiszfeld converges
        // linearly, well within 200 iterations.
        var rng = DeterministicRNG(seed: 2)
        let points = (0..<6).map { _ in (0..<3).map { _ in Float(rng.nextGaussian()) } }
        let a = Aggregator.geometricMedian(iterations: 200, epsilon: 1e-6).aggregate(points)
        let b = Aggregator.geometricMedian(iterations: 10_000, epsilon: 1e-6).aggregate(points)
        #expect(a == b)
    }

    @Test func zeroIterationsIsTheMean() {
        let points: [[Float]] = [[0], [1], [5]]
        #expect(Aggregator.geometricMedian(iterations: 0, epsilon: 0.1).aggregate(points) == [2])
    }
}

@Suite struct CenteredClippingTests {
    let points: [[Float]] = [[0], [1], [2], [2.5], [100]]

    @Test func handComputedIterations() {
        // Start at the median 2. τ = 1.
        //   1: x − v = −2, −1, 0, 0.5, 98 → clipped −1, −1, 0, 0.5, 1 → sum −0.5 → v = 2 − 0.1 = 1.9
        //   2: x − v = −1.9, −0.9, 0.1, 0.6, 98.1 → −1, −0.9, 0.1, 0.6, 1 → sum −0.2 → v = 1.86
        #expect(Aggregator.centeredClipping(tau: 1, iterations: 0).aggregate(points) == [2])
        #expect(abs(Aggregator.centeredClipping(tau: 1, iterations: 1).aggregate(points)[0] - 1.9) < 1e-6)
        #expect(abs(Aggregator.centeredClipping(tau: 1, iterations: 2).aggregate(points)[0] - 1.86) < 1e-6)
    }

    @Test func largeTauIsTheMean() {
        // Nothing is clipped: v + (1/n) Σ (xᵢ − v) = mean, whatever v started as.
        let updates: [[Float]] = [[0, 1], [1, 3], [2, 5], [10, -1]]
        let cc = Aggregator.centeredClipping(tau: 1e9, iterations: 1).aggregate(updates)
        #expect(abs(cc[0] - 3.25) < 1e-6 && abs(cc[1] - 2) < 1e-6)
    }

    @Test func smallTauStaysNearTheMedian() {
        // Each iteration moves v by an average of vectors of norm ≤ τ, so at most τ.
        let cc = Aggregator.centeredClipping(tau: 1e-3, iterations: 3).aggregate(points)
        #expect(abs(cc[0] - 2) <= 3e-3 + 1e-7)
    }
}

@Suite struct CoordinateWiseTests {
    @Test func medianMatchesAColumnByColumnSortAcrossBlocks() {
        // 600 coordinates: two full blocks of 256 and a partial one.
        var rng = DeterministicRNG(seed: 9)
        for n in [2, 5, 8] {
            let updates = (0..<n).map { _ in (0..<600).map { _ in Float(rng.nextGaussian()) } }
            let expected = (0..<600).map { j -> Float in
                let column = updates.map { $0[j] }.sorted()
                return n % 2 == 1 ? column[n / 2] : (column[n / 2 - 1] + column[n / 2]) / 2
            }
            #expect(Aggregator.median.aggregate(updates) == expected)
        }
    }

    @Test func everyRuleKeepsTheShapeAndIsDeterministic() {
        let rules: [Aggregator] = [.mean, .median, .trimmedMean(beta: 0.2), .krum(f: 2), .multiKrum(f: 2, m: nil),
                                   .geometricMedian(iterations: 5, epsilon: 1e-3), .centeredClipping(tau: 1, iterations: 3)]
        #expect(rules.count == Aggregator.names.count)
        var rng = DeterministicRNG(seed: 4)
        let updates = (0..<7).map { _ in (0..<1000).map { _ in Float(rng.nextGaussian()) } }
        for rule in rules {
            let a = rule.aggregate(updates)
            #expect(a.count == 1000 && a.allSatisfy { $0.isFinite }, "\(rule)")
            #expect(a == rule.aggregate(updates), "\(rule)")
        }
    }

    @Test func unscreenedNaNDoesNotCrash() {
        let updates: [[Float]] = [[1, .nan], [.nan, 2], [3, 4], [5, 6]]
        for rule: Aggregator in [.median, .trimmedMean(beta: 0.25), .krum(f: 1), .multiKrum(f: 1, m: nil),
                                 .geometricMedian(iterations: 3, epsilon: 0.1), .centeredClipping(tau: 1, iterations: 2)] {
            #expect(rule.aggregate(updates).count == 2)
        }
    }
}

@Suite struct UpdateCheckTests {
    @Test func acceptsWithinTheBound() {
        // ‖(1, 2, 2)‖ = 3; the bound is maxRatio · max(1, reference).
        #expect(UpdateCheck.screen([1, 2, 2], referenceNorm: 0.5, maxRatio: 3) == nil)
        #expect(UpdateCheck.screen([1, 2, 2], referenceNorm: 1.5, maxRatio: 2) == nil)
    }

    @Test func rejectsAnAbsurdNorm() {
        // Reference 0.5 is floored to 1: bound 2 < 3.
        let reason = UpdateCheck.screen([1, 2, 2], referenceNorm: 0.5, maxRatio: 2)
        #expect(reason?.hasPrefix("absurd update norm 3.0") == true)
    }

    @Test func rejectsNonFiniteValues() {
        #expect(UpdateCheck.screen([1, .nan], referenceNorm: 1, maxRatio: 100) == "non-finite values")
        #expect(UpdateCheck.screen([-.infinity, 0], referenceNorm: 1, maxRatio: 100) == "non-finite values")
    }

    @Test func screensWeightsAgainstTheirBase() {
        // base (3, 4), norm 5; weights (3, −6) mean Δ = base − weights = (0, 10), norm 10.
        #expect(UpdateCheck.screen(weights: [3, -6], base: [3, 4], maxRatio: 2) == nil)
        #expect(UpdateCheck.screen(weights: [3, -6], base: [3, 4], maxRatio: 1.9) != nil)
        #expect(UpdateCheck.screen(weights: [3, .nan], base: [3, 4], maxRatio: 2) == "non-finite values")
        #expect(UpdateCheck.screen(weights: [3], base: [3, 4], maxRatio: 2)?.hasPrefix("wrong shape") == true)
    }
}
