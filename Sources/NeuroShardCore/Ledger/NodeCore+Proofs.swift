import Deterministic
import Identity
import Ledger

/// How a node makes its proofs: honestly, or as one of the attacks the ledger must survive
/// (scenario behaviours `forged-proof`, `replayed-proof`, …). Every attack's proofs are refused
/// by honest peers and earn nothing there.
public enum ProofConduct: String, Equatable, Sendable, CaseIterable {
    case honest
    /// Claims a peer's id, signed with its own key.
    case forged
    /// Re-sends a proof it received from a peer instead of its own.
    case replayed
    /// Claims a thousand times the work it did, over an hour of uptime.
    case inflated
    /// Backdates its proofs past the age limit.
    case stale
    /// Stamps its proofs two minutes ahead.
    case future
    /// Signs a proof every 20 s: more than the hourly limit allows.
    case flooding
}

/// What the node remembers between its proofs.
struct ProofState: Sendable {
    var nonce: UInt64 = 0
    var lastAt: Timestamp?
    var steps = 0
    var samples = 0
    var tokens = 0
    var model: UInt64 = 0
    /// Work of the rounds completed since: proofs claim training only once its weights changed.
    var trainedSteps = 0
    var trainedSamples = 0
    var trainingLoss = 0.0
    /// The latest proof a peer sent (what a replaying attacker re-sends).
    var heard: WorkProof?
}

extension NodeCore {
    var proofInterval: TimeSpan {
        config.ledger.conduct == .flooding ? config.ledger.policy.interval * (1.0 / 3) : config.ledger.policy.interval
    }

    /// Called when a DiLoCo round ends: the weights changed, so the round's steps may be claimed.
    mutating func recordTrainedWork(loss: Double?) {
        proofs.trainedSteps = metrics.innerSteps
        proofs.trainedSamples = metrics.samples
        if let loss, loss.isFinite { proofs.trainingLoss = loss }
    }

    /// Digest of the held weights (what a training proof says changed).
    var modelDigest: UInt64 {
        var h = StableHasher()
        theta0.digest(into: &h)
        return h.value
    }

    /// Every interval: sign a proof of the work since the previous one, credit it, gossip it.
    mutating func proofTick(now: Timestamp) {
        out.append(.setTimer(.proof, after: proofInterval))
        let since = proofs.lastAt ?? startedAt
        let model = modelDigest
        let batches = proofs.trainedSteps - proofs.steps
        var proof = WorkProof(
            node: config.id, publicKey: config.key.publicKey.compressed, timestampMs: now.milliseconds,
            nonce: proofs.nonce, uptimeSeconds: Int64((now - since).seconds.rounded()),
            batches: Int64(batches), samples: Int64(proofs.trainedSamples - proofs.samples),
            tokens: Int64(metrics.tokensGenerated - proofs.tokens), layersHeld: layers.count, role: role,
            modelBefore: proofs.model, modelAfter: model,
            loss: batches > 0 && layers.contains(objective.layerCount - 1) ? proofs.trainingLoss : 0)
        proofs.nonce += 1
        proofs.lastAt = now
        proofs.steps = proofs.trainedSteps
        proofs.samples = proofs.trainedSamples
        proofs.tokens = metrics.tokensGenerated
        proofs.model = model

        switch config.ledger.conduct {
        case .honest, .flooding: break
        case .forged:
            guard let victim = peers.entries.first?.info.id else { return }
            proof.node = victim
        case .replayed:
            guard let heard = proofs.heard else { return }
            broadcast(.proof(heard))
            return
        case .inflated:
            proof.uptimeSeconds = 3600
            proof.batches = (proof.batches + 1) * 1000
            proof.samples = proof.batches * 64
        case .stale: proof.timestampMs -= 2 * config.ledger.policy.maxAge.nanos / 1_000_000
        case .future: proof.timestampMs += 2 * config.ledger.policy.maxFuture.nanos / 1_000_000
        }
        let signed = proof.signed(by: config.key)
        if config.ledger.conduct == .honest || config.ledger.conduct == .flooding {
            credit(signed, now: now)
        }
        broadcast(.proof(signed))
    }

    mutating func broadcast(_ message: PeerMessage) {
        for entry in peers.entries { send(message, to: entry.info.address) }
    }

    /// A peer's proof: checked, then credited in this node's ledger, or counted as refused.
    mutating func receiveProof(_ proof: WorkProof, from: NodeID, now: Timestamp) {
        if config.ledger.conduct == .replayed, proof.node != config.id { proofs.heard = proof }
        guard let ledger else { return }
        let policy = config.ledger.policy
        let hourAgo = now.milliseconds - 3_600_000
        let verdict: (ProofRejection, String)?
        do {
            verdict = policy.check(proof, now: now, seen: try ledger.hasProof(id: proof.id),
                                   recent: try ledger.proofCount(node: proof.node.hex, since: hourAgo),
                                   layerCount: objective.layerCount)
        } catch {
            out.append(.note(.ledgerFailed(String(describing: error))))
            return
        }
        if let (reason, text) = verdict {
            metrics.proofsRejected[reason, default: 0] += 1
            out.append(.note(.proofRejected(from: from, reason: reason, text)))
            return
        }
        if credit(proof, now: now) { metrics.proofsAccepted += 1 }
    }

    /// The genesis allocation (once per ledger), and the first proof's timer.
    mutating func startLedger() {
        guard let ledger else { return }
        do {
            if !config.ledger.genesis.isEmpty {
                try ledger.allocateGenesis(config.ledger.genesis.map { ($0.address.hex, $0.amount) }, timestamp: 0)
            }
        } catch {
            out.append(.note(.ledgerFailed(String(describing: error))))
        }
        out.append(.setTimer(.proof, after: proofInterval))
    }

    /// Mints `proof`'s reward in this node's ledger; false when it was already there.
    @discardableResult
    mutating func credit(_ proof: WorkProof, now: Timestamp) -> Bool {
        guard let ledger else { return false }
        do {
            let staked = try ledger.balance(of: proof.node.hex).staked
            let reward = ProofPolicy.reward(for: proof, staked: staked)
            let entry = ProofEntry(id: proof.id, node: proof.node.hex, timestamp: proof.timestampMs, reward: reward,
                                   uptimeSeconds: proof.uptimeSeconds, batches: proof.batches,
                                   samples: proof.samples, tokens: proof.tokens)
            return try ledger.recordProof(entry) == .credited
        } catch {
            out.append(.note(.ledgerFailed(String(describing: error))))
            return false
        }
    }
}
