import Deterministic
import Foundation
import Testing
@testable import Language

/// Binary entropy in nats.
private func h(_ p: Double) -> Double { -(p * log(p) + (1 - p) * log(1 - p)) }

@Suite struct MarkovSourceTests {
    /// A two-state order-1 chain: a → b with probability p, b → a with q. Then π_a = q/(p + q),
    /// the entropy rate is π_a·h(p) + π_b·h(q), and the first symbol of a window costs h(π_a).
    @Test func twoStateChainHasItsClosedFormEntropy() {
        let p = 0.1, q = 0.3
        let source = MarkovSource(alphabet: Array("ab".utf8), order: 1, transitions: [1 - p, p, q, 1 - q], seed: 1)
        let piA = q / (p + q)
        #expect(abs(source.stationaryDistribution[0] - piA) < 1e-12)
        let rate = piA * h(p) + (1 - piA) * h(q)
        #expect(abs(source.entropyRate - rate) < 1e-12)
        #expect(abs(source.positionEntropies[0] - h(piA)) < 1e-12)
        for t in [1, 2, 7, 64] {
            #expect(abs(source.expectedLoss(sequenceLength: t) - (h(piA) + Double(t - 1) * rate) / Double(t)) < 1e-12)
        }
        #expect(abs(bitsPerByte(nats: log(2)) - 1) < 1e-15)
    }

    /// A chain that alternates deterministically is periodic: plain power iteration would
    /// oscillate forever; the figures must still come out (π uniform, entropy 0 after the first).
    @Test func periodicChainStillConverges() {
        let source = MarkovSource(alphabet: Array("ab".utf8), order: 1, transitions: [0, 1, 1, 0], seed: 1)
        #expect(abs(source.stationaryDistribution[0] - 0.5) < 1e-12)
        #expect(source.entropyRate == 0)
        #expect(abs(source.expectedLoss(sequenceLength: 4) - log(2) / 4) < 1e-12)
    }

    @Test func randomChainFiguresAreConsistent() {
        let source = MarkovSource(symbols: 16, order: 2, alpha: 0.2, seed: 42)
        let n = source.symbolCount, pi = source.stationaryDistribution
        // π = πP.
        var next = [Double](repeating: 0, count: source.contextCount)
        for c in 0..<source.contextCount {
            for x in 0..<n { next[(c * n + x) % source.contextCount] += pi[c] * source.transitions[c * n + x] }
        }
        #expect(zip(pi, next).map { abs($0 - $1) }.reduce(0, +) < 1e-12)
        // Less context never helps: H(X1) ≥ H(X2|X1) ≥ H(X3|X1 X2) = rate > 0, all ≤ ln n.
        let hs = source.positionEntropies
        #expect(hs.count == 3)
        #expect(hs[0] <= log(Double(n)) + 1e-12 && hs[0] >= hs[1] && hs[1] >= hs[2] && hs[2] > 0)
        #expect(source.expectedLoss(sequenceLength: 32) > source.entropyRate)
        #expect(source.expectedLoss(sequenceLength: 100_000) - source.entropyRate < 1e-4)
    }

    /// The figures reported for the sample configuration; if this changes, every reference
    /// loss floor in the docs changes with it.
    @Test func pinnedSampleFigures() {
        let source = MarkovSource(symbols: 16, order: 2, alpha: 0.2, seed: 42)
        #expect(abs(source.entropyRate - 1.5924804109657535) < 1e-12)
        #expect(abs(source.positionEntropies[0] - 2.7623648697773637) < 1e-12)
        #expect(abs(source.positionEntropies[1] - 2.595595873661566) < 1e-12)
        #expect(abs(source.expectedLoss(sequenceLength: 32) - 1.6603866585128606) < 1e-12)
    }

    /// The log-loss of the true chain on a long sample converges to the entropy rate.
    @Test func empiricalLossOfTheTrueModelConvergesToTheEntropyRate() {
        let source = MarkovSource(symbols: 16, order: 2, alpha: 0.2, seed: 42)
        var stream = source.shard(0, of: 1)
        let long = stream.nextBatch(batch: 1, sequence: 300_000)
        let loss = source.bayesLoss(targets: long.targets, sequence: 300_000)
        #expect(abs(loss / source.entropyRate - 1) < 0.01, "loss \(loss) vs rate \(source.entropyRate)")
    }

    /// Short windows as sampled: the mean loss of the true predictor matches `expectedLoss`, and
    /// the first target alone matches H(X1), so windows really start in the stationary regime.
    @Test(arguments: [1, 2, 3])
    func expectedLossMatchesSampledWindows(order: Int) {
        let source = MarkovSource(symbols: 8, order: order, alpha: 0.3, seed: 5)
        var stream = source.shard(0, of: 1)
        let sequence = 6
        let batches = 40
        var total = 0.0, first = 0.0
        for _ in 0..<batches {
            let b = stream.nextBatch(batch: 1000, sequence: sequence)
            total += source.bayesLoss(targets: b.targets, sequence: sequence)
            let column = stride(from: 0, to: b.targets.count, by: sequence).map { b.targets[$0] }
            first += source.bayesLoss(targets: column, sequence: 1)
        }
        let expected = source.expectedLoss(sequenceLength: sequence)
        #expect(abs(total / Double(batches) / expected - 1) < 0.01)
        #expect(abs(first / Double(batches) / source.positionEntropies[0] - 1) < 0.02)
        // The check can tell the window floor from the entropy rate.
        #expect(expected / source.entropyRate - 1 > 0.03)
    }

