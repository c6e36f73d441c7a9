import Deterministic
import Identity
import Ledger
@testable import NeuroShardCore
import Testing
import Training

/// A node checking proofs from peer 2 (whose key the tests sign with), with its ledger.
struct ProofTarget {
    var core: NodeCore
    var rng = DeterministicRNG(seed: 5)
    let peer = nodeKey(2)
    var peerID: NodeID { NodeID(hex: peer.nodeID)! }

    init() {
        let config = NodeConfig(address: "me", token: "t", key: nodeKey(1), trainingEnabled: false)
        core = NodeCore(config: config, objective: NoisyQuadratic())
        _ = core.handle(.start, now: at(0), rng: &rng)
    }

    /// A plausible uptime-only proof from the peer, stamped `stamp` seconds.
    func proof(at stamp: Double, nonce: UInt64 = 0, uptime: Int64 = 60) -> WorkProof {
        WorkProof(node: peerID, publicKey: peer.publicKey.compressed, timestampMs: Int64(stamp * 1000), nonce: nonce,
                  uptimeSeconds: uptime, batches: 0, samples: 0, tokens: 0, layersHeld: 2, role: .worker,
                  modelBefore: 1, modelAfter: 1, loss: 0).signed(by: peer)
    }

    /// Delivers `proof` at `now` seconds; the reason it was refused, or nil when credited.
    mutating func deliver(_ proof: WorkProof, now: Double) -> ProofRejection? {
        let effects = core.handle(.message(from: peerID, .proof(proof)), now: at(now), rng: &rng)
        let totals = try! core.ledger!.totals()
        #expect(totals.conserved, "minted = available + staked + burned after every write")
        return notes(effects).compactMap { if case .proofRejected(_, let reason, _) = $0 { reason } else { nil } }.first
    }

    var peerBalance: Micro { try! core.ledger!.balance(of: peer.nodeID).available }
}

@Suite struct ProofTests {
    @Test func anHonestProofIsCreditedOnceWithItsReward() {
        var t = ProofTarget()
        let p = t.proof(at: 100)
        #expect(t.deliver(p, now: 101) == nil)
        // 60 s of uptime: 100 micro-NEURO; a worker has no role bonus.
        #expect(t.peerBalance == Micro(micro: 100))
        #expect(t.deliver(p, now: 102) == .replay)
        #expect(t.peerBalance == Micro(micro: 100), "a replay earns nothing")
        #expect(t.core.metrics.proofsAccepted == 1 && t.core.metrics.proofsRejected[.replay] == 1)
    }

    @Test func aProofSignedWithAnotherKeyIsForged() {
        var t = ProofTarget()
        var forged = t.proof(at: 100)
        forged.publicKey = nodeKey(3).publicKey.compressed
        forged = forged.signed(by: nodeKey(3))
        #expect(t.deliver(forged, now: 101) == .signature, "the key does not hash to the claimed node id")
        var tampered = t.proof(at: 100)
        tampered.uptimeSeconds = 120
        #expect(t.deliver(tampered, now: 101) == .signature, "the figures changed after signing")
        var garbage = t.proof(at: 100)
        garbage.signature = [UInt8](repeating: 0, count: 64)
        #expect(t.deliver(garbage, now: 101) == .signature)
        #expect(t.peerBalance == .zero)
    }

    @Test func ageLimitsBothWays() {
        var t = ProofTarget()
        #expect(t.deliver(t.proof(at: 100), now: 401) == .stale, "301 s old")
        #expect(t.deliver(t.proof(at: 100, nonce: 1), now: 400) == nil, "exactly 300 s old is accepted")
        #expect(t.deliver(t.proof(at: 500, nonce: 2), now: 439) == .future, "61 s ahead")
        #expect(t.deliver(t.proof(at: 500, nonce: 3), now: 440) == nil, "60 s ahead is accepted")
    }

