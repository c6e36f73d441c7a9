import Deterministic
import Identity
import Ledger

/// The wallet endpoints (SPEC §4): balance, send, transactions, over this node's ledger.
extension NodeCore {
    func balanceBody() throws(APIError) -> JSON {
        let balance = try ledgerRead { try $0.balance(of: config.id.hex) }
        let available = balance.available.subtracting(reserved) ?? .zero
        return [
            "address": .string(config.id.hex),
            "balances": [
                "available": .double(available.neuro),
                "staked": .double(balance.staked.neuro),
                "pending": .double(reserved.neuro),
                "total": .double((balance.available.adding(balance.staked) ?? balance.available).neuro),
            ],
        ]
    }

    /// `POST /api/v1/wallet/send`: {to, amount, memo}. A client that retries names the transfer
    /// with an `Idempotency-Key` header (or a `request_id` field) and gets the first answer again.
    mutating func send(_ request: APIRequest, now: Timestamp) throws(APIError) -> APIResponse {
        let body = try RequestBody(request.body)
        let toText = try body.string("to", required: true)!
        guard let amountValue = try body.number("amount") else { throw RequestBody.invalid("amount", "is required") }
        let memo = try body.string("memo") ?? ""
        let key = try body.string("request_id") ?? request.idempotencyKey
        guard let to = NodeID(hex: toText), toText == to.hex else {
            throw RequestBody.invalid("to", "must be a wallet address: 32 lowercase hex characters")
        }
        guard to != config.id else { throw RequestBody.invalid("to", "is this node's own address") }
        guard amountValue.isFinite, amountValue > 0, let amount = Micro(neuro: amountValue), amount > .zero else {
            throw RequestBody.invalid("amount", "must be a positive number of NEURO (at least 0.000001)")
        }
        guard memo.utf8.count <= SignedTransfer.maxMemoBytes else {
            throw RequestBody.invalid("memo", "is longer than \(SignedTransfer.maxMemoBytes) bytes")
        }
        if let key, key.isEmpty || key.utf8.count > 128 { throw RequestBody.invalid("request_id", "must be 1 to 128 bytes") }

        let id = key.map { SignedTransfer.keyedID(from: config.id, key: $0) }
        if let id, let earlier = try ledgerRead({ try $0.transfer(id: id) }) {
            guard earlier.recipient == to.hex, earlier.amount == amount, earlier.memo == memo else {
                throw APIError(.invalidRequest, "This idempotency key was used for a different transfer",
                               details: [("transaction_id", .string(id))])
            }
            return .ok(receipt(earlier))
        }
        guard try ledgerRead({ try $0.isKnown(to.hex) }) || peers.contains(to) else {
            throw RequestBody.invalid("to", "is not an address this network knows")
        }
        let fee = SignedTransfer.fee(for: amount, kind: .send)
        let nonce = try ledgerRead { try $0.nextNonce(for: config.id.hex) }
        let stamp = now.milliseconds
        let transfer = SignedTransfer(
            id: id ?? SignedTransfer.contentID(from: config.id, to: to, amount: amount, nonce: nonce, timestampMs: stamp),
            from: config.id, publicKey: config.key.publicKey.compressed, to: to, amount: amount, fee: fee, memo: memo,
            nonce: nonce, timestampMs: stamp, kind: .send).signed(by: config.key)
        let outcome = try apply(transfer, keeping: reserved)
        switch outcome {
        case .applied(let entry):
            broadcast(.transfer(transfer))
            return .ok(receipt(entry))
        case .refused(let error): throw error
        }
    }

    enum SpendOutcome {
        case applied(TransferEntry)
        case refused(APIError)
    }

    /// Applies one of this node's own transfers, keeping `held` NEURO of the balance untouched.
    mutating func apply(_ t: SignedTransfer, keeping held: Micro) throws(APIError) -> SpendOutcome {
        let balance = try ledgerRead { try $0.balance(of: config.id.hex) }
        let required = t.amount.adding(t.fee) ?? Micro.max
        let available = balance.available.subtracting(held) ?? .zero
        guard available >= required else { return .refused(Self.insufficient(available, required)) }
        switch try ledgerRead({ try $0.applyTransfer(t.entry) }) {
        case .applied, .duplicate:
            metrics.transfersApplied += 1
            return .applied(t.entry)
        case .insufficientBalance(let available, let required): return .refused(Self.insufficient(available, required))
        case .nonceUsed: throw APIError(.internalError, "nonce \(t.nonce) was already used")
        case .invalid(let reason): throw APIError(.invalidRequest, reason)
        }
    }

