import Deterministic
import Identity
import Ledger

/// Anti-entropy (SPEC §7): every heartbeat carries a 16-byte summary of the sender's ledger; a
/// node that finds a peer's summary different from its own on two heartbeats in a row (so a
/// record still in flight does not count) sends it its version vector, and the peer answers with
/// the records it lacks, a batch at a time, oldest first. A pull also tells the peer what the
/// puller holds, so it pulls back what it lacks: one mismatch repairs both sides.
///
/// Costs: 16 bytes per heartbeat in steady state; a pull is 40 bytes per author; catching up N
/// records takes N records' bytes in ⌈N / 256⌉ round trips.
struct Reconciler: Sendable {
    /// Since when each peer's summaries have differed from this node's.
    var mismatchSince: [NodeID: Timestamp] = [:]
    /// When this node last pulled from each peer with no answer yet.
    var pulling: [NodeID: Timestamp] = [:]
    /// Pulls in a row that brought nothing from each peer (records it holds that this node
    /// cannot take yet, say): the next waits twice as long each time, up to 16 heartbeats.
    var fruitless: [NodeID: Int] = [:]
    /// Whether this node has learned from a peer what it holds of this node's own chain.
    var synced = false
}

extension NodeCore {
    /// A pull unanswered for this long may be sent again (the answer or the pull was lost).
    var pullTimeout: TimeSpan { config.membership.heartbeatInterval * 2 }

    /// A peer said what its ledger holds (in a join, welcome or heartbeat). Before this node has
    /// synced, a difference is pulled at once; after, only when it lasts past a heartbeat (a
    /// record still in flight does not count).
    mutating func compareLedgers(_ theirs: LedgerSummary?, of peer: PeerInfo, now: Timestamp) {
        guard let theirs, let mine = ledger?.summary else { return }
        if theirs == mine {
            reconciler.mismatchSince[peer.id] = nil
            reconciler.fruitless[peer.id] = nil
            reconciler.synced = true
            return
        }
        guard let since = reconciler.mismatchSince[peer.id] else {
            reconciler.mismatchSince[peer.id] = now
            if !reconciler.synced { pull(from: peer.id, now: now) }
            return
        }
        let wait = Double(1 << min(reconciler.fruitless[peer.id] ?? 0, 4))
        if now - since >= config.membership.heartbeatInterval * (wait - 0.5) { pull(from: peer.id, now: now) }
    }

    /// Sends this node's version vector to `peer`, unless a pull to it is still out.
    mutating func pull(from peer: NodeID, now: Timestamp) {
        guard let ledger, let address = peers[peer]?.info.address else { return }
        if let sent = reconciler.pulling[peer], now - sent < pullTimeout { return }
        reconciler.pulling[peer] = now
        metrics.ledgerPulls += 1
        send(.ledgerPull(ledger.pull), to: address)
    }

    /// A peer's version vector: answer with what it lacks, and pull back what it holds that this
    /// node lacks.
    mutating func answerPull(_ request: LedgerPull, from peer: NodeID, now: Timestamp) {
        guard let ledger, let address = peers[peer]?.info.address else { return }
        let (batch, theyHaveMore) = ledger.answer(request)
        send(.ledgerBatch(batch), to: address)
        if theyHaveMore { pull(from: peer, now: now) }
    }

    /// Records a peer sent answering this node's pull. (One that comes unasked — a late or
    /// duplicated answer — is taken in all the same: records prove themselves; only an answer to
    /// a pull still out leads to the next pull.)
    mutating func receiveBatch(_ batch: LedgerBatch, from peer: NodeID, now: Timestamp) {
        guard ledger != nil else { return }
        let asked = reconciler.pulling.removeValue(forKey: peer) != nil
        let searching = ledger!.forkSearchDepth
        let admissions = ledger!.receive(batch.records, from: .pulled(peer), nowMs: now.milliseconds)
        metrics.recordsPulled += batch.records.count
        noteAdmissions(admissions, from: peer)
        guard asked else { return }
        if admissions.contains(where: { $0.result == .counted || $0.result == .fork }) {
            reconciler.fruitless[peer] = nil
        } else {
            reconciler.fruitless[peer, default: 0] += 1
            reconciler.mismatchSince[peer] = now
        }
        if !batch.complete || ledger!.forkSearchDepth > searching {
            // More to fetch, or a fork being located further back: ask again at once.
            pull(from: peer, now: now)
        } else {
            reconciler.synced = true
            if reconciler.fruitless[peer] == nil { reconciler.mismatchSince[peer] = nil }
        }
    }

    /// Records stamped ahead of this node's clock whose time has come (called every heartbeat).
    mutating func admitDueRecords(now: Timestamp) {
        guard ledger != nil else { return }
        let admissions = ledger!.admitDue(nowMs: now.milliseconds)
        if !admissions.isEmpty { noteAdmissions(admissions, from: config.id) }
    }

    /// The ledger's writes of this input as one commit, carrying the effects that must wait for
    /// it: answers to API calls, and this node's own new records.
    mutating func commitLedger() {
        let journal = ledger!.takeJournal()
        var then: [Effect] = [], rest: [Effect] = []
        for effect in out {
            switch effect {
            case .respond: then.append(effect)
            case .send(_, .record(let r)) where r.author == config.id: then.append(effect)
            default: rest.append(effect)
            }
        }
        out = [.commit(journal, then: then)] + rest
    }

    /// The store could not keep the last commit: fold the ledger again from what it holds, as a
    /// restart would.
    mutating func restoreLedger(_ records: [Record]) {
        guard let old = ledger else { return }
        metrics.commitFailures += 1
        ledger = LedgerState(rules: old.rules, genesis: old.genesis, restoring: records)
        reconciler.mismatchSince = [:]
        out.append(.note(.ledgerFailed("the store kept none of the last writes; the ledger was folded again from the \(records.count) records it holds")))
    }
}
