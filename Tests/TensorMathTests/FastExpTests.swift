import Foundation
import Testing
import TensorMath

@Suite struct FastExpTests {
    @Test func isCloseToTheLibraryExponential() {
        var worst = 0.0, at: Float = 0
        var x: Float = -87
        while x <= 88 {
            let error = abs(Double(fastExp(x)) - exp(Double(x))) / exp(Double(x))
            if error > worst { (worst, at) = (error, x) }
            x += 0.000_37
        }
        // Float's own rounding is 6·10⁻⁸; a few units in the last place on top of it.
        #expect(worst < 3e-7, "relative error \(worst) at \(at)")
    }

    @Test func exactWhereItMatters() {
        #expect(fastExp(0) == 1)
        #expect(fastExp(1) == Float(M_E) || abs(fastExp(1) - Float(M_E)) <= Float(M_E).ulp)
    }

    @Test func clampsInsteadOfOverflowing() {
        #expect(fastExp(-1000) == fastExp(-87) && fastExp(-87) > 0 && fastExp(-87).isNormal)
        #expect(fastExp(1000) == fastExp(88) && fastExp(88).isFinite)
    }
}
