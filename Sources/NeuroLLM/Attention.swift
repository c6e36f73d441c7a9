import TensorMath

/// Causal grouped-query self-attention on the fused query/key/value activations.
///
/// A row of `qkv` (one token) holds the rotated queries of all heads (hidden floats), then the
/// rotated keys (kvWidth), then the values (kvWidth). Query head h reads key/value head
/// h / (heads / kvHeads). Each (sequence, head) pair is two matrix products on strided views of
/// `qkv` — scores = Q·Kᵀ/√d and out = P·V — with the causal softmax between them.
struct Attention {
    let batch, sequence, heads, kvHeads, headDimension, hidden: Int

    init(config: ModelConfig, batch: Int, sequence: Int) {
        self.batch = batch
        self.sequence = sequence
        heads = config.heads
        kvHeads = config.kvHeads
        headDimension = config.headDimension
        hidden = config.hidden
    }

    /// Floats per row of `qkv`.
    var width: Int { hidden + 2 * kvHeads * headDimension }
    var scale: Float { 1 / Float(headDimension).squareRoot() }
    /// Floats of the saved probabilities: batch · heads · sequence².
    var probabilityCount: Int { batch * heads * sequence * sequence }

    @inline(__always) private func queryOffset(_ b: Int, _ h: Int) -> Int { b * sequence * width + h * headDimension }
    @inline(__always) private func keyOffset(_ b: Int, _ h: Int) -> Int {
        b * sequence * width + hidden + (h / (heads / kvHeads)) * headDimension
    }
    @inline(__always) private func valueOffset(_ b: Int, _ h: Int) -> Int { keyOffset(b, h) + kvHeads * headDimension }

    /// Saves the probabilities (batch × heads × sequence × sequence) for the backward pass and
    /// writes the heads' outputs side by side into `out` (rows × hidden).
    func forward(qkv: UnsafePointer<Float>, probabilities: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let t = sequence, d = headDimension, w = width
        for b in 0..<batch {
            for h in 0..<heads {
                let p = probabilities + (b * heads + h) * t * t
                BLAS.gemm(qkv + queryOffset(b, h), lda: w, qkv + keyOffset(b, h), ldb: w, into: p, ldc: t,
                          m: t, n: t, k: d, transposeB: true, alpha: scale)
                CausalSoftmax.forward(p, size: t)
                BLAS.gemm(p, lda: t, qkv + valueOffset(b, h), ldb: w, into: out + b * t * hidden + h * d, ldc: hidden,
                          m: t, n: d, k: t)
            }
        }
    }

    /// From the gradient of the output (rows × hidden) to the gradient of `qkv` (before the
    /// inverse rotation), overwriting `qkvGradient`. Heads sharing a key/value head add their
    /// key and value gradients into the same columns. `scratch` holds sequence² floats.
    func backward(qkv: UnsafePointer<Float>, probabilities: UnsafePointer<Float>, outputGradient dOut: UnsafePointer<Float>,
                  qkvGradient dqkv: UnsafeMutablePointer<Float>, scratch dScores: UnsafeMutablePointer<Float>) {
        let t = sequence, d = headDimension, w = width, group = heads / kvHeads
        for b in 0..<batch {
            for h in 0..<heads {
                let p = probabilities + (b * heads + h) * t * t
                let dO = dOut + b * t * hidden + h * d
                let firstOfGroup = h % group == 0
                // dP = dO·Vᵀ; dV (+)= Pᵀ·dO
                BLAS.gemm(dO, lda: hidden, qkv + valueOffset(b, h), ldb: w, into: dScores, ldc: t,
                          m: t, n: t, k: d, transposeB: true)
                BLAS.gemm(p, lda: t, dO, ldb: hidden, into: dqkv + valueOffset(b, h), ldc: w,
                          m: t, n: d, k: t, transposeA: true, accumulate: !firstOfGroup)
                CausalSoftmax.backward(probabilities: p, gradient: dScores, size: t)
                // dQ = dS·K/√d; dK (+)= dSᵀ·Q/√d
                BLAS.gemm(dScores, lda: t, qkv + keyOffset(b, h), ldb: w, into: dqkv + queryOffset(b, h), ldc: w,
                          m: t, n: d, k: t, alpha: scale)
                BLAS.gemm(dScores, lda: t, qkv + queryOffset(b, h), ldb: w, into: dqkv + keyOffset(b, h), ldc: w,
                          m: t, n: d, k: t, transposeA: true, alpha: scale, accumulate: !firstOfGroup)
            }
        }
    }
}
