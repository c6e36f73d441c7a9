import CSecp256k1
@testable import Identity
import Testing

/// libsecp256k1's RFC 6979 function, asked for the candidate of each signing attempt, gives the
/// reference's candidates in order: so its first nonce is the RFC's, its retries after r or s = 0
/// follow step h (no published vector reaches that path), and it reduces a digest ≥ n.
@Test(arguments: [
    (secret(1), SHA256.hash("Satoshi Nakamoto")),
    (bytes("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"), SHA256.hash("Satoshi Nakamoto")),
    (secret(7), [UInt8](repeating: 0xff, count: 32)),
    (SHA256.hash("alice"), SHA256.hash("hello")),
])
func libraryNoncesAreRFC6979(key: [UInt8], digest: [UInt8]) {
    var reference = DeterministicNonce(secret: key, digest: digest)
    for attempt: UInt32 in 0..<4 {
        var nonce = [UInt8](repeating: 0, count: 32)
        #expect(secp256k1_nonce_function_rfc6979(&nonce, digest, key, nil, nil, attempt) == 1)
        #expect(nonce == reference.next(), "attempt \(attempt)")
    }
}

@Test func highSVerifiesOnlyWhereLowSDoes() {
    // verify folds s before the library's low-S-only check; that must not widen what it accepts.
    let key = SigningKey(token: "malleable"), other = SigningKey(token: "someone else")
    for i in 0..<16 {
        let digest = SHA256.hash("high-S \(i)")
        let signature = key.sign(digest: digest)
        let r = Array(signature[..<32]), highS = r + subtract(curveN, Array(signature[32...]))
        #expect(key.publicKey.verify(signature: highS, digest: digest))
        #expect(!key.publicKey.verify(signature: highS, digest: SHA256.hash(digest)))
        #expect(!other.publicKey.verify(signature: highS, digest: digest))
        #expect(!key.publicKey.verify(signature: [UInt8](repeating: 0, count: 32) + highS[32...], digest: digest))
    }
}

@Test func outOfRangeScalarsAreFalseNotTraps() {
    // r or s of 0, n, n + 1 or 2^256 − 1, in every combination with a valid partner.
    let key = SigningKey(token: "ranges"), digest = SHA256.hash("ranges")
    let signature = key.sign(digest: digest)
    let r = Array(signature[..<32]), s = Array(signature[32...])
    let nPlusOne = [UInt8](curveN.dropLast()) + [curveN[31] + 1]
    for bad in [[UInt8](repeating: 0, count: 32), curveN, nPlusOne, [UInt8](repeating: 0xff, count: 32)] {
        #expect(!key.publicKey.verify(signature: bad + s, digest: digest))
        #expect(!key.publicKey.verify(signature: r + bad, digest: digest))
        #expect(!key.publicKey.verify(signature: bad + bad, digest: digest))
    }
    #expect(key.publicKey.verify(signature: signature, digest: digest))
}
