/// 12-word BIP39 recovery phrases (English list), which stand for a node's token.
public enum Mnemonic {
    /// The token a phrase stands for: lowercase hex of the first 32 bytes of its BIP39 seed
    /// (empty passphrase).
    public static func token(phrase: String) throws(MnemonicError) -> String {
        Array(try seed(phrase: phrase, passphrase: "").prefix(32)).hex
    }

    /// The 64-byte BIP39 seed: PBKDF2-HMAC-SHA512 of the words joined by single spaces, salted
    /// with "mnemonic" + passphrase, 2048 rounds. Words are split on any whitespace and lowercased;
    /// there must be 12, all from the list, with a correct checksum. The passphrase is used as
    /// UTF-8 without BIP39's NFKD normalisation (the standard library has none): the same
    /// for ASCII, which the published vectors and our empty passphrase are.
    public static func seed(phrase: String, passphrase: String) throws(MnemonicError) -> [UInt8] {
        let words = phrase.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
        guard words.count == 12 else { throw .wordCount(words.count) }
        // 12 words × 11 bits = 128 bits of entropy, then 4 bits of checksum; packed into 17 bytes.
        var bits = [UInt8](repeating: 0, count: 17)
        for (w, word) in words.enumerated() {
            guard let index = wordIndex[word] else { throw .unknownWord(word) }
            for b in 0..<11 where index >> (10 - b) & 1 == 1 {
                let position = w * 11 + b
                bits[position / 8] |= 0x80 >> (position % 8)
            }
        }
        guard bits[16] >> 4 == SHA256.hash(Array(bits[..<16]))[0] >> 4 else { throw .checksum }
        return pbkdf2SHA512(password: Array(words.joined(separator: " ").utf8),
                            salt: Array(("mnemonic" + passphrase).utf8), rounds: 2048, length: 64)
    }

    private static let wordIndex = Dictionary(uniqueKeysWithValues: bip39English.enumerated().map { ($1, $0) })
}

public enum MnemonicError: Error, Equatable, CustomStringConvertible {
    case wordCount(Int)
    case unknownWord(String)
    case checksum

    public var description: String {
        switch self {
        case .wordCount(let n): "a recovery phrase has exactly 12 words; this one has \(n)"
        case .unknownWord(let w): "\"\(w)\" is not a word of the BIP39 English list"
        case .checksum: "the recovery phrase's checksum does not match: a word is wrong or out of place"
        }
    }
}
