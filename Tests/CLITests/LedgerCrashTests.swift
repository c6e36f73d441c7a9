import Deterministic
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRPCCore
import GRPCNIOTransportHTTP2
import Identity
import Ledger
import LedgerStore
import NeuroShardCore
import Server
import Testing
import Wire

/// SPEC §7, for real: "A crash at any moment loses no committed transfer and never applies one
/// twice." A real node on a data folder takes concurrent wallet sends, and peers' proofs over
/// gRPC, and is SIGKILLed at a random moment, again and again; between crashes its SQLite store
/// is opened with the `LedgerStore` module, folded with `LedgerState`, and held against what the
/// clients were told.
@Suite(.serialized) struct LedgerCrashTests {
    static let rounds = 20
    static let clients = 8
    /// Peers gossiping proofs during each round (each a fresh identity: at most 120 proofs an
    /// hour are credited per node), and how many each sends at most.
    static let provers = 2
    static let proofsPerProver = 100
    static let genesisNEURO: Int64 = 1_000_000
    static let recipientGenesisNEURO: Int64 = 1

    enum Kind: Sendable { case small, tooBig, unknownAddress }

    enum Outcome: Sendable, Equatable {
        /// 200 with this transaction_id.
        case acknowledged(String)
        /// 402 or 400: no transaction_id, so nothing may have been applied.
        case refused(Int)
        /// The connection died (or never opened): applied or not, but at most once.
        case unknown
        /// Any other answer (429, 500, a 200 without an id): a failure of its own.
        case unexpected(Int, String)
    }

    struct Attempt: Sendable {
        var round: Int
        var key: String
        var to: String
        var micro: Int64
        var memo: String
        var kind: Kind
        var outcome: Outcome = .unknown

        var body: Data {
            try! JSONSerialization.data(withJSONObject: ["to": to, "amount": Double(micro) / 1e6, "memo": memo])
        }
    }

    @Test func sigkilledDuringConcurrentSendsTheLedgerLosesNoAcknowledgedTransferAndAppliesNoneTwice() async throws {
        let seed = UInt64.random(in: 1 ... .max)
        var rng = DeterministicRNG(seed: seed)
        let token = "ledger-crash-\(seed)"
        let me = SigningKey(token: token).nodeID
        let meID = try #require(NodeID(hex: me))
        let recipient = SigningKey(token: token + "-recipient").nodeID
        let stranger = SigningKey(token: token + "-stranger").nodeID // in no genesis: an unknown address
        let folder = try temporaryFolder("ledger-crash")
        defer { cleanUp(folder) }
        let dataDir = folder.appendingPathComponent("data").path
        let genesis = folder.appendingPathComponent("genesis.json")
        try JSONSerialization.data(withJSONObject: ["allocations": [me: Self.genesisNEURO, recipient: Self.recipientGenesisNEURO]])
            .write(to: genesis)
        let arguments = ["--data-dir", dataDir, "--genesis", genesis.path, "--no-training", "--memory", "1.6",
                         "--rate-limits", "off"]
        let context = Context(me: me, meID: meID, recipient: recipient, stranger: stranger, seed: seed,
                              file: URL(fileURLWithPath: dataDir).appendingPathComponent("ledger.sqlite").path,
                              genesis: [GenesisAllocation(address: meID, amount: Micro(micro: Self.genesisNEURO * 1_000_000)!),
                                        GenesisAllocation(address: NodeID(hex: recipient)!,
                                                          amount: Micro(micro: Self.recipientGenesisNEURO * 1_000_000)!)])
        var attempts: [Attempt] = []
        var proofs: [SentProof] = []
        var retried = 0, retriedPresent = 0, delays: [Int] = []

        for round in 0...Self.rounds {
            let node = try await NodeProcess(token: token, arguments)
            #expect(node.id == me, "the node's id is not SigningKey(token:).nodeID")
            // The node recovered its ledger after the last crash: hold it against the answers.
            var present = try context.inspect(attempts, proofs: proofs, round: round)
            let before = present
            // Unknown sends of the last round, retried with the same key: the same transaction,
            // whether the crash came before or after its commit, never a second one.
            let session = Self.session()
            let candidates = attempts.indices.filter { attempts[$0].outcome == .unknown && attempts[$0].kind == .small
                && attempts[$0].round == round - 1 }
            for index in candidates.prefix(4) {
                let attempt = attempts[index]
                let earlier = present[attempt.key]
                let outcome = await Self.send(attempt, session: session, node: node)
                if let earlier {
                    #expect(outcome == .acknowledged(earlier),
                            "retry of unknown send \(attempt.key), applied before the crash: \(outcome) [seed \(seed)]")
                } else if case .acknowledged = outcome {} else {
                    Issue.record("retry of unknown send \(attempt.key), not applied before the crash: \(outcome) [seed \(seed)]")
                }
                retried += 1
                if earlier != nil { retriedPresent += 1 }
                if case .acknowledged = outcome { attempts[index].outcome = outcome }
            }
            session.invalidateAndCancel()
            if !candidates.isEmpty {
                let after = try context.inspect(attempts, proofs: proofs, round: round)
                let newlyApplied = candidates.prefix(4).filter { before[attempts[$0].key] == nil }.count
                #expect(after.count == present.count + newlyApplied,
                        "retries added \(after.count - present.count) transfers, expected \(newlyApplied) [seed \(seed)]")
                present = after
            }
            if round == Self.rounds {
                _ = node.stop()
                break
            }

