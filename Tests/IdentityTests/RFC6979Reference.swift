import Identity

/// The nonces of RFC 6979 §3.2 (HMAC-SHA256 DRBG), transcribed from the RFC: the reference that
/// libsecp256k1's nonce function is checked against (`SigningKey` signs with the library's). For
/// secp256k1 with SHA-256, qlen = hlen = 256: each HMAC output is one whole candidate, and
/// bits2int needs no shift. `next()` gives the first valid k; called again, it gives the one the
/// RFC asks for when r or s came out 0.
struct DeterministicNonce {
    private var k: [UInt8]
    private var v: [UInt8]
    private var started = false

    init(secret: [UInt8], digest: [UInt8]) {
        // bits2octets(h): the digest reduced mod n (one subtraction suffices, as 2^256 < 2n).
        let h = digest.lexicographicallyPrecedes(curveN) ? digest : subtract(digest, curveN)
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
            if v.contains(where: { $0 != 0 }) && v.lexicographicallyPrecedes(curveN) { return v }
        }
    }
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
