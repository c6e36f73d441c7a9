@testable import Identity
import Testing

let curveN = [UInt8](hex: "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!

func bytes(_ hex: String) -> [UInt8] { [UInt8](hex: hex)! }

func secret(_ value: UInt8) -> [UInt8] { [UInt8](repeating: 0, count: 31) + [value] }

@Test func rfc6979Nonces() {
    // The secp256k1 RFC 6979 vectors passed around by Bitcoin libraries; each k was confirmed with
    // pyca/cryptography: x(k·G) mod n equals the r of its deterministic signature.
    let satoshi = SHA256.hash("Satoshi Nakamoto")
    var nonces = DeterministicNonce(secret: secret(1), digest: satoshi)
    #expect(nonces.next().hex == "8f8a276c19f4149656b280621e358cce24f5f52542772691ee69063b74f15d15")
    nonces = DeterministicNonce(secret: bytes("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"), digest: satoshi)
    #expect(nonces.next().hex == "33a19b60e25fb6f4435af53a3d42d493644827367e6453928554f43e49aa6f90")
    nonces = DeterministicNonce(secret: secret(1),
        digest: SHA256.hash("All those moments will be lost in time, like tears in rain. Time to die..."))
    #expect(nonces.next().hex == "38aa22d72376b4dbc472e06c3ba403ee0a394da63fc58d88686c611aba98d6b3")
}

@Test func retryNoncesFollowStepH() {
    // The candidates after the first, as RFC 6979 §3.2 step h makes them when r or s is 0; from a
    // plain transcription of the RFC in scripts/identity-vectors.py (nothing published covers this path).
    var nonces = DeterministicNonce(secret: secret(1), digest: SHA256.hash("Satoshi Nakamoto"))
    #expect((0..<3).map { _ in nonces.next().hex } == [
        "8f8a276c19f4149656b280621e358cce24f5f52542772691ee69063b74f15d15",
        "f15fb763a6bcbbacbde0a6a9ae2a02482bd92f3e75a50b357bd551ddd771045e",
        "872b0d837884b32fafbcc50e31a1d92ff5ec12c2db539d36b0a7e69c24ef9999",
    ])
}

/// Signatures from pyca/cryptography 50 (OpenSSL 4.0, `deterministic_signing=True`), s folded to
/// low-S; see scripts/identity-vectors.py.
@Test(arguments: [
    ("01", "Satoshi Nakamoto",
     "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d82442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5"),
    ("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", "Satoshi Nakamoto",
     "fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d06b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5"),
    ("01", "All those moments will be lost in time, like tears in rain. Time to die...",
     "8600dbd41e348fe5c9465ab92d23e3db8b98b873beecd930736488696438cb6b547fe64427496db33bf66019dacbf0039c04199abb0122918601db38a72cfc21"),
])
func knownSignatures(secretHex: String, message: String, signature: String) {
    let key = SigningKey(secret: [UInt8](repeating: 0, count: 32 - secretHex.count / 2) + bytes(secretHex))!
    let digest = SHA256.hash(message)
    #expect(key.sign(digest: digest).hex == signature)
    #expect(key.publicKey.verify(signature: bytes(signature), digest: digest))
}

@Test func digestAboveTheOrderIsReducedForTheNonce() {
    // bits2octets reduces the digest mod n; pyca/cryptography with a prehashed all-ones digest.
    let key = SigningKey(secret: secret(7))!
    let digest = [UInt8](repeating: 0xff, count: 32)
    let signature = key.sign(digest: digest)
    #expect(signature.hex == "c9e5161b569fb9f8ce8cf443770beecbfffdbccc99a639f49610400f506cb3d761c457905454c8f9e2586575ef3fcc3db9db3d2c95b08f978abb2fdf6cc6877c")
    #expect(key.publicKey.verify(signature: signature, digest: digest))
}

/// (token, message) → compressed public key, node id, signature of SHA-256(message), all from
/// pyca/cryptography with the key SHA-256(token); see scripts/identity-vectors.py.
@Test(arguments: [
    ("alice", "hello", "039997a497d964fc1a62885b05a51166a65a90df00492c8d7cf61d6accf54803be", "9178dcad9b36c30f27da86faaf8a1c5e",
     "aa268d2e95cdd3b3e4b6658b244b138c93a65fd834fa5f74af31b7f61975595f520778dbc03e268339c0dffe5e7cf4a8d3eefa22afa58f10ae5596a6c6aecf9e"),
    ("node-0", "checkpoint 42", "03312da6048ae64ccf4905f0c15da764189150852207a1e9f783a277c018dadbe7", "e77dfb2fdcf7fd18162bc50f15490dba",
     "9fd8ce08ec415705c59ed62079d2b3ee7b3b5ffafe9c98a98f74fe99fc59798955f464a9fbccf1ae62473bfda75990e85d56726311b6928bebd83b2312ceb254"),
    ("correct horse battery staple", "", "0378d430274f8c5ec1321338151e9f27f4c676a008bdf8638d07c0b6be9ab35c71", "b57443645468e05a15302932b06b05e0",
     "02b1ddc2799c3f02099ea4da338e9e56a08241ce88c90db44f26f0b0e64f42697f2cac41557342b44eb425509d5edafec5f180ef63954f655714c241a5c45873"),
    ("ünïcødé token", "Satoshi Nakamoto", "0274417a9af9af27b36b0b4739de679be571fcc71bb73f5eb5971bfedb2f2b8267", "459f59e76958132d999ba27e2a0a0c5d",
     "1bd6991ac33972e8f09996187b6b694368120f172549e4836f6f3735209e293d5928747b3d3400603d4b5a5908f170b8c9ea9907865ddd92b9479b0cf214c92c"),
])
func tokenKeysMatchPython(token: String, message: String, publicKey: String, nodeID: String, signature: String) {
    let key = SigningKey(token: token)
    #expect(key.publicKey.compressed.hex == publicKey)
    #expect(key.nodeID == nodeID)
    #expect(PublicKey(compressed: bytes(publicKey))?.nodeID == nodeID)
    #expect(key.sign(digest: SHA256.hash(message)).hex == signature)
}

