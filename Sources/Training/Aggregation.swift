/// How a node combines the pseudo-gradients it holds for one layer (its own and its peers').
///
/// Inputs arrive sorted by sender and every sum runs in a fixed order (Double accumulators where
/// rounding could depend on it), so replicas that heard the same peers compute bit-identical
/// results. Inputs are expected to have passed `UpdateCheck.screen` (finite values, sane norms):
/// a non-finite input gives an unspecified result, but never a crash.
///
/// Parameters are checked by the caller (the scenario reader); out-of-range ones are a
/// programming error and stop the process: f ≥ 0, m ≥ 1, iterations ≥ 0, ε > 0, τ > 0,
/// 0 ≤ β ≤ 0.5.
public enum Aggregator: Equatable, Sendable, CustomStringConvertible {
    case mean
    /// Coordinate-wise median.
    case median
    /// Drop the ⌊β·n⌋ largest and smallest values of each coordinate, average the rest.
    case trimmedMean(beta: Double)
    /// The one update with the lowest Krum score: the sum of squared distances to its n − f − 2
    /// nearest other updates (Blanchard et al. 2017). Ties go to the lowest index (sender).
    case krum(f: Int)
    /// The average of the m updates with the lowest Krum scores (m = n − f when nil).
    case multiKrum(f: Int, m: Int?)
    /// Smoothed Weiszfeld iterations towards the geometric median (RFA, Pillutla et al.):
    /// z ← Σ wᵢxᵢ / Σ wᵢ with wᵢ = 1 / max(ε, ‖xᵢ − z‖), from the mean, at most `iterations`
    /// times, stopping early once a step is negligible.
    case geometricMedian(iterations: Int, epsilon: Double)
    /// Centered clipping (Karimireddy et al. 2021): v ← v + (1/n) Σ clip_τ(xᵢ − v), `iterations`
    /// times, where clip_τ(z) = z·min(1, τ/‖z‖).
    case centeredClipping(tau: Double, iterations: Int)

    /// Every name a scenario may use, in the order of the cases.
    public static let names = ["mean", "median", "trimmed_mean", "krum", "multi_krum", "geometric_median", "centered_clipping"]

    public var description: String {
        switch self {
        case .mean: "mean"
        case .median: "median"
        case .trimmedMean(let beta): "trimmed_mean(\(beta))"
        case .krum(let f): "krum(f=\(f))"
        case .multiKrum(let f, let m): "multi_krum(f=\(f), m=\(m.map(String.init) ?? "n-f"))"
        case .geometricMedian(let t, let eps): "geometric_median(iterations=\(t), epsilon=\(eps))"
        case .centeredClipping(let tau, let l): "centered_clipping(tau=\(tau), iterations=\(l))"
        }
    }

    public func aggregate(_ updates: [[Float]]) -> [Float] {
        precondition(!updates.isEmpty, "nothing to aggregate")
        let n = updates.count, dim = updates[0].count
        precondition(updates.allSatisfy { $0.count == dim }, "updates differ in size")
        if n == 1 { return updates[0] }
        switch self {
        case .mean:
            return Self.average(updates, Array(0..<n))
        case .median:
            return Self.coordinateWiseMedian(updates)
        case .trimmedMean(let beta):
            precondition((0...0.5).contains(beta), "trimmed mean needs 0 ≤ β ≤ 0.5")
            // At least one value survives even at β = 0.5.
            let trim = min(Int(Double(n) * beta), (n - 1) / 2)
            return Self.coordinateWise(updates) { column in
                var s = 0.0
                for v in column[trim..<(column.count - trim)] { s += Double(v) }
                return Float(s / Double(column.count - 2 * trim))
            }
        case .krum(let f):
            let scores = Self.krumScores(updates, f: f)
            return updates[Self.lowest(scores, count: 1)[0]]
        case .multiKrum(let f, let m):
            precondition(m.map { $0 >= 1 } ?? true, "multi-Krum needs m ≥ 1")
            let scores = Self.krumScores(updates, f: f)
            // m = n − f can reach 0 or below when f ≥ n: keep the single best then.
            let keep = min(n, max(1, m ?? n - f))
            // Summed in sender order like every other rule, not in score order.
            return Self.average(updates, Self.lowest(scores, count: keep).sorted())
        case .geometricMedian(let iterations, let epsilon):
            precondition(iterations >= 0 && epsilon > 0, "geometric median needs iterations ≥ 0 and ε > 0")
            return Self.geometricMedian(updates, iterations: iterations, epsilon: epsilon)
        case .centeredClipping(let tau, let iterations):
            precondition(iterations >= 0 && tau > 0, "centered clipping needs iterations ≥ 0 and τ > 0")
            return Self.centeredClipping(updates, tau: tau, iterations: iterations)
        }
    }

    // MARK: - Averages

