import Deterministic
import Identity

/// One line of an account's history.
public struct HistoryItem: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case sent, received, reward, genesis, stake, unstake
    }

    public var kind: Kind
    /// The record's id; nil for genesis.
    public var id: RecordID?
    /// The other account of a transfer.
    public var counterparty: NodeID?
    public var transferKind: TransferKind?
    public var amount: Micro
    /// What a `.sent` transfer burned on top of `amount`; zero for the other kinds.
    public var fee: Micro
    public var memo: String
    public var timestampMs: Int64
    /// Refused or void records appear only in their author's history.
    public var outcome: Outcome
}

extension LedgerState {
    public func account(_ id: NodeID) -> Account { accounts[id] ?? .empty }

    /// Whether the address has a chain or a balance here (it was credited, or signed, at least
    /// once): a transfer to an address nobody has used is refused as a likely typo.
    public func isKnown(_ id: NodeID) -> Bool { chains[id] != nil || accounts[id] != nil }

    /// Records this ledger counts.
    public var recordCount: Int { order.count }
    public var authorCount: Int { chains.count }
    /// Authors this ledger holds proof of a fork of.
    public var forkedAuthors: [NodeID] { chains.keys.filter { chains[$0]!.fork != nil }.sorted() }

    public func record(_ id: RecordID) -> Record? {
        for chain in chains.values { if let r = chain.records.first(where: { $0.id == id }) { return r } }
        return nil
    }

    /// The transfer a client's idempotency key named, with what it did.
    public func transfer(requestKey: RecordID) -> (Record, Outcome)? {
        guard let key = requestKeys[requestKey], let effect = effect(at: key) else { return nil }
        let r = record(at: key)
        return (r, Self.outcome(of: r, effect))
    }

    /// What `r` did (nil when this ledger does not count it).
    public func outcome(of r: Record) -> Outcome? {
        guard let chain = chains[r.author], r.seq >= 1, r.seq <= chain.headSeq,
              chain.records[Int(r.seq) - 1].id == r.id, let e = chain.effects[Int(r.seq) - 1] else { return nil }
        return Self.outcome(of: r, e)
    }

    /// `id`'s available balance at the place `key` takes in the fold: today's, less what the
    /// records after that place did to it (the records of peers whose clocks run ahead).
    public func available(of id: NodeID, before key: OrderKey) -> Micro {
        var available = account(id).available.micro
        for k in order.reversed() {
            guard k > key else { break }
            guard let effect = effect(at: k) else { continue }
            let r = record(at: k)
            switch (effect, r.body) {
            case (.minted(let reward), _) where r.author == id: available -= reward.micro
            case (.paid, .transfer(let p)):
                if p.to == id { available -= p.amount.micro }
                if r.author == id { available += p.amount.micro + p.fee.micro }
            case (.staked, .stake(let amount, _)) where r.author == id: available += amount.micro
            case (.unstaked, .unstake(let amount)) where r.author == id: available -= amount.micro
            default: break
            }
        }
        return Micro(micro: available) ?? .zero
    }

    /// NEURO `id`'s proofs minted at or after `sinceMs`.
    public func earned(by id: NodeID, sinceMs: Int64) -> Micro {
        var sum = Micro.zero
        for key in (touches[id] ?? []).reversed() {
            guard key.timestampMs >= sinceMs else { break }
            guard key.author == id, case .minted(let reward)? = effect(at: key) else { continue }
            sum = sum.adding(reward) ?? .max
        }
        return sum
    }

