import Deterministic
import Testing
@testable import Language

@Suite struct GammaDirichletTests {
    /// Gamma(a, 1) has mean a and variance a, below and above shape 1 (the two code paths).
    @Test(arguments: [0.2, 0.7, 1.0, 3.5])
    func gammaMomentsMatch(shape: Double) {
        var rng = DeterministicRNG(seed: 11)
        let n = 200_000
        var sum = 0.0, squares = 0.0
        for _ in 0..<n {
            let g = rng.nextGamma(shape: shape)
            #expect(g >= 0 && g.isFinite)
            sum += g
            squares += g * g
        }
        let mean = sum / Double(n), variance = squares / Double(n) - mean * mean
        #expect(abs(mean - shape) < 0.02 * shape)
        #expect(abs(variance - shape) < 0.06 * shape)
    }

    @Test func logGammaOfATinyShapeStaysFinite() {
        var rng = DeterministicRNG(seed: 3)
        for _ in 0..<1000 { #expect(rng.nextLogGamma(shape: 0.001).isFinite) }
    }

    @Test func dirichletRowsSumToOneWithTheRightMean() {
        var rng = DeterministicRNG(seed: 4)
        var mean = [Double](repeating: 0, count: 5)
        for alpha in [0.01, 0.2, 5.0] {
            for _ in 0..<2000 {
                let row = rng.nextDirichlet(alpha: alpha, count: 5)
                #expect(abs(row.reduce(0, +) - 1) < 1e-12)
                #expect(row.allSatisfy { $0 >= 0 })
                if alpha == 5 { for i in 0..<5 { mean[i] += row[i] / 2000 } }
            }
        }
        for m in mean { #expect(abs(m - 0.2) < 0.01) }
    }
}