    static func insufficient(_ balance: Micro, _ required: Micro) -> APIError {
        APIError(.insufficientBalance, "Wallet balance \(balance) NEURO is less than required \(required) NEURO",
                 details: [("balance", .double(balance.neuro)), ("required", .double(required.neuro))])
    }

    func receipt(_ t: TransferEntry) -> JSON {
        [
            "transaction_id": .string(t.id), "from": .string(t.sender), "to": .string(t.recipient),
            "amount": .double(t.amount.neuro), "fee": .double(t.fee.neuro), "memo": .string(t.memo),
            "status": "confirmed", "timestamp": .double(Double(t.timestamp) / 1000),
        ]
    }

    /// `GET /api/v1/wallet/transactions?limit&offset`: transfers and rewards, newest first.
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
        let items = try ledgerRead { try $0.history(of: config.id.hex, limit: limit, offset: offset) }
        let list: [JSON] = items.map { item in
            var fields: [(String, JSON)] = [
                ("transaction_id", item.id.map(JSON.string) ?? .null), ("type", .string(item.kind.rawValue)),
                ("amount", .double(item.amount.neuro)), ("fee", .double(item.fee.neuro)),
                ("timestamp", .double(Double(item.timestamp) / 1000)),
            ]
            if let from = item.counterparty, item.kind == .received { fields.append(("from", .string(from))) }
            if let to = item.counterparty, item.kind == .sent { fields.append(("to", .string(to))) }
            if item.kind == .sent || item.kind == .received { fields.append(("memo", .string(item.memo))) }
            return .object(fields)
        }
        return ["transactions": .array(list), "limit": .int(limit), "offset": .int(offset)]
    }

    /// A peer's transfer: applied once if its sender signed it.
    mutating func receiveTransfer(_ t: SignedTransfer, from: NodeID) {
        guard let ledger else { return }
        guard t.isAuthentic, t.fee == SignedTransfer.fee(for: t.amount, kind: t.kind) else {
            metrics.transfersRefused += 1
            out.append(.note(.messageRejected(from: from, kind: "transfer",
                                              reason: t.isAuthentic ? "its fee is not the rule's" : "its signature is not its sender's")))
            return
        }
        do {
            switch try ledger.applyTransfer(t.entry) {
            case .applied: metrics.transfersApplied += 1
            case .duplicate: break
            case .insufficientBalance, .nonceUsed, .invalid:
                metrics.transfersRefused += 1
            }
        } catch {
            out.append(.note(.ledgerFailed(String(describing: error))))
        }
    }

    /// A ledger call from an API handler: a storage failure is a 500 (logged by the shell).
    func ledgerRead<T>(_ body: (Ledger) throws -> T) throws(APIError) -> T {
        guard let ledger else { throw APIError(.unavailable, "This node keeps no ledger") }
        do { return try body(ledger) } catch {
            throw APIError(.internalError, "The ledger could not be read or written (\(error))")
        }
    }
}

extension SignedTransfer {
    var entry: TransferEntry {
        TransferEntry(id: id, sender: from.hex, recipient: to.hex, amount: amount, fee: fee, memo: memo,
                      nonce: nonce, kind: kind, timestamp: timestampMs)
    }
}

extension NodeCore {
    /// `rewards` of `/api/v1/metrics`: NEURO this node's proofs earned in its own ledger.
    func rewardsBody(now: Timestamp) -> JSON {
        let me = config.id.hex
        let today = (try? ledger?.earned(by: me, since: now.milliseconds - 86_400_000)) ?? .zero
        let total = (try? ledger?.earned(by: me, since: .min)) ?? .zero
        var rejected: [(String, JSON)] = []
        for reason in ProofRejection.allCases { rejected.append((reason.rawValue, .int(metrics.proofsRejected[reason] ?? 0))) }
        return [
            "earned_today": .double(today.neuro), "earned_total": .double(total.neuro), "pending": .double(reserved.neuro),
            "proofs_accepted": .int(metrics.proofsAccepted), "proofs_rejected": .object(rejected),
            "transfers_applied": .int(metrics.transfersApplied), "transfers_refused": .int(metrics.transfersRefused),
        ]
    }
}