    /// The account's transfers out and in, rewards, stakes and genesis, newest first.
    public func history(of id: NodeID, limit: Int, offset: Int = 0) -> [HistoryItem] {
        var items: [HistoryItem] = []
        var skipped = 0
        for key in (touches[id] ?? []).reversed() {
            guard items.count < limit else { return items }
            let r = record(at: key)
            guard let effect = effect(at: key) else { continue }
            let outcome = Self.outcome(of: r, effect)
            // What a peer's refused record would have moved never reached this account.
            if case .refused = outcome, r.author != id { continue }
            if skipped < offset { skipped += 1; continue }
            items.append(Self.item(r, for: id, outcome))
        }
        if items.count < limit, let g = genesis.first(where: { $0.address == id }) {
            if skipped < offset { return items }
            items.append(HistoryItem(kind: .genesis, id: nil, counterparty: nil, transferKind: nil, amount: g.amount,
                                     fee: .zero, memo: "", timestampMs: rules.genesisTimeMs, outcome: .applied(g.amount)))
        }
        return items
    }

    private static func item(_ r: Record, for id: NodeID, _ outcome: Outcome) -> HistoryItem {
        var item = HistoryItem(kind: .reward, id: r.id, counterparty: nil, transferKind: nil, amount: .zero, fee: .zero,
                               memo: "", timestampMs: r.timestampMs, outcome: outcome)
        switch r.body {
        case .proof:
            if case .applied(let reward) = outcome { item.amount = reward }
        case .transfer(let p):
            let sent = r.author == id
            item.kind = sent ? .sent : .received
            item.counterparty = sent ? p.to : r.author
            item.transferKind = p.kind
            item.amount = p.amount
            item.fee = sent ? p.fee : .zero
            item.memo = p.memo
        case .stake(let amount, _):
            item.kind = .stake
            item.amount = amount
        case .unstake(let amount):
            item.kind = .unstake
            item.amount = amount
        }
        return item
    }

    /// A digest of the balances, the totals and the counted records: equal on two ledgers that
    /// hold the same records. With `asOfMs`, of the state the records stamped up to then give
    /// (what ledgers must agree on once those records have had time to reach everyone).
    public func digest(asOfMs: Int64 = .max) -> UInt64 {
        var state = self
        var ids = StableHasher()
        if asOfMs != .max {
            let cut = order.lowerBound(OrderKey(timestampMs: asOfMs, author: NodeID(high: .max, low: .max), seq: .max))
            for key in order[cut...].reversed() { state.undo(key) }
            state.order.removeSubrange(cut...)
        }
        var recordsHash: UInt64 = 0
        for key in state.order { recordsHash ^= state.record(at: key).id.short }
        ids.combine(recordsHash)
        ids.combine(state.order.count)
        for id in state.accounts.keys.sorted() {
            let a = state.accounts[id]!
            guard a != .empty else { continue }
            ids.combine(id.high); ids.combine(id.low)
            ids.combine(a.available.micro); ids.combine(a.staked.micro); ids.combine(a.lockedUntilMs)
        }
        ids.combine(state.totals.minted.micro); ids.combine(state.totals.burned.micro)
        return ids.value
    }
}

extension LedgerState {
    /// Folds the counted records again from scratch and compares: whatever the incremental fold
    /// (late records put in place, forks cut) got wrong shows here. Empty when consistent.
    public func audit() -> [String] {
        var problems: [String] = []
        if !totals.conserved { problems.append("the totals do not conserve NEURO: \(totals)") }
        let held = chains.values.flatMap { $0.records + ($0.fork?.evidence ?? []) }
        let refolded = LedgerState(rules: rules, genesis: genesis, restoring: held)
        if refolded.accounts.filter({ $0.value != .empty }) != accounts.filter({ $0.value != .empty }) {
            problems.append("the balances differ from a fresh fold of the same records")
        }
        if refolded.totals != totals { problems.append("the totals differ from a fresh fold of the same records") }
        return problems
    }
}

extension LedgerState {
    /// How many proofs of `authors` this ledger holds and refuses (an honest node's never should be).
    public func refusedProofs(of authors: Set<NodeID>) -> Int {
        var n = 0
        for author in authors {
            guard let chain = chains[author] else { continue }
            for (r, v) in zip(chain.records, chain.verdicts) {
                if case .proof = r.body, case .refused = v { n += 1 }
            }
        }
        return n
    }
}
