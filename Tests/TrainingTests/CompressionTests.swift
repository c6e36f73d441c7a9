import Deterministic
import Testing
@testable import Training

private func gaussian(_ d: Int, seed: UInt64, scale: Double = 1) -> [Float] {
    var rng = DeterministicRNG(seed: seed)
    return (0..<d).map { _ in Float(rng.nextGaussian() * scale) }
}

@Suite struct Int8CompressionTests {
    @Test func handComputedBlocks() {
        // Block 1: max|x| = 127, scale 1: q = round(x) = 1, −1 (−0.5 rounds away from zero), 0, 127.
        // Block 2: all zeros, scale 0.
        let c = Compression.int8(blockSize: 4).compress([1, -0.5, 0.25, 127, 0, 0])
        guard case .int8(let q) = c.payload else { Issue.record("not int8"); return }
        #expect(q.scales == [1, 0])
        #expect(q.values == [1, -1, 0, 127, 0, 0])
        #expect(c.decoded() == [1, -1, 0, 127, 0, 0])
    }

    @Test func roundTripErrorIsAtMostHalfAScale() {
        let x = gaussian(1000, seed: 1, scale: 3)  // 15 full blocks of 64 and one of 40
        let c = Compression.int8(blockSize: 64).compress(x)
        guard case .int8(let q) = c.payload else { Issue.record("not int8"); return }
        #expect(q.scales.count == 16)
        let y = c.decoded()
        for j in x.indices {
            let scale = q.scales[j / 64]
            // scale/2 from rounding, plus a few float roundings of values ≤ 127·scale.
            #expect(abs(x[j] - y[j]) <= scale * (0.5 + 1e-5), "value \(j)")
        }
    }

    @Test func nonFiniteValuesSurviveAsNaNBlocks() {
        // Block 1 holds a NaN: NaN scale, decodes as NaN. Block 2: scale 3/127, 2 → q = round(84.67) = 85.
        let c = Compression.int8(blockSize: 2).compress([1, .nan, 2, 3])
        let y = c.decoded()
        #expect(y[0].isNaN && y[1].isNaN)
        #expect(abs(y[2] - 85 * 3 / 127) < 1e-6 && y[3] == 3)
        #expect(UpdateCheck.screen(y, referenceNorm: 1, maxRatio: 100) == "non-finite values")
        #expect(Compression.int8(blockSize: 2).compress([.infinity, 0]).decoded().allSatisfy { $0.isNaN })
    }

    @Test func compressionRatioAtLeast3point5() {
        // d = 1024, block 64: 5 (header) + 4 (block size) + 16·4 (scales) + 1024 = 1097 bytes
        // against 4096 for float32: 3.73×.
        let x = gaussian(1024, seed: 2)
        let int8 = Compression.int8(blockSize: 64).compress(x)
        #expect(int8.wireBytes == 1097)
        #expect(Compression.none.compress(x).wireBytes == 5 + 4096)
        #expect(Double(4 * x.count) / Double(int8.wireBytes) >= 3.5)
        for blockSize in [64, 128, 256] {
            let large = Compression.int8(blockSize: blockSize).compress(gaussian(100_000, seed: 3))
            #expect(Double(400_000) / Double(large.wireBytes) >= 3.5)
        }
    }
}

@Suite struct TopKTests {
    @Test func keepsTheLargestMagnitudesWithTiesToTheLowestIndex() {
        // |x| = 0.1, 5, 3, 0, 3, 2, 5, 1.
        let x: [Float] = [0.1, -5, 3, 0, -3, 2, 5, 1]
        func kept(_ fraction: Double) -> [UInt32] {
            guard case .sparse(let indices, _) = Compression.topK(fraction: fraction).compress(x).payload else { return [] }
            return indices
        }
        // k = 4: both 5s (1, 6) and both 3s (2, 4).
        #expect(kept(0.5) == [1, 2, 4, 6])
        // k = 3: both 5s, then the 3s tie and index 2 wins.
        #expect(kept(0.375) == [1, 2, 6])
        // ⌈0.3·8⌉ = ⌈2.4⌉ = 3.
        #expect(kept(0.3) == [1, 2, 6])
        #expect(kept(1) == Array(0..<8))
        let c = Compression.topK(fraction: 0.375).compress(x)
        #expect(c.decoded() == [0, -5, 3, 0, 0, 0, 5, 0])
    }

    @Test func keptCountIsTheCeilingWithoutRoundingNoise() {
        #expect(Compression.keptCount(fraction: 0.3, of: 10) == 3)  // 0.3·10 = 3.0000000000000004
        #expect(Compression.keptCount(fraction: 0.1, of: 1000) == 100)
        #expect(Compression.keptCount(fraction: 0.1, of: 1001) == 101)
        #expect(Compression.keptCount(fraction: 1e-9, of: 5) == 1)
        #expect(Compression.keptCount(fraction: 0.5, of: 0) == 0)
    }

