import Foundation

/// The wallet of the node a `NeuroNode` talks to: its NEURO balance, transfers, stake and
/// history. Every call shares the node's wallet rate limit (10 a minute per token).
public struct NEUROLedger: Sendable {
    public let node: NeuroNode

    public init(_ node: NeuroNode) { self.node = node }

    /// The node's balances, or, with `address`, that account's as the node's ledger holds it.
    public func getBalance(address: String? = nil) async throws -> Balance {
        try await node.get("/api/v1/wallet/balance" + (address.map { "?address=\(Self.encoded($0))" } ?? ""))
    }

    /// Sends `amount` NEURO to `address` (the sender also pays a 5 % fee, burned). The call
    /// carries an `Idempotency-Key` — `idempotencyKey`, or a fresh UUID — so the automatic
    /// retries, or a caller repeating the call with the same key, never pay twice: the node
    /// answers a repeat with the first receipt.
    public func send(to address: String, amount: Double, memo: String = "",
                     idempotencyKey: String? = nil) async throws -> SendReceipt {
        struct Body: Encodable { var to: String; var amount: Double; var memo: String }
        let key = idempotencyKey ?? UUID().uuidString
        let data = try await node.call(.POST, "/api/v1/wallet/send",
                                       body: try NeuroNode.encode(Body(to: address, amount: amount, memo: memo)),
                                       headers: [("Idempotency-Key", key)])
        return try node.decode(data)
    }

    /// One page of the wallet's history (or of `address`'s), newest first (`limit` 1…100).
    public func transactions(limit: Int = 20, offset: Int = 0, address: String? = nil) async throws -> Transactions {
        try await node.get("/api/v1/wallet/transactions?limit=\(limit)&offset=\(offset)"
                           + (address.map { "&address=\(Self.encoded($0))" } ?? ""))
    }

    /// Stakes `amount` NEURO for `durationDays` (1…365): the whole stake stays locked until the
    /// latest of its stakes' ends, and raises the node's proof rewards by
    /// 1 + 0.1·log2(1 + stake / 1000). A stake carries no idempotency key, so a broken
    /// connection is not retried (the node may have staked); a 429 or 503 is.
    public func stake(amount: Double, durationDays: Int) async throws -> StakeReceipt {
        struct Body: Encodable { var amount: Double; var durationDays: Int }
        let data = try await node.call(.POST, "/api/v1/wallet/stake",
                                       body: try NeuroNode.encode(Body(amount: amount, durationDays: durationDays)))
        return try node.decode(data)
    }

    /// Takes `amount` NEURO (the whole stake when nil) back once the lock has passed; before,
    /// the node answers `invalidRequest` with `details["locked_until"]`.
    public func unstake(amount: Double? = nil) async throws -> UnstakeReceipt {
        struct Body: Encodable { var amount: Double? }
        let data = try await node.call(.POST, "/api/v1/wallet/unstake", body: try NeuroNode.encode(Body(amount: amount)))
        return try node.decode(data)
    }

    private static func encoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }
}
