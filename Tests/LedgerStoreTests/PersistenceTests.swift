import CSQLite
import Ledger
import Testing

@Suite struct PersistenceTests {
    @Test func aFileLedgerSurvivesReopening() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let genesis = [(address: address(0), amount: neuro(100)), (address: address(1), amount: neuro(50))]
        let sent = send(1, 0, 1, micro(12_345_678), nonce: 1, memo: "rent", at: 1_000)
        var before: (Totals, [HistoryItem], [HistoryItem])
        do {
            let ledger = try Ledger(path: scratch.database, durable: true)
            try ledger.allocateGenesis(genesis, timestamp: 0)
            #expect(try ledger.applyTransfer(sent) == .applied)
            #expect(try ledger.recordProof(proof(1, node: 1, reward: neuro(3), at: 2_000)) == .credited)
            #expect(try ledger.stake(address: address(1), amount: neuro(20), timestamp: 3_000) == .applied(Balance(available: micro(45_345_678), staked: neuro(20))))
            try ledger.batch {
                for n in 2...10 { _ = try ledger.applyTransfer(send(n, 1, 0, neuro(1), nonce: Int64(n), at: 4_000)) }
            }
            before = (try ledger.totals(), try ledger.history(of: address(0), limit: 100), try ledger.history(of: address(1), limit: 100))
        }

