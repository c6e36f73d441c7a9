/// A 64-bit hash that is the same in every process (unlike Swift's `Hasher`, which is seeded
/// per process). It feeds the trace's rolling hash and message digests, so it must never change
/// without a reason: changing it changes every reference trace hash.
public struct StableHasher: Sendable {
    private var state: UInt64

    public init(seed: UInt64 = 0x243F_6A88_85A3_08D3) { state = seed }

    @inline(__always)
    public mutating func combine(_ value: UInt64) {
        state = (state ^ (value &* 0x87C3_7B91_1142_53D5)).rotatedLeft(31) &* 0x4CF5_AD43_2745_937F
    }

    @inline(__always) public mutating func combine(_ value: Int) { combine(UInt64(bitPattern: Int64(value))) }
    @inline(__always) public mutating func combine(_ value: Int64) { combine(UInt64(bitPattern: value)) }
    @inline(__always) public mutating func combine(_ value: UInt32) { combine(UInt64(value)) }
    @inline(__always) public mutating func combine(_ value: Double) { combine(value.bitPattern) }
    @inline(__always) public mutating func combine(_ value: Bool) { combine(value ? 1 as UInt64 : 2) }

    public mutating func combine(_ value: Float) { combine(UInt64(value.bitPattern)) }

    public mutating func combine(_ values: [Float]) {
        combine(values.count)
        values.withUnsafeBufferPointer { buffer in
            for v in buffer { combine(UInt64(v.bitPattern)) }
        }
    }

    public mutating func combine(_ string: String) {
        var count = 0
        var word: UInt64 = 0
        for byte in string.utf8 {
            word = (word << 8) | UInt64(byte)
            count += 1
            if count % 8 == 0 { combine(word); word = 0 }
        }
        combine(word)
        combine(count)
    }

    public var value: UInt64 { SplitMix64.mix(state) }

    public static func hash(_ string: String) -> UInt64 {
        var h = StableHasher()
        h.combine(string)
        return h.value
    }
}

extension UInt64 {
    @inline(__always)
    func rotatedLeft(_ k: UInt64) -> UInt64 { (self << k) | (self >> (64 - k)) }

    /// Sixteen lowercase hex digits.
    public var hex16: String {
        let s = String(self, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
