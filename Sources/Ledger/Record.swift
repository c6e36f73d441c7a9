import Deterministic
import Identity

/// One signed entry of the NEURO ledger. Every record belongs to its author's chain: `seq` counts
/// the author's records from 1 and `previous` is the id of the one before (zero for the first),
/// so a chain's head id commits to the whole chain, and two different records with one author
/// and seq are proof that the author signed two histories (see `LedgerState`, forks).
///
/// A ledger's state follows from the set of records it holds and nothing else (SPEC §7): the
/// signature, the chain and the other records decide what a record does, never when or from whom
/// it arrived.
public struct Record: Equatable, Sendable {
    public let author: NodeID
    /// The author's 33-byte compressed secp256k1 key; its SHA-256 must start with `author`.
    public let publicKey: [UInt8]
    public let seq: UInt64
    public let previous: RecordID
    /// Milliseconds since the Unix epoch (the simulator's epoch in a simulation), chosen by the author.
    public let timestampMs: Int64
    public let body: RecordBody
    /// 64 bytes, r‖s, over `id`.
    public let signature: [UInt8]
    /// SHA-256 of everything above but the signature: what is signed.
    public let id: RecordID

    /// A record as it came from the wire or the disk. Its id is computed here; whether its
    /// author signed it is `isAuthentic`'s question.
    public init(author: NodeID, publicKey: [UInt8], seq: UInt64, previous: RecordID, timestampMs: Int64,
                body: RecordBody, signature: [UInt8]) {
        self.author = author; self.publicKey = publicKey; self.seq = seq; self.previous = previous
        self.timestampMs = timestampMs; self.body = body; self.signature = signature
        id = RecordID.digest(of: Self.signedBytes(author, publicKey, seq, previous, timestampMs, body))
    }

    /// A new record of `key`'s chain.
    public static func signed(by key: SigningKey, seq: UInt64, previous: RecordID, timestampMs: Int64,
                              body: RecordBody) -> Record {
        let author = NodeID(hex: key.nodeID)!
        let publicKey = key.publicKey.compressed
        let id = RecordID.digest(of: signedBytes(author, publicKey, seq, previous, timestampMs, body))
        return Record(author: author, publicKey: publicKey, seq: seq, previous: previous, timestampMs: timestampMs,
                      body: body, signature: key.sign(digest: id.bytes))
    }

    /// Whether the key is the author's and the signature verifies.
    public var isAuthentic: Bool {
        guard let key = PublicKey(compressed: publicKey), key.nodeID == author.hex else { return false }
        return key.verify(signature: signature, digest: id.bytes)
    }

    /// Where the record sorts in the ledger's fold: by time, then author and seq (a total order
    /// every node computes alike, which keeps each chain in seq order since its times never fall).
    public var key: OrderKey { OrderKey(timestampMs: timestampMs, author: author, seq: seq) }

    private static let domain = "neuroshard/record/v1"

    private static func signedBytes(_ author: NodeID, _ publicKey: [UInt8], _ seq: UInt64, _ previous: RecordID,
                                    _ timestampMs: Int64, _ body: RecordBody) -> [UInt8] {
        var b = CanonicalBytes(domain: domain)
        b.append(author); b.append(publicKey); b.append(seq); b.append(previous); b.append(timestampMs)
        body.append(to: &b)
        return b.bytes
    }

    /// The signed bytes and the signature: how a store keeps the record.
    public var encoded: [UInt8] {
        var b = CanonicalBytes(domain: Self.domain)
        b.append(author); b.append(publicKey); b.append(seq); b.append(previous); b.append(timestampMs)
        body.append(to: &b)
        b.appendRaw(signature)
        return b.bytes
    }

    /// Reads `encoded`'s bytes back; nil for anything else.
    public init?(encoded bytes: [UInt8]) {
        var r = CanonicalReader(bytes)
        guard r.string() == Self.domain, let author = r.nodeID(), let key = r.byteString(max: 65), let seq = r.word(),
              let previous = r.recordID(), let timestamp = r.int64(), let body = RecordBody(reading: &r),
              let signature = r.raw(64), r.remaining == 0 else { return nil }
        self.init(author: author, publicKey: key, seq: seq, previous: previous, timestampMs: timestamp, body: body,
                  signature: signature)
    }

    /// Bytes on the wire, as its protobuf encoding takes them (about; for bandwidth and metrics).
    public var wireSize: Int { 16 + 33 + 8 + 32 + 8 + body.wireSize + 64 + 12 }

    public func digest(into h: inout StableHasher) {
        for w in [id.words.0, id.words.1, id.words.2, id.words.3] { h.combine(w) }
    }
}

/// The position of a record in the fold.
public struct OrderKey: Comparable, Hashable, Sendable {
    public var timestampMs: Int64
    public var author: NodeID
    public var seq: UInt64

    public init(timestampMs: Int64, author: NodeID, seq: UInt64) {
        self.timestampMs = timestampMs; self.author = author; self.seq = seq
    }

    public static func < (a: OrderKey, b: OrderKey) -> Bool {
        (a.timestampMs, a.author, a.seq) < (b.timestampMs, b.author, b.seq)
    }
}

public enum RecordKind: String, Sendable, CaseIterable {
    case proof, transfer, stake, unstake
}

/// What a record says.
public enum RecordBody: Equatable, Sendable {
    /// A Proof of Neural Work: what the author did since its previous proof.
    case proof(WorkClaim)
    case transfer(Payment)
    /// Moves `amount` from the author's available balance to its stake, locked for `days` from
    /// the record's time (a stake's lock is the latest of its records' locks).
    case stake(amount: Micro, days: Int)
    /// Moves `amount` back, once the lock has passed.
    case unstake(amount: Micro)

