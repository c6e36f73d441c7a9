import TensorMath

// Element-wise and row-wise work of the transformer, on raw pointers so that release builds
// vectorise it. Reductions use eight explicit partial sums (the compiler may not reorder a float
// sum by itself); the order is fixed, so results are bit-reproducible.

@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>()
    var i = 0
    while i + 8 <= n {
        acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var total = acc.sum()
    while i < n { total += a[i] * b[i]; i += 1 }
    return total
}

@inline(__always)
func sum(_ a: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>()
    var i = 0
    while i + 8 <= n {
        acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
        i += 8
    }
    var total = acc.sum()
    while i < n { total += a[i]; i += 1 }
    return total
}

@inline(__always)
func maximum(_ a: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: -.greatestFiniteMagnitude)
    var i = 0
    while i + 8 <= n {
        let v = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
        acc.replace(with: v, where: v .> acc)
        i += 8
    }
    var best = acc.max()
    while i < n { best = max(best, a[i]); i += 1 }
    return best
}

/// RMSNorm: y = x / rms(x) ⊙ gain, row by row, with rms(x) = √(mean(x²) + ε).
enum RMSNorm {
    /// Also saves 1/rms of every row for the backward pass.
    static func forward(_ x: UnsafePointer<Float>, gain: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                        inverseRMS: UnsafeMutablePointer<Float>, rows: Int, width: Int, epsilon: Float) {
        for r in 0..<rows {
            let xr = x + r * width, yr = y + r * width
            let inv = 1 / (dot(xr, xr, width) / Float(width) + epsilon).squareRoot()
            inverseRMS[r] = inv
            for j in 0..<width { yr[j] = xr[j] * inv * gain[j] }
        }
    }

    /// With x̂ = x/rms and g = dy ⊙ gain: dx = (g − x̂·mean(g ⊙ x̂)) / rms, added into `dx`
    /// (the residual branch's gradient is already there); dgain = Σ_rows dy ⊙ x̂, overwritten.
    /// `scratch` holds one row.
    static func backward(_ x: UnsafePointer<Float>, gain: UnsafePointer<Float>, inverseRMS: UnsafePointer<Float>,
                         outputGradient dy: UnsafePointer<Float>, addingInto dx: UnsafeMutablePointer<Float>,
                         gainGradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                         rows: Int, width: Int) {
        gainGradient.update(repeating: 0, count: width)
        for r in 0..<rows {
            let xr = x + r * width, dyr = dy + r * width, dxr = dx + r * width
            let inv = inverseRMS[r]
            for j in 0..<width {
                let xhat = xr[j] * inv
                gainGradient[j] += dyr[j] * xhat
                scratch[j] = dyr[j] * gain[j]
            }
            let mean = dot(scratch, xr, width) * inv / Float(width)
            for j in 0..<width { dxr[j] += (scratch[j] - xr[j] * inv * mean) * inv }
        }
    }
}

/// Softmax over the causal part of square score matrices: row i keeps columns 0…i.
enum CausalSoftmax {
    /// In place; the masked columns (j > i) become exactly 0.
    static func forward(_ s: UnsafeMutablePointer<Float>, size t: Int) {
        for i in 0..<t {
            let row = s + i * t, n = i + 1
            let top = maximum(row, n)
            for j in 0..<n { row[j] = fastExp(row[j] - top) }
            let inv = 1 / sum(row, n)
            for j in 0..<n { row[j] *= inv }
            (row + n).update(repeating: 0, count: t - n)
        }
    }

    /// Turns dP (the gradient of the probabilities P) into dS = P ⊙ (dP − rowsum(dP ⊙ P)), in place.
    static func backward(probabilities p: UnsafePointer<Float>, gradient d: UnsafeMutablePointer<Float>, size t: Int) {
        for i in 0..<t {
            let pr = p + i * t, dr = d + i * t, n = i + 1
            let centre = dot(pr, dr, n)
            for j in 0..<n { dr[j] = pr[j] * (dr[j] - centre) }
            (dr + n).update(repeating: 0, count: t - n)
        }
    }
}

/// SwiGLU: out = silu(gate) ⊙ up, silu(g) = g·σ(g). A row of the fused product holds the ffn
/// gate values, then the ffn up values.
enum SwiGLU {
    static func forward(_ gateUp: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, rows: Int, ffn: Int) {
        for r in 0..<rows {
            let gate = gateUp + r * 2 * ffn, up = gate + ffn, o = out + r * ffn
            for j in 0..<ffn {
                let g = gate[j]
                o[j] = g / (1 + fastExp(-g)) * up[j]
            }
        }
    }

    /// dgate = dout·up·σ(g)·(1 + g·(1 − σ(g))), dup = dout·silu(g); σ is recomputed rather than stored.
    static func backward(_ gateUp: UnsafePointer<Float>, outputGradient dOut: UnsafePointer<Float>,
                         into dGateUp: UnsafeMutablePointer<Float>, rows: Int, ffn: Int) {
        for r in 0..<rows {
            let gate = gateUp + r * 2 * ffn, up = gate + ffn, d = dOut + r * ffn
            let dGate = dGateUp + r * 2 * ffn, dUp = dGate + ffn
            for j in 0..<ffn {
                let g = gate[j]
                let s = 1 / (1 + fastExp(-g))
                dUp[j] = d[j] * g * s
                dGate[j] = d[j] * up[j] * s * (1 + g * (1 - s))
            }
        }
    }
}
