/// The NEURO ledger of one node: balances, and the journals (genesis, transfers, proofs, stake
/// moves) they follow from. NEURO is minted only by genesis and accepted proofs, and leaves
/// circulation only as burned transfer fees, so `totals().conserved` holds after every write.
///
/// Every write is one SQLite transaction, or a savepoint inside `batch`: it happens entirely or
/// not at all, also across a crash. Nothing here reads a clock; timestamps come from the caller.
/// One owner uses it at a time: the node core, which the shells hand between threads whole
/// (hence `@unchecked Sendable`; nothing here locks).
public final class Ledger: @unchecked Sendable {
    /// The schema version databases are brought to on opening (`PRAGMA user_version`).
    public static var schemaVersion: Int { migrations.count }
    static let maxMemoBytes = 256
    private static let notALedger = LedgerError.invalid("the totals row is missing: not a ledger database")

    let db: Database
    /// How many `atomically` calls are running: the first owns the transaction, the rest nest.
    private var depth = 0

    /// `path` nil: in memory (the simulator). On a file, `durable` makes every commit reach the
    /// disk before it returns (survives power loss); otherwise commits survive a process crash
    /// but the last ones may be lost with the machine.
    public init(path: String?, durable: Bool) throws(LedgerError) {
        db = try Database(path: path ?? ":memory:")
        // A second process on the same file (a CLI inspecting it) waits rather than failing.
        db.busyTimeout(milliseconds: 5_000)
        if path != nil {
            // WAL: a commit is one append to the log (one fsync with FULL), and readers do not
            // block the writer.
            try db.script("PRAGMA journal_mode = WAL; PRAGMA synchronous = \(durable ? "FULL" : "OFF");")
        }
        try db.script("PRAGMA foreign_keys = ON;")
        try migrate()
    }

    private func migrate() throws(LedgerError) {
        // The version is read inside each transaction, so two processes opening an old file at
        // once cannot both apply the same step.
        while try atomically({ () throws(LedgerError) -> Bool in
            let found = Int(try db.first("PRAGMA user_version") { $0.int(0) } ?? 0)
            guard found <= migrations.count else { throw .newerSchema(found: found, supported: migrations.count) }
            guard found < migrations.count else { return false }
            try db.script(migrations[found])
            try db.script("PRAGMA user_version = \(found + 1);")
            return true
        }).get() {}
    }

    // MARK: - Writes

    /// Runs `body` in ONE transaction: its writes are committed together (one fsync for all)
    /// or, if it throws, not at all. Each write inside is a savepoint, so a write that fails
    /// is undone alone and `body` may catch its error and go on.
    public func batch<T>(_ body: () throws -> T) throws -> T {
        try atomically(body).get()
    }

    /// Mints the initial allocation. Idempotent: returns false, changing nothing, when this same
    /// allocation (same addresses and amounts, in any order; the timestamp is not compared) was
    /// applied before; throws `.genesisConflict` when a different one was.
    @discardableResult
    public func allocateGenesis(_ allocations: [(address: String, amount: Micro)], timestamp: Int64) throws(LedgerError) -> Bool {
        let sorted = allocations.sorted { $0.address < $1.address }
        guard !sorted.isEmpty else { throw .invalid("genesis allocates nothing") }
        var total = Micro.zero
        for (index, allocation) in sorted.enumerated() {
            guard Ledger.isAddress(allocation.address) else { throw .invalid("genesis address \(allocation.address)") }
            guard allocation.amount > .zero else { throw .invalid("genesis allocates zero to \(allocation.address)") }
            guard index == 0 || sorted[index - 1].address != allocation.address else {
                throw .invalid("genesis names \(allocation.address) twice")
            }
            guard let sum = total.adding(allocation.amount) else { throw .invalid("genesis total overflows") }
            total = sum
        }
        return try atomically { () throws(LedgerError) -> Bool in
            let applied = try db.rows("SELECT address, amount FROM genesis ORDER BY address") { ($0.text(0), $0.micro(1)) }
            guard applied.isEmpty else {
                guard applied.elementsEqual(sorted, by: { $0.0 == $1.address && $0.1 == $1.amount }) else { throw .genesisConflict }
                return false
            }
            for allocation in sorted { try credit(allocation.address, allocation.amount) }
            let last = try tally(minted: total, sequenceNumbers: Int64(sorted.count))
            for (offset, allocation) in sorted.enumerated() {
                try db.run("INSERT INTO genesis (seq, address, amount, timestamp_ms) VALUES (?, ?, ?, ?)",
                           [last - Int64(sorted.count - 1 - offset), allocation.address, allocation.amount, timestamp])
            }
            return true
        }.get()
    }

