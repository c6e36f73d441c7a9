import Deterministic
import Foundation
import Testing
@testable import Language

@Suite struct SamplerTests {
    @Test func greedyTakesTheBestAllowedTokenLowestIdOnTies() {
        var rng = DeterministicRNG(seed: 1)
        // bos (1) and unk (3) score highest but are never chosen; 5 and 7 tie.
        let logits: [Float] = [9, 9, 0.5, 9, 1, 4, 2, 4]
        #expect(Sampler.choose(logits: logits, temperature: 0, rng: &rng) == 5)
        let before = rng
        #expect(Sampler.choose(logits: logits, temperature: 0, topK: 3, topP: 0.1, rng: &rng) == 5)
        var a = before, b = rng
        #expect(a.next() == b.next())  // greedy draws no number
    }

    @Test func temperatureSamplesTheSoftmax() {
        var rng = DeterministicRNG(seed: 2)
        let logits: [Float] = [0, 0, 1, 0, 2, 0.5]  // candidates: eos (2) and ids 4, 5
        for temperature in [0.5, 1.0, 3.0] {
            let weights = [1.0, 2.0, 0.5].map { exp($0 / temperature) }
            let total = weights.reduce(0, +)
            var counts: [Int32: Int] = [:]
            let n = 50_000
            for _ in 0..<n { counts[Sampler.choose(logits: logits, temperature: temperature, rng: &rng), default: 0] += 1 }
            #expect(Set(counts.keys) == [2, 4, 5])
            for (id, w) in zip([Int32(2), 4, 5], weights) {
                #expect(abs(Double(counts[id]!) / Double(n) - w / total) < 0.01)
            }
        }
    }

    @Test func topKNeverLeavesTheKBest() {
        var rng = DeterministicRNG(seed: 3)
        let logits = (0..<ByteTokenizer.vocabularySize).map { _ in Float(rng.nextGaussian()) }
        let best = Set((0..<logits.count).filter { ![0, 1, 3].contains($0) }
            .sorted { logits[$0] > logits[$1] }.prefix(5).map(Int32.init))
        var seen: Set<Int32> = []
        for _ in 0..<5000 {
            let id = Sampler.choose(logits: logits, temperature: 2, topK: 5, rng: &rng)
            #expect(best.contains(id))
            seen.insert(id)
        }
        #expect(seen == best)
        #expect(Sampler.distribution(logits: logits, temperature: 1, topK: 0).count == logits.count - 3)
    }

    @Test func topPKeepsTheSmallestNucleus() {
        // Probabilities 0.5, 0.3, 0.15, 0.05 on ids 4…7.
        let logits: [Float] = [-.infinity, -.infinity, -.infinity, -.infinity] + [0.5, 0.3, 0.15, 0.05].map { Float(log($0)) }
        let kept = Sampler.distribution(logits: logits, temperature: 1, topP: 0.75)
        #expect(kept.map(\.id) == [4, 5])
        #expect(abs(kept[0].probability - 0.625) < 1e-6 && abs(kept[1].probability - 0.375) < 1e-6)
        #expect(Sampler.distribution(logits: logits, temperature: 1, topP: 0.85).map(\.id) == [4, 5, 6])
        #expect(Sampler.distribution(logits: logits, temperature: 1, topP: 0.4).map(\.id) == [4])
        #expect(Sampler.distribution(logits: logits, temperature: 1, topP: 1).count == 4)
        var rng = DeterministicRNG(seed: 4)
        for _ in 0..<2000 {
            let id = Sampler.choose(logits: logits, temperature: 1, topP: 0.75, rng: &rng)
            #expect(id == 4 || id == 5)
        }
    }

    @Test func nonFiniteLogitsAreSafe() {
        var rng = DeterministicRNG(seed: 5)
        let nan = Float.nan
        #expect(Sampler.choose(logits: [0, 0, 0, 0, nan, 1, nan], temperature: 0, rng: &rng) == 5)
        for _ in 0..<100 {
            #expect(Sampler.choose(logits: [0, 0, 0, 0, nan, 1, nan], temperature: 1, rng: &rng) != 4)
        }
        #expect(Sampler.choose(logits: [Float](repeating: nan, count: 260), temperature: 1, rng: &rng) == ByteTokenizer.eos)
        #expect(Sampler.choose(logits: [Float](repeating: -.infinity, count: 260), temperature: 0.7, rng: &rng) == ByteTokenizer.eos)
        #expect(Sampler.choose(logits: [], temperature: 1, rng: &rng) == ByteTokenizer.eos)
        // +∞ wins outright; several +∞ share the probability.
        let law = Sampler.distribution(logits: [0, .infinity, 0, 0, .infinity, 3, .infinity], temperature: 1)
        #expect(law.map(\.id) == [4, 6] && law.allSatisfy { abs($0.probability - 0.5) < 1e-12 })
    }

    @Test func sameSeedSameChoices() {
        var source = DeterministicRNG(seed: 6)
        let logits = (0..<260).map { _ in Float(source.nextGaussian()) }
        func run(_ seed: UInt64) -> [Int32] {
            var rng = DeterministicRNG(seed: seed)
            return (0..<200).map { _ in Sampler.choose(logits: logits, temperature: 1, topK: 40, topP: 0.9, rng: &rng) }
        }
        #expect(run(7) == run(7))
        #expect(run(7) != run(8))
    }
}
