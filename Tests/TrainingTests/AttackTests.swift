import Deterministic
import Testing
@testable import Training

@Suite struct InverseNormalTests {
    @Test func knownQuantiles() {
        #expect(Attacks.inverseNormalCDF(0.5) == 0)
        #expect(abs(Attacks.inverseNormalCDF(0.975) - 1.959964) < 1e-6)
        #expect(abs(Attacks.inverseNormalCDF(0.025) + 1.959964) < 1e-6)
        #expect(abs(Attacks.inverseNormalCDF(0.8413) - 1.0) < 1e-3)
        // The tails use the other rational function (p < 0.02425 or p > 0.97575).
        #expect(abs(Attacks.inverseNormalCDF(0.001) + 3.090232) < 1e-6)
        #expect(abs(Attacks.inverseNormalCDF(0.999) - 3.090232) < 1e-6)
        #expect(abs(Attacks.inverseNormalCDF(1e-10) + 6.361341) < 1e-5)
    }

    @Test func alieZFromNAndF() {
        // n = 8, f = 2: s = ⌊5⌋ − 2 = 3, p = (6 − 3)/6 = 0.5, z = 0: ALIE is harmless at this size.
        #expect(Attacks.alieZ(nodes: 8, byzantine: 2) == 0)
        // n = 25, f = 5: s = 13 − 5 = 8, p = 12/20 = 0.6, Φ⁻¹(0.6) = 0.253347.
        #expect(abs(Attacks.alieZ(nodes: 25, byzantine: 5) - 0.253347) < 1e-6)
        // n = 25, f = 11: s = 2, p = 12/14, Φ⁻¹ = 1.067571.
        #expect(abs(Attacks.alieZ(nodes: 25, byzantine: 11) - 1.067571) < 1e-6)
        // A Byzantine majority (n = 4, f = 3: p = 1) is clamped to p = 0.999; no honest node: 0.
        #expect(abs(Attacks.alieZ(nodes: 4, byzantine: 3) - 3.090232) < 1e-6)
        #expect(Attacks.alieZ(nodes: 3, byzantine: 3) == 0)
    }
}

@Suite struct AttackTests {
    let own: [Float] = [1, 0]
    let observed: [[Float]] = [[3, 2], [5, 4]]

    /// What `behaviour` sends in a round of n nodes with f Byzantine, its own Δ being `own`.
    func send(_ behaviour: Behaviour, _ own: [Float], observed: [[Float]] = [], nodes n: Int = 8, byzantine f: Int = 2,
              previous: [Float]? = nil) -> [Float]? {
        var rng = DeterministicRNG(seed: 1)
        return behaviour.corrupt(own, observed: observed, nodes: n, byzantine: f, previous: previous, rng: &rng)
    }

    @Test func alieWithGivenZ() {
        // Over (1, 0), (3, 2), (5, 4): μ = (3, 2); deviations −2, 0, 2 per coordinate, so the
        // sample σ = √(8/2) = 2. z = 1: μ − σ = (1, 0); z = 0.5: (2, 1).
        #expect(send(.alie(z: 1), own, observed: observed) == [1, 0])
        #expect(send(.alie(z: 0.5), own, observed: observed) == [2, 1])
    }

    @Test func alieDerivesZFromNAndF() {
        // n = 8, f = 2 gives z = 0: the mean itself.
        #expect(send(.alie(z: nil), own, observed: observed) == [3, 2])
        // n = 25, f = 11 gives z = 1.067571: μ − 2z.
        let sent = send(.alie(z: nil), own, observed: observed, nodes: 25, byzantine: 11)!
        #expect(abs(sent[0] - Float(3 - 2 * 1.067571)) < 1e-5)
    }

    @Test func alieIgnoresUpdatesOfAnotherSize() {
        #expect(send(.alie(z: 1), own, observed: observed + [[9]]) == [1, 0])
    }

    @Test func ipmIsMinusEpsilonTimesTheHonestMean() {
        // Mean of (1, 0), (3, 2), (5, 4) = (3, 2); ε = 0.5 → (−1.5, −1).
        let sent = send(.ipm(epsilon: 0.5), own, observed: observed)!
        #expect(sent == [-1.5, -1])
        // ⟨sent, mean⟩ = −1.5·3 − 1·2 = −6.5 = −ε‖mean‖² < 0.
        #expect(sent[0] * 3 + sent[1] * 2 == -6.5)
    }

    @Test func ipmOpposesAnyHonestMean() {
        var data = DeterministicRNG(seed: 7)
        let honest = (0..<5).map { _ in (0..<100).map { _ in Float(data.nextGaussian() + 0.3) } }
        let sent = send(.ipm(epsilon: 0.1), honest[0], observed: Array(honest.dropFirst()), nodes: 6, byzantine: 1)!
        let mean = Aggregator.mean.aggregate(honest)
        #expect(zip(sent, mean).reduce(0) { $0 + Double($1.0) * Double($1.1) } < 0)
    }

    @Test func nonFiniteHidesOnePoisonedCoordinatePair() {
        let delta: [Float] = [1, 2, 3, 4, 5, 6]
        let sent = send(.nonFinite, delta)!
        #expect(sent.count == 6)
        #expect(sent.filter { $0.isNaN }.count == 1 && sent.filter { $0 == .infinity }.count == 1)
        #expect(zip(sent, delta).filter { $0.0 == $0.1 }.count == 4)
        // The norm is NaN, which a `norm > bound` test lets through; the screen does not.
        #expect(!(l2Norm(sent) > 100))
        #expect(UpdateCheck.screen(sent, referenceNorm: 1, maxRatio: 100) == "non-finite values")
        #expect(send(.nonFinite, [7])!.allSatisfy { $0.isNaN })
        #expect(send(.nonFinite, []) == [])
    }

    @Test func staleRiderResendsItsFirstUpdate() {
        let first: [Float] = [0.5, 0.25]
        #expect(send(.staleRider, own, previous: first) == first)
        #expect(send(.staleRider, own) == [0, 0])
        // A stale vector of another size (the layer changed) is not sent.
        #expect(send(.staleRider, own, previous: [1]) == [0, 0])
    }

    @Test func oldEntryPointStillWorks() {
        var rng = DeterministicRNG(seed: 1)
        #expect(Behaviour.honest.corrupt(own, rng: &rng) == own)
        #expect(Behaviour.silent.corrupt(own, rng: &rng) == nil)
        #expect(Behaviour.freeRider.corrupt(own, rng: &rng) == [0, 0])
        #expect(Behaviour.staleRider.corrupt(own, rng: &rng) == [0, 0])
        // Alone, ALIE has σ = 0 and sends its own Δ; IPM sends −εΔ.
        #expect(Behaviour.alie(z: 1).corrupt(own, rng: &rng) == own)
        #expect(Behaviour.ipm(epsilon: 2).corrupt(own, rng: &rng) == [-2, 0])
    }

    @Test func onlyTheRushingAttackersWaitForTheRound() {
        let all: [Behaviour] = [.honest, .silent, .freeRider, .staleRider, .signFlip(scale: 1), .gaussian(sigma: 1),
                                .alie(z: nil), .ipm(epsilon: 0.1), .nonFinite]
        #expect(all.count == Behaviour.names.count)
        #expect(all.filter { $0.needsObservedUpdates } == [.alie(z: nil), .ipm(epsilon: 0.1)])
        #expect(Behaviour.alie(z: nil).description == "alie(auto)")
        #expect(Behaviour.alie(z: 1).description == "alie(1.0)")
    }
}
