/// The bytes a signature covers: fixed-width little-endian integers and length-prefixed byte
/// strings, so that two encodings are equal exactly when the values are (no field can be made
/// to spill into the next).
struct CanonicalBytes {
    private(set) var bytes: [UInt8]

    init(domain: String) {
        bytes = []
        append(Array(domain.utf8))
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
}