            // Concurrent sends, and a SIGKILL 20–400 ms after they start.
            let delay = Int.random(in: 20...400, using: &rng)
            delays.append(delay)
            var plans: [[Attempt]] = []
            for client in 0..<Self.clients {
                plans.append((0..<1_500).map { i in
                    let roll = Int.random(in: 0..<100, using: &rng)
                    let kind: Kind = roll < 75 ? .small : roll < 88 ? .tooBig : .unknownAddress
                    return Attempt(round: round, key: "r\(round)-c\(client)-i\(i)-\(seed)",
                                   to: kind == .unknownAddress ? stranger : recipient,
                                   micro: kind == .tooBig ? 50 * Self.genesisNEURO * 1_000_000 : Int64.random(in: 1_000...500_000, using: &rng),
                                   memo: "crash round \(round) client \(client) #\(i)", kind: kind)
                })
            }
            let roundSession = Self.session()
            let (results, proved) = await withTaskGroup(of: ([Attempt], [SentProof]).self) { group in
                for plan in plans {
                    group.addTask { (await Self.client(plan, session: roundSession, node: node), []) }
                }
                for prover in 0..<Self.provers {
                    group.addTask { ([], await Self.prove(as: "\(token)-prover-r\(round)-\(prover)", to: node)) }
                }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(delay))
                    node.kill()
                    return ([], [])
                }
                var all: ([Attempt], [SentProof]) = ([], [])
                for await done in group {
                    all.0 += done.0
                    all.1 += done.1
                }
                return all
            }
            roundSession.invalidateAndCancel()
            #expect(!node.process.isRunning)
            attempts += results
            proofs += proved
        }

        // The node stopped cleanly: the file at rest, without the WAL of a running node.
        _ = try context.inspect(attempts, proofs: proofs, round: Self.rounds + 1)
        let provedAndAcknowledged = proofs.filter(\.acknowledged).count
        #expect(provedAndAcknowledged >= 20, "only \(provedAndAcknowledged) proofs acknowledged [seed \(seed)]")

        let acknowledged = attempts.filter { if case .acknowledged = $0.outcome { true } else { false } }.count
        let refused = attempts.filter { if case .refused = $0.outcome { true } else { false } }.count
        let unknown = attempts.filter { $0.outcome == .unknown }.count
        // The test is only worth something if every kind of answer happened.
        #expect(acknowledged >= 100, "only \(acknowledged) sends acknowledged [seed \(seed)]")
        #expect(refused >= 20, "only \(refused) sends refused [seed \(seed)]")
        #expect(unknown >= Self.rounds, "only \(unknown) sends cut by a crash [seed \(seed)]")
        #expect(retried >= 10, "only \(retried) unknown sends retried [seed \(seed)]")
        print("ledger crash test: seed \(seed), \(Self.rounds) crashes after \(delays) ms; \(attempts.count) sends: "
              + "\(acknowledged) acknowledged, \(refused) refused, \(unknown) unknown; \(retried) retried "
              + "(\(retriedPresent) had been applied before the crash); \(proofs.count) proofs gossiped, "
              + "\(provedAndAcknowledged) acknowledged")
    }

    // MARK: - Clients

    static func session() -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 32
        configuration.timeoutIntervalForRequest = 15
        return URLSession(configuration: configuration)
    }

    /// Sends one after the other until the node dies (the first unknown answer).
    static func client(_ plan: [Attempt], session: URLSession, node: NodeProcess) async -> [Attempt] {
        var done: [Attempt] = []
        for var attempt in plan {
            attempt.outcome = await send(attempt, session: session, node: node)
            done.append(attempt)
            if attempt.outcome == .unknown { break }
        }
        return done
    }

    static func send(_ attempt: Attempt, session: URLSession, node: NodeProcess) async -> Outcome {
        var request = URLRequest(url: node.base.appendingPathComponent("api/v1/wallet/send"))
        request.httpMethod = "POST"
        request.setValue("Bearer \(node.token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(attempt.key, forHTTPHeaderField: "Idempotency-Key")
        request.httpBody = attempt.body
        guard let (data, response) = try? await session.data(for: request), let http = response as? HTTPURLResponse else {
            return .unknown
        }
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        let text = String(decoding: data, as: UTF8.self)
        switch (http.statusCode, attempt.kind) {
        case (200, .small):
            guard let id = json["transaction_id"] as? String else { return .unexpected(200, text) }
            return .acknowledged(id)
        case (402, .tooBig) where errorCode(json) == "INSUFFICIENT_BALANCE": return .refused(402)
        case (400, .unknownAddress) where errorCode(json) == "INVALID_REQUEST": return .refused(400)
        default: return .unexpected(http.statusCode, text)
        }
    }

    // MARK: - A peer's proofs

    struct SentProof: Sendable {
        var id: RecordID
        var node: NodeID
        /// The node answered the Gossip call (so it had committed the record): it must be there.
        var acknowledged: Bool
    }

    /// A peer signing its chain of proofs and gossiping them over gRPC, one after the other,
    /// until the node dies or `proofsPerProver` are sent.
    static func prove(as token: String, to node: NodeProcess) async -> [SentProof] {
        let key = SigningKey(token: token), signer = CallSigner(key: key, address: "127.0.0.1:1")
        let id = NodeID(hex: key.nodeID)!
        var sent: [SentProof] = []
        var previous = RecordID.zero
        try? await withGRPCClient(transport: try PeerAddress.transport(to: node.grpc)) { client in
            let peer = Neuroshard_NeuroShard.Client(wrapping: client)
            for seq in 1...UInt64(proofsPerProver) {
                let proof = Record.signed(by: key, seq: seq, previous: previous, timestampMs: CallSigner.nowMs,
                                          body: .proof(WorkClaim(uptimeSeconds: 0, batches: 0, samples: 0, tokens: 0, layersHeld: 0,
                                                                 role: .idle, modelBefore: 0, modelAfter: 0, loss: 0)))
                previous = proof.id
                guard case .gossip(let request) = signer.call(.record(proof)) else { return }
                let acknowledged = (try? await peer.gossip(request))?.accepted == true
                sent.append(SentProof(id: proof.id, node: id, acknowledged: acknowledged))
                if !acknowledged { return }
            }
        }
        return sent
    }

    // MARK: - The ledger file

    struct Context {
        var me: String
        var meID: NodeID
        var recipient: String
        var stranger: String
        var seed: UInt64
        var file: String
        var genesis: [GenesisAllocation]

        /// Opens the node's store, folds its records and checks them against every answer the
        /// clients got so far. Returns the transaction id of each send it holds, by key.
        func inspect(_ attempts: [Attempt], proofs: [SentProof], round: Int,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: String] {
            let store = try LedgerStore(path: file, durable: true, genesis: genesis)
            var problems: [String] = []
            let records = try store.records()
            let ledger = LedgerState(rules: ChainRules(), genesis: genesis, restoring: records)
            if !ledger.totals.conserved { problems.append("not conserved: \(ledger.totals)") }
            let audit = try store.audit()
            if !audit.isEmpty { problems.append("the store's mirror: \(audit)") }
            if try store.accounts() != ledger.accounts.filter({ $0.value != .empty }) {
                problems.append("the store's balances are not those its records give")
            }
            guard let recipientID = NodeID(hex: recipient), let strangerID = NodeID(hex: stranger) else { throw CancellationError() }

            let sent = ledger.history(of: meID, limit: 10_000_000).filter { $0.kind == .sent }
            if sent.contains(where: { $0.outcome != .applied($0.amount) }) { problems.append("a send of the node is not applied") }
            let received = ledger.history(of: recipientID, limit: 10_000_000).filter { $0.kind == .received }
            if received.count != sent.count { problems.append("\(sent.count) sent, \(received.count) received") }
            if ledger.isKnown(strangerID) { problems.append("the unknown address got an account") }

            var held: [String: String] = [:]
            var spent: Int64 = 0, paid: Int64 = 0
            for attempt in attempts {
                let found = ledger.transfer(requestKey: Payment.requestKey(from: meID, key: attempt.key))
                if let (r, _) = found, case .transfer(let p) = r.body {
                    held[attempt.key] = r.id.hex
                    spent += p.amount.micro + p.fee.micro
                    paid += p.amount.micro
                    if p.to != recipientID || p.amount.micro != attempt.micro || p.memo != attempt.memo
                        || p.fee != Payment.fee(for: p.amount, kind: .send) {
                        problems.append("\(attempt.key) was stored as \(p)")
                    }
                }
                switch attempt.outcome {
                case .acknowledged(let id):
                    if held[attempt.key] != id { problems.append("acknowledged \(attempt.key) (\(id)) is lost or another") }
                case .refused(let status):
                    if found != nil { problems.append("refused (\(status)) \(attempt.key) was applied") }
                case .unknown:
                    if found != nil && attempt.kind != .small { problems.append("impossible \(attempt.key) was applied") }
                case .unexpected(let status, let body):
                    problems.append("\(attempt.key) (\(attempt.kind)) answered \(status): \(body.prefix(300))")
                }
            }
            // Every record the node acknowledged was kept, each once.
            let stored = Set(records.map(\.id))
            if stored.count != records.count { problems.append("\(records.count) records stored, \(stored.count) distinct") }
            for proof in proofs where proof.acknowledged && !stored.contains(proof.id) {
                problems.append("acknowledged proof \(proof.id.hex.prefix(16)) is lost")
            }
            // Exactly once: the ledger holds the acknowledged sends and some unknown ones, nothing else.
            if held.count != sent.count {
                problems.append("\(sent.count) transfers sent, \(held.count) of them asked for by a client")
            }
            // Balances follow from genesis, rewards and exactly these transfers.
            let mine = ledger.account(meID), theirs = ledger.account(recipientID)
            let minted = (genesis.first { $0.address == meID }?.amount.micro ?? 0) + ledger.earned(by: meID, sinceMs: .min).micro
            if mine.available.micro + mine.staked.micro != minted - spent {
                problems.append("sender holds \(mine), minted \(minted) µ and spent \(spent) µ")
            }
            let theirGenesis = genesis.first { $0.address == recipientID }?.amount.micro ?? 0
            if theirs.available.micro != theirGenesis + ledger.earned(by: recipientID, sinceMs: .min).micro + paid {
                problems.append("recipient holds \(theirs), was paid \(paid) µ")
            }
            // The first broken state ends the test: later rounds would only repeat it.
            try #require(problems.isEmpty, "after crash \(round) [seed \(seed)]: \(problems.prefix(12).joined(separator: "; "))",
                         sourceLocation: sourceLocation)
            return held
        }
    }
}
