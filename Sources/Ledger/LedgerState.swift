import Deterministic
import Identity

/// The NEURO ledger of one node, as plain data: the records it holds and the balances they give.
///
/// **Consistency model.** The state is a function of the set of records held, whatever the order
/// of arrival, duplicates or delays:
/// - Each author's records form a chain (`seq`, `previous`). A record is taken in only once its
///   predecessor is (until then it waits), so a held chain is always a prefix of what its
///   author signed.
/// - The chain alone decides each record's verdict (`ChainRules.verdict`): time order, the
///   proofs' uptime, rate and figures, the transfers' and stakes' own rules.
/// - The fold applies the valid records in one total order (`OrderKey`: time, author, seq):
///   proofs mint, transfers and stakes move NEURO when the author's balance at that point
///   covers them, unstakes when the lock has passed. A record that arrives late is put in its
///   place and the records after it are folded again (undone and redone exactly).
/// - Two different records of one author with one seq and one predecessor are proof of a fork:
///   from that seq on, none of the author's records counts, on every ledger that has seen the
///   pair; the pair travels with anti-entropy so that all do.
///
/// So two ledgers holding the same records hold the same balances and digest (convergence);
/// every fold step moves NEURO without making or losing any (conservation: minted = Σ available
/// + Σ staked + burned); a transfer is applied at most once, from a balance that covers it (no
/// double spend). There is no consensus and no finality: a transfer that one ledger has applied
/// may be refused later when an earlier-stamped record of its author arrives, or voided by its
/// author's fork.
public struct LedgerState: Sendable {
    public let rules: ChainRules
    /// Sorted by address.
    public let genesis: [GenesisAllocation]
    var chains: [NodeID: Chain] = [:]
    /// Every counted record, in fold order.
    var order: [OrderKey] = []
    public internal(set) var accounts: [NodeID: Account] = [:]
    public internal(set) var totals: Totals
    /// XOR of every chain's `VersionEntry` hash: equal on two ledgers exactly when they hold the
    /// same chains (a head's id commits to its whole chain).
    var summaryHash: UInt64 = 0
    var countedRecords: UInt64 = 0
    /// Records whose predecessor has not arrived, by author and seq (two, when an author signed
    /// two: together they prove its fork once their predecessor comes).
    var pending: [NodeID: [UInt64: [(Record, RecordSource)]]] = [:]
    var pendingCount = 0
    /// Records stamped too far ahead of this node's clock, waiting for it.
    var early: [(Record, RecordSource)] = []
    /// Transfers by request key (`Payment.requestKey`).
    var requestKeys: [RecordID: OrderKey] = [:]
    /// Each account's records (authored and received), in fold order.
    var touches: [NodeID: [OrderKey]] = [:]
    /// Authors whose chains differ from a peer's below the head: how far back the next pull asks.
    var forkSearch: [NodeID: UInt64] = [:]
    var journal: [JournalEntry] = []
    /// Balances as they were before the current batch, for the journal.
    var touchedAccounts: [NodeID: Account] = [:]
    var totalsBefore: Totals?
    public internal(set) var counters = LedgerCounters()

    static let maxPendingPerAuthor = 512
    static let maxPending = 8_192
    static let maxEarly = 1_024

    public init(rules: ChainRules, genesis: [GenesisAllocation]) {
        self.rules = rules
        self.genesis = genesis.sorted { $0.address < $1.address }
        var minted = Micro.zero
        for g in self.genesis {
            accounts[g.address, default: .empty].available = accounts[g.address, default: .empty].available.adding(g.amount) ?? .max
            minted = minted.adding(g.amount) ?? .max
        }
        totals = Totals(minted: minted, burned: .zero, available: minted, staked: .zero)
    }

    /// The state of `records`, read back from this node's own store: trusted (their signatures
    /// were checked when they arrived), folded without a journal.
    public init(rules: ChainRules, genesis: [GenesisAllocation], restoring records: [Record]) {
        self.init(rules: rules, genesis: genesis)
        let sorted = records.sorted { ($0.author, $0.seq, $0.id) < ($1.author, $1.seq, $1.id) }
        _ = receive(sorted, from: .stored, nowMs: .max)
        journal = []
        counters = LedgerCounters()
    }

