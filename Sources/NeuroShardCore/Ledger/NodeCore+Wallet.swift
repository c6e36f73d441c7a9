import Deterministic
import Identity
import Ledger

/// The wallet endpoints (SPEC §4): balance, send, stake, unstake and transactions, over this
/// node's ledger. Every spend is a record of this node's chain, signed here and checked like
/// any peer's.
extension NodeCore {
    /// The ledger, or 503 when this node keeps none.
    func wallet() throws(APIError) -> LedgerState {
        guard let ledger else { throw APIError(.unavailable, "This node keeps no ledger") }
        return ledger
    }

    /// `?address=`: whose account, as this node's ledger holds it (the node's own by default).
    func account(in request: APIRequest) throws(APIError) -> NodeID {
        guard let text = request.query.last(where: { $0.0 == "address" })?.1 else { return config.id }
        guard let id = NodeID(hex: text), id.hex == text else {
            throw RequestBody.invalid("address", "must be a wallet address: 32 lowercase hex characters")
        }
        return id
    }

    /// `GET /api/v1/wallet/balance[?address=]`; what this node holds back for running inference
    /// requests (`pending`) counts only on its own account.
    func balanceBody(_ request: APIRequest) throws(APIError) -> JSON {
        let id = try account(in: request)
        let account = try wallet().account(id)
        let held = id == config.id ? reserved : .zero
        let available = account.available.subtracting(held) ?? .zero
        return [
            "address": .string(id.hex),
            "balances": [
                "available": .double(available.neuro),
                "staked": .double(account.staked.neuro),
                "pending": .double(held.neuro),
                "total": .double((account.available.adding(account.staked) ?? account.available).neuro),
            ],
            "stake": stakeBody(account),
        ]
    }

    private func stakeBody(_ account: Account) -> JSON {
        [
            "amount": .double(account.staked.neuro),
            "locked_until": account.lockedUntilMs > 0 ? .double(Double(account.lockedUntilMs) / 1000) : .null,
            "multiplier": .double(Double(ChainRules.stakeMultiplierPPM(account.staked)) / 1e6),
        ]
    }

    /// `POST /api/v1/wallet/send`: {to, amount, memo}. A client that retries names the transfer
    /// with an `Idempotency-Key` header (or a `request_id` field) and gets the first answer again.
    mutating func send(_ request: APIRequest, now: Timestamp) throws(APIError) -> APIResponse {
        let body = try RequestBody(request.body)
        let toText = try body.string("to", required: true)!
        let amount = try Self.amount(body)
        let memo = try body.string("memo") ?? ""
        let key = try body.string("request_id") ?? request.idempotencyKey
        guard let to = NodeID(hex: toText), toText == to.hex else {
            throw RequestBody.invalid("to", "must be a wallet address: 32 lowercase hex characters")
        }
        guard to != config.id else { throw RequestBody.invalid("to", "is this node's own address") }
        guard memo.utf8.count <= Payment.maxMemoBytes else {
            throw RequestBody.invalid("memo", "is longer than \(Payment.maxMemoBytes) bytes")
        }
        if let key, key.isEmpty || key.utf8.count > 128 { throw RequestBody.invalid("request_id", "must be 1 to 128 bytes") }
        // (No local copy of the ledger lives past this point: one alive while `spend` writes
        // would make Swift copy the whole ledger.)
        let requestKey = key.map { Payment.requestKey(from: config.id, key: $0) }
        if let requestKey, let (earlier, outcome) = try wallet().transfer(requestKey: requestKey) {
            guard case .transfer(let p) = earlier.body, p.to == to, p.amount == amount, p.memo == memo else {
                throw APIError(.invalidRequest, "This idempotency key was used for a different transfer",
                               details: [("transaction_id", .string(earlier.id.hex))])
            }
            return .ok(receipt(earlier, outcome))
        }
        guard try wallet().isKnown(to) || peers.contains(to) else {
            throw RequestBody.invalid("to", "is not an address this network knows")
        }
        let fee = Payment.fee(for: amount, kind: .send)
        let r = try spend(.transfer(Payment(to: to, amount: amount, fee: fee, memo: memo, kind: .send, requestKey: requestKey)),
                          needs: amount.adding(fee) ?? .max, keeping: reserved, now: now)
        return .ok(receipt(r, .applied(amount)))
    }

