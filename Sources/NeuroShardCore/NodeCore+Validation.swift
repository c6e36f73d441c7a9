import Deterministic
import Identity
import Ledger
import Training

/// Every peer message is checked here before anything acts on it: a peer may be broken or
/// malicious, and no field it sends may crash, stall or mislead this node. Ranges, rounds and ages
/// are bounded; a node may speak only for itself.
extension NodeCore {
    /// A round number no honest node reaches (one round a second for 30,000 years).
    static let maxRound = 1 << 40
    /// Authors a version vector may name (a pull answered costs work per author).
    static let maxVersionEntries = 65_536

    /// The message as it may be acted on, or the reason to drop it.
    func validated(_ message: PeerMessage, from: NodeID) -> Result<PeerMessage, Rejection> {
        switch message {
        case .join(let info):
            return checkSpeaker(info, from).map { .join($0) }
        case .welcome(let info, let sample):
            return checkSpeaker(info, from).map { .welcome($0, peers: secondHand(sample)) }
        case .heartbeat(var hb):
            return checkSpeaker(hb.info, from).map { info in
                hb.info = info
                hb.gossip = secondHand(hb.gossip)
                return .heartbeat(hb)
            }
        case .heartbeatAck(var hb):
            return checkSpeaker(hb.info, from).map { info in
                hb.info = info
                hb.gossip = secondHand(hb.gossip)
                return .heartbeatAck(hb)
            }
        case .update(let u):
            // Values are checked against the node's weights in `receiveUpdate`; here only that a
            // compressed payload has one tensor per layer it names.
            if case .compressed(let range, let tensors) = u.payload, range.count != tensors.count {
                return .failure(Rejection("compressed update names \(range.count) layers and carries \(tensors.count)"))
            }
            return .success(message)
        case .record:
            // Signed by its author, whoever relays it: checked by the ledger on receipt.
            return .success(message)
        case .ledgerPull(let p):
            guard p.entries.count <= Self.maxVersionEntries else {
                return .failure(Rejection("a version vector of \(p.entries.count) authors (at most \(Self.maxVersionEntries))"))
            }
            return .success(message)
        case .ledgerBatch(let b):
            guard b.records.count <= LedgerState.maxBatchRecords else {
                return .failure(Rejection("a batch of \(b.records.count) records (at most \(LedgerState.maxBatchRecords))"))
            }
            return .success(message)
        case .leave, .checkpointRequest:
            // A request is clamped to what the node holds when served.
            return .success(message)
        case .forward(let f):
            guard let objective = pipelineObjective else { return .failure(Rejection("this model is not split into stages")) }
            guard (1..<objective.layerCount).contains(f.layer) else { return .failure(Rejection("no stage starts at layer \(f.layer)")) }
            if let problem = activationProblem(f.activations, objective) { return .failure(Rejection(problem)) }
            if let problem = objective.problem(targets: f.targets) { return .failure(Rejection(problem)) }
            return .success(message)
        case .backward(let b):
            guard let objective = pipelineObjective else { return .failure(Rejection("this model is not split into stages")) }
            if let problem = activationProblem(b.gradient, objective) { return .failure(Rejection("gradient: \(problem)")) }
            return .success(message)
        case .checkpoint(let c):
            let velocityFits = c.velocity.isEmpty || (c.velocity.count == c.params.layers.count
                && zip(c.velocity, c.params.layers).allSatisfy { $0.count == $1.count })
            guard (0...Self.maxRound).contains(c.round), c.params.allFinite, velocityFits,
                  c.velocity.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
                return .failure(Rejection("malformed checkpoint"))
            }
            return .success(message)
        }
    }

    private func activationProblem(_ values: [Float], _ objective: any PipelineObjective) -> String? {
        guard values.count == objective.activationCount else {
            return "\(values.count) activations, expected \(objective.activationCount)"
        }
        return values.allSatisfy(\.isFinite) ? nil : "non-finite activations"
    }

    struct Rejection: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// First-hand info must come from the node it describes, and make sense.
    private func checkSpeaker(_ info: PeerInfo, _ from: NodeID) -> Result<PeerInfo, Rejection> {
        guard info.id == from else { return .failure(Rejection("speaks for \(info.id.short)")) }
        guard let sane = sane(info) else { return .failure(Rejection("impossible layers or round")) }
        return .success(sane)
    }

    /// Second-hand entries: the impossible ones are dropped, ages are bounded, and no more are
    /// kept than a table holds.
    private func secondHand(_ entries: [GossipEntry]) -> [GossipEntry] {
        let maxAge = config.membership.failureTimeout
        return entries.prefix(config.membership.maxPeers).compactMap { entry in
            guard var info = sane(entry.info) else { return nil }
            info.ledger = nil
            return GossipEntry(info: info, age: min(max(entry.age, .zero), maxAge))
        }
    }

    private func sane(_ info: PeerInfo) -> PeerInfo? {
        let count = objective.layerCount
        guard info.layers.lowerBound >= 0, info.layers.upperBound <= count,
              (0...Self.maxRound).contains(info.round) else { return nil }
        var info = info
        info.capacity = min(max(info.capacity, 0), count)
        return info
    }
}
