import Identity
import Ledger

/// Why the store could not read or write.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// SQLite refused: its extended result code and its message.
    case sqlite(code: Int32, message: String)
    /// The file was written with a different genesis allocation than this node was given.
    case genesisConflict
    /// The database was written by a newer version of this module.
    case newerSchema(found: Int, supported: Int)
    /// The database holds the ledger as it was before records were chained.
    case formerFormat(found: Int)
    /// A stored record that does not read back (the file was damaged, or edited by hand).
    case damaged(String)

    public var description: String {
        switch self {
        case let .sqlite(code, message): "sqlite error \(code): \(message)"
        case .genesisConflict: "this ledger file was started with a different genesis allocation"
        case let .newerSchema(found, supported): "ledger file schema v\(found) is newer than this node's v\(supported)"
        case let .formerFormat(found):
            "ledger file schema v\(found) predates chained records and cannot be read; move the file away to start a new ledger"
        case let .damaged(what): "ledger file damaged: \(what)"
        }
    }
}

/// A node's NEURO ledger on SQLite (SPEC §7): the records its `LedgerState` holds, which a
/// restart reads back, and a mirror of the balances they give. The node's core never touches
/// it: each input's writes leave the core as a journal, applied here in one transaction
/// (`apply`), before any answer or broadcast that depends on them goes out.
///
/// WAL with `synchronous = FULL` when durable: a commit is one append and one fsync, and survives
/// power loss. One owner uses it at a time (the production shell's actor).
public final class LedgerStore: @unchecked Sendable {
    let db: Database

    /// `path` nil: in memory (a node started with `--ephemeral`, tests). A new file is started
    /// with `genesis`; an existing one must have been started with the same allocation.
    public init(path: String?, durable: Bool, genesis: [GenesisAllocation]) throws(StoreError) {
        db = try Database(path: path ?? ":memory:")
        // A second process on the same file (a CLI inspecting it) waits rather than failing.
        db.busyTimeout(milliseconds: 5_000)
        if path != nil { try db.script("PRAGMA journal_mode = WAL; PRAGMA synchronous = \(durable ? "FULL" : "OFF");") }
        try transaction { () throws(StoreError) in
            let found = Int(try db.first("PRAGMA user_version") { $0.int(0) } ?? 0)
            switch found {
            case 0:
                try db.script(schema)
                try db.script("PRAGMA user_version = \(schemaVersion);")
                try start(genesis)
            case schemaVersion:
                let stored = try db.rows("SELECT address, amount FROM genesis ORDER BY address") { ($0.text(0), $0.int(1)) }
                let given = genesis.sorted { $0.address < $1.address }.map { ($0.address.hex, $0.amount.micro) }
                guard stored.elementsEqual(given, by: { $0 == $1 }) else { throw .genesisConflict }
            case 1..<schemaVersion: throw .formerFormat(found: found)
            default: throw .newerSchema(found: found, supported: schemaVersion)
            }
        }
    }

    private func start(_ genesis: [GenesisAllocation]) throws(StoreError) {
        var minted: Int64 = 0
        for g in genesis {
            try db.run("INSERT INTO genesis (address, amount) VALUES (?, ?)", [g.address.hex, g.amount.micro])
            try db.run("INSERT INTO accounts (address, available, staked, locked_until_ms) VALUES (?, ?, 0, 0)",
                       [g.address.hex, g.amount.micro])
            minted += g.amount.micro
        }
        try db.run("UPDATE totals SET minted = ?, available = ?", [minted, minted])
    }

    // MARK: - Writes

    /// Applies a journal, all of it or (on any error) none of it.
    public func apply(_ journal: [JournalEntry]) throws(StoreError) {
        guard !journal.isEmpty else { return }
        try transaction { () throws(StoreError) in
            for entry in journal { try write(entry) }
        }
    }

