@testable import NeuroLLM
import Testing

@Suite struct RotaryTests {
    let headDimension = 8

    func rotated(_ v: [Float], position: Int, table: RotaryTable, inverse: Bool = false) -> [Float] {
        // Row `position` of a matrix whose rows sit at positions 0, 1, 2, …
        var rows = [Float](repeating: 0, count: (position + 1) * headDimension)
        rows.replaceSubrange((position * headDimension)..<((position + 1) * headDimension), with: v)
        rows.withUnsafeMutableBufferPointer {
            table.rotate($0.baseAddress!, rows: position + 1, stride: headDimension, heads: 1, inverse: inverse)
        }
        return Array(rows[(position * headDimension)...])
    }

    func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    @Test func positionZeroIsTheIdentity() {
        let table = RotaryTable(positions: 4, headDimension: headDimension, base: 10_000)
        let v = randomFloats(headDimension, seed: 1)
        #expect(rotated(v, position: 0, table: table) == v)
        #expect(rotated(v, position: 3, table: table) != v)
    }

    @Test func scoresDependOnlyOnTheOffset() {
        let table = RotaryTable(positions: 40, headDimension: headDimension, base: 10_000)
        let q = randomFloats(headDimension, seed: 2), k = randomFloats(headDimension, seed: 3)
        for (m, n) in [(5, 2), (9, 1), (3, 3)] {
            let reference = dot(rotated(q, position: m, table: table), rotated(k, position: n, table: table))
            for shift in [1, 7, 30] {
                let shifted = dot(rotated(q, position: m + shift, table: table), rotated(k, position: n + shift, table: table))
                #expect(abs(shifted - reference) < 1e-4, "offset \(m - n), shift \(shift)")
            }
        }
        // ... and does depend on it.
        let a = dot(rotated(q, position: 5, table: table), rotated(k, position: 2, table: table))
        let b = dot(rotated(q, position: 6, table: table), rotated(k, position: 2, table: table))
        #expect(abs(a - b) > 1e-2)
    }

    @Test func inverseUndoesTheRotationAndKeepsTheNorm() {
        let table = RotaryTable(positions: 20, headDimension: headDimension, base: 10_000)
        let v = randomFloats(headDimension, seed: 4)
        let r = rotated(v, position: 17, table: table)
        #expect(abs(dot(r, r) - dot(v, v)) < 1e-4)
        let back = rotated(r, position: 17, table: table, inverse: true)
        #expect(zip(back, v).allSatisfy { abs($0 - $1) < 1e-5 })
    }
}
