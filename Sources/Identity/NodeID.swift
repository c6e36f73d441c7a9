import Deterministic

/// A node's identity on the network: 128 bits, written as 32 lowercase hex characters (in
/// production the first half of SHA-256 of its compressed public key; the shell computes it, the
/// core only compares it). Held as two integers: ids are copied and compared on every message,
/// and a 32-character string would live on the heap.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses 32 hex digits (either case); nil for anything else.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32, let h = UInt64(String(decoding: utf8[0..<16], as: UTF8.self), radix: 16),
              let l = UInt64(String(decoding: utf8[16..<32], as: UTF8.self), radix: 16) else { return nil }
        high = h
        low = l
    }

    /// The 32 lowercase hex digits.
    public var hex: String { high.hex16 + low.hex16 }
    public var description: String { hex }
    /// The first 8 characters, for logs and traces.
    public var short: String { String(high.hex16.prefix(8)) }
    /// Hex order and numeric order agree, so sorting by id sorts by the written form too.
    public static func < (a: NodeID, b: NodeID) -> Bool { (a.high, a.low) < (b.high, b.low) }
}
