import ArgumentParser
import Deterministic
import Foundation
import Identity
import Ledger
import NeuroShardCore
import Server
import Training

/// `neuroshard-bench ledger`: durable transfers/s through one node (`POST /api/v1/wallet/send`
/// into the node's host, group-committed to a WAL SQLite file with synchronous=FULL), against the
/// disk's own reference measured in the same run — one transfer per commit, which waits for one
/// fsync each — and proof verifications/s against bare signature checks.
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Durable transfers/s on one node and proof verifications/s (SPEC §7).")

    @Option(help: "Transfers through the node.")
    var transfers = 4_000

    @Option(help: "Clients sending at once.")
    var clients = 64

    @Option(help: "Folder for the database files (the disk under test).")
    var dir = NSTemporaryDirectory()

    func run() async throws {
        let folder = URL(fileURLWithPath: dir).appendingPathComponent("neuroshard-ledger-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let reference = try perCommitReference(path: folder.appendingPathComponent("reference.sqlite").path)
        print(String(format: "one transfer per commit (fsync each), the disk's reference: %8.0f transfers/s", reference))
        let node = try await throughTheNode(path: folder.appendingPathComponent("node.sqlite").path)
        print(String(format: "through the node, %d clients (group commit):            %8.0f transfers/s  (%.1fx the reference)",
                     clients, node, node / reference))

        let signing = signatures()
        print(String(format: "signatures (ECDSA, RFC 6979; one per transfer, on the node's actor): %8.0f /s", signing))
        let (bare, checked) = verifications()
        print(String(format: "signature verifications (secp256k1, OpenSSL):            %8.0f /s", bare))
        print(String(format: "proof verifications (signature, age, figures):           %8.0f /s  (%.2f of bare)", checked, checked / bare))
    }

    /// Sequential durable transfers straight into the ledger, one commit each.
    private func perCommitReference(path: String) throws -> Double {
        let ledger = try Ledger(path: path, durable: true)
        let a = String(repeating: "a", count: 32), b = String(repeating: "b", count: 32)
        try ledger.allocateGenesis([(a, Micro(neuro: 1_000_000)!), (b, Micro(neuro: 1)!)], timestamp: 0)
        let count = 300
        let started = Date()
        for n in 1...count {
            let id = SHA256.hash("reference-\(n)").hex
            _ = try ledger.applyTransfer(TransferEntry(id: id, sender: a, recipient: b, amount: Micro(neuro: 0.01)!,
                                                      nonce: Int64(n), timestamp: Int64(n)))
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
        let ledger = try Ledger(path: path, durable: true)
        let host = NodeHost(core: NodeCore(config: config, objective: NoisyQuadratic(), ledger: ledger), seed: 1) { _ in }
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
        let totals = try Ledger(path: path, durable: true).totals()
        guard totals.conserved else { print("the ledger does not conserve NEURO"); throw ExitCode(1) }
        return Double(acknowledged) / seconds
    }

    private func signatures() -> Double {
        let key = SigningKey(token: "ledger-bench-signer")
        let digests = (0..<500).map { SHA256.hash("digest-\($0)") }
        let started = Date()
        for d in digests { precondition(key.sign(digest: d).count == 64) }
        return Double(digests.count) / Date().timeIntervalSince(started)
    }

    /// Signed proofs checked by the policy (signature first, then age, memory and figures), and
    /// as many others checked bare (others: a signature verified once is remembered).
    private func verifications() -> (bare: Double, checked: Double) {
        let key = SigningKey(token: "ledger-bench-prover")
        let node = NodeID(hex: key.nodeID)!
        let proofs = (0..<1_000).map { n in
            WorkProof(node: node, publicKey: key.publicKey.compressed, timestampMs: 1_000, nonce: UInt64(n), uptimeSeconds: 60,
                      batches: 10, samples: 80, tokens: 0, layersHeld: 2, role: .worker, modelBefore: UInt64(n),
                      modelAfter: UInt64(n + 1), loss: 2).signed(by: key)
        }
        let (forBare, forPolicy) = (proofs[..<500], proofs[500...])
        let digests = forBare.map(\.digest)
        var started = Date()
        for (p, d) in zip(forBare, digests) { precondition(key.publicKey.verify(signature: p.signature, digest: d)) }
        let bare = Double(forBare.count) / Date().timeIntervalSince(started)
        let policy = ProofPolicy()
        started = Date()
        for p in forPolicy { precondition(policy.check(p, now: Timestamp(nanos: 2_000_000_000), seen: false, recent: 0, layerCount: 4) == nil) }
        return (bare, Double(forPolicy.count) / Date().timeIntervalSince(started))
    }
}
