/// How a node shrinks the pseudo-gradients it sends (SPEC §6: optional top-k 10% + int8, with
/// error feedback so that what compression drops is sent in a later round, not lost).
///
/// Parameters are checked by the caller: blockSize ≥ 1, 0 < fraction ≤ 1.
public enum Compression: Equatable, Sendable, CustomStringConvertible {
    /// Float32 values, unchanged.
    case none
    /// Every value as a signed byte, with one Float32 scale (max|x| / 127) per block of values.
    case int8(blockSize: Int)
    /// The k = ⌈fraction·d⌉ values of largest magnitude (ties: lowest index), each with its index.
    case topK(fraction: Double)
    /// Top-k, then int8 blocks over the kept values (in index order).
    case topKInt8(fraction: Double, blockSize: Int)

    /// Every name a scenario may use, in the order of the cases.
    public static let names = ["none", "int8", "top_k", "top_k_int8"]

    public var description: String {
        switch self {
        case .none: "none"
        case .int8(let b): "int8(block=\(b))"
        case .topK(let f): "top_k(\(f))"
        case .topKInt8(let f, let b): "top_k_int8(\(f), block=\(b))"
        }
    }

    public func compress(_ x: [Float]) -> CompressedTensor {
        precondition(x.count <= CompressedTensor.maxCount, "tensor too large to compress")
        switch self {
        case .none:
            return CompressedTensor(count: x.count, payload: .dense(x))
        case .int8(let blockSize):
            Self.checkBlockSize(blockSize)
            let q = x.withUnsafeBufferPointer { Quantized($0, blockSize: blockSize) }
            return CompressedTensor(count: x.count, payload: .int8(q))
        case .topK(let fraction):
            let (indices, values) = Self.largest(x, fraction: fraction)
            return CompressedTensor(count: x.count, payload: .sparse(indices: indices, values: values))
        case .topKInt8(let fraction, let blockSize):
            Self.checkBlockSize(blockSize)
            let (indices, values) = Self.largest(x, fraction: fraction)
            let q = values.withUnsafeBufferPointer { Quantized($0, blockSize: blockSize) }
            return CompressedTensor(count: x.count, payload: .sparseInt8(indices: indices, values: q))
        }
    }

    /// The wire holds the block size in a UInt32.
    private static func checkBlockSize(_ blockSize: Int) {
        precondition(blockSize >= 1 && blockSize <= Int(UInt32.max), "int8 needs 1 ≤ block size < 2³²")
    }

    /// k = ⌈fraction·d⌉, at least 1 for a non-empty tensor. A product that is an integer up to
    /// rounding (0.3·10 = 3.0000000000000004 in binary) counts as that integer, not the next.
    public static func keptCount(fraction: Double, of d: Int) -> Int {
        precondition(fraction > 0 && fraction <= 1, "top-k needs 0 < fraction ≤ 1")
        guard d > 0 else { return 0 }
        let exact = fraction * Double(d)
        let nearest = exact.rounded()
        let k = abs(exact - nearest) <= 1e-9 * max(1, exact) ? nearest : exact.rounded(.up)
        return min(d, max(1, Int(k)))
    }

    private static func largest(_ x: [Float], fraction: Double) -> (indices: [UInt32], values: [Float]) {
        let indices = x.withUnsafeBufferPointer { largestMagnitudes($0, count: keptCount(fraction: fraction, of: x.count)) }
        return (indices, indices.map { x[Int($0)] })
    }

    /// The indices (ascending) of the k values of largest magnitude, ties to the lowest index.
    ///
    /// A radix select, O(d) with no worst case: for a non-negative Float the bit pattern orders
    /// like the value, so |x|'s pattern (sign bit cleared) is a sort key, with NaN above +∞ (a
    /// poisoned value is kept and reaches the receiver's screen). Four passes of one byte each
    /// narrow down the exact key of the k-th largest; a last pass keeps everything above it and
    /// the lowest-indexed values equal to it.
    static func largestMagnitudes(_ x: UnsafeBufferPointer<Float>, count k: Int) -> [UInt32] {
        let d = x.count
        if k >= d { return (0..<d).map { UInt32($0) } }
        if k <= 0 { return [] }
        var prefix: UInt32 = 0, mask: UInt32 = 0
        var remaining = k  // how many of the values matching `prefix` still to take
        var counts = [Int](repeating: 0, count: 256)
        for shift: UInt32 in [24, 16, 8, 0] {
            for b in 0..<256 { counts[b] = 0 }
            for v in x {
                let key = v.bitPattern & 0x7FFF_FFFF
                if key & mask == prefix { counts[Int((key >> shift) & 0xFF)] += 1 }
            }
            // From the largest digit down until the bucket holding the k-th largest.
            var digit = 255
            while counts[digit] < remaining { remaining -= counts[digit]; digit -= 1 }
            prefix |= UInt32(digit) << shift
            mask |= 0xFF << shift
        }
        var out = [UInt32]()
        out.reserveCapacity(k)
        for i in 0..<d {
            let key = x[i].bitPattern & 0x7FFF_FFFF
            if key > prefix {
                out.append(UInt32(i))
            } else if key == prefix && remaining > 0 {
                out.append(UInt32(i))
                remaining -= 1
            }
        }
        return out
    }
}

