import Deterministic
import Identity

/// A record's id: the SHA-256 of the bytes its author signed, held as four words (ids are
/// compared and hashed constantly; 32 bytes on the heap each would cost an allocation). Its hex
/// form is the digest's, and it is what the API calls a `transaction_id`.
public struct RecordID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let words: (UInt64, UInt64, UInt64, UInt64)

    public static let zero = RecordID(words: (0, 0, 0, 0))

    public init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// From 32 bytes, big-endian, so that the hex of the words is the hex of the bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        func word(_ i: Int) -> UInt64 { bytes[(8 * i)..<(8 * i + 8)].reduce(0) { $0 << 8 | UInt64($1) } }
        words = (word(0), word(1), word(2), word(3))
    }

    /// 64 hex digits (either case); nil for anything else.
    public init?(hex: String) {
        guard hex.utf8.count == 64, let bytes = [UInt8](hex: hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// The SHA-256 of `bytes`.
    static func digest(of bytes: [UInt8]) -> RecordID { RecordID(bytes: SHA256.hash(bytes))! }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for w in [words.0, words.1, words.2, words.3] { for k in (0..<8).reversed() { out.append(UInt8(truncatingIfNeeded: w >> (8 * UInt64(k)))) } }
        return out
    }

    public var hex: String { words.0.hex16 + words.1.hex16 + words.2.hex16 + words.3.hex16 }
    public var description: String { hex }
    /// The first 64 bits: what version vectors carry of a chain's head (a collision only delays
    /// a repair by a round, it cannot make two ledgers disagree silently: heads also carry seqs).
    public var short: UInt64 { words.0 }

    public static func == (a: RecordID, b: RecordID) -> Bool { a.words == b.words }
    public func hash(into h: inout Hasher) {
        h.combine(words.0); h.combine(words.1); h.combine(words.2); h.combine(words.3)
    }
    public static func < (a: RecordID, b: RecordID) -> Bool { a.words < b.words }
}
