import CSQLite
import Deterministic
import Identity
import Ledger
@testable import LedgerStore
import Testing

@Suite struct PersistenceTests {
    /// A run of batches through a ledger, each journal applied to `store`.
    static func run(_ store: LedgerStore, _ genesis: [GenesisAllocation], _ batches: [[Record]]) throws -> LedgerState {
        var state = LedgerState(rules: testRules, genesis: genesis)
        for batch in batches {
            state.receive(batch, from: .pulled(NodeID(high: 1, low: 1)), nowMs: .max / 2)
            try store.apply(state.takeJournal())
        }
        return state
    }

    @Test func whatAStoreHoldsRestoresTheSameLedger() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        var a = Signer("a"), b = Signer("b"), c = Signer("c")
        let genesis = [GenesisAllocation(address: a.id, amount: Micro(micro: 100_000_000)!)]
        let late = b.pay(c, 1_000_000, at: 5_000) // needs a's payment, stamped before it, to arrive
        let batches = [[a.pay(b, 10_000_000, at: 1_000), a.proof(at: 61_000)], [late], [b.proof(at: 62_000)],
                       [a.sign(.stake(amount: Micro(micro: 5_000_000)!, days: 3), at: 70_000)]]
        let state: LedgerState
        do {
            let store = try LedgerStore(path: scratch.database, durable: true, genesis: genesis)
            state = try Self.run(store, genesis, batches)
        }
        let store = try LedgerStore(path: scratch.database, durable: true, genesis: genesis)
        let restored = LedgerState(rules: testRules, genesis: genesis, restoring: try store.records())
        #expect(restored.digest() == state.digest())
        #expect(try store.accounts() == state.accounts.filter { $0.value != .empty })
        #expect(try store.totals() == state.totals)
        #expect(try store.audit().isEmpty)
        #expect(try store.recordCount == 5)
    }

    @Test func aForkLeavesItsEvidenceAndDropsWhatItVoided() throws {
        var eve = Signer("eve"), b = Signer("b"), c = Signer("c")
        let genesis = [GenesisAllocation(address: eve.id, amount: Micro(micro: 10_000_000)!)]
        let start = eve.proof(at: 60_000)
        var other = eve
        let one = eve.pay(b, 5_000_000, at: 70_000), more = eve.proof(at: 130_000)
        let two = other.pay(c, 5_000_000, at: 70_000)
        let store = try LedgerStore(path: nil, durable: false, genesis: genesis)
        let state = try Self.run(store, genesis, [[start, one, more], [two]])
        #expect(Set(try store.records().map(\.id)) == [start.id, one.id, two.id])
        let restored = LedgerState(rules: testRules, genesis: genesis, restoring: try store.records())
        #expect(restored.forkedAuthors == [eve.id])
        #expect(restored.digest() == state.digest())
        #expect(try store.accounts() == state.accounts.filter { $0.value != .empty })
        #expect(try store.audit().isEmpty)
    }

    @Test func aFullDiskKeepsNoneOfAJournal() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        var a = Signer("a"), b = Signer("b")
        let genesis = [GenesisAllocation(address: a.id, amount: Micro(micro: 1_000_000_000)!)]
        let store = try LedgerStore(path: scratch.database, durable: true, genesis: genesis)
        var state = LedgerState(rules: testRules, genesis: genesis)
        state.receive([a.pay(b, 1_000, at: 1)], from: .own, nowMs: 10)
        try store.apply(state.takeJournal())
        let before = (try store.recordCount, try store.accounts(), try store.totals())
        // SQLite's own disk-full path: the file may not grow past its current pages.
        let pages = try store.db.first("PRAGMA page_count") { $0.int(0) }!
        try store.db.script("PRAGMA max_page_count = \(pages);")
        state.receive((0..<300).map { a.pay(b, 1_000, at: Int64(2 + $0)) }, from: .own, nowMs: 1_000)
        #expect(throws: StoreError.self) { try store.apply(state.takeJournal()) }
        #expect(try store.recordCount == before.0)
        #expect(try store.accounts() == before.1)
        #expect(try store.totals() == before.2)
        #expect(try store.audit().isEmpty)
    }

    @Test func anotherGenesisIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        let a = Signer("a"), b = Signer("b")
        _ = try LedgerStore(path: scratch.database, durable: false, genesis: [GenesisAllocation(address: a.id, amount: Micro(micro: 5)!)])
        #expect(throws: StoreError.genesisConflict) {
            try LedgerStore(path: scratch.database, durable: false, genesis: [GenesisAllocation(address: b.id, amount: Micro(micro: 5)!)])
        }
        _ = try LedgerStore(path: scratch.database, durable: false, genesis: [GenesisAllocation(address: a.id, amount: Micro(micro: 5)!)])
    }

    @Test func aLedgerFileFromBeforeChainsIsRefusedWithAMessage() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        try sqlite(scratch.database, "CREATE TABLE transfers (id TEXT); PRAGMA user_version = 2;")
        #expect(throws: StoreError.formerFormat(found: 2)) { try LedgerStore(path: scratch.database, durable: false, genesis: []) }
        #expect(StoreError.formerFormat(found: 2).description.contains("move the file away"))
    }

    @Test func aNewerSchemaIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        _ = try LedgerStore(path: scratch.database, durable: false, genesis: [])
        try sqlite(scratch.database, "PRAGMA user_version = 4;")
        #expect(throws: StoreError.newerSchema(found: 4, supported: 3)) { try LedgerStore(path: scratch.database, durable: false, genesis: []) }
    }

    @Test func aDamagedRecordIsReportedNotTrusted() throws {
        let scratch = ScratchDirectory()
        defer { scratch.remove() }
        var a = Signer("a")
        do {
            let store = try LedgerStore(path: scratch.database, durable: false, genesis: [])
            _ = try Self.run(store, [], [[a.proof(at: 60_000)]])
        }
        try sqlite(scratch.database, "UPDATE records SET bytes = substr(bytes, 1, 40);")
        let store = try LedgerStore(path: scratch.database, durable: false, genesis: [])
        #expect(throws: StoreError.self) { try store.records() }
    }

    @Test func failuresCarrySQLitesMessage() {
        #expect {
            try LedgerStore(path: "/nonexistent-directory/ledger.sqlite", durable: true, genesis: [])
        } throws: { error in
            error as? StoreError == .sqlite(code: SQLITE_CANTOPEN, message: "unable to open database file")
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
