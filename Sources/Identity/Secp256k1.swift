import COpenSSL

/// The curve, built once: EC_GROUP_new_by_curve_name is slow, and OpenSSL only reads a group after
/// setup, so every key and thread shares it (EC_KEY_set_group takes its own copy).
/// No EC_GROUP_precompute_mult: measured, its tables of multiples of G save only ~3% of a
/// verification (the doublings for the other point dominate), and signing's ladder ignores them.
nonisolated(unsafe) let secp256k1: OpaquePointer = EC_GROUP_new_by_curve_name(NID_secp256k1)!

/// n, the order of G, and ⌊n/2⌋, as 32 big-endian bytes.
let curveOrder = [UInt8](hex: "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!
let halfCurveOrder = [UInt8](hex: "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0")!

/// Whether 32 big-endian bytes are a valid scalar: 1 ≤ x < n.
func isScalar(_ x: some Collection<UInt8>) -> Bool {
    x.count == 32 && x.contains { $0 != 0 } && x.lexicographicallyPrecedes(curveOrder)
}

/// a − b for 32-byte big-endian numbers with a ≥ b.
func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
    var difference = [UInt8](repeating: 0, count: 32)
    var borrow = 0
    for i in (0..<32).reversed() {
        let d = Int(a[i]) - Int(b[i]) - borrow
        difference[i] = UInt8(truncatingIfNeeded: d)
        borrow = d < 0 ? 1 : 0
    }
    return difference
}

/// Stops on an OpenSSL failure that no input can cause (only a failed allocation can).
func check(_ ok: Bool, _ what: @autoclosure () -> String) {
    precondition(ok, "OpenSSL: \(what()) failed")
}

/// The nonces of RFC 6979 §3.2 (HMAC-SHA256 DRBG), where for secp256k1 with SHA-256
/// qlen = hlen = 256: each HMAC output is one whole candidate, and bits2int needs no shift.
/// `next()` gives the first valid k; called again, it gives the one the RFC asks for when
/// r or s came out 0.
struct DeterministicNonce {
    private var k: [UInt8]
    private var v: [UInt8]
    private var started = false

    init(secret: [UInt8], digest: [UInt8]) {
        // bits2octets(h): the digest reduced mod n (one subtraction suffices, as 2^256 < 2n).
        let h = digest.lexicographicallyPrecedes(curveOrder) ? digest : subtract(digest, curveOrder)
        k = [UInt8](repeating: 0, count: 32)
        v = [UInt8](repeating: 1, count: 32)
        k = hmacSHA256(key: k, message: v + [0] + secret + h)
        v = hmacSHA256(key: k, message: v)
        k = hmacSHA256(key: k, message: v + [1] + secret + h)
        v = hmacSHA256(key: k, message: v)
    }

    mutating func next() -> [UInt8] {
        while true {
            if started {
                k = hmacSHA256(key: k, message: v + [0])
                v = hmacSHA256(key: k, message: v)
            }
            started = true
            v = hmacSHA256(key: k, message: v)
            if isScalar(v) { return v }
        }
    }
}
