import Deterministic
import Identity

/// What a node says of its ledger in every heartbeat: 16 bytes that are equal on two nodes
/// exactly when they hold the same chains (and the same forks).
public struct LedgerSummary: Equatable, Sendable {
    public var records: UInt64
    public var hash: UInt64
    public init(records: UInt64, hash: UInt64) { self.records = records; self.hash = hash }
}

/// One chain in a version vector: how far the sender holds it, and the short id of the record
/// there. `back` asks for records from `seq - back + 1` on when the chains differ below the
/// head (a fork being located); 1 otherwise.
public struct VersionEntry: Equatable, Sendable {
    public var author: NodeID
    public var seq: UInt64
    public var head: UInt64
    /// The seq at which the sender holds proof of the author's fork; 0 for none.
    public var fork: UInt64
    public var back: UInt64

    public init(author: NodeID, seq: UInt64, head: UInt64, fork: UInt64, back: UInt64 = 1) {
        self.author = author; self.seq = seq; self.head = head; self.fork = fork; self.back = back
    }

    static let wireSize = 16 + 8 + 8 + 4 + 4
}

/// "This is what I hold; send me what I miss" (Scuttlebutt's digest: a version vector, since
/// every record has an author and a seq).
public struct LedgerPull: Equatable, Sendable {
    public var entries: [VersionEntry]
    public init(entries: [VersionEntry]) { self.entries = entries }
    public var wireSize: Int { 8 + entries.count * VersionEntry.wireSize }
}

/// The answer to a pull: records the puller lacks, oldest first (so that it mostly appends),
/// at most a batch; `complete` false when there is more.
public struct LedgerBatch: Equatable, Sendable {
    public var records: [Record]
    public var complete: Bool
    public init(records: [Record], complete: Bool) { self.records = records; self.complete = complete }
    public var wireSize: Int { 8 + records.reduce(0) { $0 + $1.wireSize } }
}

extension LedgerState {
    public static let maxBatchRecords = 256
    public static let maxBatchBytes = 512 * 1024

    public var summary: LedgerSummary { LedgerSummary(records: countedRecords, hash: summaryHash) }

    /// This ledger's version vector, by author: what a pull carries.
    /// Records held for this node's clock count as held: they are not asked for again.
    public var pull: LedgerPull {
        var waiting: [NodeID: [UInt64: Record]] = [:]
        for (r, _) in early { waiting[r.author, default: [:]][r.seq] = r }
        return LedgerPull(entries: Set(chains.keys).union(waiting.keys).sorted().map { author in
            let c = chains[author]
            var seq = c?.headSeq ?? 0, head = c?.headID ?? .zero
            while let next = waiting[author]?[seq + 1], next.previous == head {
                seq += 1
                head = next.id
            }
            return VersionEntry(author: author, seq: seq, head: head.short, fork: c?.fork?.seq ?? 0, back: forkSearch[author] ?? 1)
        })
    }

    /// Whether a fork is being located (pull again soon rather than at the next mismatch).
    public var isSearchingForks: Bool { !forkSearch.isEmpty }

    /// What to send a node whose version vector is `pull`: the records it lacks (and the proof of
    /// any fork it does not know), oldest first, at most a batch; and whether it holds records
    /// this ledger lacks (then this node should pull from it too).
    public func answer(_ pull: LedgerPull) -> (batch: LedgerBatch, theyHaveMore: Bool) {
        var theirs: [NodeID: VersionEntry] = [:]
        for e in pull.entries { theirs[e.author] = e }
        var out: [Record] = []
        var theyHaveMore = false
        for author in chains.keys.sorted() {
            let chain = chains[author]!
            let t = theirs[author]
            if let fork = chain.fork, t == nil || t!.fork == 0 || t!.fork > fork.seq { out += fork.evidence }
            if let t, t.fork != 0, chain.fork == nil || chain.fork!.seq > t.fork { theyHaveMore = true }
            let mine = chain.headSeq, seq = t?.seq ?? 0
            if seq > mine {
                // Ahead of us: we learn whether our head is in their chain when we pull from them.
                theyHaveMore = true
                continue
            }
            let start: UInt64
            if seq == 0 {
                start = 1
            } else if chain.records[Int(seq) - 1].id.short == t!.head {
                start = seq + 1
            } else {
                // Our chains differ at or below their head: send ours from there, and further back
                // when they ask, so that they can find where the two histories part; theirs we
                // shall pull.
                let back = max(t!.back, 1)
                start = seq > back ? seq - back + 1 : 1
                theyHaveMore = true
            }
            if start <= mine { out += chain.records[Int(start - 1)...] }
        }
        for author in theirs.keys where chains[author] == nil && theirs[author]!.seq > 0 {
            theyHaveMore = true
            break
        }
        out.sort { $0.key < $1.key }
        var bytes = 0, count = 0
        for r in out {
            bytes += r.wireSize
            if count == Self.maxBatchRecords || (count > 0 && bytes > Self.maxBatchBytes) { break }
            count += 1
        }
        return (LedgerBatch(records: Array(out.prefix(count)), complete: count == out.count), theyHaveMore)
    }
}

extension LedgerState {
    /// The summary of the records stamped up to `asOfMs`: equal on two ledgers that hold the
    /// same of those (what ledgers must agree on once those records have had time to spread).
    public func summary(asOfMs: Int64) -> UInt64 {
        var hash: UInt64 = 0
        for (author, chain) in chains {
            var n = chain.records.count
            while n > 0, chain.records[n - 1].timestampMs > asOfMs { n -= 1 }
            var h = StableHasher(seed: 0x6173_6F66)
            h.combine(author.high); h.combine(author.low); h.combine(n)
            h.combine(n > 0 ? chain.records[n - 1].id.short : 0); h.combine(chain.fork?.seq ?? 0)
            hash ^= h.value
        }
        return hash
    }
}