    public var kind: RecordKind {
        switch self {
        case .proof: .proof
        case .transfer: .transfer
        case .stake: .stake
        case .unstake: .unstake
        }
    }

    fileprivate func append(to b: inout CanonicalBytes) {
        b.append(kind.rawValue)
        switch self {
        case .proof(let w):
            b.append(w.uptimeSeconds); b.append(w.batches); b.append(w.samples); b.append(w.tokens)
            b.append(w.layersHeld); b.append(w.role.rawValue); b.append(w.modelBefore); b.append(w.modelAfter)
            b.append(w.loss)
        case .transfer(let p):
            b.append(p.to); b.append(p.amount.micro); b.append(p.fee.micro); b.append(p.memo); b.append(p.kind.rawValue)
            b.append(p.requestKey == nil ? 0 : 1)
            if let key = p.requestKey { b.append(key) }
        case .stake(let amount, let days):
            b.append(amount.micro); b.append(days)
        case .unstake(let amount):
            b.append(amount.micro)
        }
    }

    fileprivate init?(reading r: inout CanonicalReader) {
        guard let tag = r.string(max: 16), let kind = RecordKind(rawValue: tag) else { return nil }
        switch kind {
        case .proof:
            guard let uptime = r.int64(), let batches = r.int64(), let samples = r.int64(), let tokens = r.int64(),
                  let layers = r.int(), let roleName = r.string(max: 16), let role = Role(rawValue: roleName),
                  let before = r.word(), let after = r.word(), let loss = r.double() else { return nil }
            self = .proof(WorkClaim(uptimeSeconds: uptime, batches: batches, samples: samples, tokens: tokens,
                                    layersHeld: layers, role: role, modelBefore: before, modelAfter: after, loss: loss))
        case .transfer:
            guard let to = r.nodeID(), let amount = r.int64().flatMap(Micro.init(micro:)),
                  let fee = r.int64().flatMap(Micro.init(micro:)), let memo = r.string(max: Payment.maxMemoBytes),
                  let kindName = r.string(max: 16), let kind = TransferKind(rawValue: kindName), let keyed = r.int() else { return nil }
            var key: RecordID?
            if keyed == 1 {
                guard let k = r.recordID() else { return nil }
                key = k
            } else if keyed != 0 { return nil }
            self = .transfer(Payment(to: to, amount: amount, fee: fee, memo: memo, kind: kind, requestKey: key))
        case .stake:
            guard let amount = r.int64().flatMap(Micro.init(micro:)), let days = r.int() else { return nil }
            self = .stake(amount: amount, days: days)
        case .unstake:
            guard let amount = r.int64().flatMap(Micro.init(micro:)) else { return nil }
            self = .unstake(amount: amount)
        }
    }

    var wireSize: Int {
        switch self {
        case .proof: 8 * 9 + 8
        case .transfer(let p): 16 + 16 + p.memo.utf8.count + 12 + (p.requestKey == nil ? 0 : 32)
        case .stake: 16
        case .unstake: 8
        }
    }
}

/// The work a proof claims since the author's previous proof.
public struct WorkClaim: Equatable, Sendable {
    public var uptimeSeconds: Int64
    /// Training batches (inner steps) whose weights changed since the previous proof, and their samples.
    public var batches: Int64
    public var samples: Int64
    /// Inference tokens served.
    public var tokens: Int64
    public var layersHeld: Int
    public var role: Role
    /// Digests of the held weights at the previous proof and now: training must change them.
    public var modelBefore: UInt64
    public var modelAfter: UInt64
    /// The latest training loss; 0 from a node without the LM head, which computes none.
    public var loss: Double

    public init(uptimeSeconds: Int64, batches: Int64, samples: Int64, tokens: Int64, layersHeld: Int, role: Role,
                modelBefore: UInt64, modelAfter: UInt64, loss: Double) {
        self.uptimeSeconds = uptimeSeconds; self.batches = batches; self.samples = samples; self.tokens = tokens
        self.layersHeld = layersHeld; self.role = role; self.modelBefore = modelBefore; self.modelAfter = modelAfter
        self.loss = loss
    }
}

public enum TransferKind: String, Sendable {
    /// A payment from one account to another; 5% of it is burned on top.
    case send
    /// A charge for inference, paid to a node that served it (no fee).
    case inference
}

/// A transfer of NEURO from the record's author.
public struct Payment: Equatable, Sendable {
    public static let maxMemoBytes = 256

    public var to: NodeID
    public var amount: Micro
    /// Burned, paid on top of `amount`: `Payment.fee(for:kind:)`.
    public var fee: Micro
    public var memo: String
    public var kind: TransferKind
    /// Names the client request this transfer answers (`Payment.requestKey(from:key:)` of its
    /// idempotency key), so a retry finds it instead of paying twice.
    public var requestKey: RecordID?

    public init(to: NodeID, amount: Micro, fee: Micro, memo: String, kind: TransferKind, requestKey: RecordID? = nil) {
        self.to = to; self.amount = amount; self.fee = fee; self.memo = memo; self.kind = kind; self.requestKey = requestKey
    }

    /// The fee a transfer of `kind` must burn: 5% of a send, nothing on an inference payment.
    public static func fee(for amount: Micro, kind: TransferKind) -> Micro { kind == .send ? amount.fee : .zero }

    /// The request key of a client's idempotency key: the same key from the same sender always
    /// names the same transfer, and nobody learns the key from the record.
    public static func requestKey(from sender: NodeID, key: String) -> RecordID {
        var b = CanonicalBytes(domain: "neuroshard/request-key/v1")
        b.append(sender); b.append(key)
        return RecordID.digest(of: b.bytes)
    }
}
