import Deterministic
import Identity

/// One author's chain as this ledger holds it: a prefix of what the author signed (never past a
/// fork), each record with its verdict and what its fold step did.
struct Chain: Sendable {
    var records: [Record] = []
    var verdicts: [Verdict] = []
    /// What each record's fold step did; nil only between linking and placing.
    var effects: [Effect?] = []
    var fork: Fork?
    var lastProofMs: Int64?
    /// Times of the latest valid proofs (ascending; only the last `maxProofsPerHour` matter).
    var validProofTimes: [Int64] = []

    var headSeq: UInt64 { UInt64(records.count) }
    var headID: RecordID { records.last?.id ?? .zero }

    mutating func append(_ r: Record, _ verdict: Verdict, keepProofs: Int) {
        records.append(r)
        verdicts.append(verdict)
        effects.append(nil)
        guard case .proof = r.body else { return }
        lastProofMs = r.timestampMs
        if case .valid = verdict {
            validProofTimes.append(r.timestampMs)
            if validProofTimes.count > keepProofs { validProofTimes.removeFirst(validProofTimes.count - keepProofs) }
        }
    }

    /// How many valid proofs are stamped after `ms`.
    func validProofs(since ms: Int64) -> Int {
        validProofTimes.count - validProofTimes.lowerBound(ms + 1)
    }

    /// Drops the records from `seq` on, and recomputes what the proof rules remember.
    mutating func truncate(from seq: UInt64, keepProofs: Int) {
        let keep = Int(seq) - 1
        guard keep < records.count else { return }
        records.removeSubrange(keep...)
        verdicts.removeSubrange(keep...)
        effects.removeSubrange(keep...)
        lastProofMs = nil
        validProofTimes = []
        for (r, v) in zip(records, verdicts) {
            guard case .proof = r.body else { continue }
            lastProofMs = r.timestampMs
            if case .valid = v { validProofTimes.append(r.timestampMs) }
        }
        if validProofTimes.count > keepProofs { validProofTimes.removeFirst(validProofTimes.count - keepProofs) }
    }

    /// This chain's contribution to the summary hash.
    func versionHash(_ author: NodeID) -> UInt64 {
        guard !records.isEmpty || fork != nil else { return 0 }
        var h = StableHasher(seed: 0x6C65_6467_6572)
        h.combine(author.high); h.combine(author.low); h.combine(headSeq); h.combine(headID.short)
        h.combine(fork?.seq ?? 0)
        return h.value
    }
}

/// Two records of one author, one seq and one predecessor: the author signed two histories.
struct Fork: Sendable {
    var seq: UInt64
    /// Sorted by id.
    var evidence: [Record]
}

/// What one fold step did, kept to undo it exactly.
enum Effect: Equatable, Sendable {
    case none(Refusal)
    case minted(Micro)
    /// A transfer: amount and fee from the author, the amount to the recipient, the fee burned.
    case paid
    case staked(previousLock: Int64)
    case unstaked
}

/// A record linked in this batch and not yet placed in the fold.
struct Fresh {
    var key: OrderKey
    /// Not this node's own or restored (what the transfer counters count).
    var foreign: Bool
}

extension LedgerState {
    func record(at key: OrderKey) -> Record { chains[key.author]!.records[Int(key.seq) - 1] }
    func effect(at key: OrderKey) -> Effect? { chains[key.author]!.effects[Int(key.seq) - 1] }

    /// Places newly linked records in the fold: appended when they sort last (the common case),
    /// otherwise the records after the first of them are undone, and all are folded again.
    mutating func place(_ fresh: [Fresh]) {
        guard !fresh.isEmpty else { return }
        let keys = fresh.map(\.key).sorted()
        let start = order.lowerBound(keys[0])
        let tail = Array(order[start...])
        for key in tail.reversed() { undo(key) }
        var merged: [OrderKey] = []
        merged.reserveCapacity(tail.count + keys.count)
        var i = 0, j = 0
        while i < tail.count || j < keys.count {
            if j == keys.count || (i < tail.count && tail[i] < keys[j]) { merged.append(tail[i]); i += 1 } else { merged.append(keys[j]); j += 1 }
        }
        order.replaceSubrange(start..., with: merged)
        let foreign = Set(fresh.filter(\.foreign).map(\.key))
        for key in merged {
            let before = effect(at: key)
            let after = apply(key)
            let r = record(at: key)
            if before == nil {
                journal.append(.record(r, Self.outcome(of: r, after)))
                if foreign.contains(key), case .transfer = r.body {
                    if case .paid = after { counters.transfersApplied += 1 } else { counters.transfersRefused += 1 }
                }
            } else if before != after {
                journal.append(.outcome(r.id, Self.outcome(of: r, after)))
            }
        }
    }

