import Deterministic
import Identity
import Ledger
@testable import NeuroShardCore
import Testing
import Training

/// A node taking in records from peer 2 (whose key the tests sign with), with its ledger.
struct ProofTarget {
    var core: NodeCore
    var rng = DeterministicRNG(seed: 5)
    let peer = nodeKey(2)
    var peerID: NodeID { NodeID(hex: peer.nodeID)! }
    /// The peer's chain so far.
    var head: Record?

    init() {
        let config = NodeConfig(address: "me", token: "t", key: nodeKey(1), trainingEnabled: false)
        core = NodeCore(config: config, objective: NoisyQuadratic())
        _ = core.handle(.start, now: at(0), rng: &rng)
    }

    /// The peer's next uptime-only proof, stamped `stamp` seconds.
    mutating func proof(at stamp: Double, uptime: Int64 = 60) -> Record {
        let r = Record.signed(by: peer, seq: (head?.seq ?? 0) + 1, previous: head?.id ?? .zero, timestampMs: Int64(stamp * 1000),
                              body: .proof(WorkClaim(uptimeSeconds: uptime, batches: 0, samples: 0, tokens: 0, layersHeld: 2,
                                                     role: .worker, modelBefore: 1, modelAfter: 1, loss: 0)))
        head = r
        return r
    }

    /// Delivers `record` from `sender` at `now` seconds; the notes it caused.
    @discardableResult
    mutating func deliver(_ record: Record, from sender: NodeID? = nil, now: Double) -> [NodeNote] {
        let effects = core.handle(.message(from: sender ?? peerID, .record(record)), now: at(now), rng: &rng)
        #expect(core.ledger!.totals.conserved, "minted = available + staked + burned after every input")
        return notes(effects)
    }

    var peerBalance: Micro { core.ledger!.account(peerID).available }
}

@Suite struct ProofTests {
    @Test func aPeersProofIsCreditedOnceAndARelayOfItIsAReplay() {
        var t = ProofTarget()
        let p = t.proof(at: 100)
        #expect(t.deliver(p, now: 101).isEmpty)
        // 60 s of uptime: 100 micro-NEURO; a worker has no role bonus.
        #expect(t.peerBalance == Micro(micro: 100))
        t.deliver(p, now: 102)
        t.deliver(p, from: nodeID(3), now: 103)
        #expect(t.peerBalance == Micro(micro: 100), "a repeat earns nothing")
        #expect(t.core.ledger!.counters.proofsAccepted == 1 && t.core.ledger!.counters.proofsRefused[.replay] == 1)
    }

    @Test func aRecordSignedWithAnotherKeyIsRefusedAndNotKept() {
        var t = ProofTarget()
        let honest = t.proof(at: 100)
        let forged = Record(author: t.peerID, publicKey: nodeKey(3).publicKey.compressed, seq: 1, previous: .zero,
                            timestampMs: honest.timestampMs, body: honest.body, signature: nodeKey(3).sign(digest: honest.id.bytes))
        let refusals = t.deliver(forged, now: 101)
        #expect(refusals.contains { if case .recordRefused(_, .proof, .signature, _) = $0 { true } else { false } })
        #expect(t.core.ledger!.recordCount == 0)
        #expect(t.peerBalance == .zero)
    }

    @Test func aProofClaimingTimeNotYetLivedIsRefusedWithItsReason() {
        var t = ProofTarget()
        t.deliver(t.proof(at: 100), now: 101)
        let greedy = t.proof(at: 130, uptime: 60)
        let refusals = t.deliver(greedy, now: 131)
        #expect(refusals.contains { if case .recordRefused(_, .proof, .future, _) = $0 { true } else { false } })
        #expect(t.peerBalance == Micro(micro: 100))
        // The chain goes on: the next proof may claim the time since the refused one.
        t.deliver(t.proof(at: 190, uptime: 60), now: 191)
        #expect(t.peerBalance == Micro(micro: 200))
    }

    @Test func aRecordAheadOfTheClockWaitsForItAtTheHeartbeat() {
        var t = ProofTarget()
        t.deliver(t.proof(at: 200), now: 100)
        #expect(t.core.ledger!.recordCount == 0, "stamped 100 s ahead: held")
        _ = t.core.handle(.timer(.heartbeat), now: at(130), rng: &t.rng)
        #expect(t.core.ledger!.recordCount == 0, "still 70 s ahead")
        _ = t.core.handle(.timer(.heartbeat), now: at(141), rng: &t.rng)
        #expect(t.core.ledger!.recordCount == 1)
        #expect(t.peerBalance == Micro(micro: 100))
    }

