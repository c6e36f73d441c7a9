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

@Suite struct StridedMatmulTests {
    /// Products of sub-matrices taken in place from wider ones (an attention head's columns), with
    /// the result written into columns of a wider output: the same as copying them out first.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func subMatricesMatchCopies(ta: Bool, tb: Bool) {
        var rng = DeterministicRNG(seed: 3)
        let (m, n, k) = (5, 4, 6)
        let (aRows, aCols) = ta ? (k, m) : (m, k)
        let (bRows, bCols) = tb ? (n, k) : (k, n)
        let (lda, ldb, ldc) = (aCols + 3, bCols + 5, n + 2)
        let wideA = (0..<(aRows * lda)).map { _ in Float(rng.nextGaussian()) }
        let wideB = (0..<(bRows * ldb)).map { _ in Float(rng.nextGaussian()) }
        let a = (0..<aRows).flatMap { r in wideA[(r * lda + 1)..<(r * lda + 1 + aCols)] }
        let b = (0..<bRows).flatMap { r in wideB[(r * ldb + 2)..<(r * ldb + 2 + bCols)] }
        let want = MatmulTests().naive(a, b, m: m, n: n, k: k, ta: ta, tb: tb)
        var c = [Float](repeating: 7, count: m * ldc)
        wideA.withUnsafeBufferPointer { pa in
            wideB.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(pa.baseAddress! + 1, lda: lda, pb.baseAddress! + 2, ldb: ldb, into: pc.baseAddress!, ldc: ldc,
                              m: m, n: n, k: k, transposeA: ta, transposeB: tb, alpha: 0.5)
                }
            }
        }
        for i in 0..<m {
            for j in 0..<n { #expect(abs(c[i * ldc + j] - 0.5 * want[i * n + j]) < 1e-4) }
            for j in n..<ldc { #expect(c[i * ldc + j] == 7, "columns outside the product are untouched") }
        }
    }
}
