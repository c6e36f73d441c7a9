import Foundation

/// The wallet of the node a `NeuroNode` talks to: its NEURO balance, transfers and history.
/// All three calls share the node's wallet rate limit (10 a minute per token).
public struct NEUROLedger: Sendable {
    public let node: NeuroNode

    public init(_ node: NeuroNode) { self.node = node }

    public func getBalance() async throws -> Balance { try await node.get("/api/v1/wallet/balance") }

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

    /// One page of the wallet's history, newest first (`limit` 1…100).
    public func transactions(limit: Int = 20, offset: Int = 0) async throws -> Transactions {
        try await node.get("/api/v1/wallet/transactions?limit=\(limit)&offset=\(offset)")
    }
}