    @Test func aNodeSignsItsOwnProofTakesItInAndPushesItAfterTheCommit() {
        var rng = DeterministicRNG(seed: 1)
        let config = NodeConfig(address: "me", token: "t", key: nodeKey(1), seedPeers: ["peer"], trainingEnabled: false)
        var core = NodeCore(config: config, objective: NoisyQuadratic())
        _ = core.handle(.start, now: at(0), rng: &rng)
        // Its peer keeps a ledger that differs from its own: it pulls at once...
        let theirs = LedgerSummary(records: 1, hash: 42)
        let welcome = core.handle(.message(from: nodeID(2), .welcome(PeerInfo(id: nodeID(2), address: "peer", layers: 0..<0, capacity: 4,
                                                                            round: 0, ledger: theirs), peers: [])),
                                  now: at(1), rng: &rng)
        #expect(sends(welcome).contains { if case .ledgerPull = $0.message { true } else { false } })
        // ...and signs nothing before it has learned what its peer holds of its own chain.
        #expect(records(core.handle(.timer(.proof), now: at(5), rng: &rng)).isEmpty)
        let summary = core.ledger!.summary
        _ = core.handle(.message(from: nodeID(2), .heartbeat(Heartbeat(info: PeerInfo(id: nodeID(2), address: "peer", layers: 0..<0,
                                                                                      capacity: 4, round: 0, ledger: summary),
                                                                       gossip: [], sentAt: at(6), echo: nil, held: .zero))),
                        now: at(6), rng: &rng)
        let effects = core.handle(.timer(.proof), now: at(8), rng: &rng)
        guard case .commit(let journal, let then)? = effects.first else { Issue.record("no commit: \(effects)"); return }
        let pushed = then.compactMap { e -> Record? in if case .send("peer", .record(let r)) = e { r } else { nil } }
        #expect(pushed.count == 1, "the push waits for the commit")
        #expect(journal.contains { if case .record(let r, .applied) = $0 { r == pushed.first } else { false } })
        #expect(core.ledger!.account(nodeID(1)).available > .zero)
        // A fresh ledger takes it in as valid: the node credited itself what its peers will.
        var peer = LedgerState(rules: core.ledger!.rules, genesis: [])
        peer.receive(pushed, from: .pushed(nodeID(1)), nowMs: at(9).milliseconds)
        #expect(peer.account(nodeID(1)).available == core.ledger!.account(nodeID(1)).available)
        #expect(effects.contains { if case .setTimer(.proof, _) = $0 { true } else { false } })
    }

    @Test func aPeerThatNeverAnswersAPullStopsNobodyPastTheFailureTimeout() {
        var rng = DeterministicRNG(seed: 1)
        let config = NodeConfig(address: "me", token: "t", key: nodeKey(1), seedPeers: ["peer"], trainingEnabled: false)
        var core = NodeCore(config: config, objective: NoisyQuadratic())
        _ = core.handle(.start, now: at(0), rng: &rng)
        _ = core.handle(.message(from: nodeID(2), .welcome(PeerInfo(id: nodeID(2), address: "peer", layers: 0..<0, capacity: 4,
                                                                  round: 0, ledger: LedgerSummary(records: 9, hash: 9)), peers: [])),
                        now: at(1), rng: &rng)
        #expect(records(core.handle(.timer(.proof), now: at(9), rng: &rng)).isEmpty)
        #expect(records(core.handle(.timer(.proof), now: at(11), rng: &rng)).count == 1)
    }

    @Test func aRestartedNodeFoldsItsStoredRecordsAgain() {
        var t = ProofTarget()
        var stored: [Record] = []
        for k in 1...3 {
            let effects = t.core.handle(.message(from: t.peerID, .record(t.proof(at: Double(60 * k)))), now: at(Double(60 * k)), rng: &t.rng)
            for journal in journals(effects) { for case .record(let r, _) in journal { stored.append(r) } }
        }
        #expect(stored.count == 3)
        let restarted = NodeCore(config: t.core.config, objective: NoisyQuadratic(), ledgerRecords: stored)
        #expect(restarted.ledger!.digest() == t.core.ledger!.digest())
        #expect(restarted.ledger!.account(t.peerID).available == Micro(micro: 300))
    }

    @Test func aFailedCommitFoldsTheLedgerAgainFromWhatTheStoreHolds() {
        var t = ProofTarget()
        let kept = t.proof(at: 60)
        t.deliver(kept, now: 60)
        t.deliver(t.proof(at: 120), now: 120)
        #expect(t.peerBalance == Micro(micro: 200))
        let effects = t.core.handle(.commitFailed(restoring: [kept]), now: at(121), rng: &t.rng)
        #expect(t.peerBalance == Micro(micro: 100), "what the store did not keep is gone, as after a restart")
        #expect(notes(effects).contains { if case .ledgerFailed = $0 { true } else { false } })
        #expect(t.core.metrics.commitFailures == 1)
    }
}
