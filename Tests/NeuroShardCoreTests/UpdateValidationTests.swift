import Deterministic
import Identity
@testable import NeuroShardCore
import Testing
import Training

/// A node restored at round 3 holding all four layers of the default objective, training off so
/// that nothing but the updates under test changes its state.
struct UpdateTarget {
    static let objective = NoisyQuadratic()
    let peerX = nodeID(0x77), peerY = nodeID(0x78)
    var core: NodeCore
    var rng = DeterministicRNG(seed: 42)

    init(round: Int = 3) {
        let config = NodeConfig(address: "me", token: "t", key: nodeKey(0x10), trainingEnabled: false)
        let durable = DurableState(round: round, completedRounds: round,
                                   theta0: Self.objective.initialParameters(range: 0..<4), outerVelocity: [],
                                   knownPeers: [])
        core = NodeCore(config: config, objective: Self.objective, restoring: durable)
        _ = core.handle(.start, now: .zero, rng: &rng)
    }

    mutating func deliver(_ update: RoundUpdate, from: NodeID, at seconds: Double = 1) -> [Effect] {
        core.handle(.message(from: from, .update(update)), now: at(seconds), rng: &rng)
    }

    /// Weights of the right shape for `range`, a little off θ₀.
    func weights(_ range: Range<Int>, nudge: Float = 0.01) -> LayerParameters {
        LayerParameters(range: range, layers: range.map { l in Self.objective.initialParameters(layer: l).map { $0 - nudge } })
    }
}

func rejections(_ effects: [Effect]) -> [(NodeID, String)] {
    notes(effects).compactMap { if case .updateRejected(let from, let reason) = $0 { (from, reason) } else { nil } }
}

@Suite struct UpdateValidationTests {
    @Test func theTargetIsWhatTheTestsAssume() {
        let t = UpdateTarget()
        #expect(t.core.layers == 0..<4)
        #expect(t.core.round == 3)
        #expect(t.core.parameters.layers.allSatisfy { $0.count == 16 })
    }

    @Test func aWellFormedUpdateIsAccepted() {
        var t = UpdateTarget()
        let effects = t.deliver(RoundUpdate(round: 3, weights: t.weights(0..<4)), from: t.peerX)
        #expect(rejections(effects).isEmpty)
        #expect(t.core.metrics.gradientsAccepted == 1)
        #expect(t.core.metrics.gradientsRejected == 0)
        #expect(t.core.metrics.staleUpdates == 0)
        #expect(t.core.inbox[3]?.map(\.from) == [t.peerX])
        // A part of the held layers is fine too.
        _ = t.deliver(RoundUpdate(round: 3, weights: t.weights(1..<3)), from: t.peerY)
        #expect(t.core.metrics.gradientsAccepted == 2)
    }

    @Test(arguments: [15, 17, 0])
    func wrongShapeIsRejected(length: Int) {
        var t = UpdateTarget()
        var bad = t.weights(0..<4)
        bad[2] = [Float](repeating: 0.5, count: length)
        let effects = t.deliver(RoundUpdate(round: 3, weights: bad), from: t.peerX)
        let rejected = rejections(effects)
        #expect(rejected.count == 1)
        #expect(rejected.first?.0 == t.peerX)
        #expect(rejected.first?.1.contains("shape") == true, "reason: \(rejected.first?.1 ?? "none")")
        #expect(t.core.metrics.gradientsRejected == 1)
        #expect(t.core.metrics.gradientsAccepted == 0)
        #expect(t.core.inbox[3] == nil)
    }

