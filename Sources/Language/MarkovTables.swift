import Deterministic

/// The numbers behind a MarkovSource, computed once: transition probabilities, the stationary
/// distribution over contexts, the distributions of a window's first symbols, the per-position
/// entropies, and cumulative tables so that drawing a symbol is one uniform and a binary search.
///
/// A context is the last `order` symbols read as a base-`symbols` number, the most recent as
/// the least significant digit, so the context after symbol x is (c·symbols + x) mod contexts.
final class MarkovTables: Sendable {
    let symbols: Int
    let order: Int
    let contextCount: Int
    /// P(x | c) at c·symbols + x.
    let transitions: [Double]
    let transitionCumulative: [Double]
    /// The stationary distribution π over contexts.
    let stationary: [Double]
    /// Entry t − 1 holds P(x_t | x_1 … x_{t−1}) for t = 1 … order at prefix·symbols + x: the
    /// law of the first symbols of a window that starts in the stationary regime. They come
    /// from π itself, so a window's first `order` symbols are distributed exactly as π.
    let prefixConditionals: [[Double]]
    let prefixCumulative: [[Double]]
    /// H(X_t | X_1 … X_{t−1}) in nats for t = 1 … order + 1; the last is the entropy rate.
    let positionEntropies: [Double]

    init(symbols n: Int, order k: Int, transitions: [Double]) {
        symbols = n
        order = k
        contextCount = transitions.count / n
        self.transitions = transitions
        transitionCumulative = Self.cumulative(transitions, width: n)
        stationary = Self.stationaryDistribution(transitions, width: n)

        // Walk down from the k-gram law π to shorter prefixes: the law of the first t − 1
        // symbols is the law of the first t summed over the t-th.
        var marginal = stationary
        var conditionals = [[Double]](repeating: [], count: k)
        var entropies = [Double](repeating: 0, count: k + 1)
        for t in stride(from: k, through: 1, by: -1) {
            let prefixes = marginal.count / n
            var shorter = [Double](repeating: 0, count: prefixes)
            // A prefix of zero mass never occurs; any row will do, uniform keeps it valid.
            var conditional = [Double](repeating: 1 / Double(n), count: marginal.count)
            var entropy = 0.0
            for p in 0..<prefixes {
                var mass = 0.0
                for x in 0..<n { mass += marginal[p * n + x] }
                shorter[p] = mass
                guard mass > 0 else { continue }
                for x in 0..<n {
                    let joint = marginal[p * n + x]
                    conditional[p * n + x] = joint / mass
                    if joint > 0 { entropy -= joint * _log(joint / mass) }
                }
            }
            conditionals[t - 1] = conditional
            entropies[t - 1] = entropy
            marginal = shorter
        }
        var rate = 0.0
        for c in 0..<contextCount where stationary[c] > 0 {
            var h = 0.0
            for x in 0..<n {
                let p = transitions[c * n + x]
                if p > 0 { h -= p * _log(p) }
            }
            rate += stationary[c] * h
        }
        entropies[k] = rate
        prefixConditionals = conditionals
        prefixCumulative = conditionals.map { Self.cumulative($0, width: n) }
        positionEntropies = entropies
    }

    /// Writes the tokens of a fresh window's first `out.count` symbols: x_1 … x_k from the
    /// prefix laws (so the window starts in the stationary regime), then the chain.
    func sampleWindow(into out: UnsafeMutableBufferPointer<Int32>, tokens: [Int32], rng: inout DeterministicRNG) {
        let n = symbols, contexts = contextCount
        var state = 0
        transitionCumulative.withUnsafeBufferPointer { table in
            for i in 0..<out.count {
                let u = rng.nextDouble()
                let x = i < order
                    ? prefixCumulative[i].withUnsafeBufferPointer { Self.draw($0, row: state, width: n, u: u) }
                    : Self.draw(table, row: state, width: n, u: u)
                out[i] = tokens[x]
                state = (state * n + x) % contexts
            }
        }
    }

    /// The symbol of row `row` whose cumulative interval holds u ∈ [0, 1).
    @inline(__always)
    private static func draw(_ cumulative: UnsafeBufferPointer<Double>, row: Int, width: Int, u: Double) -> Int {
        let base = row * width
        var lo = base, hi = base + width - 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
        }
        return lo - base
    }

    /// Row-wise running sums, normalised, with the last positive entry's sum set to exactly 1:
    /// a uniform in [0, 1) then always lands in a row, and never on a zero-probability symbol
    /// (its interval is empty).
    private static func cumulative(_ probabilities: [Double], width n: Int) -> [Double] {
        var out = probabilities
        for base in stride(from: 0, to: probabilities.count, by: n) {
            var sum = 0.0
            for j in 0..<n { sum += probabilities[base + j]; out[base + j] = sum }
            let last = (0..<n).last { probabilities[base + $0] > 0 } ?? n - 1
            for j in 0..<n { out[base + j] = j >= last ? 1 : out[base + j] / sum }
        }
        return out
    }

    /// π = πP by power iteration on the lazy chain ½(I + P), which has the same stationary
    /// distribution but cannot oscillate when P is (nearly) periodic, as a peaked random table
    /// can be. Iterates until a step changes π by less than 1e-14 in L1 (tens to hundreds of
    /// steps for Dirichlet tables), so the figures built on π are exact to about 1e-13.
    private static func stationaryDistribution(_ transitions: [Double], width n: Int) -> [Double] {
        let contexts = transitions.count / n
        var pi = [Double](repeating: 1 / Double(contexts), count: contexts)
        var next = pi
        for _ in 0..<100_000 {
            for c in 0..<contexts { next[c] = 0.5 * pi[c] }
            for c in 0..<contexts where pi[c] > 0 {
                let half = 0.5 * pi[c]
                // (c·n + x) mod contexts = (c·n mod contexts) + x, as c·n mod contexts is a multiple of n.
                let successor = (c * n) % contexts
                for x in 0..<n { next[successor + x] += half * transitions[c * n + x] }
            }
            var change = 0.0
            for c in 0..<contexts { change += abs(next[c] - pi[c]) }
            swap(&pi, &next)
            if change < 1e-14 { break }
        }
        let total = pi.reduce(0, +)
        return pi.map { $0 / total }
    }
}
