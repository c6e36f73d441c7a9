/// Turns generated ids into text one id at a time without ever emitting half a character.
///
/// A multi-byte character arrives one byte-token at a time; decoding each token alone would
/// print a replacement character for every piece. This decoder holds back the bytes of a
/// character still in progress and emits them once it is complete. What it emits, joined and
/// followed by `finish()`, is exactly `ByteTokenizer.decode` of all the ids pushed.
public struct StreamingDecoder: Sendable {
    /// Bytes received but not yet emitted: at most the first three bytes of one character.
    private var pending: [UInt8] = []

    public init() {}

    /// Accepts the next id; returns the text it completes (often empty).
    public mutating func push(_ id: Int32) -> String {
        guard let b = ByteTokenizer.byte(id: id) else { return "" }
        pending.append(b)
        let keep = Self.incompleteTail(pending)
        guard keep < pending.count else { return "" }
        let text = String(decoding: pending[..<(pending.count - keep)], as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return text
    }

    /// Ends the stream: bytes of a character that never completed become U+FFFD.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// How many trailing bytes form a valid but unfinished UTF-8 sequence (0 when none).
    ///
    /// Such a sequence must start at the last byte that is not a continuation byte (10xxxxxx);
    /// that byte cannot continue an earlier sequence, so a standard decoder restarts there and
    /// splitting the text at it changes nothing. Anything else at the end (complete, or already
    /// invalid) decodes the same now as it would with more bytes after it.
    static func incompleteTail(_ bytes: [UInt8]) -> Int {
        guard let start = bytes.lastIndex(where: { $0 & 0xC0 != 0x80 }) else { return 0 }
        let length = bytes.count - start
        let lead = bytes[start]
        let needed: Int
        // The second byte's allowed range excludes overlong forms, surrogates and > U+10FFFF
        // (Unicode Table 3-7); a prefix outside it is already invalid, not unfinished.
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0: needed = 3; second = 0xA0...0xBF
        case 0xED: needed = 3; second = 0x80...0x9F
        case 0xE1...0xEF: needed = 3
        case 0xF0: needed = 4; second = 0x90...0xBF
        case 0xF4: needed = 4; second = 0x80...0x8F
        case 0xF1...0xF3: needed = 4
        default: return 0
        }
        guard length < needed else { return 0 }
        if length >= 2 && !second.contains(bytes[start + 1]) { return 0 }
        return length
    }
}