        let ledger = try Ledger(path: scratch.database, durable: true)
        #expect(try ledger.totals() == before.0)
        #expect(try ledger.history(of: address(0), limit: 100) == before.1)
        #expect(try ledger.history(of: address(1), limit: 100) == before.2)
        #expect(before.1.count == 11)
        #expect(try ledger.transfer(id: sent.id) == sent)
        #expect(try ledger.applyTransfer(sent) == .duplicate(sent))
        #expect(try ledger.recordProof(proof(1, node: 1, reward: neuro(3))) == .duplicate)
        #expect(try !ledger.allocateGenesis(genesis, timestamp: 0))
        #expect(try ledger.nextNonce(for: address(1)) == 11)
        #expect(try ledger.balance(of: address(1)).staked == neuro(20))
        #expect(try ledger.audit().isEmpty)
        #expect(try ledger.applyTransfer(send(11, 1, 0, neuro(1), nonce: 11)) == .applied)
    }

    @Test func aVersion1DatabaseIsMigratedWithItsRows() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        // Version 1 as it shipped, with a genesis, a proof and a transfer written by hand.
        try sqlite(scratch.database, """
            CREATE TABLE totals (id INTEGER PRIMARY KEY CHECK (id = 1), minted INTEGER NOT NULL CHECK (minted >= 0),
                burned INTEGER NOT NULL CHECK (burned >= 0), seq INTEGER NOT NULL) STRICT;
            CREATE TABLE accounts (address TEXT PRIMARY KEY, available INTEGER NOT NULL DEFAULT 0 CHECK (available >= 0),
                nonce INTEGER NOT NULL DEFAULT 0 CHECK (nonce >= 0)) STRICT, WITHOUT ROWID;
            CREATE TABLE genesis (seq INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE REFERENCES accounts (address),
                amount INTEGER NOT NULL CHECK (amount > 0), timestamp_ms INTEGER NOT NULL) STRICT;
            CREATE TABLE transfers (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
                sender TEXT NOT NULL REFERENCES accounts (address), recipient TEXT NOT NULL REFERENCES accounts (address),
                amount INTEGER NOT NULL CHECK (amount > 0), fee INTEGER NOT NULL CHECK (fee >= 0), memo TEXT NOT NULL,
                nonce INTEGER NOT NULL CHECK (nonce > 0), kind TEXT NOT NULL CHECK (kind IN ('send', 'inference')),
                timestamp_ms INTEGER NOT NULL, UNIQUE (sender, nonce), CHECK (sender <> recipient)) STRICT;
            CREATE INDEX transfers_by_sender ON transfers (sender);
            CREATE INDEX transfers_by_recipient ON transfers (recipient);
            CREATE TABLE proofs (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, node TEXT NOT NULL REFERENCES accounts (address),
                timestamp_ms INTEGER NOT NULL, reward INTEGER NOT NULL CHECK (reward >= 0), uptime_s INTEGER NOT NULL,
                batches INTEGER NOT NULL, samples INTEGER NOT NULL, tokens INTEGER NOT NULL) STRICT;
            CREATE INDEX proofs_by_node ON proofs (node);
            INSERT INTO accounts VALUES ('\(address(0))', 89500000, 1), ('\(address(1))', 12000000, 0);
            INSERT INTO genesis VALUES (1, '\(address(0))', 100000000, 0);
            INSERT INTO proofs VALUES (2, '\(digest(1, salt: 1))', '\(address(1))', 500, 2000000, 60, 3, 96, 0);
            INSERT INTO transfers VALUES (3, '\(digest(1))', '\(address(0))', '\(address(1))', 10000000, 500000, 'hi', 1, 'send', 900);
            INSERT INTO totals VALUES (1, 102000000, 500000, 3);
            PRAGMA user_version = 1;
            """)

        do {
            let ledger = try Ledger(path: scratch.database, durable: true)
            #expect(try ledger.totals() == Totals(minted: neuro(102), burned: micro(500_000), available: micro(101_500_000), staked: .zero))
            #expect(try ledger.balance(of: address(0)) == Balance(available: micro(89_500_000), staked: .zero))
            #expect(try ledger.transfer(id: digest(1)) == send(1, 0, 1, neuro(10), nonce: 1, memo: "hi", at: 900))
            #expect(try ledger.hasProof(id: digest(1, salt: 1)))
            #expect(try ledger.nextNonce(for: address(0)) == 2)
            #expect(try ledger.history(of: address(1), limit: 10).map(\.kind) == [.received, .reward])
            // What version 2 added works on the old rows.
            #expect(try ledger.stake(address: address(1), amount: neuro(2), timestamp: 1_000) == .applied(Balance(available: neuro(10), staked: neuro(2))))
            #expect(try ledger.minted(to: address(1), since: 0) == neuro(2))
            #expect(try ledger.history(of: address(1), limit: 10).map(\.kind) == [.stake, .received, .reward])
            #expect(try ledger.audit().isEmpty)
        }
        #expect(try userVersion(scratch.database) == Ledger.schemaVersion)
        #expect(Ledger.schemaVersion == 2)
    }

    @Test func aNewerSchemaIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        _ = try Ledger(path: scratch.database, durable: false)
        try sqlite(scratch.database, "PRAGMA user_version = 3;")
        #expect(throws: LedgerError.newerSchema(found: 3, supported: 2)) { try Ledger(path: scratch.database, durable: false) }
    }

    @Test func failuresCarrySQLitesMessage() {
        #expect {
            try Ledger(path: "/nonexistent-directory/ledger.sqlite", durable: true)
        } throws: { error in
            error as? LedgerError == .sqlite(code: SQLITE_CANTOPEN, message: "unable to open database file")
        }
    }
}

private func sqlite(_ path: String, _ sql: String) throws {
    var db: OpaquePointer?
    defer { sqlite3_close(db) }
    try #require(sqlite3_open(path, &db) == SQLITE_OK)
    var message: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(db, sql, nil, nil, &message)
    try #require(rc == SQLITE_OK, "\(message.map { String(cString: $0) } ?? "")")
}

private func userVersion(_ path: String) throws -> Int {
    var db: OpaquePointer?
    defer { sqlite3_close(db) }
    try #require(sqlite3_open(path, &db) == SQLITE_OK)
    var statement: OpaquePointer?
    defer { sqlite3_finalize(statement) }
    try #require(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nil) == SQLITE_OK)
    try #require(sqlite3_step(statement) == SQLITE_ROW)
    return Int(sqlite3_column_int64(statement, 0))
}
