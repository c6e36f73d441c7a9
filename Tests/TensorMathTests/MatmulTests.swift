import Deterministic
import Testing
@testable import TensorMath

@Suite struct MatmulTests {
    /// The textbook triple loop, in Double, as the reference.
    func naive(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, ta: Bool, tb: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let x = ta ? a[p * m + i] : a[i * k + p]
                    let y = tb ? b[j * k + p] : b[p * n + j]
                    s += Double(x) * Double(y)
                }
                c[i * n + j] = Float(s)
            }
        }
        return c
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matchesTheDefinition(ta: Bool, tb: Bool) {
        var rng = DeterministicRNG(seed: 1)
        let (m, n, k) = (7, 5, 11)
        let a = (0..<(m * k)).map { _ in Float(rng.nextGaussian()) }
        let b = (0..<(k * n)).map { _ in Float(rng.nextGaussian()) }
        let got = BLAS.matmul(a, b, m: m, n: n, k: k, transposeA: ta, transposeB: tb)
        let want = naive(a, b, m: m, n: n, k: k, ta: ta, tb: tb)
        #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test func handComputed() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        #expect(BLAS.matmul([1, 2, 3, 4], [5, 6, 7, 8], m: 2, n: 2, k: 2) == [19, 22, 43, 50])
    }

    @Test func accumulateAddsIntoTheOutput() {
        var c: [Float] = [1, 1, 1, 1]
        let a: [Float] = [1, 0, 0, 1], b: [Float] = [2, 3, 4, 5]
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(pa.baseAddress!, pb.baseAddress!, into: pc.baseAddress!, m: 2, n: 2, k: 2, accumulate: true)
                }
            }
        }
        #expect(c == [3, 4, 5, 6])
    }

    @Test func oneThreadIsBitReproducible() {
        BLAS.setThreads(1)
        var rng = DeterministicRNG(seed: 2)
        let a = (0..<(64 * 256)).map { _ in Float(rng.nextGaussian()) }
        let b = (0..<(256 * 48)).map { _ in Float(rng.nextGaussian()) }
        #expect(BLAS.matmul(a, b, m: 64, n: 48, k: 256) == BLAS.matmul(a, b, m: 64, n: 48, k: 256))
        #expect(BLAS.threads == 1)
    }
}
