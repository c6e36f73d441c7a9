import TensorMath

/// What one block's forward pass keeps for its backward pass.
final class BlockCache {
    let normed1, inverseRMS1, qkv, probabilities, attention, mid, normed2, inverseRMS2, gateUp, gated: FloatBuffer

    init(config: ModelConfig, rows: Int, attention: Attention) {
        let h = config.hidden, f = config.ffn
        normed1 = FloatBuffer(rows * h)
        inverseRMS1 = FloatBuffer(rows)
        qkv = FloatBuffer(rows * attention.width)
        probabilities = FloatBuffer(attention.probabilityCount)
        self.attention = FloatBuffer(rows * h)
        mid = FloatBuffer(rows * h)
        normed2 = FloatBuffer(rows * h)
        inverseRMS2 = FloatBuffer(rows)
        gateUp = FloatBuffer(rows * 2 * f)
        gated = FloatBuffer(rows * f)
    }
}

/// Gradient scratch space, shared by all blocks of a stage (only one runs backward at a time).
final class BlockScratch {
    let qkv, attention, scores, gateUp, gated, normed, mid, row: FloatBuffer

    init(config: ModelConfig, rows: Int, attention: Attention) {
        let h = config.hidden, f = config.ffn
        qkv = FloatBuffer(rows * attention.width)
        self.attention = FloatBuffer(rows * h)
        scores = FloatBuffer(attention.sequence * attention.sequence)
        gateUp = FloatBuffer(rows * 2 * f)
        gated = FloatBuffer(rows * f)
        normed = FloatBuffer(rows * h)
        mid = FloatBuffer(rows * h)
        row = FloatBuffer(max(h, f))
    }
}

/// A transformer block (pre-norm):
///   mid = x + Attention(RMSNorm(x))·woᵀ
///   y   = mid + SwiGLU(RMSNorm(mid))·wDownᵀ
/// Every projection runs as one matrix product over all batch × sequence rows.
struct Block {
    let config: ModelConfig
    let layout: BlockLayout
    let attention: Attention
    let rotary: RotaryTable
    let rows: Int

    init(config: ModelConfig, batch: Int, sequence: Int, rotary: RotaryTable) {
        self.config = config
        layout = BlockLayout(config)
        attention = Attention(config: config, batch: batch, sequence: sequence)
        self.rotary = rotary
        rows = batch * sequence
    }

    func forward(_ p: UnsafePointer<Float>, input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>,
                 cache c: BlockCache) {
        let n = rows, h = config.hidden, f = config.ffn, w = attention.width
        RMSNorm.forward(x, gain: p + layout.attentionNorm.lowerBound, into: c.normed1.pointer,
                        inverseRMS: c.inverseRMS1.pointer, rows: n, width: h, epsilon: config.normEpsilon)
        BLAS.gemm(c.normed1.pointer, p + layout.wqkv.lowerBound, into: c.qkv.pointer, m: n, n: w, k: h, transposeB: true)
        rotary.rotate(c.qkv.pointer, rows: n, stride: w, heads: config.heads, inverse: false)
        rotary.rotate(c.qkv.pointer + h, rows: n, stride: w, heads: config.kvHeads, inverse: false)
        attention.forward(qkv: c.qkv.pointer, probabilities: c.probabilities.pointer, into: c.attention.pointer)
        c.mid.pointer.update(from: x, count: n * h)
        BLAS.gemm(c.attention.pointer, p + layout.wo.lowerBound, into: c.mid.pointer, m: n, n: h, k: h,
                  transposeB: true, accumulate: true)

        RMSNorm.forward(c.mid.pointer, gain: p + layout.mlpNorm.lowerBound, into: c.normed2.pointer,
                        inverseRMS: c.inverseRMS2.pointer, rows: n, width: h, epsilon: config.normEpsilon)
        BLAS.gemm(c.normed2.pointer, p + layout.wGateUp.lowerBound, into: c.gateUp.pointer, m: n, n: 2 * f, k: h,
                  transposeB: true)
        SwiGLU.forward(c.gateUp.pointer, into: c.gated.pointer, rows: n, ffn: f)
        y.update(from: c.mid.pointer, count: n * h)
        BLAS.gemm(c.gated.pointer, p + layout.wDown.lowerBound, into: y, m: n, n: h, k: f, transposeB: true, accumulate: true)
    }

    /// From dy (gradient of the output) to dx (gradient of the input, overwritten) and the
    /// layer's parameter gradient `g` (overwritten, same layout as the parameters).
    func backward(_ p: UnsafePointer<Float>, input x: UnsafePointer<Float>, cache c: BlockCache,
                  outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>,
                  parameterGradient g: UnsafeMutablePointer<Float>, scratch s: BlockScratch) {
        let n = rows, h = config.hidden, f = config.ffn, w = attention.width

        // y = mid + gated·wDownᵀ
        BLAS.gemm(dy, p + layout.wDown.lowerBound, into: s.gated.pointer, m: n, n: f, k: h)
        BLAS.gemm(dy, c.gated.pointer, into: g + layout.wDown.lowerBound, m: h, n: f, k: n, transposeA: true)
        SwiGLU.backward(c.gateUp.pointer, outputGradient: s.gated.pointer, into: s.gateUp.pointer, rows: n, ffn: f)
        BLAS.gemm(s.gateUp.pointer, c.normed2.pointer, into: g + layout.wGateUp.lowerBound, m: 2 * f, n: h, k: n,
                  transposeA: true)
        BLAS.gemm(s.gateUp.pointer, p + layout.wGateUp.lowerBound, into: s.normed.pointer, m: n, n: h, k: 2 * f)
        s.mid.pointer.update(from: dy, count: n * h)
        RMSNorm.backward(c.mid.pointer, gain: p + layout.mlpNorm.lowerBound, inverseRMS: c.inverseRMS2.pointer,
                         outputGradient: s.normed.pointer, addingInto: s.mid.pointer,
                         gainGradient: g + layout.mlpNorm.lowerBound, scratch: s.row.pointer, rows: n, width: h)

        // mid = x + attention·woᵀ
        BLAS.gemm(s.mid.pointer, p + layout.wo.lowerBound, into: s.attention.pointer, m: n, n: h, k: h)
        BLAS.gemm(s.mid.pointer, c.attention.pointer, into: g + layout.wo.lowerBound, m: h, n: h, k: n, transposeA: true)
        attention.backward(qkv: c.qkv.pointer, probabilities: c.probabilities.pointer, outputGradient: s.attention.pointer,
                           qkvGradient: s.qkv.pointer, scratch: s.scores.pointer)
        rotary.rotate(s.qkv.pointer, rows: n, stride: w, heads: config.heads, inverse: true)
        rotary.rotate(s.qkv.pointer + h, rows: n, stride: w, heads: config.kvHeads, inverse: true)
        BLAS.gemm(s.qkv.pointer, c.normed1.pointer, into: g + layout.wqkv.lowerBound, m: w, n: h, k: n, transposeA: true)
        BLAS.gemm(s.qkv.pointer, p + layout.wqkv.lowerBound, into: s.normed.pointer, m: n, n: h, k: w)
        dx.update(from: s.mid.pointer, count: n * h)
        RMSNorm.backward(x, gain: p + layout.attentionNorm.lowerBound, inverseRMS: c.inverseRMS1.pointer,
                         outputGradient: s.normed.pointer, addingInto: dx,
                         gainGradient: g + layout.attentionNorm.lowerBound, scratch: s.row.pointer, rows: n, width: h)
    }
}
