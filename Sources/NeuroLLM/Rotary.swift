import Foundation

/// Rotary position embedding (RoPE) in the "half-split" form: in a head vector of size d, the
/// pair (x[i], x[i + d/2]) is rotated by the angle position · base^(−2i/d). A query and a key
/// rotated for positions m and n then have a dot product that depends on m − n only, which is
/// how attention sees relative positions. The split halves (rather than interleaved pairs) keep
/// both operands of every rotation contiguous, so the loop vectorises.
struct RotaryTable {
    let positions: Int
    let half: Int
    /// cos and sin of every (position, frequency), positions × half, computed in Double.
    private let cosines: [Float]
    private let sines: [Float]

    init(positions: Int, headDimension: Int, base: Double) {
        self.positions = positions
        half = headDimension / 2
        var c = [Float](), s = [Float]()
        c.reserveCapacity(positions * half)
        s.reserveCapacity(positions * half)
        for t in 0..<positions {
            for i in 0..<half {
                let angle = Double(t) * pow(base, -2 * Double(i) / Double(headDimension))
                c.append(Float(cos(angle)))
                s.append(Float(sin(angle)))
            }
        }
        cosines = c
        sines = s
    }

    /// Rotates `heads` consecutive head vectors in each of `rows` rows (`stride` floats apart);
    /// row r is at position r mod `positions` (rows are batch-major sequences). `inverse`
    /// rotates by the opposite angle, which is the backward pass (a rotation's transpose).
    func rotate(_ x: UnsafeMutablePointer<Float>, rows: Int, stride: Int, heads: Int, inverse: Bool) {
        let direction: Float = inverse ? -1 : 1
        let half = half
        cosines.withUnsafeBufferPointer { cosines in
            sines.withUnsafeBufferPointer { sines in
                for r in 0..<rows {
                    let c = cosines.baseAddress! + (r % positions) * half
                    let s = sines.baseAddress! + (r % positions) * half
                    for h in 0..<heads {
                        let lo = x + r * stride + h * 2 * half, hi = lo + half
                        for i in 0..<half {
                            let a = lo[i], b = hi[i], sn = s[i] * direction
                            lo[i] = a * c[i] - b * sn
                            hi[i] = b * c[i] + a * sn
                        }
                    }
                }
            }
        }
    }
}