    // MARK: - Taking records in

    /// Takes records in: checks each (its signature, unless this node signed it or its store
    /// kept it), links it into its author's chain or holds it until it can be, and folds the new
    /// ones. Returns what became of each.
    @discardableResult
    public mutating func receive(_ records: [Record], from source: RecordSource, nowMs: Int64) -> [Admission] {
        var admissions: [Admission] = []
        admissions.reserveCapacity(records.count)
        var fresh: [Fresh] = []
        var searched: Set<NodeID> = []
        for r in records {
            if source != .stored && source != .own {
                guard r.seq >= 1, r.isAuthentic else {
                    count(r, .notAuthentic, source)
                    admissions.append(Admission(record: r, result: .notAuthentic))
                    continue
                }
            }
            admit(r, source, nowMs, &fresh, &admissions, &searched)
        }
        if case .pulled = source {
            // A peer's records of an author that showed no difference end that author's search.
            for author in Set(records.map(\.author)) where !searched.contains(author) { forkSearch[author] = nil }
        }
        place(fresh)
        finishBatch()
        return admissions
    }

    /// How far back forks are being looked for, in all: it grows while a search makes progress.
    public var forkSearchDepth: UInt64 { forkSearch.values.reduce(0, +) }

    /// Early records whose time has come (call it as the clock advances).
    @discardableResult
    public mutating func admitDue(nowMs: Int64) -> [Admission] {
        let limit = nowMs &+ rules.maxFuture.nanos / 1_000_000
        guard early.contains(where: { $0.0.timestampMs <= limit }) else { return [] }
        let due = early.filter { $0.0.timestampMs <= limit }.sorted { $0.0.key < $1.0.key }
        early.removeAll { $0.0.timestampMs <= limit }
        var admissions: [Admission] = []
        var fresh: [Fresh] = []
        var searched: Set<NodeID> = []
        for (r, source) in due { admit(r, source, nowMs, &fresh, &admissions, &searched) }
        place(fresh)
        finishBatch()
        return admissions
    }

    private mutating func admit(_ r: Record, _ source: RecordSource, _ nowMs: Int64, _ fresh: inout [Fresh],
                                _ admissions: inout [Admission], _ searched: inout Set<NodeID>) {
        // The chain is read through `chains[…]` each time, never copied out: a copy alive while
        // `append` writes would make Swift copy the chain's arrays on every record.
        if let fork = chains[r.author]?.fork, r.seq >= fork.seq {
            let result: Admission.Result = fork.evidence.contains(where: { $0.id == r.id }) ? .duplicate : .void
            count(r, result, source)
            admissions.append(Admission(record: r, result: result))
            return
        }
        let head = chains[r.author]?.headSeq ?? 0
        if r.seq <= head {
            let stored = chains[r.author]!.records[Int(r.seq) - 1]
            if stored.id == r.id {
                count(r, .duplicate, source)
                admissions.append(Admission(record: r, result: .duplicate))
            } else if r.seq == 1 || r.previous == stored.previous {
                // Same predecessor, other content: the author signed two histories.
                place(fresh)
                fresh = []
                cut(r.author, at: r.seq, evidence: [stored, r])
                count(r, .fork, source)
                admissions.append(Admission(record: r, result: .fork))
            } else if !searched.contains(r.author) {
                // They differ further back: ask for the peer's records from further down.
                searched.insert(r.author)
                forkSearch[r.author] = max(2, 2 * (forkSearch[r.author] ?? 1))
                admissions.append(Admission(record: r, result: .held))
            }
            return
        }
        if r.seq == head + 1 {
            if r.previous != (chains[r.author]?.headID ?? .zero) {
                // A successor of some other record at `head`: the peer's pull answer will show it.
                searched.insert(r.author)
                forkSearch[r.author] = max(1, forkSearch[r.author] ?? 1)
                admissions.append(Admission(record: r, result: .held))
                return
            }
            // (Its own records a node takes at once: it made them, whatever it stamped.)
            if source != .stored, source != .own, r.timestampMs > nowMs &+ rules.maxFuture.nanos / 1_000_000 {
                hold(early: r, source)
                admissions.append(Admission(record: r, result: .held))
                return
            }
            fresh.append(Fresh(key: append(r), foreign: source != .own && source != .stored))
            count(r, .counted, source)
            admissions.append(Admission(record: r, result: .counted))
            // Its successor may be waiting (and its successor's, which that call takes in).
            let nextSeq = r.seq + 1
            if let waiting = pending[r.author]?.removeValue(forKey: nextSeq) {
                pendingCount -= waiting.count
                if pending[r.author]!.isEmpty { pending[r.author] = nil }
                for (next, nextSource) in waiting { admit(next, nextSource, nowMs, &fresh, &admissions, &searched) }
            }
            return
        }
        hold(pending: r, source)
        admissions.append(Admission(record: r, result: .held))
    }

