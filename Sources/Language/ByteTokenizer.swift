/// The byte-level tokenizer of NeuroLLM: ids 0–3 are special, byte b is id b + 4.
///
/// Bytes rather than a learned vocabulary, so every string has exactly one encoding, nothing
/// is ever out of vocabulary, and a model's loss per token is its loss per byte.
public enum ByteTokenizer {
    public static let pad: Int32 = 0
    public static let bos: Int32 = 1
    public static let eos: Int32 = 2
    public static let unk: Int32 = 3
    /// The id of byte 0; the ids below it are the specials.
    public static let byteOffset: Int32 = 4
    public static let vocabularySize = 260

    @inline(__always)
    public static func id(byte: UInt8) -> Int32 { Int32(byte) + byteOffset }

    /// The byte an id stands for; nil for the specials and for ids outside the vocabulary.
    @inline(__always)
    public static func byte(id: Int32) -> UInt8? {
        let b = id - byteOffset
        return b >= 0 && b < 256 ? UInt8(b) : nil
    }

    /// The UTF-8 bytes of `text` as ids, optionally framed by bos and eos.
    public static func encode(_ text: String, bos addBOS: Bool = false, eos addEOS: Bool = false) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count + 2)
        if addBOS { ids.append(bos) }
        for b in text.utf8 { ids.append(id(byte: b)) }
        if addEOS { ids.append(eos) }
        return ids
    }

    /// The text of `ids`. Specials and out-of-range ids carry no text and are skipped; a byte
    /// sequence that is not valid UTF-8 (a model can emit anything) becomes U+FFFD the standard
    /// way (one replacement per maximal invalid subpart), so decoding never fails.
    public static func decode(_ ids: [Int32]) -> String {
        String(decoding: ids.compactMap(byte(id:)), as: UTF8.self)
    }
}
