import Deterministic
import Identity
import Testing
@testable import NeuroShardCore
import Training

/// No field of a peer's message may crash, stall or mislead a node (NodeCore+Validation).
@Suite struct PeerValidationTests {
    static let objective = NoisyQuadratic()
    let me = nodeID(0x10), mallory = nodeID(0x66), alice = nodeID(0x20)

    func node() -> (NodeCore, DeterministicRNG) {
        var rng = DeterministicRNG(seed: 1)
        var core = NodeCore(config: membershipConfig(0x10, "me"), objective: Self.objective)
        _ = core.handle(.start, now: .zero, rng: &rng)
        return (core, rng)
    }

    func info(_ id: NodeID, layers: Range<Int> = 0..<4, round: Int = 0) -> PeerInfo {
        PeerInfo(id: id, address: "addr-\(id.short)", layers: layers, capacity: 4, round: round)
    }

    func heartbeat(_ info: PeerInfo, gossip: [GossipEntry] = []) -> PeerMessage {
        .heartbeat(Heartbeat(info: info, gossip: gossip, sentAt: at(1), echo: nil, held: .zero))
    }

    func rejectedKinds(_ effects: [Effect]) -> [String] {
        notes(effects).compactMap { if case .messageRejected(_, let kind, _) = $0 { kind } else { nil } }
    }

    @Test func aNodeMaySpeakOnlyForItself() {
        var (core, rng) = node()
        _ = core.handle(.message(from: alice, heartbeat(info(alice))), now: at(1), rng: &rng)
        var forged = info(alice)
        forged.address = "evil"
        let effects = core.handle(.message(from: mallory, heartbeat(forged)), now: at(2), rng: &rng)
        #expect(rejectedKinds(effects) == ["heartbeat"])
        #expect(core.peers[alice]?.info.address == "addr-\(alice.short)")
        #expect(core.metrics.messagesRejected == 1)
    }

    @Test(arguments: [Int.min, -1, Int.max, NodeCore.maxRound + 1])
    func impossibleRoundsAreRejected(round: Int) {
        var (core, rng) = node()
        let effects = core.handle(.message(from: mallory, heartbeat(info(mallory, round: round))), now: at(1), rng: &rng)
        #expect(rejectedKinds(effects) == ["heartbeat"])
        #expect(!core.peers.contains(mallory))
        _ = core.handle(.timer(.heartbeat), now: at(2), rng: &rng) // chooses layers, trains: no trap
    }

    @Test func impossibleLayerRangesAreRejectedFirstAndSecondHand() {
        var (core, rng) = node()
        let huge = info(mallory, layers: 0..<Int.max)
        #expect(rejectedKinds(core.handle(.message(from: mallory, heartbeat(huge)), now: at(1), rng: &rng)) == ["heartbeat"])
        let gossip = [GossipEntry(info: info(nodeID(0x99), layers: 0..<1_000_000_000), age: .zero)]
        _ = core.handle(.message(from: alice, heartbeat(info(alice), gossip: gossip)), now: at(1), rng: &rng)
        #expect(core.peers.contains(alice))
        #expect(!core.peers.contains(nodeID(0x99)))
    }

    @Test func aNegativeGossipAgeDoesNotKeepAPeerAlive() {
        var (core, rng) = node()
        let ghost = nodeID(0x99)
        let gossip = [GossipEntry(info: info(ghost), age: .seconds(-1_000_000))]
        _ = core.handle(.message(from: alice, heartbeat(info(alice), gossip: gossip)), now: at(1), rng: &rng)
        #expect(core.peers.contains(ghost))
        for t in stride(from: 3.0, through: 31, by: 2) {
            _ = core.handle(.message(from: alice, heartbeat(info(alice))), now: at(t - 0.5), rng: &rng)
            _ = core.handle(.timer(.heartbeat), now: at(t), rng: &rng)
        }
        #expect(!core.peers.contains(ghost)) // heard of, never heard from: dropped after the timeout
        #expect(core.peers.contains(alice))
    }

    @Test func aCheckpointWithNonFiniteMomentumIsRejected() {
        var (core, rng) = node()
        let params = Self.objective.initialParameters(range: 0..<4)
        let velocity = params.layers.map { $0.map { _ in Float.nan } }
        let effects = core.handle(.message(from: alice, .checkpoint(CheckpointMessage(round: 1, params: params, velocity: velocity))),
                                  now: at(1), rng: &rng)
        #expect(rejectedKinds(effects) == ["checkpoint"])
    }

    @Test func tokensPaddedWithZeroBytesDoNotMatch() {
        let auth = Authenticator(token: "secret", apiKeys: ["reader"])
        let padding = String(repeating: "\u{0}", count: 256)
        #expect(auth.authenticate(authorization: "Bearer secret" + padding) == nil)
        #expect(auth.authenticate(authorization: "Bearer reader" + padding) == nil)
        #expect(auth.authenticate(authorization: "Bearer secret") == .owner)
    }
}