    private mutating func hold(pending r: Record, _ source: RecordSource) {
        let same = pending[r.author]?[r.seq] ?? []
        guard same.count < 2, !same.contains(where: { $0.0.id == r.id }) else { return }
        guard pendingCount < Self.maxPending, (pending[r.author]?.count ?? 0) < Self.maxPendingPerAuthor else {
            counters.dropped += 1 // anti-entropy brings it again
            return
        }
        pending[r.author, default: [:]][r.seq, default: []].append((r, source))
        pendingCount += 1
        counters.heldPending += 1
    }

    private mutating func hold(early r: Record, _ source: RecordSource) {
        guard !early.contains(where: { $0.0.id == r.id }) else { return }
        guard early.count < Self.maxEarly else {
            counters.dropped += 1
            return
        }
        early.append((r, source))
        counters.heldEarly += 1
    }

    /// Links `r` (the next of its chain) and judges it on its chain; the fold places it later.
    private mutating func append(_ r: Record) -> OrderKey {
        let before = chains[r.author]?.versionHash(r.author) ?? 0
        let verdict = rules.verdict(on: r, previous: chains[r.author]?.records.last, lastProofMs: chains[r.author]?.lastProofMs,
                                    recentProofs: chains[r.author]?.validProofs(since: r.timestampMs - 3_600_000) ?? 0)
        chains[r.author, default: Chain()].append(r, verdict, keepProofs: rules.maxProofsPerHour)
        summaryHash ^= before ^ chains[r.author]!.versionHash(r.author)
        countedRecords += 1
        let key = r.key
        touches[r.author, default: []].insertSorted(key)
        if case .transfer(let p) = r.body {
            touches[p.to, default: []].insertSorted(key)
            if let k = p.requestKey { requestKeys[k] = key }
        }
        return key
    }

    private mutating func count(_ r: Record, _ result: Admission.Result, _ source: RecordSource) {
        let foreign = source != .own && source != .stored
        switch result {
        case .counted:
            counters.admitted += 1
            guard foreign, case .proof = r.body else { return }
            if case .refused(let reason) = chains[r.author]!.verdicts.last! {
                counters.proofsRefused[reason, default: 0] += 1
            } else {
                counters.proofsAccepted += 1
            }
        case .duplicate:
            counters.duplicates += 1
            if case .pushed(let by) = source, by != r.author, case .proof = r.body {
                counters.proofsRefused[.replay, default: 0] += 1
            }
        case .notAuthentic:
            if case .proof = r.body { counters.proofsRefused[.signature, default: 0] += 1 } else { counters.recordsForged += 1 }
        case .fork: counters.forks += 1
        case .void: counters.void += 1
        case .held: break
        }
    }

    // MARK: - Authoring

    /// The next record of `key`'s chain, signed, not yet taken in (`receive(_:from: .own)` does
    /// that, through the same checks as any peer's record). Its time never falls below its
    /// predecessor's, even if this node's clock was set back.
    public func next(_ body: RecordBody, by key: SigningKey, author: NodeID, nowMs: Int64) -> Record {
        let chain = chains[author]
        return Record.signed(by: key, seq: (chain?.headSeq ?? 0) + 1, previous: chain?.headID ?? .zero,
                             timestampMs: nextStamp(of: author, nowMs: nowMs), body: body)
    }

