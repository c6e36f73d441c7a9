import Deterministic

/// The arithmetic of the Byzantine behaviours (see `Behaviour`), kept apart so each attack can
/// be tested on hand-computed inputs.
public enum Attacks {
    /// ALIE's z from the number of nodes n and of Byzantine ones f, in the form of the
    /// reference implementation the reading notes quote (epfml, alittle.py):
    /// s = ⌊n/2 + 1⌋ − f, z = Φ⁻¹((n − f − s)/(n − f)).
    ///
    /// For n = 8, f = 2 it is Φ⁻¹(0.5) = 0: the attack then sends the honest mean and does no
    /// harm, which is why scenarios at that size should give z explicitly. When f is so large
    /// that the probability leaves (0, 1) (a Byzantine majority, or no honest node), it is
    /// clamped to [0.001, 0.999], |z| ≤ 3.09, rather than returning ±∞.
    public static func alieZ(nodes n: Int, byzantine f: Int) -> Double {
        let honest = n - f
        guard honest > 0 else { return 0 }
        let s = (n / 2 + 1) - f
        let p = Double(honest - s) / Double(honest)
        return inverseNormalCDF(min(0.999, max(0.001, p)))
    }

    /// Φ⁻¹(p) for 0 < p < 1, by Acklam's rational approximation (relative error below
    /// 1.2·10⁻⁹): a central rational function in (p − ½)² and two tail ones in √(−2 ln p).
    public static func inverseNormalCDF(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "Φ⁻¹ needs 0 < p < 1")
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                 3.754408661907416e+00]
        func tail(_ q: Double) -> Double {
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let low = 0.02425
        if p < low { return tail((-2 * _log(p)).squareRoot()) }
        if p > 1 - low { return -tail((-2 * _log(1 - p)).squareRoot()) }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }

    /// The honest updates an attacker bases its own on: its own Δ first, then those it observed
    /// of the same size.
    static func honestPool(_ own: [Float], _ observed: [[Float]]) -> [[Float]] {
        [own] + observed.filter { $0.count == own.count }
    }

    /// μ − z·σ per coordinate, with μ the mean and σ the sample standard deviation (n − 1) of
    /// `pool`, both in Double; σ = 0 for a single update. Two passes (mean, then squared
    /// deviations) rather than Σx² − nμ², which cancels badly when σ ≪ |μ|.
    static func alie(_ pool: [[Float]], z: Double) -> [Float] {
        let m = pool.count, dim = pool[0].count
        var mean = [Double](repeating: 0, count: dim)
        var squares = [Double](repeating: 0, count: dim)
        mean.withUnsafeMutableBufferPointer { mu in
            for x in pool { x.withUnsafeBufferPointer { p in for j in 0..<dim { mu[j] += Double(p[j]) } } }
            for j in 0..<dim { mu[j] /= Double(m) }
            squares.withUnsafeMutableBufferPointer { sq in
                for x in pool {
                    x.withUnsafeBufferPointer { p in
                        for j in 0..<dim {
                            let dev = Double(p[j]) - mu[j]
                            sq[j] += dev * dev
                        }
                    }
                }
            }
        }
        guard m > 1 else { return mean.map { Float($0) } }
        let inv = 1 / Double(m - 1)
        var out = [Float](repeating: 0, count: dim)
        for j in 0..<dim { out[j] = Float(mean[j] - z * (squares[j] * inv).squareRoot()) }
        return out
    }

    /// −ε · mean(pool), the mean summed in Double in pool order.
    static func ipm(_ pool: [[Float]], epsilon: Double) -> [Float] {
        let dim = pool[0].count
        var sum = [Double](repeating: 0, count: dim)
        sum.withUnsafeMutableBufferPointer { s in
            for x in pool { x.withUnsafeBufferPointer { p in for j in 0..<dim { s[j] += Double(p[j]) } } }
        }
        let count = Double(pool.count)
        return sum.map { Float(-epsilon * ($0 / count)) }
    }

    /// `own` with a random coordinate set to NaN and, half the vector further on, one set to +∞
    /// (one poisoned coordinate in an otherwise plausible update is the hardest case to spot).
    static func poisoned(_ own: [Float], rng: inout DeterministicRNG) -> [Float] {
        guard !own.isEmpty else { return own }
        var out = own
        let i = rng.nextInt(below: own.count)
        out[i] = .nan
        if own.count > 1 { out[(i + own.count / 2) % own.count] = .infinity }
        return out
    }
}