    @Test func layersOutsideTheModelAreRejected() {
        var t = UpdateTarget()
        let outside = LayerParameters(range: 2..<6, layers: (2..<6).map { _ in [Float](repeating: 0, count: 16) })
        let effects = t.deliver(RoundUpdate(round: 3, weights: outside), from: t.peerX)
        #expect(rejections(effects).map(\.0) == [t.peerX])
        #expect(t.core.metrics.gradientsRejected == 1)
        #expect(t.core.metrics.gradientsAccepted == 0)
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity, .signalingNaN])
    func nonFiniteValuesAreRejected(value: Float) {
        var t = UpdateTarget()
        var bad = t.weights(0..<4)
        bad[3][7] = value
        let effects = t.deliver(RoundUpdate(round: 3, weights: bad), from: t.peerY)
        let rejected = rejections(effects)
        #expect(rejected.count == 1)
        #expect(rejected.first?.0 == t.peerY)
        #expect(rejected.first?.1.contains("finite") == true, "reason: \(rejected.first?.1 ?? "none")")
        #expect(t.core.metrics.gradientsRejected == 1)
        #expect(t.core.metrics.gradientsAccepted == 0)
        #expect(t.core.inbox.isEmpty)
        // The rejection is visible on the metrics endpoint.
        let response = t.core.handle(.api(APIRequest(id: 1, method: "GET", path: "/api/v1/metrics",
                                                     authorization: "Bearer t")), now: at(2), rng: &t.rng)
        guard case .respond(_, let r)? = response.first else { Issue.record("no response"); return }
        #expect(r.body["training"]?["gradients_rejected"] == .int(1))
        #expect(r.body["training"]?["gradients_accepted"] == .int(0))
    }

    @Test func aPastRoundCountsAsStale() {
        var t = UpdateTarget(round: 3)
        for past in [0, 2] {
            let effects = t.deliver(RoundUpdate(round: past, weights: t.weights(0..<4)), from: t.peerX)
            #expect(rejections(effects).isEmpty, "a late update is not an attack")
        }
        #expect(t.core.metrics.staleUpdates == 2)
        #expect(t.core.metrics.gradientsAccepted == 0)
        #expect(t.core.metrics.gradientsRejected == 0)
        #expect(t.core.inbox.isEmpty)
        // The same sender's update for the current round still counts.
        _ = t.deliver(RoundUpdate(round: 3, weights: t.weights(0..<4)), from: t.peerX)
        #expect(t.core.metrics.gradientsAccepted == 1)
        // And one for a later round is kept for then.
        _ = t.deliver(RoundUpdate(round: 5, weights: t.weights(0..<4)), from: t.peerX)
        #expect(t.core.metrics.gradientsAccepted == 2)
        #expect(t.core.inbox[5]?.map(\.from) == [t.peerX])
        #expect(t.core.metrics.staleUpdates == 2)
    }

    @Test func aDuplicateFromTheSameSenderIsIgnored() {
        var t = UpdateTarget()
        let first = t.weights(0..<4, nudge: 0.01)
        _ = t.deliver(RoundUpdate(round: 3, weights: first), from: t.peerX, at: 1)
        // Same sender, same round, even with different values: the first one stands.
        let again = t.deliver(RoundUpdate(round: 3, weights: t.weights(0..<4, nudge: 0.5)), from: t.peerX, at: 2)
        _ = t.deliver(RoundUpdate(round: 3, weights: first), from: t.peerX, at: 3)
        #expect(rejections(again).isEmpty)
        #expect(t.core.metrics.gradientsAccepted == 1)
        #expect(t.core.metrics.gradientsRejected == 0)
        #expect(t.core.inbox[3]?.count == 1)
        #expect(t.core.inbox[3]?.first?.update.values == first)
        // Another sender is not a duplicate.
        _ = t.deliver(RoundUpdate(round: 3, weights: first), from: t.peerY, at: 4)
        #expect(t.core.metrics.gradientsAccepted == 2)
        #expect(t.core.inbox[3]?.map(\.from) == [t.peerX, t.peerY])
    }

    @Test func layersBelowZeroAreRejected() {
        var t = UpdateTarget()
        let negative = LayerParameters(range: -1..<2, layers: (-1..<2).map { _ in [Float](repeating: 0, count: 16) })
        let effects = t.deliver(RoundUpdate(round: 3, weights: negative), from: t.peerX)
        #expect(rejections(effects).map(\.0) == [t.peerX])
        #expect(t.core.metrics.gradientsRejected == 1)
    }

    /// SPEC §6: "Peer updates with non-finite values or absurd norms are rejected before
    /// aggregation." A share whose Δ = θ₀ − θ is 10³⁰ per coordinate (finite as a Float) is absurd
    /// under any threshold: the parameters of the objective are of order 1.
    @Test func anAbsurdNormIsRejected() {
        var t = UpdateTarget()
        let absurd = t.weights(0..<4, nudge: 1e30)
        #expect(absurd.allFinite)
        let effects = t.deliver(RoundUpdate(round: 3, weights: absurd), from: t.peerX)
        #expect(rejections(effects).map(\.0) == [t.peerX], "an update with |Δ| ≈ 4·10³⁰ was not rejected")
        #expect(t.core.metrics.gradientsRejected == 1)
        #expect(t.core.metrics.gradientsAccepted == 0)
        let waiting = t.core.inbox[3]?.count ?? 0
        #expect(waiting == 0, "the absurd update is waiting to be aggregated")
    }

    /// A peer's update may name any round. One naming `Int.max` is kept (it is "not stale"), the
    /// node catches up to it when its inner phase ends, and finishing that round must not trap.
    /// Runs in a child process: the failure mode is a crash.
    @Test func anUpdateForAHugeRoundDoesNotCrashTheNode() async {
        await #expect(processExitsWith: .success) {
            let objective = NoisyQuadratic()
            let config = NodeConfig(address: "me", token: "t", key: nodeKey(0x10),
                                    diloco: DiLoCoSettings(innerSteps: 5))
            var core = NodeCore(config: config, objective: objective)
            var rng = DeterministicRNG(seed: 1)
            _ = core.handle(.start, now: .zero, rng: &rng)
            var pending = core.handle(.timer(.heartbeat), now: at(1), rng: &rng)  // takes 0..<4, starts a round
            let weights = objective.initialParameters(range: 0..<4)
            _ = core.handle(.message(from: nodeID(0x99), .update(RoundUpdate(round: Int.max, weights: weights))),
                            now: at(1.5), rng: &rng)
            // Run two inner phases to completion.
            for step in 0..<2 {
                guard let job = pending.compactMap({ e -> ComputeJob? in
                    if case .startCompute(let j) = e { j } else { nil }
                }).first else { break }
                pending = core.handle(.computeFinished(jobID: job.id, job.run()), now: at(2 + Double(step)), rng: &rng)
            }
        }
    }
}

