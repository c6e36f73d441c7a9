import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// SPEC §7 with real processes on loopback: a node that was down while it was paid sees the
/// payments when it comes back, a node that starts later holds the whole history, and every
/// node ends with the same ledger digest: the nodes' own anti-entropy, nothing else.
@Suite(.serialized) struct LedgerConvergenceTests {
    @Test func aNodeKilledWhileItIsPaidAndANodeStartedLaterEndWithTheSameLedger() async throws {
        let genesis = try genesisFile(funding: ["pay-T", "pay-U"])
        let folder = try temporaryFolder("ledger-convergence")
        defer { cleanUp(folder) }
        func node(_ token: String, _ seeds: [NodeProcess] = []) async throws -> NodeProcess {
            var arguments = ["--no-training", "--memory", "1.6", "--genesis", genesis,
                             "--data-dir", folder.appendingPathComponent(token).path]
            if !seeds.isEmpty { arguments += ["--seed-peers", seeds.map(\.grpc).joined(separator: ",")] }
            return try await NodeProcess(token: token, arguments)
        }
        let t = try await node("pay-T")
        var u = try await node("pay-U", [t])
        #expect(await eventually(within: 20) { await t.get("/api/v1/status")["peer_count"] as? Int == 1 }, "\(t.log)")

        // U crashes; T pays it three times while it is down.
        u.kill()
        var sent: [String] = []
        for n in 1...3 {
            let r = try await t.call("POST", "/api/v1/wallet/send",
                                     body: Data(#"{"to": "\#(u.id)", "amount": 5, "memo": "rent \#(n)"}"#.utf8))
            #expect(r.status == 200, "\(r.json)")
            if let id = r.json["transaction_id"] as? String { sent.append(id) }
        }
        #expect(sent.count == 3)
        let payerBalance = try #require((await t.get("/api/v1/wallet/balance")["balances"] as? [String: Any])?["available"] as? Double)
        // (Within a proof's reward: a node signs one a minute, for about 0.0001 NEURO.)
        #expect(abs(payerBalance - (100 - 15.75)) < 0.01)

        // Back with the same data folder: it sees the payments within 10 s, from its own API.
        let restarted = Date()
        u = try await node("pay-U", [t])
        let paid = await eventually(within: 10) {
            let balance = await u.get("/api/v1/wallet/balance")["balances"] as? [String: Any]
            return (balance?["available"] as? Double).map { abs($0 - 115) < 0.01 } ?? false
        }
        let seen = await u.get("/api/v1/wallet/balance")
        #expect(paid, "U's balance after \(Date().timeIntervalSince(restarted)) s: \(seen); log: \(u.log)")
        let received = (await u.get("/api/v1/wallet/transactions")["transactions"] as? [[String: Any]] ?? [])
            .filter { $0["type"] as? String == "received" }
        #expect(Set(received.compactMap { $0["transaction_id"] as? String }) == Set(sent))
        #expect(received.allSatisfy { $0["from"] as? String == t.id })

        // A node started after all this holds both histories.
        let v = try await node("pay-V", [t])
        let caughtUp = await eventually(within: 15) {
            let history = await v.get("/api/v1/wallet/transactions?address=\(t.id)")["transactions"] as? [[String: Any]] ?? []
            return history.filter { $0["type"] as? String == "sent" }.count == 3
        }
        #expect(caughtUp, "\(v.log)")
        let payee = await v.get("/api/v1/wallet/transactions?address=\(u.id)")["transactions"] as? [[String: Any]] ?? []
        #expect(Set(payee.filter { $0["type"] as? String == "received" }.compactMap { $0["transaction_id"] as? String }) == Set(sent))
        let uBalance = await v.get("/api/v1/wallet/balance?address=\(u.id)")["balances"] as? [String: Any]
        #expect((uBalance?["available"] as? Double).map { abs($0 - 115) < 0.01 } == true)

        // One state: the three digests agree (proofs keep coming, so at some moment).
        let agree = await eventually(within: 20) {
            var digests: Set<String> = []
            for n in [t, u, v] {
                guard let ledger = await n.get("/api/v1/status")["ledger"] as? [String: Any], let d = ledger["digest"] as? String else {
                    return false
                }
                digests.insert(d)
            }
            return digests.count == 1
        }
        let ledgers = await [t, u, v].asyncMap { await $0.get("/api/v1/status")["ledger"] ?? "none" }
        #expect(agree, "digests: \(ledgers)")
        for n in [v, u, t] { #expect(n.stop().status == 0) }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var out: [T] = []
        for x in self { out.append(await transform(x)) }
        return out
    }
}
