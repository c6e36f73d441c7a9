/// The one source of randomness in NeuroShard: xoshiro256** seeded through SplitMix64.
///
/// The simulator owns every generator and splits one stream per node and per concern from the
/// scenario seed, so a run is a pure function of (scenario, seed, build). Nothing here reads
/// the system's entropy; the production shell seeds a generator from it at start-up.
public struct DeterministicRNG: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    /// The second normal of the last polar-method pair, not yet handed out.
    private var spareGaussian: Double?
    /// The seed this generator was built from, kept so that `split` is independent of how
    /// many numbers were drawn before it.
    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        var sm = SplitMix64(state: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    /// A child stream identified by `stream`; the same (seed, stream) always gives the same child.
    public func split(_ stream: UInt64) -> DeterministicRNG {
        DeterministicRNG(seed: SplitMix64.mix(seed ^ SplitMix64.mix(stream &+ 0x5851_F42D_4C95_7F2D)))
    }

    /// A child stream named by a label (for example "network" or "load").
    public func split(_ label: String) -> DeterministicRNG {
        split(StableHasher.hash(label))
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [0, bound) without modulo bias (Lemire's method).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        return Int(truncatingIfNeeded: next(upperBound: UInt64(bound)))
    }

    /// True with probability `p`.
    @inline(__always)
    public mutating func chance(_ p: Double) -> Bool {
        p > 0 && nextDouble() < p
    }

    /// Standard normal by Marsaglia's polar method: one logarithm per two normals and no
    /// trigonometry (the simulated nodes' minibatch noise makes this a hot path).
    public mutating func nextGaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        while true {
            let u = 2 * nextDouble() - 1, v = 2 * nextDouble() - 1
            let s = u * u + v * v
            guard s > 0 && s < 1 else { continue }
            let scale = (-2 * _log(s) / s).squareRoot()
            spareGaussian = v * scale
            return u * scale
        }
    }

    /// Exponential with the given mean.
    public mutating func nextExponential(mean: Double) -> Double {
        var u = nextDouble()
        while u <= Double.leastNormalMagnitude { u = nextDouble() }
        return -mean * _log(u)
    }

    /// Fisher–Yates shuffle of the first `count` positions (a partial shuffle is a uniform sample).
    public mutating func sample<T>(_ items: [T], count: Int) -> [T] {
        var pool = items
        let k = min(count, pool.count)
        for i in 0..<k {
            let j = i + nextInt(below: pool.count - i)
            pool.swapAt(i, j)
        }
        return Array(pool.prefix(k))
    }
}

@inline(__always)
private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

/// SplitMix64: seeds xoshiro and mixes stream identifiers.
public struct SplitMix64: Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
