import Deterministic
import Identity
import Ledger
@testable import NeuroShardCore
import Testing
import Training

/// A node whose genesis gives it 100 NEURO and a known recipient 1 NEURO, served through its
/// API as a client would call it.
struct Wallet {
    static let token = "wallet-owner"
    static let readKey = "wallet-reader"
    static let recipient = nodeID(0xB0B)
    var core: NodeCore
    var rng = DeterministicRNG(seed: 11)
    var nextID: UInt64 = 0
    var me: NodeID { core.config.id }

    init(rateLimits: RateLimits = .off) {
        let genesis = [GenesisAllocation(address: nodeID(0xA), amount: Micro(neuro: 100)!),
                       GenesisAllocation(address: Self.recipient, amount: Micro(neuro: 1)!)]
        let config = NodeConfig(address: "a", token: Self.token, key: nodeKey(0xA), apiKeys: [Self.readKey],
                                trainingEnabled: false, rateLimits: rateLimits, ledger: LedgerSettings(genesis: genesis))
        core = NodeCore(config: config, objective: NoisyQuadratic())
        _ = core.handle(.start, now: at(0), rng: &rng)
    }

    mutating func call(_ method: String, _ path: String, query: [(String, String)] = [], body: String = "",
                       key: String? = nil, auth: String = "Bearer " + Wallet.token, at seconds: Double = 10,
                       sourceLocation: SourceLocation = #_sourceLocation) -> APIResponse {
        nextID += 1
        let request = APIRequest(id: nextID, method: method, path: path, query: query, authorization: auth,
                                 idempotencyKey: key, body: Array(body.utf8))
        let effects = core.handle(.api(request), now: at(seconds), rng: &rng)
        let totals = try! core.ledger!.totals()
        #expect(totals.conserved, "minted = available + staked + burned after every call", sourceLocation: sourceLocation)
        guard let response = effects.compactMap({ e -> APIResponse? in if case .respond(_, let r) = e { r } else { nil } }).first else {
            Issue.record("no answer", sourceLocation: sourceLocation)
            return APIResponse(status: 0, body: .null)
        }
        return response
    }

    mutating func send(_ amount: String, to: String = Wallet.recipient.hex, memo: String = "", key: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) -> APIResponse {
        call("POST", "/api/v1/wallet/send", body: #"{"to": "\#(to)", "amount": \#(amount), "memo": "\#(memo)"}"#, key: key,
             sourceLocation: sourceLocation)
    }

    mutating func available() -> Double? {
        call("GET", "/api/v1/wallet/balance").body["balances"]?["available"]?.doubleValue
    }
}

@Suite struct WalletAPITests {
    @Test func balanceShowsTheGenesis() {
        var w = Wallet()
        let r = w.call("GET", "/api/v1/wallet/balance")
        #expect(r.status == 200)
        #expect(r.body["address"] == .string(w.me.hex))
        #expect(r.body["balances"] == ["available": 100.0, "staked": 0.0, "pending": 0.0, "total": 100.0])
    }

    @Test func aSendPaysAFivePercentFeeOnTopThatIsBurned() {
        var w = Wallet()
        let r = w.send("10", memo: "thanks")
        #expect(r.status == 200, "\(r.body.serialized)")
        #expect(r.body["amount"] == 10.0 && r.body["fee"] == 0.5 && r.body["memo"] == "thanks")
        #expect(r.body["from"] == .string(w.me.hex) && r.body["to"] == .string(Wallet.recipient.hex))
        #expect(r.body["status"] == "confirmed")
        #expect(w.available() == 89.5)
        #expect(try! w.core.ledger!.balance(of: Wallet.recipient.hex).available == Micro(neuro: 11)!)
        #expect(try! w.core.ledger!.totals().burned == Micro(neuro: 0.5)!)
    }

    @Test func beyondTheBalanceIs402WithTheSeedsEnvelope() {
        var w = Wallet()
        let r = w.send("100")
        expectError(r, status: 402, code: "INSUFFICIENT_BALANCE")
        #expect(r.body["error"]?["message"] == "Wallet balance 100.0 NEURO is less than required 105.0 NEURO")
        #expect(r.body["error"]?["details"] == ["balance": 100.0, "required": 105.0])
        #expect(w.available() == 100, "a refused send changes nothing")
        #expect(try! w.core.ledger!.history(of: w.me.hex, limit: 10).allSatisfy { $0.kind != .sent })
    }