    /// Takes `removed` out of the fold, folding the records after the first of them again.
    mutating func unplace(_ removed: Set<OrderKey>) {
        guard let first = removed.min() else { return }
        let start = order.lowerBound(first)
        for key in order[start...].reversed() { undo(key) }
        let rest = order[start...].filter { !removed.contains($0) }
        order.replaceSubrange(start..., with: rest)
        for key in rest {
            let before = effect(at: key)
            let after = apply(key)
            if before != after { journal.append(.outcome(record(at: key).id, Self.outcome(of: record(at: key), after))) }
        }
    }

    /// From `seq` on, nothing of `author` counts: the records are taken out of the fold and
    /// dropped, and the pair that proves the fork is kept (and stored, and passed on).
    mutating func cut(_ author: NodeID, at seq: UInt64, evidence: [Record]) {
        guard let held = chains[author] else { return }
        if let fork = held.fork, fork.seq <= seq { return }
        let before = held.versionHash(author)
        let removed = Array(held.records.dropFirst(Int(seq) - 1))
        let oldEvidence = held.fork?.evidence ?? []
        // (`held` is never written back: the fold below updates this chain's effects in place.)
        unplace(Set(removed.map(\.key)))
        let evidenceIDs = Set(evidence.map(\.id))
        for r in removed where !evidenceIDs.contains(r.id) { journal.append(.drop(r.id)) }
        for r in oldEvidence where !evidenceIDs.contains(r.id) { journal.append(.drop(r.id)) }
        let stored = Set(removed.map(\.id))
        for r in evidence { journal.append(stored.contains(r.id) ? .outcome(r.id, .void) : .record(r, .void)) }
        for r in removed {
            touches[author]?.removeAll { $0 == r.key }
            if case .transfer(let p) = r.body {
                touches[p.to]?.removeAll { $0 == r.key }
                if let k = p.requestKey { requestKeys[k] = nil }
            }
        }
        countedRecords -= UInt64(removed.count)
        chains[author]!.truncate(from: seq, keepProofs: rules.maxProofsPerHour)
        chains[author]!.fork = Fork(seq: seq, evidence: evidence.sorted { $0.id < $1.id })
        summaryHash ^= before ^ chains[author]!.versionHash(author)
        if let waiting = pending[author] {
            for s in waiting.keys where s >= seq { pendingCount -= pending[author]!.removeValue(forKey: s)!.count }
            if pending[author]!.isEmpty { pending[author] = nil }
        }
        early.removeAll { $0.0.author == author && $0.0.seq >= seq }
        forkSearch[author] = nil
    }

    // MARK: - One fold step

