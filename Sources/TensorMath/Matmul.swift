import COpenBLAS

/// Dense matrix products through OpenBLAS's `cblas_sgemm`, row-major. The simulator runs BLAS on
/// one thread (a fixed summation order, so the same inputs give the same bits); production may
/// use more (`--cpu-threads`).
public enum BLAS {
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// C = op(A)·op(B), with op(A) m×k and op(B) k×n; `c` is overwritten (β = 0) or accumulated
    /// into (`accumulate`, β = 1), which backward passes use to sum gradients.
    public static func gemm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
                            m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
                            alpha: Float = 1, accumulate: Bool = false) {
        gemm(a, lda: transposeA ? m : k, b, ldb: transposeB ? k : n, into: c, ldc: n, m: m, n: n, k: k,
             transposeA: transposeA, transposeB: transposeB, alpha: alpha, accumulate: accumulate)
    }

    /// The same on sub-matrices: `lda`, `ldb` and `ldc` are the row strides of the stored
    /// matrices (at least their row lengths), so a slice of a wider matrix — one attention head's
    /// columns of the fused query/key/value activations — is multiplied in place, without a copy.
    public static func gemm(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                            into c: UnsafeMutablePointer<Float>, ldc: Int,
                            m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
                            alpha: Float = 1, accumulate: Bool = false) {
        precondition(m >= 0 && n >= 0 && k >= 0, "negative dimension")
        precondition(lda >= max(1, transposeA ? m : k) && ldb >= max(1, transposeB ? k : n) && ldc >= max(1, n),
                     "a leading dimension is shorter than its matrix's rows")
        guard m > 0 && n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    accumulate ? 1 : 0, c, Int32(ldc))
    }

    /// The same on arrays: returns op(A)·op(B) as a new m×n array.
    public static func matmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                              transposeA: Bool = false, transposeB: Bool = false) -> [Float] {
        precondition(a.count == m * k && b.count == k * n, "shapes do not match the arrays")
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    gemm(pa.baseAddress!, pb.baseAddress!, into: pc.baseAddress!, m: m, n: n, k: k,
                         transposeA: transposeA, transposeB: transposeB)
                }
            }
        }
        return c
    }
}