@Suite struct CompressedUpdateTests {
    /// A compressed Δ is decoded once on arrival and kept as Δ: it is screened and aggregated like
    /// any other update, and its wire size is the compressed one.
    @Test func aCompressedUpdateIsDecodedAndScreened() {
        var t = UpdateTarget()
        let delta = (0..<16).map { Float($0) / 100 }
        let tensors = (0..<4).map { _ in Compression.int8(blockSize: 8).compress(delta) }
        let update = RoundUpdate(round: 3, payload: .compressed(range: 0..<4, tensors))
        #expect(PeerMessage.update(update).wireSize < PeerMessage.update(RoundUpdate(round: 3, weights: t.weights(0..<4))).wireSize)
        #expect(rejections(t.deliver(update, from: t.peerX)).isEmpty)
        let kept = t.core.inbox[3]?.first?.update
        #expect(kept?.payload == .deltas(LayerParameters(range: 0..<4, layers: tensors.map { $0.decoded() })))
        // A NaN survives int8 compression (its block decodes as NaN) and is rejected.
        var poisoned = delta
        poisoned[3] = .nan
        let bad = RoundUpdate(round: 3, payload: .compressed(range: 0..<4, (0..<4).map { _ in Compression.int8(blockSize: 8).compress(poisoned) }))
        #expect(rejections(t.deliver(bad, from: t.peerY)).first?.1.contains("non-finite") == true)
    }

    /// A few bytes of top-k may name any decoded size: one that is not the layer's is refused
    /// before anything is decoded (a claimed gigabyte of zeros is never allocated).
    @Test func aClaimedSizeThatIsNotTheLayersIsRefusedUndecoded() throws {
        var t = UpdateTarget()
        var bytes = Compression.topK(fraction: 0.5).compress([Float](repeating: 1, count: 16)).serialized()
        let huge = UInt32(CompressedTensor.maxCount)
        for i in 0..<4 { bytes[1 + i] = UInt8(truncatingIfNeeded: huge >> (8 * UInt32(i))) }
        let giant = try CompressedTensor(bytes: bytes)
        #expect(giant.count == CompressedTensor.maxCount)
        let fine = Compression.none.compress([Float](repeating: 0, count: 16))
        let update = RoundUpdate(round: 3, payload: .compressed(range: 0..<4, [fine, giant, fine, fine]))
        #expect(rejections(t.deliver(update, from: t.peerX)).first?.1 == "wrong shape")
        #expect(t.core.inbox[3] == nil)
        // Layers past the model's end are refused before anything is decoded too.
        let beyond = RoundUpdate(round: 3, payload: .compressed(range: 3..<6, [fine, giant, giant]))
        #expect(rejections(t.deliver(beyond, from: t.peerY)).first?.1.contains("outside the model") == true)
    }

    @Test func oneTensorPerNamedLayer() {
        var t = UpdateTarget()
        let short = RoundUpdate(round: 3, payload: .compressed(range: 0..<4, [Compression.none.compress([Float](repeating: 0, count: 16))]))
        _ = t.deliver(short, from: t.peerX)
        #expect(t.core.metrics.messagesRejected == 1)
        #expect(t.core.inbox[3] == nil)
    }
}