    @Test func batchesAreShiftedWindowsStartingWithBos() {
        let source = MarkovSource(symbols: 16, order: 2, alpha: 0.2, seed: 1)
        var stream = source.shard(2, of: 4)
        let (inputs, targets) = stream.nextBatch(batch: 8, sequence: 64)
        #expect(inputs.count == 8 * 64 && targets.count == 8 * 64)
        let allowed = Set(source.alphabet.map { ByteTokenizer.id(byte: $0) })
        for row in 0..<8 {
            #expect(inputs[row * 64] == ByteTokenizer.bos)
            for t in 0..<63 { #expect(inputs[row * 64 + t + 1] == targets[row * 64 + t]) }
        }
        #expect(targets.allSatisfy(allowed.contains))
    }

    @Test func shardsAreDeterministicAndDistinct() {
        let source = MarkovSource(symbols: 16, order: 2, alpha: 0.2, seed: 9)
        for nonIID in [0.0, 0.5] {
            var a = source.shard(1, of: 3, nonIID: nonIID), again = source.shard(1, of: 3, nonIID: nonIID)
            var b = source.shard(2, of: 3, nonIID: nonIID)
            let first = a.nextBatch(batch: 4, sequence: 32)
            #expect(first == again.nextBatch(batch: 4, sequence: 32))
            #expect(first.targets != b.nextBatch(batch: 4, sequence: 32).targets)
            #expect(first.targets != a.nextBatch(batch: 4, sequence: 32).targets)
        }
        let v1 = source.validationSet(batches: 3, batch: 4, sequence: 16)
        let v2 = MarkovSource(symbols: 16, order: 2, alpha: 0.2, seed: 9).validationSet(batches: 3, batch: 4, sequence: 16)
        #expect(v1.count == 3 && v1.map(\.targets) == v2.map(\.targets) && v1.map(\.inputs) == v2.map(\.inputs))
        let other = MarkovSource(symbols: 16, order: 2, alpha: 0.2, seed: 10).validationSet(batches: 1, batch: 4, sequence: 16)
        #expect(other[0].targets != v1[0].targets)
    }

    /// With nonIID > 0 each shard's data is measurably off the global source: the true model of
    /// P pays more on it than its floor, and two shards' bigram statistics are further apart.
    @Test func nonIIDShardsHaveDifferentStatistics() {
        let source = MarkovSource(symbols: 16, order: 2, alpha: 0.2, seed: 9)
        func bigrams(_ stream: inout MarkovStream) -> [Double] {
            var counts = [Double](repeating: 0, count: 256 * 256)
            let b = stream.nextBatch(batch: 200, sequence: 256)
            for r in 0..<200 { for t in 1..<256 { counts[Int(b.targets[r * 256 + t - 1]) * 256 + Int(b.targets[r * 256 + t])] += 1 } }
            let total = counts.reduce(0, +)
            return counts.map { $0 / total }
        }
        func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.reduce(0, +) / 2 }
        var iid0 = source.shard(0, of: 2), iid1 = source.shard(1, of: 2)
        var skew0 = source.shard(0, of: 2, nonIID: 0.5), skew1 = source.shard(1, of: 2, nonIID: 0.5)
        let iidDistance = distance(bigrams(&iid0), bigrams(&iid1))
        let skewDistance = distance(bigrams(&skew0), bigrams(&skew1))
        #expect(skewDistance > 3 * iidDistance, "iid \(iidDistance) skewed \(skewDistance)")

        let floor = source.expectedLoss(sequenceLength: 64)
        let onIID = source.bayesLoss(targets: iid0.nextBatch(batch: 500, sequence: 64).targets, sequence: 64)
        let skewBatch = skew0.nextBatch(batch: 500, sequence: 64)
        let onSkew = source.bayesLoss(targets: skewBatch.targets, sequence: 64)
        #expect(abs(onIID / floor - 1) < 0.02)
        #expect(onSkew > 1.1 * floor)
        // The shard's own chain is its own floor.
        let own = skew0.source.bayesLoss(targets: skewBatch.targets, sequence: 64)
        #expect(abs(own / skew0.source.expectedLoss(sequenceLength: 64) - 1) < 0.02)
        #expect(iid0.source.transitions == source.transitions)
    }

    /// An 8 × 64 batch must cost microseconds (about 15 µs here), so data never shows up next
    /// to the model; building even a large table must stay well under a second.
    @Test func samplingABatchIsCheap() {
        let clock = ContinuousClock()
        var large: MarkovSource?
        #expect(clock.measure { large = MarkovSource(symbols: 32, order: 3, alpha: 0.2, seed: 2) } < .seconds(2))
        #expect(large?.contextCount == 32 * 32 * 32)
        var stream = MarkovSource(symbols: 16, order: 2, alpha: 0.2, seed: 2).shard(0, of: 1)
        var checksum: Int32 = 0
        let elapsed = clock.measure {
            for _ in 0..<2000 { checksum &+= stream.nextBatch(batch: 8, sequence: 64).targets[5] }
        }
        #expect(checksum != 0)
        #expect(elapsed / 2000 < .microseconds(100), "\(elapsed / 2000) per 8 × 64 batch")
    }
}