/// Symmetric per-block int8 quantisation: scaleᵦ = max|x| / 127 over block b, q = round(x / scale),
/// so every value comes back within scale/2. A block holding a non-finite value gets a NaN scale
/// and decodes as all NaN: the poison survives compression to the receiver's screen rather than
/// being laundered into plausible numbers.
public struct Quantized: Equatable, Sendable {
    public let blockSize: Int
    public let scales: [Float]
    public let values: [Int8]

    init(blockSize: Int, scales: [Float], values: [Int8]) {
        self.blockSize = blockSize; self.scales = scales; self.values = values
    }

    init(_ x: UnsafeBufferPointer<Float>, blockSize: Int) {
        let blocks = CompressedTensor.blocks(x.count, blockSize)
        var scales = [Float](repeating: 0, count: blocks)
        var values = [Int8](repeating: 0, count: x.count)
        values.withUnsafeMutableBufferPointer { q in
            for b in 0..<blocks {
                let range = (b * blockSize)..<min(x.count, (b + 1) * blockSize)
                var largest: Float = 0, finite = true
                for j in range {
                    finite = finite && x[j].isFinite
                    largest = max(largest, abs(x[j]))
                }
                let scale = finite ? largest / 127 : .nan
                scales[b] = scale
                // A zero (or underflowed) scale means an all-zero block: q stays 0.
                guard scale > 0 && scale.isFinite else { continue }
                for j in range { q[j] = Int8(max(-127, min(127, (x[j] / scale).rounded()))) }
            }
        }
        self.blockSize = blockSize; self.scales = scales; self.values = values
    }

    /// buffer[position(i)] += sign · value i, for every quantised value.
    func add(to buffer: UnsafeMutableBufferPointer<Float>, sign: Float, position: (Int) -> Int) {
        values.withUnsafeBufferPointer { q in
            for b in scales.indices {
                let scale = sign * scales[b]
                for i in (b * blockSize)..<min(q.count, (b + 1) * blockSize) {
                    buffer[position(i)] += Float(q[i]) * scale
                }
            }
        }
    }
}

/// A compressed pseudo-gradient as it goes on the wire. `serialized()` is its exact byte form and
/// `wireBytes` its length, computed without serialising. Little-endian layout:
///
///     kind: UInt8 (0 dense, 1 int8, 2 top-k, 3 top-k int8), count: UInt32 (d), then
///     dense       d × Float32
///     int8        blockSize: UInt32, ⌈d/B⌉ × Float32 scales, d × Int8
///     top-k       k: UInt32, k × UInt32 indices (strictly increasing, < d), k × Float32
///     top-k int8  k: UInt32, blockSize: UInt32, k × UInt32 indices, ⌈k/B⌉ × Float32 scales, k × Int8
public struct CompressedTensor: Equatable, Sendable {
    public enum Payload: Equatable, Sendable {
        case dense([Float])
        case int8(Quantized)
        case sparse(indices: [UInt32], values: [Float])
        case sparseInt8(indices: [UInt32], values: Quantized)
    }

    /// The decoded length d.
    public let count: Int
    public let payload: Payload

    /// The largest d accepted (2²⁸ values, 1 GiB decoded): a garbled count in a small top-k
    /// message must not make the receiver allocate gigabytes.
    public static let maxCount = 1 << 28

    static let headerBytes = 5

    init(count: Int, payload: Payload) {
        self.count = count; self.payload = payload
    }

    public func decoded() -> [Float] {
        if case .dense(let values) = payload { return values }
        var out = [Float](repeating: 0, count: count)
        add(to: &out, sign: 1)
        return out
    }

