import Deterministic
import Identity
import Ledger

/// How a node makes its ledger records: honestly, or as one of the attacks the ledger must
/// survive (scenario behaviours `forged-proof`, …, `equivocating-transfer`, `backdated-chain`).
public enum LedgerConduct: String, Equatable, Sendable, CaseIterable {
    case honest
    /// Claims a peer's id, signed with its own key.
    case forged
    /// Re-sends a proof it received from a peer instead of its own.
    case replayed
    /// Claims a thousand times its work: more batches than a node can take in the time.
    case inflated
    /// Stamps each proof ten minutes before its previous one, to claim the same time twice.
    case stale
    /// Stamps its proofs two minutes ahead and claims those minutes as uptime.
    case future
    /// Signs a proof every 20 s: more than the hourly limit allows.
    case flooding
    /// Once, signs two different transfers with one seq and sends each to half of its peers.
    case equivocating
    /// On start, fabricates the proofs it would have signed from the network's genesis on.
    case backdated

    /// Whether this conduct's proofs may earn nothing at all (a flooding node's first 120 an
    /// hour, an equivocator's before its fork and a backdater's within the chain rules do).
    public var provesNothing: Bool {
        switch self {
        case .honest, .flooding, .equivocating, .backdated: false
        case .forged, .replayed, .inflated, .stale, .future: true
        }
    }
}

/// What the node remembers between its proofs.
struct ProofState: Sendable {
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
    var heard: Record?
    /// An attack that acts once (equivocating, backdated) has acted.
    var attacked = false
}