    /// `POST /api/v1/wallet/stake`: {amount, duration_days}. The whole stake is locked until the
    /// latest of its stakes' ends.
    mutating func stake(_ request: APIRequest, now: Timestamp) throws(APIError) -> APIResponse {
        let body = try RequestBody(request.body)
        let amount = try Self.amount(body)
        guard let days = try body.integer("duration_days") else { throw RequestBody.invalid("duration_days", "is required") }
        guard ChainRules.stakeDays.contains(days) else {
            throw RequestBody.invalid("duration_days", "must be a whole number of days in \(ChainRules.stakeDays.lowerBound)...\(ChainRules.stakeDays.upperBound)")
        }
        _ = try wallet()
        let r = try spend(.stake(amount: amount, days: days), needs: amount, keeping: reserved, now: now)
        let account = ledger!.account(config.id)
        return .ok([
            "transaction_id": .string(r.id.hex), "amount": .double(amount.neuro), "duration_days": .int(days),
            "staked": .double(account.staked.neuro),
            "locked_until": .double(Double(account.lockedUntilMs) / 1000),
            "multiplier": .double(Double(ChainRules.stakeMultiplierPPM(account.staked)) / 1e6),
            "status": "confirmed", "timestamp": .double(Double(r.timestampMs) / 1000),
        ])
    }

    /// `POST /api/v1/wallet/unstake`: {amount} (all of the stake when absent), once its lock has passed.
    mutating func unstake(_ request: APIRequest, now: Timestamp) throws(APIError) -> APIResponse {
        let body = try RequestBody(request.body.isEmpty ? Array("{}".utf8) : request.body)
        let account = try wallet().account(config.id)
        guard account.staked > .zero else { throw APIError(.invalidRequest, "Nothing is staked") }
        let amount = try body.number("amount") == nil ? account.staked : try Self.amount(body)
        guard amount <= account.staked else {
            throw RequestBody.invalid("amount", "is more than the \(account.staked) NEURO staked")
        }
        guard try wallet().nextStamp(of: config.id, nowMs: now.milliseconds) >= account.lockedUntilMs else {
            let until = Double(account.lockedUntilMs) / 1000
            throw APIError(.invalidRequest, "The stake is locked until \(Int(until)) (Unix time)",
                           details: [("locked_until", .double(until))])
        }
        guard mayAuthor(now: now) else { throw Self.catchingUp }
        guard let r = author(.unstake(amount: amount), now: now), case .applied? = ledger!.outcome(of: r) else {
            throw APIError(.internalError, "The unstake was refused by this node's own ledger")
        }
        let after = ledger!.account(config.id)
        return .ok([
            "transaction_id": .string(r.id.hex), "amount": .double(amount.neuro), "staked": .double(after.staked.neuro),
            "available": .double((after.available.subtracting(reserved) ?? .zero).neuro),
            "status": "confirmed", "timestamp": .double(Double(r.timestampMs) / 1000),
        ])
    }

    /// A positive `amount` field in NEURO.
    private static func amount(_ body: RequestBody) throws(APIError) -> Micro {
        guard let value = try body.number("amount") else { throw RequestBody.invalid("amount", "is required") }
        guard value.isFinite, value > 0, let amount = Micro(neuro: value), amount > .zero else {
            throw RequestBody.invalid("amount", "must be a positive number of NEURO (at least 0.000001)")
        }
        return amount
    }

    static let catchingUp = APIError(.unavailable, "This node is still learning from its peers what they hold of its ledger; try again in a few seconds")

    /// Signs one of this node's own debits (a transfer or a stake) once the balance at its place
    /// in the fold covers `needs` with `held` NEURO kept aside: 402 otherwise.
    mutating func spend(_ body: RecordBody, needs: Micro, keeping held: Micro, now: Timestamp) throws(APIError) -> Record {
        guard mayAuthor(now: now) else { throw Self.catchingUp }
        let available = try coverage(now: now).subtracting(held) ?? .zero
        guard available >= needs else { throw Self.insufficient(available, needs) }
        guard let r = author(body, now: now), case .applied? = ledger!.outcome(of: r) else {
            throw APIError(.internalError, "The \(body.kind.rawValue) was refused by this node's own ledger")
        }
        return r
    }

    /// This node's available balance at the place its next record takes in the fold.
    func coverage(now: Timestamp) throws(APIError) -> Micro {
        let ledger = try wallet()
        let place = OrderKey(timestampMs: ledger.nextStamp(of: config.id, nowMs: now.milliseconds), author: config.id,
                             seq: (ledger.head(of: config.id)?.seq ?? 0) + 1)
        return ledger.available(of: config.id, before: place)
    }

