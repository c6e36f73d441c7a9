import Deterministic
import TensorMath

/// What the head's forward pass keeps for its backward pass.
final class HeadCache {
    let normed, inverseRMS, logits, normedGradient, row: FloatBuffer

    init(config: ModelConfig, rows: Int) {
        normed = FloatBuffer(rows * config.hidden)
        inverseRMS = FloatBuffer(rows)
        logits = FloatBuffer(rows * config.vocabularySize)
        normedGradient = FloatBuffer(rows * config.hidden)
        row = FloatBuffer(config.hidden)
    }
}

/// The last layer: final RMSNorm, logits = normed·wOutᵀ, and the softmax cross-entropy averaged
/// over the positions whose target is not pad (id 0), which are ignored.
struct Head {
    static let padToken: Int32 = 0
    let config: ModelConfig
    let layout: HeadLayout
    let rows: Int

    /// Leaves the logits (rows × vocabulary) in `c.logits`.
    func logits(_ p: UnsafePointer<Float>, input x: UnsafePointer<Float>, cache c: HeadCache) {
        RMSNorm.forward(x, gain: p + layout.norm.lowerBound, into: c.normed.pointer, inverseRMS: c.inverseRMS.pointer,
                        rows: rows, width: config.hidden, epsilon: config.normEpsilon)
        BLAS.gemm(c.normed.pointer, p + layout.wOut.lowerBound, into: c.logits.pointer,
                  m: rows, n: config.vocabularySize, k: config.hidden, transposeB: true)
    }

    /// The mean loss; turns the logits into dLoss/dlogits in place for the backward pass:
    /// (softmax − one-hot) / count on target rows, 0 on pad rows. The per-row losses are summed
    /// in Double in row order.
    func loss(targets: UnsafePointer<Int32>, cache c: HeadCache) -> Double {
        let v = config.vocabularySize
        var count = 0
        for r in 0..<rows where targets[r] != Head.padToken { count += 1 }
        let weight: Float = count > 0 ? 1 / Float(count) : 0
        var total = 0.0
        for r in 0..<rows {
            let row = c.logits.pointer + r * v
            let target = Int(targets[r])
            guard target != Int(Head.padToken) else {
                row.update(repeating: 0, count: v)
                continue
            }
            let top = maximum(row, v)
            let targetLogit = row[target]
            for j in 0..<v { row[j] = fastExp(row[j] - top) }
            let normaliser = sum(row, v)
            total += _log(Double(normaliser)) + Double(top - targetLogit)
            let scale = weight / normaliser
            for j in 0..<v { row[j] *= scale }
            row[target] -= weight
        }
        return count > 0 ? total / Double(count) : 0
    }

    /// After `loss`: the gradient of the input (overwritten) and of the parameters (overwritten).
    func backward(_ p: UnsafePointer<Float>, input x: UnsafePointer<Float>, cache c: HeadCache,
                  inputGradient dx: UnsafeMutablePointer<Float>, parameterGradient g: UnsafeMutablePointer<Float>) {
        let h = config.hidden, v = config.vocabularySize
        BLAS.gemm(c.logits.pointer, c.normed.pointer, into: g + layout.wOut.lowerBound, m: v, n: h, k: rows, transposeA: true)
        BLAS.gemm(c.logits.pointer, p + layout.wOut.lowerBound, into: c.normedGradient.pointer, m: rows, n: h, k: v)
        dx.update(repeating: 0, count: rows * h)
        RMSNorm.backward(x, gain: p + layout.norm.lowerBound, inverseRMS: c.inverseRMS.pointer,
                         outputGradient: c.normedGradient.pointer, addingInto: dx, gainGradient: g + layout.norm.lowerBound,
                         scratch: c.row.pointer, rows: rows, width: h)
    }
}
