import Deterministic
@testable import NeuroLLM
import Testing
import Training

/// Hand-written backward passes against central finite differences of the forward pass.
///
/// The forward pass runs in float32, so the step is large (h = 10⁻²) and the objective is reduced
/// in Double. An entry passes when |analytic − numeric| ≤ tolerance · max(|analytic|, |numeric|)
/// + floor · rms, with rms the root mean square of the tensor's analytic gradient: the floor
/// absorbs the float32 noise of the difference quotient (up to ~10⁻³ of the typical entry with
/// these deliberately large weights) on entries much smaller than their tensor's typical one.
/// A wrong term in a backward formula gives errors of order 1 (a sign, a factor, a missing path)
/// on the entries it touches.
@Suite struct GradientCheckTests {
    static let step: Float = 1e-2
    static let tolerance = 1e-2
    static let floor = 3e-3
    static let batch = 2, sequence = 5

    /// Sampled coordinates of a tensor (all of them when it is small).
    func sample(_ range: Range<Int>, count: Int, rng: inout DeterministicRNG) -> [Int] {
        range.count <= count ? Array(range) : rng.sample(Array(range), count: count)
    }

    /// The worst entry of `analytic` at `coordinates` against (f(x + h) − f(x − h)) / 2h, where
    /// `objective(i, δ)` evaluates the objective with coordinate i moved by δ.
    func worst(_ analytic: [Float], in tensor: Range<Int>, at coordinates: [Int],
               objective: (Int, Float) throws -> Double) throws
        -> (excess: Double, index: Int, analytic: Double, numeric: Double) {
        let rms = (analytic[tensor].reduce(0) { $0 + Double($1) * Double($1) } / Double(tensor.count)).squareRoot()
        var result = (excess: -Double.infinity, index: -1, analytic: 0.0, numeric: 0.0)
        for i in coordinates {
            let numeric = (try objective(i, Self.step) - objective(i, -Self.step)) / (2 * Double(Self.step))
            let a = Double(analytic[i])
            let excess = abs(a - numeric) - (Self.tolerance * max(abs(a), abs(numeric)) + Self.floor * rms)
            if excess > result.excess { result = (excess, i, a, numeric) }
        }
        return result
    }

    func expectClose(_ name: String, _ analytic: [Float], in tensor: Range<Int>, at coordinates: [Int],
                     objective: (Int, Float) throws -> Double) throws {
        #expect(analytic[tensor].contains { $0 != 0 }, "\(name): the gradient is all zero")
        let w = try worst(analytic, in: tensor, at: coordinates, objective: objective)
        #expect(w.excess <= 0, "\(name)[\(w.index)]: analytic \(w.analytic), numeric \(w.numeric)")
    }

    @Test func embedding() throws {
        let config = microConfig()
        let stage = try Stage(config: config, layers: 0..<1, batch: Self.batch, sequence: Self.sequence)
        let params = randomParameters(config, layers: 0..<1, seed: 1)
        // Repeated ids: their rows must sum the gradients of every position holding them.
        let tokens: [Int32] = [5, 9, 5, 0, 259, 9, 9, 3, 5, 100]
        let projection = randomFloats(Self.batch * Self.sequence * config.hidden, seed: 2)
        _ = try stage.forward(params, input: .tokens(tokens))
        let (inputGradient, gradients) = try stage.backward(params, outputGradient: projection)
        #expect(inputGradient == nil)
        var coordinates: [Int] = []
        for token in [0, 3, 5, 9, 100, 259, 7] {  // 7 is absent: its gradient must be 0
            coordinates += (token * config.hidden)..<(token * config.hidden + 3)
        }
        try expectClose("embedding", gradients[0], in: EmbeddingLayout(config).table, at: coordinates) { i, delta in
            var p = params
            p.layers[0][i] += delta
            return weightedSum(try stage.forward(p, input: .tokens(tokens)).activations, projection)
        }
        #expect(gradients[0][7 * config.hidden..<8 * config.hidden].allSatisfy { $0 == 0 })
    }

    @Test(arguments: [(2, 1), (2, 2), (4, 2), (4, 1)])
    func block(heads: Int, kvHeads: Int) throws {
        let config = microConfig(heads: heads, kvHeads: kvHeads)
        let stage = try Stage(config: config, layers: 1..<2, batch: Self.batch, sequence: Self.sequence)
        let params = randomParameters(config, layers: 1..<2, seed: 3)
        let count = Self.batch * Self.sequence * config.hidden
        let input = randomFloats(count, seed: 4)
        let projection = randomFloats(count, seed: 5)
        _ = try stage.forward(params, input: .activations(input))
        let (inputGradient, gradients) = try stage.backward(params, outputGradient: projection)
        var rng = DeterministicRNG(seed: 6)
        for (name, range) in BlockLayout(config).named {
            try expectClose(name, gradients[0], in: range, at: sample(range, count: 12, rng: &rng)) { i, delta in
                var p = params
                p.layers[0][i] += delta
                return weightedSum(try stage.forward(p, input: .activations(input)).activations, projection)
            }
        }
        try expectClose("input", try #require(inputGradient), in: 0..<count, at: sample(0..<count, count: 24, rng: &rng)) { i, delta in
            var x = input
            x[i] += delta
            return weightedSum(try stage.forward(params, input: .activations(x)).activations, projection)
        }
    }

    @Test func head() throws {
        let config = microConfig()
        let layer = config.headLayer
        let stage = try Stage(config: config, layers: layer..<(layer + 1), batch: Self.batch, sequence: Self.sequence)
        let params = randomParameters(config, layers: layer..<(layer + 1), seed: 7)
        let count = Self.batch * Self.sequence * config.hidden
        let input = randomFloats(count, seed: 8)
        var targets = randomTokens(Self.batch * Self.sequence, seed: 9)
        targets[2] = 0  // a pad target: ignored by the loss
        targets[7] = 0
        _ = try stage.forward(params, input: .activations(input), targets: targets)
        let (inputGradient, gradients) = try stage.backward(params)
        let layout = HeadLayout(config)
        var rng = DeterministicRNG(seed: 10)
        // The rows of the targets (where the gradient is largest) and random ones.
        let targetRows = targets.map { layout.wOut.lowerBound + Int($0) * config.hidden + rng.nextInt(below: config.hidden) }
        for (name, tensor, coordinates) in [("norm", layout.norm, Array(layout.norm)),
                                            ("wOut", layout.wOut, targetRows + sample(layout.wOut, count: 12, rng: &rng))] {
            try expectClose(name, gradients[0], in: tensor, at: coordinates) { i, delta in
                var p = params
                p.layers[0][i] += delta
                return try stage.forward(p, input: .activations(input), targets: targets).loss
            }
        }
        let dx = try #require(inputGradient)
        try expectClose("input", dx, in: 0..<count, at: sample(0..<count, count: 24, rng: &rng)) { i, delta in
            var x = input
            x[i] += delta
            return try stage.forward(params, input: .activations(x), targets: targets).loss
        }
        // Positions with a pad target get no gradient at all.
        for row in [2, 7] { #expect(dx[(row * config.hidden)..<((row + 1) * config.hidden)].allSatisfy { $0 == 0 }) }
    }
}