    /// Folds the record at `key` into the balances and remembers what it did.
    private mutating func apply(_ key: OrderKey) -> Effect {
        let r = record(at: key)
        let effect: Effect
        switch chains[key.author]!.verdicts[Int(key.seq) - 1] {
        case .refused(let reason): effect = .none(reason)
        case .valid(let base, let bonus):
            let me = accounts[r.author] ?? .empty
            switch r.body {
            case .proof:
                let reward = ChainRules.reward(base: base, bonusPercent: bonus, staked: me.staked)
                change(r.author) { $0.available = $0.available.adding(reward) ?? .max }
                totals.minted = totals.minted.adding(reward) ?? .max
                totals.available = totals.available.adding(reward) ?? .max
                effect = .minted(reward)
            case .transfer(let p):
                let required = p.amount.adding(p.fee) ?? .max
                guard me.available >= required else { effect = .none(.insufficient); break }
                change(r.author) { $0.available = $0.available.subtracting(required)! }
                change(p.to) { $0.available = $0.available.adding(p.amount) ?? .max }
                totals.burned = totals.burned.adding(p.fee) ?? .max
                totals.available = totals.available.subtracting(p.fee)!
                effect = .paid
            case .stake(let amount, let days):
                guard me.available >= amount else { effect = .none(.insufficient); break }
                change(r.author) {
                    $0.available = $0.available.subtracting(amount)!
                    $0.staked = $0.staked.adding(amount) ?? .max
                    $0.lockedUntilMs = max($0.lockedUntilMs, r.timestampMs + Int64(days) * 86_400_000)
                }
                totals.available = totals.available.subtracting(amount)!
                totals.staked = totals.staked.adding(amount) ?? .max
                effect = .staked(previousLock: me.lockedUntilMs)
            case .unstake(let amount):
                guard me.staked >= amount else { effect = .none(.insufficient); break }
                guard r.timestampMs >= me.lockedUntilMs else { effect = .none(.locked); break }
                change(r.author) {
                    $0.staked = $0.staked.subtracting(amount)!
                    $0.available = $0.available.adding(amount) ?? .max
                }
                totals.staked = totals.staked.subtracting(amount)!
                totals.available = totals.available.adding(amount) ?? .max
                effect = .unstaked
            }
        }
        chains[key.author]!.effects[Int(key.seq) - 1] = effect
        return effect
    }

    /// Reverses the fold step at `key` (the steps after it must be undone first).
    mutating func undo(_ key: OrderKey) {
        let r = record(at: key)
        guard let effect = effect(at: key) else { return }
        switch (effect, r.body) {
        case (.none, _): break
        case (.minted(let reward), _):
            change(r.author) { $0.available = $0.available.subtracting(reward)! }
            totals.minted = totals.minted.subtracting(reward)!
            totals.available = totals.available.subtracting(reward)!
        case (.paid, .transfer(let p)):
            change(p.to) { $0.available = $0.available.subtracting(p.amount)! }
            change(r.author) { $0.available = $0.available.adding(p.amount.adding(p.fee)!)! }
            totals.burned = totals.burned.subtracting(p.fee)!
            totals.available = totals.available.adding(p.fee)!
        case (.staked(let lock), .stake(let amount, _)):
            change(r.author) {
                $0.staked = $0.staked.subtracting(amount)!
                $0.available = $0.available.adding(amount)!
                $0.lockedUntilMs = lock
            }
            totals.staked = totals.staked.subtracting(amount)!
            totals.available = totals.available.adding(amount)!
        case (.unstaked, .unstake(let amount)):
            change(r.author) {
                $0.available = $0.available.subtracting(amount)!
                $0.staked = $0.staked.adding(amount)!
            }
            totals.available = totals.available.subtracting(amount)!
            totals.staked = totals.staked.adding(amount)!
        default: preconditionFailure("effect \(effect) cannot come from a \(r.body.kind) record")
        }
    }

    private mutating func change(_ id: NodeID, _ body: (inout Account) -> Void) {
        let current = accounts[id] ?? .empty
        if touchedAccounts[id] == nil { touchedAccounts[id] = current }
        if totalsBefore == nil { totalsBefore = totals }
        var account = current
        body(&account)
        accounts[id] = account
    }

    /// Ends a batch: the balances it changed go to the journal.
    mutating func finishBatch() {
        for id in touchedAccounts.keys.sorted() where accounts[id] != touchedAccounts[id] {
            journal.append(.account(id, accounts[id] ?? .empty))
        }
        if let before = totalsBefore, before != totals { journal.append(.totals(totals)) }
        touchedAccounts = [:]
        totalsBefore = nil
        assert(totals.conserved, "the fold made or lost NEURO: \(totals)")
    }

    static func outcome(of r: Record, _ effect: Effect) -> Outcome {
        switch (effect, r.body) {
        case (.none(let reason), _): .refused(reason)
        case (.minted(let reward), _): .applied(reward)
        case (.paid, .transfer(let p)): .applied(p.amount)
        case (.staked, .stake(let amount, _)), (.unstaked, .unstake(let amount)): .applied(amount)
        default: .void
        }
    }
}
