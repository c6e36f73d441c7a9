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
        let effects = carriedOut(core.handle(.api(request), now: at(seconds), rng: &rng))
        #expect(core.ledger!.totals.conserved, "minted = available + staked + burned after every call", sourceLocation: sourceLocation)
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
        #expect(r.body["stake"] == ["amount": 0.0, "locked_until": .null, "multiplier": 1.0])
    }

    @Test func aSendPaysAFivePercentFeeOnTopThatIsBurned() {
        var w = Wallet()
        let r = w.send("10", memo: "thanks")
        #expect(r.status == 200, "\(r.body.serialized)")
        #expect(r.body["amount"] == 10.0 && r.body["fee"] == 0.5 && r.body["memo"] == "thanks")
        #expect(r.body["from"] == .string(w.me.hex) && r.body["to"] == .string(Wallet.recipient.hex))
        #expect(r.body["status"] == "confirmed")
        #expect(w.available() == 89.5)
        #expect(w.core.ledger!.account(Wallet.recipient).available == Micro(neuro: 11)!)
        #expect(w.core.ledger!.totals.burned == Micro(neuro: 0.5)!)
        #expect(r.body["transaction_id"]?.stringValue?.count == 64)
    }

    @Test func anotherAccountIsReadFromThisNodesLedger() {
        var w = Wallet()
        #expect(w.send("4", memo: "for bob").status == 200)
        let bob = w.call("GET", "/api/v1/wallet/balance", query: [("address", Wallet.recipient.hex)])
        #expect(bob.body["address"] == .string(Wallet.recipient.hex))
        #expect(bob.body["balances"] == ["available": 5.0, "staked": 0.0, "pending": 0.0, "total": 5.0])
        let history = w.call("GET", "/api/v1/wallet/transactions", query: [("address", Wallet.recipient.hex)])
        guard case .array(let items)? = history.body["transactions"] else { Issue.record("no list"); return }
        #expect(items.map { $0["type"] } == ["received", "genesis"])
        #expect(items.first?["from"] == .string(w.me.hex) && items.first?["memo"] == "for bob")
        for bad in ["xyz", Wallet.recipient.hex.uppercased()] {
            expectError(w.call("GET", "/api/v1/wallet/balance", query: [("address", bad)]), status: 400, code: "INVALID_REQUEST")
        }
    }

    @Test func beyondTheBalanceIs402WithTheSeedsEnvelope() {
        var w = Wallet()
        let r = w.send("100")
        expectError(r, status: 402, code: "INSUFFICIENT_BALANCE")
        #expect(r.body["error"]?["message"] == "Wallet balance 100.0 NEURO is less than required 105.0 NEURO")
        #expect(r.body["error"]?["details"] == ["balance": 100.0, "required": 105.0])
        #expect(w.available() == 100, "a refused send changes nothing")
        #expect(w.core.ledger!.history(of: w.me, limit: 10).allSatisfy { $0.kind != .sent })
        #expect(w.core.ledger!.recordCount == 0, "no record was signed")
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
        #expect(w.core.ledger!.totals.burned == .zero)
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
        let amount = Micro(neuro: 0.5)!
        let pay = Record.signed(by: bob, seq: 1, previous: .zero, timestampMs: 1000,
                                body: .transfer(Payment(to: w.me, amount: amount, fee: amount.fee, memo: "", kind: .send)))
        for _ in 0..<2 { _ = w.core.handle(.message(from: Wallet.recipient, .record(pay)), now: at(5), rng: &w.rng) }
        #expect(w.available() == 100.5)
        let unsigned = Record(author: Wallet.recipient, publicKey: bob.publicKey.compressed, seq: 2, previous: pay.id,
                              timestampMs: 2000, body: pay.body, signature: [])
        let forged = Record(author: Wallet.recipient, publicKey: bob.publicKey.compressed, seq: 2, previous: pay.id,
                            timestampMs: 2000, body: pay.body, signature: nodeKey(0xE71).sign(digest: unsigned.id.bytes))
        _ = w.core.handle(.message(from: Wallet.recipient, .record(forged)), now: at(6), rng: &w.rng)
        let cheap = Record.signed(by: bob, seq: 2, previous: pay.id, timestampMs: 2000,
                                  body: .transfer(Payment(to: w.me, amount: amount, fee: .zero, memo: "", kind: .send)))
        _ = w.core.handle(.message(from: Wallet.recipient, .record(cheap)), now: at(6), rng: &w.rng)
        #expect(w.available() == 100.5)
        #expect(w.core.ledger!.counters.transfersApplied == 1 && w.core.ledger!.counters.transfersRefused == 1)
        #expect(w.core.ledger!.counters.recordsForged == 1)
        guard case .array(let items)? = w.call("GET", "/api/v1/wallet/transactions").body["transactions"] else { return }
        #expect(items.first?["type"] == "received" && items.first?["from"] == .string(Wallet.recipient.hex))
    }

    @Test func aStakeLocksItsNEUROUntilItsDaysHavePassed() {
        var w = Wallet()
        let r = w.call("POST", "/api/v1/wallet/stake", body: #"{"amount": 40, "duration_days": 7}"#, at: 100)
        #expect(r.status == 200, "\(r.body.serialized)")
        #expect(r.body["staked"] == 40.0 && r.body["duration_days"] == .int(7))
        #expect(r.body["locked_until"] == .double(100 + 7 * 86_400))
        let balance = w.call("GET", "/api/v1/wallet/balance", at: 101).body
        #expect(balance["balances"] == ["available": 60.0, "staked": 40.0, "pending": 0.0, "total": 100.0])
        let early = w.call("POST", "/api/v1/wallet/unstake", body: "{}", at: 200)
        expectError(early, status: 400, code: "INVALID_REQUEST")
        #expect(early.body["error"]?["details"]?["locked_until"] == .double(100 + 7 * 86_400))
        let later = 100 + 7 * 86_400 + 1.0
        let part = w.call("POST", "/api/v1/wallet/unstake", body: #"{"amount": 15}"#, at: later)
        #expect(part.status == 200, "\(part.body.serialized)")
        #expect(part.body["staked"] == 25.0 && part.body["available"] == 75.0)
        let rest = w.call("POST", "/api/v1/wallet/unstake", at: later + 1)
        #expect(rest.status == 200 && rest.body["amount"] == 25.0)
        expectError(w.call("POST", "/api/v1/wallet/unstake", at: later + 2), status: 400, code: "INVALID_REQUEST")
        guard case .array(let items)? = w.call("GET", "/api/v1/wallet/transactions", at: later + 3).body["transactions"] else { return }
        #expect(items.map { $0["type"] } == ["unstake", "unstake", "stake", "genesis"])
    }

    @Test func badStakesAre400AndBeyondTheBalance402() {
        var w = Wallet()
        let bad: [(String, String)] = [
            (#"{"amount": 1}"#, "duration_days"),
            (#"{"amount": 1, "duration_days": 0}"#, "duration_days"),
            (#"{"amount": 1, "duration_days": 366}"#, "duration_days"),
            (#"{"amount": 1, "duration_days": 2.5}"#, "duration_days"),
            (#"{"amount": -1, "duration_days": 2}"#, "amount"),
            (#"{"amount": "1", "duration_days": 2}"#, "amount"),
            (#"{"duration_days": 2}"#, "amount"),
        ]
        for (body, field) in bad {
            let r = w.call("POST", "/api/v1/wallet/stake", body: body)
            expectError(r, status: 400, code: "INVALID_REQUEST")
            #expect(r.body["error"]?["details"]?["field"] == .string(field), "\(body)")
        }
        expectError(w.call("POST", "/api/v1/wallet/stake", body: #"{"amount": 100.5, "duration_days": 2}"#),
                    status: 402, code: "INSUFFICIENT_BALANCE")
        expectError(w.call("POST", "/api/v1/wallet/stake", body: #"{"amount": 1, "duration_days": 2}"#, auth: "Bearer " + Wallet.readKey),
                    status: 403, code: "FORBIDDEN")
        #expect(w.call("POST", "/api/v1/wallet/stake", body: #"{"amount": 10, "duration_days": 2}"#).status == 200)
        expectError(w.call("POST", "/api/v1/wallet/unstake", body: #"{"amount": 11}"#, at: 3 * 86_400), status: 400, code: "INVALID_REQUEST")
        #expect(w.available() == 90)
        #expect(w.core.ledger!.recordCount == 1)
    }

    @Test func aStakeRaisesTheRewardsOfTheNodesProofs() {
        var w = Wallet()
        #expect(w.call("POST", "/api/v1/wallet/stake", body: #"{"amount": 90, "duration_days": 1}"#).status == 200)
        let multiplier = w.call("GET", "/api/v1/wallet/balance").body["stake"]?["multiplier"]?.doubleValue ?? 0
        #expect(abs(multiplier - (1 + 0.1 * _log(1 + 90.0 / 1000) / _log(2))) < 1e-6)
        _ = w.core.handle(.timer(.proof), now: at(70), rng: &w.rng)
        let proof = w.core.ledger!.history(of: w.me, limit: 1).first
        #expect(proof?.kind == .reward)
        // 70 s of uptime (116 micro) at a node holding no layer yet, times the stake bonus.
        #expect(proof?.amount == ChainRules.reward(base: 70 * 100 / 60, bonusPercent: 0, staked: Micro(neuro: 90)!))
        #expect(proof.map { $0.amount > Micro(micro: 116)! } == true)
    }
}
