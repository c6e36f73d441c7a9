import CSecp256k1
import Synchronization

/// A node's secp256k1 private key. Immutable after init, so it may be shared across threads.
public final class SigningKey: Sendable {
    public let publicKey: PublicKey
    private let secret: [UInt8]

    /// The key of a node's token: SHA-256 of its UTF-8 bytes. Should that hash not be a valid
    /// scalar (0 or ≥ n, chance about 2^-128), it is hashed again until it is, so every token
    /// names a key.
    public convenience init(token: String) {
        var secret = SHA256.hash(token)
        while !isValidSecret(secret) { secret = SHA256.hash(secret) }
        self.init(checked: secret)
    }

    /// A key from its 32 big-endian bytes; nil unless 1 ≤ secret < n.
    public convenience init?(secret: [UInt8]) {
        guard isValidSecret(secret) else { return nil }
        self.init(checked: secret)
    }

    private init(checked secret: [UInt8]) {
        self.secret = secret
        var point = secp256k1_pubkey()
        // Fails only for an invalid secret, which the callers have ruled out.
        precondition(secp256k1_ec_pubkey_create(context, &point, secret) == 1, "secp256k1_ec_pubkey_create failed")
        publicKey = PublicKey(point)
    }

    public var nodeID: String { publicKey.nodeID }

    /// Signs a 32-byte digest: r‖s, 32 big-endian bytes each, with s ≤ n/2 (low-S, so a
    /// signature has one valid form). The nonce is RFC 6979's, so the same key and digest always
    /// give the same bytes; the simulator's trace hashes rely on that.
    public func sign(digest: [UInt8]) -> [UInt8] {
        precondition(digest.count == 32, "sign(digest:) takes a 32-byte digest")
        var signature = secp256k1_ecdsa_signature()
        // The RFC 6979 function is named rather than left to the library's default, which is the
        // same today but is not promised to stay. libsecp256k1 takes RFC 6979's next candidate
        // itself should r or s come out 0, and always returns the low-S form.
        precondition(secp256k1_ecdsa_sign(context, &signature, digest, secret, secp256k1_nonce_function_rfc6979, nil) == 1,
                     "secp256k1_ecdsa_sign failed")
        var compact = [UInt8](repeating: 0, count: 64)
        _ = secp256k1_ecdsa_signature_serialize_compact(context, &compact, &signature)
        return compact
    }
}

/// A secp256k1 public key, held in its 33-byte compressed form. Equality and hashing go by those
/// bytes; the parsed point rides along so a verification doesn't decompress it again.
public struct PublicKey: Hashable, Sendable {
    public let compressed: [UInt8]
    private let point: secp256k1_pubkey

    /// nil unless the bytes are 02 or 03 followed by the x coordinate of a point on the curve.
    public init?(compressed: [UInt8]) {
        // The library would also take the 65-byte forms; a node key is always compressed.
        guard compressed.count == 33, compressed[0] == 2 || compressed[0] == 3 else { return nil }
        var point = secp256k1_pubkey()
        // The parser checks that x < p and that x³ + 7 has a square root mod p.
        guard secp256k1_ec_pubkey_parse(context, &point, compressed, 33) == 1 else { return nil }
        self.compressed = compressed
        self.point = point
    }

    fileprivate init(_ point: secp256k1_pubkey) {
        var point = point, compressed = [UInt8](repeating: 0, count: 33), length = 33
        _ = secp256k1_ec_pubkey_serialize(context, &compressed, &length, &point, UInt32(SECP256K1_EC_COMPRESSED))
        self.compressed = compressed
        self.point = point
    }

    /// The node id, which is also the wallet address: the first 32 hex digits of SHA-256 of the
    /// compressed key.
    public var nodeID: String { Array(SHA256.hash(compressed).prefix(16)).hex }

    /// Whether `signature` (r‖s, as `SigningKey.sign` makes) signs `digest` under this key. False,
    /// never a trap, for anything malformed. High-S signatures are accepted, as in plain ECDSA.
    public func verify(signature: [UInt8], digest: [UInt8]) -> Bool {
        guard signature.count == 64, digest.count == 32 else { return false }
        let entry = compressed + digest + signature
        if Self.verified.withLock({ $0.contains(entry) }) { return true }
        // The parser refuses r or s ≥ n; r or s = 0 parses but never verifies.
        var parsed = secp256k1_ecdsa_signature(), lowS = secp256k1_ecdsa_signature()
        guard secp256k1_ecdsa_signature_parse_compact(context, &parsed, signature) == 1 else { return false }
        // libsecp256k1 verifies only low-S signatures; (r, n − s) is just as valid in plain ECDSA.
        _ = secp256k1_ecdsa_signature_normalize(context, &lowS, &parsed)
        let valid = withUnsafePointer(to: point) { secp256k1_ecdsa_verify(context, &lowS, digest, $0) == 1 }
        guard valid else { return false }
        Self.verified.withLock { set in
            if set.count >= Self.verifiedLimit { set.removeAll(keepingCapacity: true) }
            set.insert(entry)
        }
        return true
    }

    /// Signatures that verified, by their exact bytes (key, digest, signature): a gossiped proof
    /// or transfer that many receivers check — every node of a simulation runs in one process —
    /// costs one ECDSA verification. Emptied when full.
    private static let verified = Mutex<Set<[UInt8]>>([])
    private static let verifiedLimit = 16_384

    public static func == (a: PublicKey, b: PublicKey) -> Bool { a.compressed == b.compressed }
    public func hash(into hasher: inout Hasher) { hasher.combine(compressed) }
}
