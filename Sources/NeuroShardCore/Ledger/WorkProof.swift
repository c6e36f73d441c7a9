import Deterministic
import Identity

/// A Proof of Neural Work (SPEC §7): what a node did since its previous proof, signed with its
/// key. The node credits itself and gossips the proof; each peer checks it (`ProofPolicy`) and
/// credits the same reward in its own ledger.
public struct WorkProof: Equatable, Sendable {
    public var node: NodeID
    /// The 33-byte compressed secp256k1 key; its SHA-256 must start with `node`.
    public var publicKey: [UInt8]
    /// Milliseconds since the Unix epoch (the simulator's epoch in a simulation).
    public var timestampMs: Int64
    /// Counts this node's proofs; with the rest of the fields it makes every proof unique.
    public var nonce: UInt64
    public var uptimeSeconds: Int64
    /// Training batches (inner steps) since the previous proof, and their samples.
    public var batches: Int64
    public var samples: Int64
    /// Inference tokens served since the previous proof.
    public var tokens: Int64
    public var layersHeld: Int
    public var role: Role
    /// Digests of the held weights at the previous proof and now: training must change them.
    public var modelBefore: UInt64
    public var modelAfter: UInt64
    /// The latest training loss (0 when the node did not train).
    public var loss: Double
    /// 64 bytes, r‖s, over `digest`.
    public var signature: [UInt8]

    public init(node: NodeID, publicKey: [UInt8], timestampMs: Int64, nonce: UInt64, uptimeSeconds: Int64,
                batches: Int64, samples: Int64, tokens: Int64, layersHeld: Int, role: Role,
                modelBefore: UInt64, modelAfter: UInt64, loss: Double, signature: [UInt8] = []) {
        self.node = node; self.publicKey = publicKey; self.timestampMs = timestampMs; self.nonce = nonce
        self.uptimeSeconds = uptimeSeconds; self.batches = batches; self.samples = samples; self.tokens = tokens
        self.layersHeld = layersHeld; self.role = role; self.modelBefore = modelBefore; self.modelAfter = modelAfter
        self.loss = loss; self.signature = signature
    }

    /// SHA-256 of every field but the signature: what is signed, and the proof's id.
    public var digest: [UInt8] {
        var b = CanonicalBytes(domain: "neuroshard/proof/v1")
        b.append(node); b.append(publicKey); b.append(timestampMs); b.append(nonce)
        b.append(uptimeSeconds); b.append(batches); b.append(samples); b.append(tokens)
        b.append(layersHeld); b.append(role.rawValue); b.append(modelBefore); b.append(modelAfter); b.append(loss)
        return SHA256.hash(b.bytes)
    }

    /// The id ledgers store it under (replays are found by it).
    public var id: String { digest.hex }

    /// This proof signed with `key` (which must be the node's).
    public func signed(by key: SigningKey) -> WorkProof {
        var p = self
        p.signature = key.sign(digest: digest)
        return p
    }

    func digest(into h: inout StableHasher) {
        for b in digest { h.combine(UInt64(b)) }
        for b in signature { h.combine(UInt64(b)) }
    }

    static let wireSize = 48 + 33 + 8 * 12 + 64
}
