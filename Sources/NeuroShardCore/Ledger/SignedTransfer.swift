import Deterministic
import Identity
import Ledger

/// A transfer of NEURO as it travels between ledgers (SPEC §7): signed by the sender's key,
/// carrying the sender's nonce, applied once by every ledger (its `id` is the key).
public struct SignedTransfer: Equatable, Sendable {
    /// 64 hex characters. With a client's idempotency key it is derived from that key (a retry
    /// finds the transfer it repeats); otherwise it is the content's digest.
    public var id: String
    public var from: NodeID
    public var publicKey: [UInt8]
    public var to: NodeID
    public var amount: Micro
    /// Burned; 5% of `amount` for a send, none for an inference payment.
    public var fee: Micro
    public var memo: String
    public var nonce: Int64
    public var timestampMs: Int64
    public var kind: TransferKind
    public var signature: [UInt8]

    public init(id: String, from: NodeID, publicKey: [UInt8], to: NodeID, amount: Micro, fee: Micro, memo: String,
                nonce: Int64, timestampMs: Int64, kind: TransferKind, signature: [UInt8] = []) {
        self.id = id; self.from = from; self.publicKey = publicKey; self.to = to; self.amount = amount; self.fee = fee
        self.memo = memo; self.nonce = nonce; self.timestampMs = timestampMs; self.kind = kind; self.signature = signature
    }

    public static let maxMemoBytes = 256

    /// The fee a transfer of `kind` must burn: 5% of a send, nothing on an inference payment.
    public static func fee(for amount: Micro, kind: TransferKind) -> Micro { kind == .send ? amount.fee : .zero }

    /// SHA-256 of every field but the signature: what is signed.
    public var digest: [UInt8] {
        var b = CanonicalBytes(domain: "neuroshard/transfer/v1")
        b.append(id); b.append(from); b.append(publicKey); b.append(to); b.append(amount.micro); b.append(fee.micro)
        b.append(memo); b.append(nonce); b.append(timestampMs); b.append(kind.rawValue)
        return SHA256.hash(b.bytes)
    }

    /// The id of a transfer without an idempotency key: a digest of its content.
    public static func contentID(from: NodeID, to: NodeID, amount: Micro, nonce: Int64, timestampMs: Int64) -> String {
        var b = CanonicalBytes(domain: "neuroshard/transfer-id/v1")
        b.append(from); b.append(to); b.append(amount.micro); b.append(nonce); b.append(timestampMs)
        return SHA256.hash(b.bytes).hex
    }

    /// The id of a transfer a client named with an idempotency key: the same key from the same
    /// sender always names the same transfer.
    public static func keyedID(from: NodeID, key: String) -> String {
        var b = CanonicalBytes(domain: "neuroshard/transfer-key/v1")
        b.append(from); b.append(key)
        return SHA256.hash(b.bytes).hex
    }

    public func signed(by key: SigningKey) -> SignedTransfer {
        var t = self
        t.signature = key.sign(digest: digest)
        return t
    }

    /// Whether the key is the sender's and the signature verifies.
    public var isAuthentic: Bool {
        guard let key = PublicKey(compressed: publicKey), key.nodeID == from.hex else { return false }
        return key.verify(signature: signature, digest: digest)
    }

    func digest(into h: inout StableHasher) {
        for b in digest { h.combine(UInt64(b)) }
        for b in signature { h.combine(UInt64(b)) }
    }

    var wireSize: Int { 48 + 64 + 33 + 32 + 40 + memo.utf8.count + 64 }
}