@Test func secretsOutOfRangeAreRejected() {
    #expect(SigningKey(secret: secret(0)) == nil)
    #expect(SigningKey(secret: curveN) == nil)
    #expect(SigningKey(secret: [UInt8](repeating: 0xff, count: 32)) == nil)
    #expect(SigningKey(secret: secret(1).dropLast()) == nil)
    #expect(SigningKey(secret: [UInt8](curveN.dropLast()) + [0x40]) != nil) // n − 1
}

@Test func signingIsDeterministicAndLowS() {
    let key = SigningKey(token: "determinism")
    let half = [UInt8](hex: "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0")!
    for i in 0..<64 {
        let digest = SHA256.hash("message \(i)")
        let signature = key.sign(digest: digest)
        #expect(signature.count == 64)
        #expect(signature == key.sign(digest: digest))
        #expect(signature == SigningKey(token: "determinism").sign(digest: digest))
        #expect(!half.lexicographicallyPrecedes(signature[32...]), "s > n/2 for message \(i)")
    }
}

@Test func verifyRejectsTampering() {
    let key = SigningKey(token: "verifier")
    let digest = SHA256.hash("the block")
    let signature = key.sign(digest: digest)
    let pub = key.publicKey
    #expect(pub.verify(signature: signature, digest: digest))

    for bit in [0, 7, 100, 255] {
        var d = digest
        d[bit / 8] ^= 1 << (bit % 8)
        #expect(!pub.verify(signature: signature, digest: d), "digest bit \(bit)")
    }
    for bit in [0, 9, 255, 256, 300, 511] {
        var s = signature
        s[bit / 8] ^= 1 << (bit % 8)
        #expect(!pub.verify(signature: s, digest: digest), "signature bit \(bit)")
    }
    #expect(!SigningKey(token: "someone else").publicKey.verify(signature: signature, digest: digest))
    #expect(!pub.verify(signature: Array(signature.dropLast()), digest: digest))
    #expect(!pub.verify(signature: signature + [0], digest: digest))
    #expect(!pub.verify(signature: [], digest: digest))
    #expect(!pub.verify(signature: signature, digest: Array(digest.dropLast())))

    let r = Array(signature[..<32]), s = Array(signature[32...]), zero = [UInt8](repeating: 0, count: 32)
    #expect(!pub.verify(signature: zero + s, digest: digest))
    #expect(!pub.verify(signature: r + zero, digest: digest))
    #expect(!pub.verify(signature: r + curveN, digest: digest))
    #expect(!pub.verify(signature: curveN + s, digest: digest))
    #expect(!pub.verify(signature: r + [UInt8](repeating: 0xff, count: 32), digest: digest))
}

@Test func highSIsStillAValidSignature() {
    // Plain ECDSA accepts (r, n − s) too; verify does not enforce low-S, only sign produces it.
    let key = SigningKey(token: "malleable")
    let digest = SHA256.hash("x")
    let signature = key.sign(digest: digest)
    let highS = subtract(curveN, Array(signature[32...]))
    #expect(key.publicKey.verify(signature: Array(signature[..<32]) + highS, digest: digest))
}

@Test func publicKeyParsing() {
    let good = SigningKey(token: "alice").publicKey.compressed
    #expect(PublicKey(compressed: good) == SigningKey(token: "alice").publicKey)
    #expect(PublicKey(compressed: good)?.hashValue == SigningKey(token: "alice").publicKey.hashValue)
    // The generator, compressed.
    #expect(PublicKey(compressed: bytes("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")) != nil)

    for prefix: UInt8 in [0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xff] {
        #expect(PublicKey(compressed: [prefix] + good.dropFirst()) == nil, "prefix \(prefix)")
    }
    #expect(PublicKey(compressed: Array(good.dropLast())) == nil)
    #expect(PublicKey(compressed: good + [0]) == nil)
    #expect(PublicKey(compressed: []) == nil)
    #expect(PublicKey(compressed: [0]) == nil) // the point at infinity
    // x = 5: 5³ + 7 = 132 has no square root mod p, so no point has that x.
    #expect(PublicKey(compressed: [2] + secret(5)) == nil)
    #expect(PublicKey(compressed: [3] + secret(5)) == nil)
    // x = 1 is on the curve, but p + 1 (the same x mod p) is not a field element.
    #expect(PublicKey(compressed: [2] + secret(1)) != nil)
    #expect(PublicKey(compressed: [2] + bytes("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30")) == nil)
    // The uncompressed form of a valid key is not accepted either.
    #expect(PublicKey(compressed: bytes("0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")) == nil)
}

@Test func concurrentVerificationOfOneKey() async {
    let key = SigningKey(token: "shared")
    let pub = key.publicKey
    let signed = (0..<32).map { i in
        let digest = SHA256.hash("m\(i)")
        return (digest, key.sign(digest: digest))
    }
    let results = await withTaskGroup(of: Bool.self) { group in
        for t in 0..<8 {
            group.addTask {
                (0..<200).allSatisfy { j in
                    let (digest, signature) = signed[(t + j) % signed.count]
                    return pub.verify(signature: signature, digest: digest)
                        && !pub.verify(signature: signature, digest: SHA256.hash(digest))
                        && key.sign(digest: digest) == signature
                }
            }
        }
        return await group.reduce(into: [Bool]()) { $0.append($1) }
    }
    #expect(results == Array(repeating: true, count: 8))
}