    /// The time the author's next record takes: now, or its chain's latest if the clock fell back.
    public func nextStamp(of author: NodeID, nowMs: Int64) -> Int64 {
        max(nowMs, chains[author]?.records.last?.timestampMs ?? .min, rules.genesisTimeMs)
    }

    /// The time of the author's latest proof, and its chain's latest record.
    public func lastProofMs(of author: NodeID) -> Int64? { chains[author]?.lastProofMs }
    public func head(of author: NodeID) -> Record? { chains[author]?.records.last }

    /// What happened to the last batch's records, for the store: drained by the caller.
    public mutating func takeJournal() -> [JournalEntry] {
        defer { journal = [] }
        return journal
    }

    public var hasJournal: Bool { !journal.isEmpty }
}

/// Where a record came from.
public enum RecordSource: Equatable, Sendable {
    /// This node signed it.
    case own
    /// A peer sent it on its own (its author, announcing it, or a relay).
    case pushed(NodeID)
    /// A peer sent it answering this node's pull.
    case pulled(NodeID)
    /// This node's store (a restart).
    case stored
}

/// What became of one record on arrival.
public struct Admission: Sendable {
    public enum Result: Sendable, Equatable {
        /// Linked into its chain and folded.
        case counted
        /// Held already.
        case duplicate
        /// Not signed by its author (kept nowhere).
        case notAuthentic
        /// Waiting for its predecessor or for this node's clock, or for the records below it.
        case held
        /// With a record already held, proof that its author signed two histories.
        case fork
        /// Beyond its author's fork: counts for nothing.
        case void
    }
    public var record: Record
    public var result: Result
}

/// One account's balances.
public struct Account: Equatable, Sendable {
    public var available: Micro
    public var staked: Micro
    /// The stake may not be taken back before this time (ms), the latest of its stake records' locks.
    public var lockedUntilMs: Int64

    public static let empty = Account(available: .zero, staked: .zero, lockedUntilMs: 0)

    public init(available: Micro, staked: Micro, lockedUntilMs: Int64) {
        self.available = available; self.staked = staked; self.lockedUntilMs = lockedUntilMs
    }
}

public struct Totals: Equatable, Sendable {
    public var minted: Micro
    public var burned: Micro
    public var available: Micro
    public var staked: Micro

    public init(minted: Micro, burned: Micro, available: Micro, staked: Micro) {
        self.minted = minted; self.burned = burned; self.available = available; self.staked = staked
    }

    /// Every micro ever minted is still in an account or was burned: nothing made or lost.
    public var conserved: Bool { available.adding(staked).flatMap { $0.adding(burned) } == minted }
}

/// A balance the network starts with (a devnet's genesis file; counted as minted).
public struct GenesisAllocation: Equatable, Sendable {
    public var address: NodeID
    public var amount: Micro
    public init(address: NodeID, amount: Micro) { self.address = address; self.amount = amount }
}

/// Running counts of what this ledger took in and refused.
public struct LedgerCounters: Equatable, Sendable {
    /// Records linked and folded (own, peers').
    public var admitted = 0
    public var duplicates = 0
    /// Peers' proofs with a valid verdict, and those refused, by reason.
    public var proofsAccepted = 0
    public var proofsRefused: [Refusal: Int] = [:]
    /// Peers' transfers when first folded: applied, or not covered (or malformed).
    public var transfersApplied = 0
    public var transfersRefused = 0
    /// Records other than proofs that were not signed by their author.
    public var recordsForged = 0
    public var heldPending = 0
    public var heldEarly = 0
    /// Records a full buffer could not hold (anti-entropy fetches them again).
    public var dropped = 0
    /// Authors found to have signed two histories, and records beyond such a fork.
    public var forks = 0
    public var void = 0

    public init() {}
}

extension Array where Element: Comparable {
    /// Inserts keeping the array sorted (at the end when it sorts last, the common case).
    mutating func insertSorted(_ x: Element) {
        if let last, last <= x {
            append(x)
            return
        }
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        insert(x, at: lo)
    }

    /// The first index whose element is not below `x`.
    func lowerBound(_ x: Element) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