    @Test func radixSelectMatchesASort() {
        var rng = DeterministicRNG(seed: 5)
        for trial in 0..<30 {
            let d = 1 + rng.nextInt(below: 300)
            // Few distinct magnitudes (many ties), both signs, ±0 and, sometimes, a NaN.
            var x = (0..<d).map { _ in Float(rng.nextInt(below: 7) - 3) * (trial % 2 == 0 ? 1 : 1e-30) }
            if trial % 3 == 0 { x[rng.nextInt(below: d)] = .nan }
            if trial % 5 == 0 { x[rng.nextInt(below: d)] = -0.0 }
            let k = rng.nextInt(below: d + 1)
            func key(_ i: Int) -> Float { x[i].isNaN ? .infinity : abs(x[i]) }
            let expected = (0..<d).sorted { key($0) > key($1) || (key($0) == key($1) && $0 < $1) }
                .prefix(k).sorted().map { UInt32($0) }
            let got = x.withUnsafeBufferPointer { Compression.largestMagnitudes($0, count: k) }
            // NaN ranks above +∞ in the radix order and equal to it in `key`; no trial has both.
            #expect(got == expected, "trial \(trial)")
        }
    }

    @Test func topKInt8QuantisesTheKeptValues() {
        let x = gaussian(1000, seed: 6)
        let c = Compression.topKInt8(fraction: 0.1, blockSize: 16).compress(x)
        guard case .sparseInt8(let indices, let q) = c.payload else { Issue.record("not top-k int8"); return }
        #expect(indices.count == 100 && q.values.count == 100 && q.scales.count == 7)
        // 5 + 8 + 100·4 (indices) + 7·4 (scales) + 100 = 541 bytes against 4000.
        #expect(c.wireBytes == 541)
        let y = c.decoded()
        for (n, i) in indices.enumerated() {
            #expect(abs(y[Int(i)] - x[Int(i)]) <= q.scales[n / 16] * (0.5 + 1e-5))
        }
        #expect(y.enumerated().filter { $0.element != 0 }.allSatisfy { indices.contains(UInt32($0.offset)) })
    }
}

@Suite struct ErrorFeedbackTests {
    @Test func nothingIsLostOnlyDelayed() {
        var feedback = ErrorFeedback()
        let d = 500
        var trueSum = [Double](repeating: 0, count: d), sentSum = [Double](repeating: 0, count: d)
        for round in 0..<8 {
            let update = gaussian(d, seed: 100 + UInt64(round))
            let sent = feedback.compress(update, layer: 3, with: .topKInt8(fraction: 0.1, blockSize: 16)).decoded()
            if round == 0 {
                // The first residual is exactly what compression dropped.
                #expect(feedback.residual(layer: 3) == zip(update, sent).map { $0 - $1 })
            }
            for j in 0..<d {
                trueSum[j] += Double(update[j])
                sentSum[j] += Double(sent[j])
            }
        }
        let residual = feedback.residual(layer: 3)!
        for j in 0..<d {
            #expect(abs(sentSum[j] - (trueSum[j] - Double(residual[j]))) < 1e-4, "coordinate \(j)")
        }
        // The residual stays bounded (about what a few rounds of the dropped 90% add up to),
        // rather than growing with the number of rounds.
        #expect(l2Norm(residual) < 3 * l2Norm(gaussian(d, seed: 100)))
    }

    @Test func layersAreKeptApartAndForgotten() {
        var feedback = ErrorFeedback()
        _ = feedback.compress([1, 2, 3, 4], layer: 0, with: .topK(fraction: 0.25))
        _ = feedback.compress([4, 3, 2, 1], layer: 1, with: .topK(fraction: 0.25))
        #expect(feedback.residual(layer: 0) == [1, 2, 3, 0])
        #expect(feedback.residual(layer: 1) == [0, 3, 2, 1])
        // Layer 0's residual is added before compressing: (1+1, 2+2, 3+3, 0+4) → top-1 is 6.
        let again = feedback.compress([1, 2, 3, 4], layer: 0, with: .topK(fraction: 0.25))
        #expect(again.decoded() == [0, 0, 6, 0])
        #expect(feedback.residual(layer: 0) == [2, 4, 0, 4])
        feedback.forgetLayers(outside: 1..<2)
        #expect(feedback.residual(layer: 0) == nil && feedback.residual(layer: 1) != nil)
    }

    @Test func uncompressedAndNonFiniteKeepNoResidual() {
        var feedback = ErrorFeedback()
        _ = feedback.compress([1, 2], layer: 0, with: .none)
        #expect(feedback.residual(layer: 0) == nil)
        _ = feedback.compress([1, .nan, 3, 4], layer: 0, with: .int8(blockSize: 2))
        #expect(feedback.residual(layer: 0) == nil)
    }
}