    @Test func atMost120ProofsAnHour() {
        var t = ProofTarget()
        for n in 0..<120 {
            #expect(t.deliver(t.proof(at: Double(n * 30), nonce: UInt64(n), uptime: 30), now: Double(n * 30)) == nil)
        }
        #expect(t.deliver(t.proof(at: 3599, nonce: 120, uptime: 30), now: 3599) == .rate)
        // An hour after the first, it has room again.
        #expect(t.deliver(t.proof(at: 3601, nonce: 121, uptime: 30), now: 3601) == nil)
    }

    @Test func implausibleFiguresEarnNothing() {
        var t = ProofTarget()
        func variant(_ change: (inout WorkProof) -> Void) -> WorkProof {
            var p = t.proof(at: 100)
            change(&p)
            return p.signed(by: t.peer)
        }
        let cases: [WorkProof] = [
            variant { $0.uptimeSeconds = 3600 },
            variant { $0.batches = 10_000_000 },
            variant { $0.batches = 10; $0.loss = 2 },                     // weights unchanged
            variant { $0.batches = 10; $0.modelAfter = 2; $0.loss = .nan },
            variant { $0.samples = 5 },                                    // samples without batches
            variant { $0.tokens = -1 },
            variant { $0.layersHeld = 99 },
        ]
        for p in cases { #expect(t.deliver(p, now: 101) == .implausible) }
        #expect(t.peerBalance == .zero)
        let training = variant { $0.batches = 10; $0.samples = 80; $0.modelAfter = 2; $0.loss = 2.5 }
        #expect(t.deliver(training, now: 101) == nil)
    }

    @Test func rewardsFollowTheSpec() {
        func proof(role: Role, batches: Int64, samples: Int64, layers: Int) -> WorkProof {
            WorkProof(node: nodeID(1), publicKey: [], timestampMs: 0, nonce: 0, uptimeSeconds: 60, batches: batches,
                      samples: samples, tokens: 0, layersHeld: layers, role: role, modelBefore: 0, modelAfter: 1, loss: 1)
        }
        // Uptime 100 µ + training 500 µ × 4 batches × 2 layers + data 10 µ × 32, × (1 + 0.2 + 0.1).
        #expect(ProofPolicy.reward(for: proof(role: .driver, batches: 4, samples: 32, layers: 2), staked: .zero)
                == Micro(micro: Int64((Double(100 + 4000 + 320) * 1.3).rounded(.down))))
        #expect(ProofPolicy.reward(for: proof(role: .worker, batches: 0, samples: 0, layers: 2), staked: .zero) == Micro(micro: 100))
        // Staking 1000 NEURO: 1 + 0.1·log2(2) = 1.1.
        #expect(ProofPolicy.reward(for: proof(role: .worker, batches: 0, samples: 0, layers: 2), staked: Micro(neuro: 1000)!)
                == Micro(micro: 110))
    }

    @Test func aNodeCreditsItsOwnProofAndGossipsIt() {
        var rng = DeterministicRNG(seed: 1)
        let config = NodeConfig(address: "me", token: "t", key: nodeKey(1), seedPeers: ["peer"], trainingEnabled: false)
        var core = NodeCore(config: config, objective: NoisyQuadratic())
        _ = core.handle(.start, now: at(0), rng: &rng)
        _ = core.handle(.message(from: nodeID(2), .welcome(PeerInfo(id: nodeID(2), address: "peer", layers: 0..<0, capacity: 4, round: 0), peers: [])),
                        now: at(1), rng: &rng)
        let effects = core.handle(.timer(.proof), now: at(60), rng: &rng)
        let sent = effects.compactMap { e -> WorkProof? in if case .send("peer", .proof(let p)) = e { p } else { nil } }
        #expect(sent.count == 1)
        #expect(sent.first.map { ProofPolicy().check($0, now: at(61), seen: false, recent: 0, layerCount: 4) == nil } == true,
                "its own proof passes a peer's checks")
        #expect(try! core.ledger!.balance(of: nodeID(1).hex).available > .zero)
        #expect(effects.contains { if case .setTimer(.proof, _) = $0 { true } else { false } })
    }
}