    /// The mean of the rows at `rows`, summed in the given order in Double.
    private static func average(_ updates: [[Float]], _ rows: [Int]) -> [Float] {
        let dim = updates[0].count
        var acc = [Double](repeating: 0, count: dim)
        acc.withUnsafeMutableBufferPointer { a in
            for i in rows {
                updates[i].withUnsafeBufferPointer { x in
                    for j in 0..<dim { a[j] += Double(x[j]) }
                }
            }
        }
        let count = Double(rows.count)
        return acc.map { Float($0 / count) }
    }

    // MARK: - Coordinate-wise rules

    private static func coordinateWiseMedian(_ updates: [[Float]]) -> [Float] {
        coordinateWise(updates) { column in
            let mid = column.count / 2
            return column.count % 2 == 1 ? column[mid] : (column[mid - 1] + column[mid]) / 2
        }
    }

    /// Applies `reduce` to every coordinate's n values, sorted ascending. The columns are
    /// gathered a block of coordinates at a time into one scratch buffer (block-major, so each
    /// column is contiguous), which reads each update sequentially and allocates nothing per
    /// coordinate.
    private static func coordinateWise(_ updates: [[Float]], _ reduce: (UnsafeMutableBufferPointer<Float>) -> Float) -> [Float] {
        let n = updates.count, dim = updates[0].count
        let block = 256
        var out = [Float](repeating: 0, count: dim)
        var scratch = [Float](repeating: 0, count: n * block)
        out.withUnsafeMutableBufferPointer { o in
            scratch.withUnsafeMutableBufferPointer { s in
                var start = 0
                while start < dim {
                    let len = min(block, dim - start)
                    for i in 0..<n {
                        updates[i].withUnsafeBufferPointer { x in
                            for c in 0..<len { s[c * n + i] = x[start + c] }
                        }
                    }
                    for c in 0..<len {
                        var column = UnsafeMutableBufferPointer(rebasing: s[(c * n)..<(c * n + n)])
                        if n <= 32 { insertionSort(column) } else { column.sort() }
                        o[start + c] = reduce(column)
                    }
                    start += len
                }
            }
        }
        return out
    }

    /// For the few values of one coordinate (n is a fanout, rarely above 32) this is several
    /// times faster than the general sort, which matters a million coordinates at a time.
    private static func insertionSort(_ a: UnsafeMutableBufferPointer<Float>) {
        for i in 1..<max(1, a.count) {
            let v = a[i]
            var j = i
            while j > 0 && a[j - 1] > v {
                a[j] = a[j - 1]
                j -= 1
            }
            a[j] = v
        }
    }

    // MARK: - Krum