@Suite struct WireFormatTests {
    let examples: [CompressedTensor] = {
        let x = gaussian(300, seed: 8)
        return [Compression.none, .int8(blockSize: 64), .int8(blockSize: 1), .topK(fraction: 0.1),
                .topKInt8(fraction: 0.1, blockSize: 8), .topKInt8(fraction: 1, blockSize: 1000)].map { $0.compress(x) }
            + [Compression.int8(blockSize: 4).compress([]), Compression.topK(fraction: 0.5).compress([])]
    }()

    @Test func handComputedBytes() {
        // kind 1, count 6, block size 4, scales 1.0 (0x3F800000) and 0, values 1, −1, 0, 127, 0, 0.
        let int8 = Compression.int8(blockSize: 4).compress([1, -0.5, 0.25, 127, 0, 0])
        #expect(int8.serialized() == [1, 6, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0, 1, 0xFF, 0, 0x7F, 0, 0])
        // kind 2, count 4, k 1, index 1, value −3.0 (0xC0400000).
        let sparse = Compression.topK(fraction: 0.25).compress([0, -3, 1, 2])
        #expect(sparse.serialized() == [2, 4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x40, 0xC0])
    }

    @Test func roundTripAndExactWireBytes() throws {
        for c in examples {
            let bytes = c.serialized()
            #expect(bytes.count == c.wireBytes, "\(c.payload)")
            let back = try CompressedTensor(bytes: bytes, expectedCount: c.count)
            #expect(back == c)
            #expect(back.decoded() == c.decoded())
        }
    }

    @Test func everyTruncationThrows() {
        for c in examples {
            let bytes = c.serialized()
            for n in 0..<bytes.count {
                #expect(throws: CompressedTensor.FormatError.self) { try CompressedTensor(bytes: Array(bytes.prefix(n))) }
            }
            #expect(throws: CompressedTensor.FormatError.trailingBytes(expected: bytes.count, got: bytes.count + 1)) {
                try CompressedTensor(bytes: bytes + [0])
            }
        }
    }

    @Test func garbledFieldsThrowClearErrors() {
        #expect(throws: CompressedTensor.FormatError.truncated(expected: 5, got: 2)) { try CompressedTensor(bytes: [0, 0]) }
        #expect(throws: CompressedTensor.FormatError.unknownKind(9)) { try CompressedTensor(bytes: [9, 0, 0, 0, 0]) }
        // Block size 0.
        #expect(throws: CompressedTensor.FormatError.malformed("block size 0")) {
            try CompressedTensor(bytes: [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        }
        // Two kept values of one.
        #expect(throws: CompressedTensor.FormatError.self) { try CompressedTensor(bytes: [2, 1, 0, 0, 0, 2, 0, 0, 0]) }
        // Indices 1, 1 (not increasing), then an index 4 of a 4-value tensor.
        let twice: [UInt8] = [2, 4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0] + [UInt8](repeating: 0, count: 8)
        #expect(throws: CompressedTensor.FormatError.self) { try CompressedTensor(bytes: twice) }
        let outside: [UInt8] = [2, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]
        #expect(throws: CompressedTensor.FormatError.self) { try CompressedTensor(bytes: outside) }
        // A huge count in a tiny top-k message is refused before anything is allocated.
        #expect(throws: CompressedTensor.FormatError.self) { try CompressedTensor(bytes: [2, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]) }
        // The right format for the wrong layer.
        let three = Compression.none.compress([1, 2, 3]).serialized()
        #expect(throws: CompressedTensor.FormatError.malformed("3 values, expected 4")) {
            try CompressedTensor(bytes: three, expectedCount: 4)
        }
    }

    @Test func randomBytesThrowOrRoundTrip() {
        var rng = DeterministicRNG(seed: 11)
        var parsed = 0
        for _ in 0..<3000 {
            // Plausible headers (a kind, a small count and small fields) over random bodies, so
            // that many buffers get past the length checks.
            let kind = UInt8(rng.nextInt(below: 5))
            let count = rng.nextInt(below: 6)
            var bytes: [UInt8] = [kind, UInt8(count), 0, 0, 0]
            for _ in 0..<rng.nextInt(below: 3) { bytes += [UInt8(rng.nextInt(below: 4)), 0, 0, 0] }
            for _ in 0..<rng.nextInt(below: 40) { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            if let c = try? CompressedTensor(bytes: bytes) {
                parsed += 1
                #expect(c.serialized() == bytes)
                #expect(c.decoded().count == c.count)
            }
        }
        #expect(parsed > 10)
    }
}