    /// buffer += sign · decoded(), without materialising the decoded tensor.
    func add(to buffer: inout [Float], sign: Float) {
        precondition(buffer.count == count, "sizes differ")
        buffer.withUnsafeMutableBufferPointer { out in
            switch payload {
            case .dense(let values):
                for j in values.indices { out[j] += sign * values[j] }
            case .int8(let q):
                q.add(to: out, sign: sign) { $0 }
            case .sparse(let indices, let values):
                for i in indices.indices { out[Int(indices[i])] += sign * values[i] }
            case .sparseInt8(let indices, let q):
                indices.withUnsafeBufferPointer { idx in q.add(to: out, sign: sign) { Int(idx[$0]) } }
            }
        }
    }

    public var wireBytes: Int {
        switch payload {
        case .dense(let v): Self.headerBytes + 4 * v.count
        case .int8(let q): Self.headerBytes + 4 + 4 * q.scales.count + q.values.count
        case .sparse(let i, _): Self.headerBytes + 4 + 8 * i.count
        case .sparseInt8(let i, let q): Self.headerBytes + 8 + 4 * i.count + 4 * q.scales.count + q.values.count
        }
    }

    public func serialized() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: wireBytes)
        bytes.withUnsafeMutableBytes { raw in
            var w = Writer(raw: raw)
            switch payload {
            case .dense(let v):
                w.header(0, count)
                w.floats(v)
            case .int8(let q):
                w.header(1, count)
                w.u32(UInt32(q.blockSize))
                w.floats(q.scales)
                w.int8s(q.values)
            case .sparse(let i, let v):
                w.header(2, count)
                w.u32(UInt32(i.count))
                for index in i { w.u32(index) }
                w.floats(v)
            case .sparseInt8(let i, let q):
                w.header(3, count)
                w.u32(UInt32(i.count))
                w.u32(UInt32(q.blockSize))
                for index in i { w.u32(index) }
                w.floats(q.scales)
                w.int8s(q.values)
            }
            precondition(w.offset == raw.count, "wireBytes disagrees with the layout")
        }
        return bytes
    }

    public enum FormatError: Error, Equatable, CustomStringConvertible {
        case truncated(expected: Int, got: Int)
        case trailingBytes(expected: Int, got: Int)
        case unknownKind(UInt8)
        case malformed(String)

        public var description: String {
            switch self {
            case .truncated(let e, let g): "compressed tensor truncated: \(g) bytes, expected \(e)"
            case .trailingBytes(let e, let g): "compressed tensor has trailing bytes: \(g) bytes, expected \(e)"
            case .unknownKind(let k): "unknown compressed tensor kind \(k)"
            case .malformed(let why): "malformed compressed tensor: \(why)"
            }
        }
    }

    /// Parses `serialized()` output. Every length is checked against the buffer before anything
    /// is read or allocated, so a truncated or garbled buffer throws instead of crashing. The
    /// values themselves are not judged here (NaN is a valid Float32): that is `UpdateCheck`'s job
    /// once decoded. `expectedCount`, when given, is the layer size the receiver holds.
    public init(bytes: [UInt8], expectedCount: Int? = nil) throws(FormatError) {
        guard bytes.count >= Self.headerBytes else { throw .truncated(expected: Self.headerBytes, got: bytes.count) }
        let kind = bytes[0]
        let count = Int(Self.u32(bytes, at: 1))
        guard kind <= 3 else { throw .unknownKind(kind) }
        guard count <= Self.maxCount else { throw .malformed("\(count) values, more than the limit \(Self.maxCount)") }
        if let expectedCount, count != expectedCount { throw .malformed("\(count) values, expected \(expectedCount)") }

        // The fixed fields after the header, then the total length they imply.
        let fixed = kind == 3 ? 8 : (kind == 0 ? 0 : 4)
        guard bytes.count >= Self.headerBytes + fixed else {
            throw .truncated(expected: Self.headerBytes + fixed, got: bytes.count)
        }
        let field1 = fixed >= 4 ? Int(Self.u32(bytes, at: 5)) : 0
        let field2 = fixed == 8 ? Int(Self.u32(bytes, at: 9)) : 0
        let total: Int
        switch kind {
        case 0:
            total = Self.headerBytes + 4 * count
        case 1:
            guard field1 >= 1 else { throw .malformed("block size 0") }
            total = Self.headerBytes + 4 + 4 * Self.blocks(count, field1) + count
        case 2:
            guard field1 <= count else { throw .malformed("\(field1) kept values of \(count)") }
            total = Self.headerBytes + 4 + 8 * field1
        default:
            guard field1 <= count else { throw .malformed("\(field1) kept values of \(count)") }
            guard field2 >= 1 else { throw .malformed("block size 0") }
            total = Self.headerBytes + 8 + 4 * field1 + 4 * Self.blocks(field1, field2) + field1
        }
        guard bytes.count >= total else { throw .truncated(expected: total, got: bytes.count) }
        guard bytes.count == total else { throw .trailingBytes(expected: total, got: bytes.count) }

        let payload: Payload = bytes.withUnsafeBytes { raw in
            var r = Reader(raw: raw, offset: Self.headerBytes + fixed)
            switch kind {
            case 0:
                return .dense(r.floats(count))
            case 1:
                let scales = r.floats(Self.blocks(count, field1))
                return .int8(Quantized(blockSize: field1, scales: scales, values: r.int8s(count)))
            case 2:
                let indices = r.u32s(field1)
                return .sparse(indices: indices, values: r.floats(field1))
            default:
                let indices = r.u32s(field1)
                let scales = r.floats(Self.blocks(field1, field2))
                return .sparseInt8(indices: indices, values: Quantized(blockSize: field2, scales: scales, values: r.int8s(field1)))
            }
        }
        switch payload {
        case .sparse(let indices, _), .sparseInt8(let indices, _):
            // Strictly increasing and in range: no index out of bounds, no value counted twice.
            var last = -1
            for i in indices {
                guard Int(i) > last, Int(i) < count else { throw .malformed("index \(i) out of order or out of range") }
                last = Int(i)
            }
        default: break
        }
        self.init(count: count, payload: payload)
    }

    /// ⌈n / size⌉, without the overflow of (n + size − 1) / size for a huge size.
    static func blocks(_ n: Int, _ size: Int) -> Int { n / size + (n % size == 0 ? 0 : 1) }

    private static func u32(_ bytes: [UInt8], at o: Int) -> UInt32 {
        UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
    }

    private struct Writer {
        let raw: UnsafeMutableRawBufferPointer
        var offset = 0

        mutating func header(_ kind: UInt8, _ count: Int) {
            raw[0] = kind
            offset = 1
            u32(UInt32(count))
        }

        mutating func u32(_ v: UInt32) {
            raw.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self)
            offset += 4
        }

        mutating func floats(_ v: [Float]) {
            for x in v { u32(x.bitPattern) }
        }

        mutating func int8s(_ v: [Int8]) {
            v.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(rebasing: raw[offset..<(offset + src.count)]).copyMemory(from: src)
            }
            offset += v.count
        }
    }

    /// Reads a buffer whose length has already been checked.
    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var offset: Int

        mutating func u32s(_ n: Int) -> [UInt32] {
            let out = (0..<n).map { i in
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self))
            }
            offset += 4 * n
            return out
        }

        mutating func floats(_ n: Int) -> [Float] { u32s(n).map { Float(bitPattern: $0) } }

        mutating func int8s(_ n: Int) -> [Int8] {
            let out = (0..<n).map { Int8(bitPattern: raw[offset + $0]) }
            offset += n
            return out
        }
    }
}

