import ArgumentParser
import Deterministic
import Foundation
import Identity
import Ledger
import LedgerStore
import NeuroShardCore
import Scenario
import Server
import Simulator
import Training
import Wire

/// `neuroshard-bench ledger`: durable transfers/s through one node (`POST /api/v1/wallet/send`
/// into the node's host, group-committed to a WAL SQLite file with synchronous=FULL) against the
/// disk's own reference measured in the same run (one record per commit, one fsync each); the
/// signing and verification rates; the catch-up rate of a node that rejoins after missing
/// `--catch-up` records; and anti-entropy's steady-state cost in a simulated network.
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Durable transfers/s, signatures/s, catch-up records/s and anti-entropy bytes (SPEC §7).")

    @Option(help: "Transfers through the node.")
    var transfers = 4_000

    @Option(help: "Clients sending at once.")
    var clients = 64

    @Option(help: "Records a rejoining node catches up on.")
    var catchUp = 12_000

    @Option(help: "Folder for the database files (the disk under test).")
    var dir = NSTemporaryDirectory()

    func run() async throws {
        let folder = URL(fileURLWithPath: dir).appendingPathComponent("neuroshard-ledger-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let reference = try perCommitReference(path: folder.appendingPathComponent("reference.sqlite").path)
        print(String(format: "one record per commit (fsync each), the disk's reference: %8.0f records/s", reference))
        let node = try await throughTheNode(path: folder.appendingPathComponent("node.sqlite").path)
        print(String(format: "through the node, %d clients (group commit):            %8.0f transfers/s  (%.1fx the reference)",
                     clients, node, node / reference))

        let signing = signatures()
        print(String(format: "signatures (ECDSA, RFC 6979; one per record, on the node's actor): %8.0f /s", signing))
        let (bare, admitted) = verifications()
        print(String(format: "signature verifications (secp256k1, libsecp256k1):        %8.0f /s", bare))
        print(String(format: "records taken in (signature, chain rules, fold):           %8.0f /s  (%.2f of bare)", admitted, admitted / bare))

        let (caught, rate, trips) = try catchUpRate(path: folder.appendingPathComponent("rejoiner.sqlite").path)
        print(String(format: "catch-up of %d records (pull, protobuf, verify, fold, durable commit): %8.0f records/s in %d round trips",
                     caught, rate, trips))
        let steady = try steadyState()
        print(String(format: "anti-entropy in steady state (8 nodes, 10 virtual minutes): %6.0f bytes per peer per minute "
                     + "(%.0f bytes per heartbeat; the records themselves: %.0f bytes per peer per minute)",
                     steady.perPeerMinute, steady.perHeartbeat, steady.recordsPerPeerMinute))
    }

    /// Sequential durable commits of one record each, straight into a store.
    private func perCommitReference(path: String) throws -> Double {
        let key = SigningKey(token: "ledger-bench-reference")
        let me = NodeID(hex: key.nodeID)!, to = NodeID(hex: SigningKey(token: "ledger-bench-payee").nodeID)!
        let genesis = [GenesisAllocation(address: me, amount: Micro(neuro: 1_000_000)!)]
        let store = try LedgerStore(path: path, durable: true, genesis: genesis)
        var state = LedgerState(rules: ChainRules(), genesis: genesis)
        let amount = Micro(neuro: 0.01)!
        let count = 300
        let started = Date()
        for n in 1...count {
            let r = state.next(.transfer(Payment(to: to, amount: amount, fee: amount.fee, memo: "", kind: .send)),
                               by: key, author: me, nowMs: Int64(n))
            state.receive([r], from: .own, nowMs: Int64(n))
            try store.apply(state.takeJournal())
        }
        return Double(count) / Date().timeIntervalSince(started)
    }

    /// `clients` tasks sending through the host's API until `transfers` are acknowledged.
    private func throughTheNode(path: String) async throws -> Double {
        let token = "ledger-bench", recipient = SigningKey(token: "ledger-bench-recipient")
        let me = NodeID(hex: SigningKey(token: token).nodeID)!, to = NodeID(hex: recipient.nodeID)!
        let genesis = [GenesisAllocation(address: me, amount: Micro(neuro: 1_000_000)!),
                       GenesisAllocation(address: to, amount: Micro(neuro: 1)!)]
        let config = NodeConfig(address: "127.0.0.1:0", token: token, trainingEnabled: false, rateLimits: .off,
                                ledger: LedgerSettings(genesis: genesis))
        let store = try LedgerStore(path: path, durable: true, genesis: genesis)
        let host = NodeHost(core: NodeCore(config: config, objective: NoisyQuadratic()), store: store, seed: 1) { _ in }
        await host.start()
        let body = Array(#"{"to": "\#(to.hex)", "amount": 0.01}"#.utf8)
        let perClient = transfers / clients
        let started = Date()
        let acknowledged = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var ok = 0
                    for _ in 0..<perClient {
                        if case .response(let r) = await host.call(method: "POST", path: "/api/v1/wallet/send", query: [],
                                                                   authorization: "Bearer \(token)", body: body), r.status == 200 {
                            ok += 1
                        }
                    }
                    return ok
                }
            }
            return await group.reduce(0, +)
        }
        let seconds = Date().timeIntervalSince(started)
        guard acknowledged == perClient * clients else {
            print("only \(acknowledged) of \(perClient * clients) sends were acknowledged")
            throw ExitCode(1)
        }
        let reopened = try LedgerStore(path: path, durable: true, genesis: genesis)
        guard try reopened.audit().isEmpty, try reopened.recordCount == acknowledged else {
            print("the store does not hold every acknowledged send, or does not conserve NEURO")
            throw ExitCode(1)
        }
        return Double(acknowledged) / seconds
    }

    private func signatures() -> Double {
        let key = SigningKey(token: "ledger-bench-signer")
        let digests = (0..<500).map { SHA256.hash("digest-\($0)") }
        let started = Date()
        for d in digests { precondition(key.sign(digest: d).count == 64) }
        return Double(digests.count) / Date().timeIntervalSince(started)
    }

    /// Signed proofs of one chain: half verified bare, the other half taken in by a ledger
    /// (signature, chain rules, fold). Distinct proofs: a verified signature is remembered.
    private func verifications() -> (bare: Double, admitted: Double) {
        let chain = Self.history(authors: 1, recordsEach: 1_000, seed: 1)
        let (forBare, forLedger) = (chain[..<500], Array(chain[500...]))
        var started = Date()
        for r in forBare {
            precondition(PublicKey(compressed: r.publicKey)!.verify(signature: r.signature, digest: r.id.bytes))
        }
        let bare = Double(forBare.count) / Date().timeIntervalSince(started)
        var state = LedgerState(rules: ChainRules(), genesis: [], restoring: Array(chain[..<500]))
        started = Date()
        for r in forLedger { state.receive([r], from: .pushed(r.author), nowMs: .max / 2) }
        precondition(state.recordCount == 1_000)
        return (bare, Double(forLedger.count) / Date().timeIntervalSince(started))
    }

    /// Chains of proofs, one a minute each, from `authors` signers.
    static func history(authors: Int, recordsEach: Int, seed: Int) -> [Record] {
        var records: [Record] = []
        for a in 0..<authors {
            let key = SigningKey(token: "ledger-bench-author-\(seed)-\(a)")
            let id = NodeID(hex: key.nodeID)!
            var state = LedgerState(rules: ChainRules(), genesis: [])
            for n in 0..<recordsEach {
                let ms = Int64(n + 1) * 60_000 + Int64(a)
                let r = state.next(.proof(WorkClaim(uptimeSeconds: 60, batches: 10, samples: 80, tokens: 0, layersHeld: 1,
                                                    role: .worker, modelBefore: UInt64(n), modelAfter: UInt64(n + 1), loss: 0)),
                                   by: key, author: id, nowMs: ms)
                state.receive([r], from: .stored, nowMs: ms)
                records.append(r)
            }
        }
        return records
    }

    /// A node missing `catchUp` records pulls them from a peer that holds them, batch by batch
    /// as the protocol does: each pull and answer through their protobuf bytes, each batch
    /// verified, folded and committed durably to the node's store.
    private func catchUpRate(path: String) throws -> (records: Int, perSecond: Double, trips: Int) {
        let authors = 24
        let each = (catchUp + authors - 1) / authors
        let records = Self.history(authors: authors, recordsEach: each, seed: 2)
        let peer = LedgerState(rules: ChainRules(), genesis: [], restoring: records)
        let store = try LedgerStore(path: path, durable: true, genesis: [])
        var rejoiner = LedgerState(rules: ChainRules(), genesis: [])
        let peerID = NodeID(high: 7, low: 7)
        var trips = 0
        let started = Date()
        while rejoiner.summary != peer.summary {
            trips += 1
            let pull = try LedgerPull(Neuroshard_LedgerPull(serializedBytes: Neuroshard_LedgerPull(rejoiner.pull).serializedData()))
            let answer = peer.answer(pull).batch
            let batch = try LedgerBatch(Neuroshard_LedgerBatch(serializedBytes: Neuroshard_LedgerBatch(answer).serializedData()))
            rejoiner.receive(batch.records, from: .pulled(peerID), nowMs: .max / 2)
            try store.apply(rejoiner.takeJournal())
            guard trips < 10_000 else { break }
        }
        let seconds = Date().timeIntervalSince(started)
        guard rejoiner.digest() == peer.digest(), try store.recordCount == records.count else {
            print("the rejoining node did not end with the peer's ledger")
            throw ExitCode(1)
        }
        return (records.count, Double(records.count) / seconds, trips)
    }

    /// Eight nodes for ten virtual minutes, no faults and no loss: what anti-entropy sends
    /// beyond the records themselves, per peer and minute.
    private func steadyState() throws -> (perPeerMinute: Double, perHeartbeat: Double, recordsPerPeerMinute: Double) {
        let text = """
            name: ledger-steady-state
            seed: 5
            duration: 10m
            model: {objective: quadratic, layers: 4, dim: 8, layer_memory: 100mb, step_gflop: 1}
            nodes:
              - {group: n, count: 8, memory: 1gb, speed: 20gflops}
            membership: {heartbeat: 2s, failure_timeout: 10s}
            diloco: {inner_steps: 20, inner_lr: 0.02, weight_decay: 0, sync_timeout: 10s}
            ledger: {genesis: {n: 10}}
            load:
              - {target: n, endpoint: wallet/send, to: n, amount: 0.01, per_minute: 2}
            """
        let scenario = try ScenarioReader.parse(text, file: "ledger-steady-state")
        let result = try Simulation(scenario: scenario).run()
        let minutes = scenario.duration.seconds / 60
        let pairs = Double(scenario.nodeCount * (scenario.nodeCount - 1))
        let heartbeats = (result.metrics["messages_by_kind.heartbeat"] ?? 0) + (result.metrics["messages_by_kind.heartbeat_ack"] ?? 0)
        let reconciliation = result.metrics["ledger.reconciliation_bytes"] ?? .nan
        let recordBytes = result.metrics["ledger.record_bytes"] ?? .nan
        return (reconciliation / pairs / minutes, reconciliation / max(heartbeats, 1), recordBytes / pairs / minutes)
    }
}