    /// Mints `p.reward` to `p.node`, once per proof id. Throws `.invalid` for a malformed id or
    /// node: proofs reach the ledger after the caller verified them, so that is a caller bug.
    @discardableResult
    public func recordProof(_ p: ProofEntry) throws(LedgerError) -> ProofRecording {
        guard Ledger.isDigest(p.id) else { throw .invalid("proof id \(p.id)") }
        guard Ledger.isAddress(p.node) else { throw .invalid("proof node \(p.node)") }
        return try atomically { () throws(LedgerError) -> ProofRecording in
            guard try !hasProof(id: p.id) else { return .duplicate }
            try credit(p.node, p.reward)
            let seq = try tally(minted: p.reward)
            try db.run("""
                INSERT INTO proofs (seq, id, node, timestamp_ms, reward, uptime_s, batches, samples, tokens)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [seq, p.id, p.node, p.timestamp, p.reward, p.uptimeSeconds, p.batches, p.samples, p.tokens])
            return .credited
        }.get()
    }

    /// Moves `t.amount` from sender to recipient (created on demand) and burns `t.fee`, paid by
    /// the sender on top. Nonces need only be unused, not consecutive: transfers that reach a
    /// node out of order (gossip) still apply, and replays are caught by the id.
    public func applyTransfer(_ t: TransferEntry) throws(LedgerError) -> TransferOutcome {
        if let problem = Ledger.problem(with: t) { return .invalid(problem) }
        return try atomically { () throws(LedgerError) -> TransferOutcome in
            if let stored = try transfer(id: t.id) { return .duplicate(stored) }
            guard try db.first("SELECT 1 FROM transfers WHERE sender = ? AND nonce = ?", [t.sender, t.nonce], { _ in () }) == nil else {
                return .nonceUsed
            }
            let available = try balance(of: t.sender).available
            let required = Micro(t.amount.micro + t.fee.micro) // both at most Micro.max: no overflow
            guard available >= required else { return .insufficientBalance(available: available, required: required) }
            try db.run("UPDATE accounts SET available = available - ?, nonce = max(nonce, ?) WHERE address = ?",
                       [required, t.nonce, t.sender])
            try credit(t.recipient, t.amount)
            let seq = try tally(burned: t.fee)
            try db.run("""
                INSERT INTO transfers (seq, id, sender, recipient, amount, fee, memo, nonce, kind, timestamp_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [seq, t.id, t.sender, t.recipient, t.amount, t.fee, t.memo, t.nonce, t.kind.rawValue, t.timestamp])
            return .applied
        }.get()
    }

    /// Moves `amount` from the account's available balance to its stake.
    @discardableResult
    public func stake(address: String, amount: Micro, timestamp: Int64) throws(LedgerError) -> StakeOutcome {
        try moveStake(address: address, amount: amount, staking: true, timestamp: timestamp)
    }

    /// Moves `amount` from the account's stake back to its available balance.
    @discardableResult
    public func unstake(address: String, amount: Micro, timestamp: Int64) throws(LedgerError) -> StakeOutcome {
        try moveStake(address: address, amount: amount, staking: false, timestamp: timestamp)
    }

    private func moveStake(address: String, amount: Micro, staking: Bool, timestamp: Int64) throws(LedgerError) -> StakeOutcome {
        guard Ledger.isAddress(address) else { return .invalid("\(address) is not an address") }
        guard amount > .zero else { return .invalid("amount must be positive") }
        return try atomically { () throws(LedgerError) -> StakeOutcome in
            let before = try balance(of: address)
            let have = staking ? before.available : before.staked
            guard amount <= have else { return .insufficient(have: have) }
            let delta = staking ? amount.micro : -amount.micro
            try db.run("UPDATE accounts SET available = available - ?, staked = staked + ? WHERE address = ?", [delta, delta, address])
            let seq = try tally()
            try db.run("INSERT INTO stakes (seq, address, delta, timestamp_ms) VALUES (?, ?, ?, ?)", [seq, address, delta, timestamp])
            return .applied(try balance(of: address))
        }.get()
    }

    private func credit(_ address: String, _ amount: Micro) throws(LedgerError) {
        try db.run("""
            INSERT INTO accounts (address, available) VALUES (?, ?)
            ON CONFLICT (address) DO UPDATE SET available = available + excluded.available
            """, [address, amount])
    }

    /// Adds to the mint and burn counters and hands out `sequenceNumbers` insertion sequence
    /// numbers, returning the last. Every write calls it once, after moving balances.
    private func tally(minted: Micro = .zero, burned: Micro = .zero, sequenceNumbers: Int64 = 1) throws(LedgerError) -> Int64 {
        // Not one UPDATE … RETURNING: SQLite stages RETURNING rows in a temporary table, opened
        // and freed on every call, which costs more than this second statement.
        try db.run("UPDATE totals SET minted = minted + ?, burned = burned + ?, seq = seq + ?", [minted, burned, sequenceNumbers])
        guard let last = try db.first("SELECT seq FROM totals", [], { $0.int(0) }) else { throw Ledger.notALedger }
        return last
    }

    /// Runs `body` atomically: in a transaction of its own, or as a savepoint inside an open
    /// one. `body`'s error comes back as the failure (after the rollback); SQLite's are thrown.
    private func atomically<T, E: Error>(_ body: () throws(E) -> T) throws(LedgerError) -> Result<T, E> {
        let outermost = depth == 0
        if outermost {
            // IMMEDIATE takes the write lock now: a deferred transaction that reads first could
            // fail with SQLITE_BUSY when it tries to write.
            try db.run("BEGIN IMMEDIATE")
        } else {
            // After some errors (disk full, I/O) SQLite rolls the whole transaction back; the
            // batch is lost, and a savepoint now would quietly start a transaction of its own.
            guard !db.isAutocommit else { throw .transactionLost }
            try db.run("SAVEPOINT write")
        }
        depth += 1
        let result = Result(catching: body)
        depth -= 1
        do throws(LedgerError) {
            switch (result, outermost) {
            case (.success, true): try db.run("COMMIT")
            case (.success, false): try db.run("RELEASE write")
            case (.failure, _) where db.isAutocommit: break // SQLite already rolled it all back
            case (.failure, true): try db.run("ROLLBACK")
            case (.failure, false):
                try db.run("ROLLBACK TO write")
                try db.run("RELEASE write")
            }
        } catch {
            // A COMMIT that failed (disk full, I/O) may leave the transaction open: nothing of it stays.
            if outermost, !db.isAutocommit { try? db.run("ROLLBACK") }
            throw error
        }
        return result
    }

    // MARK: - Reads

    /// Zero for an unknown account.
    public func balance(of address: String) throws(LedgerError) -> Balance {
        try db.first("SELECT available, staked FROM accounts WHERE address = ?", [address]) {
            Balance(available: $0.micro(0), staked: $0.micro(1))
        } ?? Balance(available: .zero, staked: .zero)
    }

    /// One above the highest nonce the account sent with; 1 for a new account.
    public func nextNonce(for address: String) throws(LedgerError) -> Int64 {
        (try db.first("SELECT nonce FROM accounts WHERE address = ?", [address]) { $0.int(0) } ?? 0) + 1
    }

    public func transfer(id: String) throws(LedgerError) -> TransferEntry? {
        try db.first("""
            SELECT id, sender, recipient, amount, fee, memo, nonce, kind, timestamp_ms FROM transfers WHERE id = ?
            """, [id]) {
            TransferEntry(id: $0.text(0), sender: $0.text(1), recipient: $0.text(2), amount: $0.micro(3), fee: $0.micro(4),
                          memo: $0.text(5), nonce: $0.int(6), kind: TransferKind(rawValue: $0.text(7)) ?? .send,
                          timestamp: $0.int(8))
        }
    }

    public func hasProof(id: String) throws(LedgerError) -> Bool {
        try db.first("SELECT 1 FROM proofs WHERE id = ?", [id]) { _ in () } != nil
    }

    /// The account's transfers out and in, rewards, genesis and stake moves, newest first.
    public func history(of address: String, limit: Int, offset: Int = 0) throws(LedgerError) -> [HistoryItem] {
        // Each arm reads its table's (address, seq) index in order, and SQLite merges them.
        try db.rows("""
            SELECT seq, 'sent', id, recipient, kind, amount, fee, memo, timestamp_ms FROM transfers WHERE sender = ?1
            UNION ALL SELECT seq, 'received', id, sender, kind, amount, 0, memo, timestamp_ms FROM transfers WHERE recipient = ?1
            UNION ALL SELECT seq, 'reward', id, NULL, NULL, reward, 0, '', timestamp_ms FROM proofs WHERE node = ?1
            UNION ALL SELECT seq, 'genesis', NULL, NULL, NULL, amount, 0, '', timestamp_ms FROM genesis WHERE address = ?1
            UNION ALL SELECT seq, iif(delta > 0, 'stake', 'unstake'), NULL, NULL, NULL, abs(delta), 0, '', timestamp_ms
                FROM stakes WHERE address = ?1
            ORDER BY 1 DESC LIMIT ?2 OFFSET ?3
            """, [address, max(limit, 0), max(offset, 0)]) {
            HistoryItem(kind: HistoryItem.Kind(rawValue: $0.text(1)) ?? .sent, id: $0.optionalText(2),
                        counterparty: $0.optionalText(3), transferKind: $0.optionalText(4).flatMap(TransferKind.init),
                        amount: $0.micro(5), fee: $0.micro(6), memo: $0.text(7), timestamp: $0.int(8), sequence: $0.int(0))
        }
    }

    public func totals() throws(LedgerError) -> Totals {
        let totals = try db.first("""
            SELECT minted, burned, (SELECT coalesce(sum(available), 0) FROM accounts),
                   (SELECT coalesce(sum(staked), 0) FROM accounts) FROM totals
            """) { Totals(minted: $0.micro(0), burned: $0.micro(1), available: $0.micro(2), staked: $0.micro(3)) }
        guard let totals else { throw Ledger.notALedger }
        return totals
    }

    /// How many proofs of `node` are stamped at or after `since` (the proof rate limit).
    public func proofCount(node: String, since: Int64) throws(LedgerError) -> Int {
        Int(try db.first("SELECT count(*) FROM proofs WHERE node = ? AND timestamp_ms >= ?", [node, since]) { $0.int(0) } ?? 0)
    }

    /// What was minted to `address` (rewards and genesis) stamped at or after `since`.
    public func minted(to address: String, since: Int64) throws(LedgerError) -> Micro {
        try db.first("""
            SELECT (SELECT coalesce(sum(reward), 0) FROM proofs WHERE node = ?1 AND timestamp_ms >= ?2)
                 + (SELECT coalesce(sum(amount), 0) FROM genesis WHERE address = ?1 AND timestamp_ms >= ?2)
            """, [address, since]) { $0.micro(0) } ?? .zero
    }

    /// Every account holding something, by address: two nodes that applied the same entries
    /// return the same list. (An emptied account is left out: it reads as zero like an unknown one.)
    public func accounts() throws(LedgerError) -> [(address: String, balance: Balance)] {
        try db.rows("SELECT address, available, staked FROM accounts WHERE available > 0 OR staked > 0 ORDER BY address") {
            (address: $0.text(0), balance: Balance(available: $0.micro(1), staked: $0.micro(2)))
        }
    }

    /// Recomputes the stored figures from the journals; returns what disagrees ("totals" or an
    /// account's address), empty when the ledger is consistent. A full scan: for tests, crash
    /// checks, and a node's start.
    public func audit() throws(LedgerError) -> [String] {
        let totals = try db.rows("""
            SELECT 'totals' FROM totals
            WHERE minted <> (SELECT coalesce(sum(amount), 0) FROM genesis) + (SELECT coalesce(sum(reward), 0) FROM proofs)
               OR burned <> (SELECT coalesce(sum(fee), 0) FROM transfers)
            """) { $0.text(0) }
        // Stored balances enter negated, so every account's moves must sum to zero.
        let accounts = try db.rows("""
            WITH moves (address, available, staked) AS (
                SELECT address, -available, -staked FROM accounts
                UNION ALL SELECT address, amount, 0 FROM genesis
                UNION ALL SELECT node, reward, 0 FROM proofs
                UNION ALL SELECT recipient, amount, 0 FROM transfers
                UNION ALL SELECT sender, -(amount + fee), 0 FROM transfers
                UNION ALL SELECT address, -delta, delta FROM stakes)
            SELECT address FROM moves GROUP BY address HAVING sum(available) <> 0 OR sum(staked) <> 0 ORDER BY address
            """) { $0.text(0) }
        return totals + accounts
    }

    // MARK: - Validation

    /// A node id: 32 lowercase hex characters.
    public static func isAddress(_ text: String) -> Bool { isLowercaseHex(text, length: 32) }

    /// A SHA-256 digest: 64 lowercase hex characters (transfer and proof ids).
    public static func isDigest(_ text: String) -> Bool { isLowercaseHex(text, length: 64) }

    private static func isLowercaseHex(_ text: String, length: Int) -> Bool {
        text.utf8.count == length && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static func problem(with t: TransferEntry) -> String? {
        if !isDigest(t.id) { return "id must be 64 lowercase hex characters" }
        if !isAddress(t.sender) { return "sender \(t.sender) is not an address" }
        if !isAddress(t.recipient) { return "recipient \(t.recipient) is not an address" }
        if t.sender == t.recipient { return "sender and recipient are the same account" }
        if t.amount == .zero { return "amount must be positive" }
        if t.amount > .max { return "amount above \(Micro.max) NEURO" }
        if t.nonce < 1 { return "nonce must be at least 1" }
        if t.memo.utf8.count > maxMemoBytes { return "memo longer than \(maxMemoBytes) bytes" }
        return nil
    }
}
