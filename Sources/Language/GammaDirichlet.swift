import Deterministic

// Gamma and Dirichlet draws, used to make random Markov transition tables whose peakedness
// (and so whose entropy) is set by one concentration parameter.
extension DeterministicRNG {
    /// A Gamma(shape, scale 1) draw.
    public mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "Gamma shape must be positive and finite")
        return shape >= 1 ? marsagliaTsang(shape) : _exp(nextLogGamma(shape: shape))
    }

    /// The logarithm of a Gamma(shape) draw. For a small shape most of the mass sits so close
    /// to 0 that the draw itself underflows; its logarithm does not, which keeps Dirichlet rows
    /// with a tiny concentration well defined.
    public mutating func nextLogGamma(shape: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "Gamma shape must be positive and finite")
        if shape >= 1 { return _log(marsagliaTsang(shape)) }
        // Marsaglia and Tsang's boost: Gamma(a) = Gamma(a + 1) · U^(1/a) for a < 1.
        let u = 1 - nextDouble()  // in (0, 1], so the logarithm is finite
        return _log(marsagliaTsang(shape + 1)) + _log(u) / shape
    }

    /// A draw from the symmetric Dirichlet(alpha, …, alpha) over `count` outcomes: normalised
    /// Gamma(alpha) draws, normalised in log space so that no row can be all zeros.
    public mutating func nextDirichlet(alpha: Double, count: Int) -> [Double] {
        precondition(count > 0, "a Dirichlet needs at least one outcome")
        var logs = (0..<count).map { _ in nextLogGamma(shape: alpha) }
        let top = logs.max()!
        var sum = 0.0
        for i in logs.indices { logs[i] = _exp(logs[i] - top); sum += logs[i] }
        return logs.map { $0 / sum }
    }

    /// Marsaglia and Tsang (2000), "A simple method for generating gamma variables", for
    /// shape ≥ 1: a squeezed rejection from a transformed normal, about 1.05 tries per draw.
    private mutating func marsagliaTsang(_ shape: Double) -> Double {
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = nextGaussian()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextDouble()
            let x2 = x * x
            if u < 1 - 0.0331 * x2 * x2 { return d * v }
            if _log(u) < 0.5 * x2 + d * (1 - v + _log(v)) { return d * v }
        }
    }
}
