import CSecp256k1

/// The one libsecp256k1 context that every key and thread shares. In 0.2.0 any context can sign
/// and verify (SECP256K1_CONTEXT_SIGN and _VERIFY are deprecated aliases of _NONE), and a context
/// is only read after setup, so concurrent calls need no lock. It is randomized here, once, before
/// anything else can see it, because randomizing needs exclusive access. The seed only blinds the
/// secret multiplications of signing and key derivation against side channels: no key or
/// signature depends on it.
nonisolated(unsafe) let context: OpaquePointer = {
    let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
    var entropy = SystemRandomNumberGenerator() // getrandom(2) on Linux
    let seed: [UInt8] = (0..<32).map { _ in entropy.next() }
    precondition(secp256k1_context_randomize(context, seed) == 1, "secp256k1_context_randomize failed")
    return context
}()

/// Whether bytes are a valid secret key: 32 of them, big-endian, 1 ≤ x < n.
func isValidSecret(_ secret: [UInt8]) -> Bool {
    secret.count == 32 && secp256k1_ec_seckey_verify(context, secret) == 1
}