    /// All pairwise squared distances, computed once: O(n²·d), Double, row i holds ‖xᵢ − xⱼ‖².
    private static func squaredDistances(_ updates: [[Float]]) -> [[Double]] {
        let n = updates.count
        var d = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let s = updates[i].withUnsafeBufferPointer { a in
                    updates[j].withUnsafeBufferPointer { b in
                        var s = 0.0
                        for k in a.indices {
                            let diff = Double(a[k]) - Double(b[k])
                            s += diff * diff
                        }
                        return s
                    }
                }
                d[i][j] = s
                d[j][i] = s
            }
        }
        return d
    }

    /// Krum scores: the sum of each update's squared distances to its nearest n − f − 2 others.
    /// Krum's guarantee needs n > 2f + 2; with fewer updates the neighbour count is clamped to
    /// [1, n − 1] rather than refused, so a round that heard only a few peers still aggregates:
    /// the rule then picks the update closest to its nearest neighbour(s), which is still the
    /// best guess at "inside the honest cluster", without the guarantee. (With n = 2 both scores
    /// are equal and the tie rule picks the first.)
    static func krumScores(_ updates: [[Float]], f: Int) -> [Double] {
        precondition(f >= 0, "Krum needs f ≥ 0")
        let n = updates.count
        let neighbours = min(n - 1, max(1, n - f - 2))
        let d = squaredDistances(updates)
        var others = [Double](repeating: 0, count: n - 1)
        return (0..<n).map { i in
            var k = 0
            for j in 0..<n where j != i { others[k] = d[i][j]; k += 1 }
            others.sort()
            // Ascending order, so the sum is the same whatever order the peers came in.
            var s = 0.0
            for v in others[0..<neighbours] { s += v }
            return s
        }
    }

    /// The indices of the `count` lowest scores, best first; ties go to the lower index. A NaN
    /// score (only possible from unscreened input) ranks last.
    private static func lowest(_ scores: [Double], count: Int) -> [Int] {
        func key(_ i: Int) -> Double { scores[i].isNaN ? .infinity : scores[i] }
        let ranked = scores.indices.sorted { a, b in key(a) < key(b) || (key(a) == key(b) && a < b) }
        return Array(ranked.prefix(count))
    }

    // MARK: - Geometric median

    private static func geometricMedian(_ updates: [[Float]], iterations: Int, epsilon: Double) -> [Float] {
        let n = updates.count, dim = updates[0].count
        var z = [Double](repeating: 0, count: dim)
        for x in updates { addScaled(x, 1 / Double(n), into: &z) }
        var next = [Double](repeating: 0, count: dim)
        var weights = [Double](repeating: 0, count: n)
        for _ in 0..<iterations {
            var total = 0.0
            for i in 0..<n {
                weights[i] = 1 / max(epsilon, distance(updates[i], z))
                total += weights[i]
            }
            for j in 0..<dim { next[j] = 0 }
            for i in 0..<n { addScaled(updates[i], weights[i] / total, into: &next) }
            var step = 0.0
            for j in 0..<dim {
                let diff = next[j] - z[j]
                step += diff * diff
            }
            swap(&z, &next)
            // Stop once a step is a millionth of the points' harmonic mean distance from z
            // (n / Σ wᵢ): the harmonic mean follows the near points, so a far outlier cannot
            // make a large step look small, and it is never below ε.
            if step.squareRoot() <= 1e-6 * Double(n) / total { break }
        }
        return z.map { Float($0) }
    }

    // MARK: - Centered clipping

    /// Starts from the coordinate-wise median. The paper starts from the previous round's
    /// aggregate (the server's momentum); an Aggregator is stateless and there is no momentum
    /// state to start from, so the median stands in: a robust point inside the honest majority,
    /// from which each iteration moves at most τ.
    private static func centeredClipping(_ updates: [[Float]], tau: Double, iterations: Int) -> [Float] {
        let n = updates.count, dim = updates[0].count
        var v = coordinateWiseMedian(updates).map { Double($0) }
        var shift = [Double](repeating: 0, count: dim)
        for _ in 0..<iterations {
            for j in 0..<dim { shift[j] = 0 }
            for x in updates {
                let r = distance(x, v)
                let scale = r > tau ? tau / r : 1
                v.withUnsafeBufferPointer { c in
                    shift.withUnsafeMutableBufferPointer { s in
                        x.withUnsafeBufferPointer { p in
                            for j in 0..<dim { s[j] += scale * (Double(p[j]) - c[j]) }
                        }
                    }
                }
            }
            let inv = 1 / Double(n)
            for j in 0..<dim { v[j] += shift[j] * inv }
        }
        return v.map { Float($0) }
    }

    // MARK: - Helpers

    /// ‖x − c‖₂ with x in Float and c in Double.
    private static func distance(_ x: [Float], _ c: [Double]) -> Double {
        x.withUnsafeBufferPointer { a in
            c.withUnsafeBufferPointer { b in
                var s = 0.0
                for j in a.indices {
                    let diff = Double(a[j]) - b[j]
                    s += diff * diff
                }
                return s.squareRoot()
            }
        }
    }

    /// acc += w·x.
    private static func addScaled(_ x: [Float], _ w: Double, into acc: inout [Double]) {
        x.withUnsafeBufferPointer { a in
            acc.withUnsafeMutableBufferPointer { s in
                for j in a.indices { s[j] += w * Double(a[j]) }
            }
        }
    }
}

/// The screen every peer update passes before aggregation (SPEC §6): non-finite values or an
/// absurd norm mean a broken or malicious peer, and no robust rule should have to absorb them.
public enum UpdateCheck {
    /// Why `delta` must be rejected, or nil when it may be aggregated. The bound is
    /// `maxRatio · max(1, referenceNorm)`, where `referenceNorm` is the norm of the weights the
    /// delta applies to: the floor of 1 keeps a near-zero layer from making every update absurd.
    public static func screen(_ delta: [Float], referenceNorm: Double, maxRatio: Double) -> String? {
        let (finite, norm) = delta.withUnsafeBufferPointer { d in
            var finite = true, s = 0.0
            for v in d {
                finite = finite && v.isFinite
                s += Double(v) * Double(v)
            }
            return (finite, s.squareRoot())
        }
        return verdict(finite: finite, norm: norm, referenceNorm: referenceNorm, maxRatio: maxRatio)
    }

    /// The same screen for a peer that sends weights (θ₀ − Δ) rather than Δ: the delta is
    /// `base − weights`, its reference norm ‖base‖. Nothing is allocated.
    public static func screen(weights: [Float], base: [Float], maxRatio: Double) -> String? {
        guard weights.count == base.count else { return "wrong shape: \(weights.count) values, expected \(base.count)" }
        let (finite, norm, reference) = weights.withUnsafeBufferPointer { w in
            base.withUnsafeBufferPointer { b in
                var finite = true, s = 0.0, r = 0.0
                for j in w.indices {
                    finite = finite && w[j].isFinite
                    let diff = Double(b[j]) - Double(w[j])
                    s += diff * diff
                    r += Double(b[j]) * Double(b[j])
                }
                return (finite, s.squareRoot(), r.squareRoot())
            }
        }
        return verdict(finite: finite, norm: norm, referenceNorm: reference, maxRatio: maxRatio)
    }

    private static func verdict(finite: Bool, norm: Double, referenceNorm: Double, maxRatio: Double) -> String? {
        guard finite else { return "non-finite values" }
        let bound = maxRatio * max(1, referenceNorm)
        guard norm <= bound else { return "absurd update norm \(norm) (bound \(bound))" }
        return nil
    }
}
