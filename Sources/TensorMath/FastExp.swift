/// eˣ in single precision, written as plain arithmetic so that a loop calling it vectorises.
///
/// The transformer's softmaxes and SiLU gates take millions of exponentials per training step;
/// libm's `expf` is an opaque call per element, which costs as much as the matrix products at
/// small widths. This version reduces x = n·ln 2 + r with |r| ≤ ln 2 / 2, evaluates eʳ with its
/// degree-6 Taylor polynomial (truncation below 1.3·10⁻⁷ relative) and builds 2ⁿ from the
/// exponent bits. It uses only SSE2-level operations (no rounding instruction: adding 1.5·2²³
/// rounds to an integer), so it vectorises on the baseline x86-64 target Swift compiles for.
/// Relative error stays within a few units in the last place; it is deterministic (the same
/// input gives the same bits on every run). Inputs are clamped to [−87, 88], so the result is
/// always a finite normal number: below −87 it is e⁻⁸⁷ ≈ 1.6·10⁻³⁸ instead of an underflow,
/// above 88 it is e⁸⁸ instead of infinity (softmax and sigmoid only need that much).
@inlinable @inline(__always)
public func fastExp(_ x: Float) -> Float {
    let shifter: Float = 12_582_912  // 1.5·2²³: x + shifter keeps round(x) in the low mantissa bits
    let clamped = min(max(x, -87), 88)
    let t = clamped * 1.442_695_04 + shifter
    let n = t - shifter
    // ln 2 split in a part with few mantissa bits (n·hi is exact) and the rest.
    let r = (clamped - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187e-6
    let p = 1 + r * (1 + r * (0.5 + r * (0.166_666_67 + r * (0.041_666_668 + r * (0.008_333_334 + r * 0.001_388_889)))))
    let twoToN = Float(bitPattern: (t.bitPattern &- shifter.bitPattern &+ 127) << 23)
    return p * twoToN
}
