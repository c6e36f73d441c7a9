import Identity
import Testing

@Test func sha256KnownVectors() {
    #expect(SHA256.hash("abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256.hash([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hash(Array("abc".utf8)) == SHA256.hash("abc"))
}

@Test func sha256InPiecesMatchesOneShot() {
    let data = (0..<1000).flatMap { _ in (0...255).map(UInt8.init) }
    var hasher = SHA256()
    var start = 0
    for size in [0, 1, 63, 64, 65, 100_000] where start < data.count {
        let end = min(start + size, data.count)
        data[start..<end].withUnsafeBytes { hasher.update($0) }
        start = end
    }
    hasher.update(Array(data[start...]))
    let digest = hasher.finish()
    #expect(digest.hex == "b57b64b198d5d59ce5a22a9b9f25e72a7d081476d432051aa923f3dbebb90934")
    #expect(digest == SHA256.hash(data))
}

@Test func hmacSHA256RFC4231() {
    // Test cases 1 and 2 of RFC 4231.
    #expect(hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8)).hex
        == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    #expect(hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)).hex
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
}

@Test func pbkdf2SHA512KnownVectors() {
    #expect(pbkdf2SHA512(password: Array("password".utf8), salt: Array("salt".utf8), rounds: 1, length: 64).hex
        == "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce")
    #expect(pbkdf2SHA512(password: Array("passwordPASSWORDpassword".utf8),
                         salt: Array("saltSALTsaltSALTsaltSALTsaltSALTsalt".utf8), rounds: 4096, length: 64).hex
        == "8c0511f4c6e597c6ac6315d8f0362e225f3c501495ba23b868c005174dc4ee71115b59f9e60cd9532fa33e0f75aefe30225c583a186cd82bd4daea9724a3d3b8")
}

@Test func hexRoundTripAndRejects() {
    let bytes: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]
    #expect(bytes.hex == "00017f80abff")
    #expect([UInt8](hex: "00017F80abFF") == bytes)
    #expect([UInt8](hex: "") == [])
    for bad in ["0", "abc", "0g", "zz", " 00", "0x00", "éé"] {
        #expect([UInt8](hex: bad) == nil, "\(bad)")
    }
}
