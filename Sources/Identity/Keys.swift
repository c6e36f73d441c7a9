import COpenSSL
import Synchronization

/// A node's secp256k1 private key. Immutable after init, so it may be shared across threads:
/// OpenSSL only reads the key while signing.
public final class SigningKey: @unchecked Sendable {
    public let publicKey: PublicKey
    private let secret: [UInt8]
    private let key: OpaquePointer // EC_KEY holding the secret

    /// The key of a node's token: SHA-256 of its UTF-8 bytes. Should that hash not be a valid
    /// scalar (0 or ≥ n, chance about 2^-128), it is hashed again until it is, so every token
    /// names a key.
    public convenience init(token: String) {
        var secret = SHA256.hash(token)
        while !isScalar(secret) { secret = SHA256.hash(secret) }
        self.init(checked: secret)
    }

    /// A key from its 32 big-endian bytes; nil unless 1 ≤ secret < n.
    public convenience init?(secret: [UInt8]) {
        guard isScalar(secret) else { return nil }
        self.init(checked: secret)
    }

    private init(checked secret: [UInt8]) {
        self.secret = secret
        key = EC_KEY_new()
        let ctx = BN_CTX_new()!, scalar = BN_secure_new()!, point = EC_POINT_new(secp256k1)!
        defer { BN_CTX_free(ctx); BN_clear_free(scalar); EC_POINT_free(point) }
        BN_bin2bn(secret, 32, scalar)
        check(EC_KEY_set_group(key, secp256k1) == 1, "EC_KEY_set_group")
        check(EC_KEY_set_private_key(key, scalar) == 1, "EC_KEY_set_private_key")
        check(EC_POINT_mul(secp256k1, point, scalar, nil, nil, ctx) == 1, "EC_POINT_mul")
        var compressed = [UInt8](repeating: 0, count: 33)
        check(EC_POINT_point2oct(secp256k1, point, POINT_CONVERSION_COMPRESSED, &compressed, 33, ctx) == 33,
              "EC_POINT_point2oct")
        publicKey = PublicKey(compressed: compressed)!
    }

    deinit { EC_KEY_free(key) }

    public var nodeID: String { publicKey.nodeID }

    /// Signs a 32-byte digest: r‖s, 32 big-endian bytes each, with s ≤ n/2 (low-S, so a
    /// signature has one valid form). The nonce is RFC 6979's, so the same key and digest always
    /// give the same bytes; the simulator's trace hashes rely on that.
    public func sign(digest: [UInt8]) -> [UInt8] {
        precondition(digest.count == 32, "sign(digest:) takes a 32-byte digest")
        let ctx = BN_CTX_new()!, k = BN_secure_new()!, kInverse = BN_secure_new()!, r = BN_new()!
        let point = EC_POINT_new(secp256k1)!
        defer { BN_CTX_free(ctx); BN_clear_free(k); BN_clear_free(kInverse); BN_free(r); EC_POINT_free(point) }
        let order = EC_GROUP_get0_order(secp256k1)
        var nonces = DeterministicNonce(secret: secret, digest: digest)
        while true {
            BN_bin2bn(nonces.next(), 32, k)
            BN_set_flags(k, BN_FLG_CONSTTIME) // k is secret: take OpenSSL's branch-free inverse
            check(EC_POINT_mul(secp256k1, point, k, nil, nil, ctx) == 1, "EC_POINT_mul")
            check(EC_POINT_get_affine_coordinates(secp256k1, point, r, nil, ctx) == 1, "get_affine_coordinates")
            check(BN_nnmod(r, r, order, ctx) == 1, "BN_nnmod")
            if BN_is_zero(r) == 1 { continue } // RFC 6979: try the next k
            check(BN_mod_inverse(kInverse, k, order, ctx) != nil, "BN_mod_inverse")
            // With k⁻¹ and r supplied OpenSSL only computes s; it returns nil when s = 0.
            guard let signature = ECDSA_do_sign_ex(digest, 32, kInverse, r, key) else { continue }
            defer { ECDSA_SIG_free(signature) }
            var rBytes = [UInt8](repeating: 0, count: 32), sBytes = rBytes
            BN_bn2binpad(ECDSA_SIG_get0_r(signature), &rBytes, 32)
            BN_bn2binpad(ECDSA_SIG_get0_s(signature), &sBytes, 32)
            if halfCurveOrder.lexicographicallyPrecedes(sBytes) { sBytes = subtract(curveOrder, sBytes) }
            return rBytes + sBytes
        }
    }
}

/// A secp256k1 public key, held in its 33-byte compressed form. Equality and hashing go by those
/// bytes; the parsed point rides along so a verification doesn't decompress it again.
public struct PublicKey: Hashable, Sendable {
    public let compressed: [UInt8]
    private let parsed: ParsedKey

    /// nil unless the bytes are 02 or 03 followed by the x coordinate of a point on the curve.
    public init?(compressed: [UInt8]) {
        guard compressed.count == 33, compressed[0] == 2 || compressed[0] == 3,
              let parsed = ParsedKey(compressed) else { return nil }
        self.compressed = compressed
        self.parsed = parsed
    }

    /// The node id, which is also the wallet address: the first 32 hex digits of SHA-256 of the
    /// compressed key.
    public var nodeID: String { Array(SHA256.hash(compressed).prefix(16)).hex }

    /// Whether `signature` (r‖s, as `SigningKey.sign` makes) signs `digest` under this key. False,
    /// never a trap, for anything malformed. High-S signatures are accepted, as in plain ECDSA.
    public func verify(signature: [UInt8], digest: [UInt8]) -> Bool {
        // OpenSSL rejects r or s outside 1..<n too, but leaves an error on the thread's queue.
        guard signature.count == 64, digest.count == 32,
              isScalar(signature[..<32]), isScalar(signature[32...]),
              let sig = ECDSA_SIG_new() else { return false }
        defer { ECDSA_SIG_free(sig) }
        let entry = compressed + digest + signature
        if Self.verified.withLock({ $0.contains(entry) }) { return true }
        signature.withUnsafeBufferPointer { rs in // sig takes ownership of both numbers
            _ = ECDSA_SIG_set0(sig, BN_bin2bn(rs.baseAddress, 32, nil), BN_bin2bn(rs.baseAddress! + 32, 32, nil))
        }
        guard ECDSA_do_verify(digest, 32, sig, parsed.key) == 1 else { return false }
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

/// An EC_KEY holding only the public point. Never changed after init, and ECDSA_do_verify only
/// reads it, so concurrent verifications may share it.
private final class ParsedKey: @unchecked Sendable {
    let key: OpaquePointer

    init?(_ compressed: [UInt8]) {
        let key = EC_KEY_new()!, point = EC_POINT_new(secp256k1)!
        defer { EC_POINT_free(point) }
        // oct2point checks the prefix, that x < p and that x³ + 7 has a square root mod p.
        guard EC_KEY_set_group(key, secp256k1) == 1,
              EC_POINT_oct2point(secp256k1, point, compressed, compressed.count, nil) == 1,
              EC_KEY_set_public_key(key, point) == 1 else {
            EC_KEY_free(key)
            return nil
        }
        self.key = key
    }

    deinit { EC_KEY_free(key) }
}