extension NodeCore {
    var proofInterval: TimeSpan {
        config.ledger.conduct == .flooding ? config.ledger.rules.proofInterval * (1.0 / 3) : config.ledger.rules.proofInterval
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

    /// The first proof's timer.
    mutating func startLedger() {
        guard ledger != nil else { return }
        out.append(.setTimer(.proof, after: proofInterval))
    }

    /// Every interval: sign a proof of the work since the previous one, take it in, push it.
    mutating func proofTick(now: Timestamp) {
        out.append(.setTimer(.proof, after: proofInterval))
        // `ledger!` rather than a local copy: a copy alive while `author` writes would make Swift copy the ledger.
        guard ledger != nil, mayAuthor(now: now) else { return }
        let conduct = config.ledger.conduct
        if conduct == .backdated, !proofs.attacked { fabricateHistory(before: now) }
        if conduct == .equivocating, !proofs.attacked { equivocate(now: now) }
        let nowMs = now.milliseconds
        let stamp = ledger!.nextStamp(of: config.id, nowMs: nowMs)
        // Training is claimed with the loss it reached; the LM head's holder that has measured none
        // yet claims none (peers would refuse the proof).
        let trained = proofs.trainedSteps - proofs.steps
        let batches = role.holdsHead && !(proofs.trainingLoss > 0) ? 0 : trained
        // Claim no more time than the chain allows: since this run began and since the last proof.
        var uptime = Int64(max(0, (now - (proofs.lastAt ?? startedAt)).seconds))
        if let last = ledger!.lastProofMs(of: config.id) { uptime = min(uptime, (stamp - last) / 1000) }
        var claim = WorkClaim(
            uptimeSeconds: min(uptime, config.ledger.rules.maxUptimeSeconds), batches: Int64(batches),
            samples: batches > 0 ? Int64(proofs.trainedSamples - proofs.samples) : 0, tokens: Int64(metrics.tokensGenerated - proofs.tokens),
            layersHeld: layers.count, role: role, modelBefore: proofs.model, modelAfter: modelDigest,
            loss: batches > 0 && role.holdsHead ? proofs.trainingLoss : 0)
        proofs.lastAt = now
        proofs.steps = proofs.trainedSteps
        proofs.samples = proofs.trainedSamples
        proofs.tokens = metrics.tokensGenerated
        proofs.model = claim.modelAfter

        var stampedAt: Int64?
        switch conduct {
        case .honest, .flooding, .equivocating, .backdated: break
        case .forged:
            guard let victim = peers.entries.first?.info.id else { return }
            // The victim's id, this node's key: no ledger can take it for the victim's.
            let unsigned = Record(author: victim, publicKey: config.key.publicKey.compressed, seq: 1, previous: .zero,
                                  timestampMs: stamp, body: .proof(claim), signature: [])
            let forged = Record(author: victim, publicKey: unsigned.publicKey, seq: 1, previous: .zero, timestampMs: stamp,
                                body: .proof(claim), signature: config.key.sign(digest: unsigned.id.bytes))
            broadcast(.record(forged))
            return
        case .replayed:
            guard let heard = proofs.heard else { return }
            broadcast(.record(heard))
            return
        case .inflated:
            claim.batches = max((claim.batches + 1) * 1000, claim.uptimeSeconds * config.ledger.rules.maxBatchesPerSecond + 1)
            claim.samples = claim.batches * 64
        case .stale:
            stampedAt = min(nowMs, ledger!.head(of: config.id)?.timestampMs ?? nowMs) - 600_000
        case .future:
            stampedAt = nowMs + 120_000
            claim.uptimeSeconds += 120
        }
        author(.proof(claim), now: now, stampedAt: stampedAt)
    }

    /// Signs the next record of this node's chain, takes it in through the same checks as any
    /// peer's record (a node credits itself only what its peers would), and pushes it to every
    /// peer. `stampedAt` overrides its time (the attacks).
    @discardableResult
    mutating func author(_ body: RecordBody, now: Timestamp, stampedAt: Int64? = nil) -> Record? {
        guard let next = ledger?.next(body, by: config.key, author: config.id, nowMs: now.milliseconds) else { return nil }
        let r = stampedAt.map {
            Record.signed(by: config.key, seq: next.seq, previous: next.previous, timestampMs: $0, body: body)
        } ?? next
        ledger!.receive([r], from: .own, nowMs: now.milliseconds)
        if config.ledger.conduct == .honest, case .refused(let why)? = ledger!.outcome(of: r), why != .insufficient {
            metrics.ownRecordsRefused += 1
            out.append(.note(.ownRecordRefused(kind: body.kind, reason: why)))
        }
        broadcast(.record(r))
        return r
    }

    /// A node may sign once it knows what its peers hold of its own chain: a node restarted
    /// without its store would otherwise sign a second history, and fork itself out. It knows
    /// once a peer's summary matched its own or a pull from a peer completed; it does not wait
    /// when no peer keeps a ledger, nor past the failure timeout (a peer that never answers
    /// must not stop it).
    func mayAuthor(now: Timestamp) -> Bool {
        reconciler.synced || !peers.entries.contains { $0.info.ledger != nil }
            || now - startedAt >= config.membership.failureTimeout
    }

    mutating func broadcast(_ message: PeerMessage) {
        for entry in peers.entries { send(message, to: entry.info.address) }
    }

    /// A peer's record, pushed: taken in (or held), and what was refused noted.
    mutating func receiveRecord(_ r: Record, from: NodeID, now: Timestamp) {
        if config.ledger.conduct == .replayed, r.author != config.id, case .proof = r.body { proofs.heard = r }
        guard ledger != nil else { return }
        let admissions = ledger!.receive([r], from: .pushed(from), nowMs: now.milliseconds)
        noteAdmissions(admissions, from: from)
    }

    /// Notes the refusals and forks among `admissions`.
    mutating func noteAdmissions(_ admissions: [Admission], from: NodeID) {
        for a in admissions {
            let r = a.record
            switch a.result {
            case .notAuthentic:
                out.append(.note(.recordRefused(author: r.author, kind: r.body.kind, reason: .signature,
                                                "not signed by its author (sent by \(from.short))")))
            case .counted where r.author != config.id:
                if case .refused(let why)? = ledger!.outcome(of: r) {
                    out.append(.note(.recordRefused(author: r.author, kind: r.body.kind, reason: why, refusalText(r, why))))
                }
            case .fork: out.append(.note(.forkDetected(author: r.author, seq: r.seq)))
            case .counted, .duplicate, .held, .void: break
            }
        }
    }

    private func refusalText(_ r: Record, _ why: Refusal) -> String {
        guard case .proof(let w) = r.body else { return "" }
        switch why {
        case .implausible: return config.ledger.rules.implausibility(w) ?? ""
        case .future: return "claims \(w.uptimeSeconds) s of uptime"
        case .stale: return "stamped before its previous record or the network's genesis"
        default: return ""
        }
    }

    // MARK: - Attacks that act once

    /// Two transfers with one seq, each of most of the balance, to two different peers, each sent
    /// to half of the peers: a double spend only a fork can carry.
    private mutating func equivocate(now: Timestamp) {
        guard ledger != nil, peers.count >= 2 else { return }
        proofs.attacked = true
        let entries = peers.entries
        let amount = Micro(micro: ledger!.account(config.id).available.micro * 9 / 10) ?? .zero
        guard amount > .zero else { return }
        let pair = [entries[0], entries[entries.count - 1]].map { payee in
            ledger!.next(.transfer(Payment(to: payee.info.id, amount: amount, fee: amount.fee, memo: "", kind: .send)),
                        by: config.key, author: config.id, nowMs: now.milliseconds)
        }
        ledger!.receive([pair[0]], from: .own, nowMs: now.milliseconds)
        for (i, entry) in entries.enumerated() { send(.record(pair[i < entries.count / 2 ? 0 : 1]), to: entry.info.address) }
    }

    /// The proofs of the time before this node started, from the network's genesis on: one per
    /// interval, each claiming the whole time since the one before (what the chain rules allow),
    /// and every other one twice that (which they do not).
    private mutating func fabricateHistory(before now: Timestamp) {
        proofs.attacked = true
        let interval = Int64(config.ledger.rules.proofInterval.seconds) * 1000
        var stamp = config.ledger.rules.genesisTimeMs + interval
        var k = 0
        while stamp < now.milliseconds - interval {
            let uptime = interval / 1000 * (k % 2 == 0 ? 1 : 2)
            author(.proof(WorkClaim(uptimeSeconds: uptime, batches: 0, samples: 0, tokens: 0, layersHeld: 0, role: .idle,
                                    modelBefore: 0, modelAfter: 0, loss: 0)), now: now, stampedAt: stamp)
            stamp += interval
            k += 1
        }
    }
}