    static func insufficient(_ balance: Micro, _ required: Micro) -> APIError {
        APIError(.insufficientBalance, "Wallet balance \(balance) NEURO is less than required \(required) NEURO",
                 details: [("balance", .double(balance.neuro)), ("required", .double(required.neuro))])
    }

    func receipt(_ r: Record, _ outcome: Outcome) -> JSON {
        guard case .transfer(let p) = r.body else { return .null }
        return [
            "transaction_id": .string(r.id.hex), "from": .string(r.author.hex), "to": .string(p.to.hex),
            "amount": .double(p.amount.neuro), "fee": .double(p.fee.neuro), "memo": .string(p.memo),
            "status": .string(Self.status(outcome)), "timestamp": .double(Double(r.timestampMs) / 1000),
        ]
    }

    static func status(_ outcome: Outcome) -> String {
        switch outcome {
        case .applied: "confirmed"
        case .refused: "refused"
        case .void: "void"
        }
    }

    /// `GET /api/v1/wallet/transactions?limit&offset[&address]`: transfers, rewards and stakes,
    /// newest first, of this node's account or of any other its ledger holds.
    func transactionsBody(_ request: APIRequest) throws(APIError) -> JSON {
        func parameter(_ name: String, default value: Int, in range: ClosedRange<Int>) throws(APIError) -> Int {
            guard let text = request.query.last(where: { $0.0 == name })?.1 else { return value }
            guard let n = Int(text), range.contains(n) else {
                throw APIError(.invalidRequest, "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)",
                               details: [("field", .string(name))])
            }
            return n
        }
        let limit = try parameter("limit", default: 20, in: 1...100)
        let offset = try parameter("offset", default: 0, in: 0...Int(Int32.max))
        let items = try wallet().history(of: try account(in: request), limit: limit, offset: offset)
        let list: [JSON] = items.map { item in
            var fields: [(String, JSON)] = [
                ("transaction_id", item.id.map { .string($0.hex) } ?? .null), ("type", .string(item.kind.rawValue)),
                ("amount", .double(item.amount.neuro)), ("fee", .double(item.fee.neuro)),
                ("timestamp", .double(Double(item.timestampMs) / 1000)), ("status", .string(Self.status(item.outcome))),
            ]
            if let from = item.counterparty, item.kind == .received { fields.append(("from", .string(from.hex))) }
            if let to = item.counterparty, item.kind == .sent { fields.append(("to", .string(to.hex))) }
            if item.kind == .sent || item.kind == .received { fields.append(("memo", .string(item.memo))) }
            return .object(fields)
        }
        return ["transactions": .array(list), "limit": .int(limit), "offset": .int(offset)]
    }

    /// `rewards` of `/api/v1/metrics`: NEURO this node's proofs earned in its own ledger, and
    /// what its ledger took in and refused.
    func rewardsBody(now: Timestamp) -> JSON {
        guard let ledger else { return ["earned_today": 0.0, "earned_total": 0.0, "pending": 0.0] }
        let me = config.id
        let c = ledger.counters
        let proofReasons: [Refusal] = [.signature, .replay, .stale, .future, .rate, .implausible]
        return [
            "earned_today": .double(ledger.earned(by: me, sinceMs: now.milliseconds - 86_400_000).neuro),
            "earned_total": .double(ledger.earned(by: me, sinceMs: .min).neuro),
            "pending": .double(reserved.neuro),
            "proofs_accepted": .int(c.proofsAccepted),
            "proofs_rejected": .object(proofReasons.map { ($0.rawValue, .int(c.proofsRefused[$0] ?? 0)) }),
            "transfers_applied": .int(c.transfersApplied), "transfers_refused": .int(c.transfersRefused),
        ]
    }

    /// `ledger` of `/api/v1/status`: what two nodes compare to know their ledgers agree.
    func ledgerStatusBody() -> JSON {
        guard let ledger else { return .null }
        return [
            "digest": .string(ledger.digest().hex16),
            "records": .int(ledger.recordCount),
            "authors": .int(ledger.authorCount),
            "forks": .int(ledger.forkedAuthors.count),
            "summary": .string(ledger.summary.hash.hex16),
        ]
    }
}
