import Identity

/// The bytes a signature covers: fixed-width little-endian integers and length-prefixed byte
/// strings, so that two encodings are equal exactly when the values are (no field can be made
/// to spill into the next). The same bytes, with the signature after them, are how a node's
/// store keeps a record (`Record.encoded`), read back by `CanonicalReader`.
struct CanonicalBytes {
    private(set) var bytes: [UInt8]

    init(domain: String) {
        bytes = []
        bytes.reserveCapacity(256)
        append(domain)
    }

    mutating func append(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func append(_ v: Int64) { append(UInt64(bitPattern: v)) }
    mutating func append(_ v: Int) { append(Int64(v)) }
    mutating func append(_ v: Double) { append(v.bitPattern) }
    mutating func append(_ b: [UInt8]) {
        append(b.count)
        bytes += b
    }
    mutating func append(_ s: String) { append(Array(s.utf8)) }
    mutating func append(_ id: NodeID) {
        append(id.high)
        append(id.low)
    }
    mutating func append(_ id: RecordID) { append(id.words.0); append(id.words.1); append(id.words.2); append(id.words.3) }
    /// Raw bytes with no length (a fixed-size trailer such as a signature).
    mutating func appendRaw(_ b: [UInt8]) { bytes += b }
}

/// Reads what `CanonicalBytes` wrote; every read returns nil past the end or on a length that
/// does not fit, so a truncated or damaged encoding is refused, never trusted.
struct CanonicalReader {
    private let bytes: [UInt8]
    private var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - at }

    mutating func word() -> UInt64? {
        guard remaining >= 8 else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        at += 8
        return v
    }

    mutating func int64() -> Int64? { word().map { Int64(bitPattern: $0) } }
    mutating func int() -> Int? { int64().map { Int($0) } }
    mutating func double() -> Double? { word().map(Double.init(bitPattern:)) }

    mutating func byteString(max: Int = 1 << 16) -> [UInt8]? {
        guard let n = int(), n >= 0, n <= max, n <= remaining else { return nil }
        defer { at += n }
        return Array(bytes[at..<(at + n)])
    }

    mutating func string(max: Int = 1 << 16) -> String? {
        guard let b = byteString(max: max) else { return nil }
        return String(validating: b, as: UTF8.self)
    }

    mutating func nodeID() -> NodeID? {
        guard let h = word(), let l = word() else { return nil }
        return NodeID(high: h, low: l)
    }

    mutating func recordID() -> RecordID? {
        guard let a = word(), let b = word(), let c = word(), let d = word() else { return nil }
        return RecordID(words: (a, b, c, d))
    }

    mutating func raw(_ n: Int) -> [UInt8]? {
        guard n >= 0, n <= remaining else { return nil }
        defer { at += n }
        return Array(bytes[at..<(at + n)])
    }
}