    private func write(_ entry: JournalEntry) throws(StoreError) {
        switch entry {
        case .record(let r, let outcome):
            var counterparty: String?
            if case .transfer(let p) = r.body { counterparty = p.to.hex }
            let (name, reason, amount) = Self.columns(outcome)
            try db.run("""
                INSERT INTO records (id, author, seq, timestamp_ms, kind, counterparty, outcome, reason, amount, bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason, amount = excluded.amount
                """, [r.id.bytes, r.author.hex, Int64(r.seq), r.timestampMs, r.body.kind.rawValue, counterparty,
                      name, reason, amount, r.encoded])
        case .outcome(let id, let outcome):
            let (name, reason, amount) = Self.columns(outcome)
            try db.run("UPDATE records SET outcome = ?, reason = ?, amount = ? WHERE id = ?", [name, reason, amount, id.bytes])
        case .drop(let id):
            try db.run("DELETE FROM records WHERE id = ?", [id.bytes])
        case .account(let id, let a):
            try db.run("""
                INSERT INTO accounts (address, available, staked, locked_until_ms) VALUES (?, ?, ?, ?)
                ON CONFLICT (address) DO UPDATE SET available = excluded.available, staked = excluded.staked,
                    locked_until_ms = excluded.locked_until_ms
                """, [id.hex, a.available.micro, a.staked.micro, a.lockedUntilMs])
        case .totals(let t):
            try db.run("UPDATE totals SET minted = ?, burned = ?, available = ?, staked = ?",
                       [t.minted.micro, t.burned.micro, t.available.micro, t.staked.micro])
        }
    }

    private static func columns(_ outcome: Outcome) -> (String, String?, Int64) {
        switch outcome {
        case .applied(let amount): ("applied", nil, amount.micro)
        case .refused(let why): ("refused", why.rawValue, 0)
        case .void: ("void", nil, 0)
        }
    }

    /// Runs `body` in one transaction, rolled back if it throws. IMMEDIATE takes the write lock at
    /// once: a deferred transaction that reads first could fail with SQLITE_BUSY when it writes.
    private func transaction(_ body: () throws(StoreError) -> Void) throws(StoreError) {
        try db.run("BEGIN IMMEDIATE")
        do {
            try body()
            try db.run("COMMIT")
        } catch {
            // After some errors (disk full, I/O) SQLite has already rolled back.
            if !db.isAutocommit { try? db.run("ROLLBACK") }
            throw error
        }
    }

    // MARK: - Reads

    /// Every stored record (fork evidence included): what `LedgerState(restoring:)` folds again.
    public func records() throws(StoreError) -> [Record] {
        let rows = try db.rows("SELECT id, bytes FROM records ORDER BY author, seq") { ($0.blob(0), $0.blob(1)) }
        var out: [Record] = []
        out.reserveCapacity(rows.count)
        for (id, bytes) in rows {
            guard let r = Record(encoded: bytes), r.id.bytes == id else {
                throw .damaged("record \(id.hex.prefix(16)) does not read back")
            }
            out.append(r)
        }
        return out
    }

    public var recordCount: Int {
        get throws(StoreError) { Int(try db.first("SELECT count(*) FROM records") { $0.int(0) } ?? 0) }
    }

    /// The mirrored balances, by address (emptied accounts left out).
    public func accounts() throws(StoreError) -> [NodeID: Account] {
        var out: [NodeID: Account] = [:]
        for (address, a) in try db.rows("SELECT address, available, staked, locked_until_ms FROM accounts", [], {
            ($0.text(0), Account(available: $0.micro(1), staked: $0.micro(2), lockedUntilMs: $0.int(3)))
        }) where a != .empty {
            guard let id = NodeID(hex: address) else { throw .damaged("account \(address.prefix(40))") }
            out[id] = a
        }
        return out
    }

    public func totals() throws(StoreError) -> Totals {
        guard let t = try db.first("SELECT minted, burned, available, staked FROM totals", [], {
            Totals(minted: $0.micro(0), burned: $0.micro(1), available: $0.micro(2), staked: $0.micro(3))
        }) else { throw .damaged("the totals row is missing") }
        return t
    }

    /// What on disk disagrees: "totals" when they do not conserve NEURO or do not sum the
    /// accounts; empty when the mirror is consistent.
    public func audit() throws(StoreError) -> [String] {
        let t = try totals()
        let sums = try db.first("SELECT coalesce(sum(available), 0), coalesce(sum(staked), 0) FROM accounts") { ($0.int(0), $0.int(1)) }
        return t.conserved && sums?.0 == t.available.micro && sums?.1 == t.staked.micro ? [] : ["totals"]
    }
}
