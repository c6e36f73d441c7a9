import Deterministic
import Identity
import Ledger

/// Why a peer's proof earned nothing. Checked in this order (SPEC §7): the cheap and
/// cryptographic checks first, the ledger's memory next, the figures last.
public enum ProofRejection: String, Sendable, CaseIterable {
    /// The key does not hash to the node id, or the signature does not verify.
    case signature
    /// Older than `maxAge`.
    case stale
    /// Stamped further ahead of this node's clock than `maxFuture`.
    case future
    /// Already credited.
    case replay
    /// More than `maxPerHour` proofs from the node in the last hour.
    case rate
    /// Figures no honest node can produce.
    case implausible
}

/// The rules for proofs and their rewards (SPEC §7).
public struct ProofPolicy: Equatable, Sendable {
    /// A node signs a proof this often.
    public var interval: TimeSpan = .seconds(60)
    public var maxAge: TimeSpan = .seconds(300)
    public var maxFuture: TimeSpan = .seconds(60)
    public var maxPerHour = 120
    /// Plausibility bounds, per second of claimed uptime. Generous for an honest node (the
    /// simulator's analytic objectives take thousands of steps a second), far below an inflated claim.
    public var maxBatchesPerSecond: Int64 = 10_000
    public var maxSamplesPerBatch: Int64 = 4_096
    public var maxTokensPerSecond: Int64 = 10_000

    public init() {}

    /// The reason to refuse `proof`, or nil when it earns its reward. `seen` says whether its id
    /// is already in the ledger, `recent` how many of the node's proofs the ledger holds from the
    /// last hour, `layerCount` the model's.
    public func check(_ proof: WorkProof, now: Timestamp, seen: Bool, recent: Int, layerCount: Int) -> (ProofRejection, String)? {
        guard let key = PublicKey(compressed: proof.publicKey), key.nodeID == proof.node.hex else {
            return (.signature, "the public key does not belong to node \(proof.node.short)")
        }
        guard key.verify(signature: proof.signature, digest: proof.digest) else {
            return (.signature, "the signature does not verify")
        }
        let nowMs = now.nanos / 1_000_000
        let age = nowMs - proof.timestampMs
        guard age <= maxAge.nanos / 1_000_000 else { return (.stale, "\(age / 1000) s old (at most \(Int(maxAge.seconds)) s)") }
        guard -age <= maxFuture.nanos / 1_000_000 else {
            return (.future, "\(-age / 1000) s ahead of this node's clock (at most \(Int(maxFuture.seconds)) s)")
        }
        guard !seen else { return (.replay, "proof \(proof.id.prefix(16)) was already credited") }
        guard recent < maxPerHour else { return (.rate, "\(recent) proofs from \(proof.node.short) in the last hour (at most \(maxPerHour))") }
        if let problem = implausibility(proof, layerCount: layerCount) { return (.implausible, problem) }
        return nil
    }

    func implausibility(_ p: WorkProof, layerCount: Int) -> String? {
        let maxUptime = 2 * Int64(interval.seconds)
        guard (0...maxUptime).contains(p.uptimeSeconds) else { return "uptime \(p.uptimeSeconds) s in one proof (at most \(maxUptime))" }
        let seconds = max(p.uptimeSeconds, 1)
        guard p.batches >= 0, p.batches <= seconds * maxBatchesPerSecond else { return "\(p.batches) batches in \(seconds) s" }
        guard p.samples >= 0, p.samples <= p.batches * maxSamplesPerBatch else { return "\(p.samples) samples from \(p.batches) batches" }
        guard p.tokens >= 0, p.tokens <= seconds * maxTokensPerSecond else { return "\(p.tokens) tokens in \(seconds) s" }
        guard (0...layerCount).contains(p.layersHeld) else { return "\(p.layersHeld) layers held of \(layerCount)" }
        guard p.loss.isFinite, p.loss >= 0 else { return "loss \(p.loss)" }
        if p.batches > 0 {
            guard p.modelAfter != p.modelBefore else { return "\(p.batches) training batches left the model unchanged" }
            guard p.loss > 0 else { return "training batches with no loss" }
            guard p.layersHeld > 0 else { return "training batches with no layers held" }
        }
        return nil
    }

    /// The reward for an accepted proof: uptime 0.0001 NEURO a minute, training 0.0005 per batch
    /// per layer held, data 0.00001 per sample, times the role bonus and the stake bonus
    /// 1 + 0.1·log2(1 + stake/1000). A full replica holds the embedding and the LM head, so it
    /// gets both the driver's and the validator's bonus.
    public static func reward(for p: WorkProof, staked: Micro) -> Micro {
        let base = p.uptimeSeconds * 100 / 60 + p.batches * 500 * Int64(p.layersHeld) + p.samples * 10
        var bonus = 1.0
        switch p.role {
        case .driver: bonus += 0.2
        case .validator: bonus += 0.3
        case .full: bonus += 0.5
        case .worker, .idle: break
        }
        if p.batches > 0 { bonus += 0.1 }
        let stake = 1 + 0.1 * _log(1 + staked.neuro / 1000) / _log(2)
        return Micro(micro: Int64((Double(base) * bonus * stake).rounded(.down))) ?? .max
    }
}