    @Test func badSendsAre400AndChangeNothing() {
        var w = Wallet()
        let bad: [(String, String)] = [
            (#"{"to": "xyz", "amount": 1}"#, "to"),
            (#"{"to": "\#(nodeID(0xDEAD).hex)", "amount": 1}"#, "to"),                   // nobody's address
            (#"{"to": "\#(Wallet.recipient.hex.uppercased())", "amount": 1}"#, "to"),
            (#"{"to": "\#(nodeID(0xA).hex)", "amount": 1}"#, "to"),                       // itself
            (#"{"to": "\#(Wallet.recipient.hex)", "amount": -1}"#, "amount"),
            (#"{"to": "\#(Wallet.recipient.hex)", "amount": 0}"#, "amount"),
            (#"{"to": "\#(Wallet.recipient.hex)", "amount": 0.0000001}"#, "amount"),
            (#"{"to": "\#(Wallet.recipient.hex)", "amount": 1e300}"#, "amount"),
            (#"{"to": "\#(Wallet.recipient.hex)", "amount": "5"}"#, "amount"),
            (#"{"to": "\#(Wallet.recipient.hex)"}"#, "amount"),
            (#"{"to": "\#(Wallet.recipient.hex)", "amount": 1, "memo": "\#(String(repeating: "m", count: 257))"}"#, "memo"),
            (#"{"to": "\#(Wallet.recipient.hex)", "amount": NaN}"#, ""),
            (#"{"to": "\#(Wallet.recipient.hex)", "amount": 1"#, ""),
            (#"[1, 2]"#, ""),
        ]
        for (body, field) in bad {
            let r = w.call("POST", "/api/v1/wallet/send", body: body)
            expectError(r, status: 400, code: "INVALID_REQUEST")
            if !field.isEmpty { #expect(r.body["error"]?["details"]?["field"] == .string(field), "\(body)") }
        }
        #expect(w.available() == 100)
        #expect(try! w.core.ledger!.totals().burned == .zero)
    }

    @Test func aReadOnlyKeyCannotSend() {
        var w = Wallet()
        let r = w.call("POST", "/api/v1/wallet/send", body: #"{"to": "\#(Wallet.recipient.hex)", "amount": 1}"#,
                       auth: "Bearer " + Wallet.readKey)
        expectError(r, status: 403, code: "FORBIDDEN")
        #expect(w.call("GET", "/api/v1/wallet/balance", auth: "Bearer " + Wallet.readKey).status == 200, "it may read")
        #expect(w.available() == 100)
    }

    @Test func aRetriedSendIsAppliedOnce() {
        var w = Wallet()
        let first = w.send("2", key: "order-17")
        let again = w.send("2", key: "order-17")
        #expect(first.status == 200 && again.status == 200)
        #expect(first.body["transaction_id"] == again.body["transaction_id"])
        #expect(w.available() == 97.9, "charged once")
        let viaField = w.call("POST", "/api/v1/wallet/send",
                              body: #"{"to": "\#(Wallet.recipient.hex)", "amount": 2, "request_id": "order-17"}"#)
        #expect(viaField.body["transaction_id"] == first.body["transaction_id"], "a request_id names the same transfer")
        expectError(w.send("3", key: "order-17"), status: 400, code: "INVALID_REQUEST")
        #expect(w.available() == 97.9)
    }

    @Test func transactionsAreNewestFirstAndPaged() {
        var w = Wallet()
        for n in 1...3 { #expect(w.send("\(n)", memo: "n\(n)").status == 200) }
        let page = w.call("GET", "/api/v1/wallet/transactions", query: [("limit", "2")])
        #expect(page.status == 200)
        guard case .array(let items)? = page.body["transactions"] else { Issue.record("no list"); return }
        #expect(items.map { $0["memo"] } == ["n3", "n2"])
        #expect(items.allSatisfy { $0["type"] == "sent" && $0["to"] == .string(Wallet.recipient.hex) })
        let rest = w.call("GET", "/api/v1/wallet/transactions", query: [("limit", "2"), ("offset", "2")])
        guard case .array(let more)? = rest.body["transactions"] else { Issue.record("no list"); return }
        #expect(more.map { $0["type"] } == ["sent", "genesis"])
        for bad in [("limit", "0"), ("limit", "101"), ("offset", "-1"), ("limit", "ten")] {
            expectError(w.call("GET", "/api/v1/wallet/transactions", query: [bad]), status: 400, code: "INVALID_REQUEST")
        }
    }

    @Test func walletCallsAreLimitedTo10AMinute() {
        var w = Wallet(rateLimits: .standard)
        for _ in 0..<10 { #expect(w.call("GET", "/api/v1/wallet/balance").status == 200) }
        expectError(w.call("GET", "/api/v1/wallet/balance"), status: 429, code: "RATE_LIMITED")
        expectError(w.send("1"), status: 429, code: "RATE_LIMITED")
    }

    @Test func aPeersSignedTransferIsAppliedOnceAndAForgedOneNot() {
        var w = Wallet()
        let bob = nodeKey(0xB0B)
        let transfer = SignedTransfer(id: SignedTransfer.keyedID(from: Wallet.recipient, key: "k"), from: Wallet.recipient,
                                      publicKey: bob.publicKey.compressed, to: w.me, amount: Micro(neuro: 0.5)!,
                                      fee: Micro(neuro: 0.025)!, memo: "", nonce: 1, timestampMs: 1000, kind: .send)
        let signed = transfer.signed(by: bob)
        for _ in 0..<2 { _ = w.core.handle(.message(from: Wallet.recipient, .transfer(signed)), now: at(5), rng: &w.rng) }
        #expect(w.available() == 100.5)
        var forged = transfer
        forged.id = SignedTransfer.keyedID(from: Wallet.recipient, key: "k2")
        forged = forged.signed(by: nodeKey(0xE71))
        _ = w.core.handle(.message(from: Wallet.recipient, .transfer(forged)), now: at(6), rng: &w.rng)
        var cheap = transfer
        cheap.id = SignedTransfer.keyedID(from: Wallet.recipient, key: "k3")
        cheap.nonce = 2
        cheap.fee = .zero
        _ = w.core.handle(.message(from: Wallet.recipient, .transfer(cheap.signed(by: bob))), now: at(6), rng: &w.rng)
        #expect(w.available() == 100.5)
        #expect(w.core.metrics.transfersApplied == 1 && w.core.metrics.transfersRefused == 2)
    }
}
