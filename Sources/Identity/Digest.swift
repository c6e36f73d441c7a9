import COpenSSL

/// SHA-256 through OpenSSL's EVP interface, fed in pieces (a checkpoint arrives in chunks).
/// Non-copyable because it owns the EVP context.
public struct SHA256: ~Copyable {
    private let context: OpaquePointer

    public init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public consuming func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        EVP_DigestFinal_ex(context, &digest, nil)
        return digest
    }

    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes(oneShot)
    }

    /// The hash of the string's UTF-8 bytes.
    public static func hash(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { oneShot(UnsafeRawBufferPointer($0)) }
    }

    // EVP_Digest skips the context allocation of the incremental path.
    private static func oneShot(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        EVP_Digest(bytes.baseAddress, bytes.count, &digest, nil, EVP_sha256(), nil)
        return digest
    }
}

/// HMAC-SHA256 (RFC 2104).
public func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
    var mac = [UInt8](repeating: 0, count: 32)
    HMAC(EVP_sha256(), key, Int32(key.count), message, message.count, &mac, nil)
    return mac
}

/// PBKDF2 with HMAC-SHA512 (RFC 8018), which BIP39 uses to turn a phrase into a seed.
public func pbkdf2SHA512(password: [UInt8], salt: [UInt8], rounds: Int, length: Int) -> [UInt8] {
    var key = [UInt8](repeating: 0, count: length)
    let ok = password.withUnsafeBytes { p in
        PKCS5_PBKDF2_HMAC(p.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(p.count),
                          salt, Int32(salt.count), Int32(rounds), EVP_sha512(), Int32(length), &key)
    }
    precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
    return key
}

extension Array where Element == UInt8 {
    /// Lowercase hex, two digits a byte.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Parses hex digits (either case, an even number of them); nil for anything else.
    public init?(hex: String) {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        let text = Array(hex.utf8)
        guard text.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(text.count / 2)
        for i in stride(from: 0, to: text.count, by: 2) {
            guard let high = nibble(text[i]), let low = nibble(text[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self = bytes
    }
}