/// Error feedback: what compression dropped from a layer's update (its residual) is added to
/// that layer's next update before compressing, so over rounds nothing is lost, only delayed:
/// Σ decoded = Σ true updates − the current residual.
public struct ErrorFeedback: Equatable, Sendable {
    private var residuals: [Int: [Float]] = [:]

    public init() {}

    /// What compression has dropped from `layer` so far and not yet sent (nil: nothing).
    public func residual(layer: Int) -> [Float]? { residuals[layer] }

    /// Drops the residuals of layers this node no longer holds.
    public mutating func forgetLayers(outside held: Range<Int>) {
        residuals = residuals.filter { held.contains($0.key) }
    }

    public mutating func compress(_ update: [Float], layer: Int, with compression: Compression) -> CompressedTensor {
        var corrected = update
        if let r = residuals[layer], r.count == update.count {
            corrected.withUnsafeMutableBufferPointer { c in
                r.withUnsafeBufferPointer { r in for j in c.indices { c[j] += r[j] } }
            }
        }
        let sent = compression.compress(corrected)
        if case .none = compression {
            residuals[layer] = nil
            return sent
        }
        // The residual is exactly corrected − decoded, one rounding per value.
        sent.add(to: &corrected, sign: -1)
        // A non-finite update (a diverged node) must not poison every later round through the
        // residual: it is sent (and rejected by the peers' screen) and then forgotten.
        residuals[layer] = corrected.allSatisfy(\.isFinite) ? corrected : nil
        return sent
    }
}
