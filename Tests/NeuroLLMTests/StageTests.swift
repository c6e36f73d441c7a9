import Deterministic
@testable import NeuroLLM
import Testing
import Training

@Suite struct StageTests {
    let config = microConfig(heads: 2, kvHeads: 1, blocks: 3)
    let batch = 2, sequence = 5

    var tokens: [Int32] { randomTokens(batch * sequence, seed: 11) }
    var targets: [Int32] {
        var t = randomTokens(batch * sequence, seed: 12)
        t[4] = 0
        return t
    }

    /// Three stages passing activations forward and activation gradients backward, as pipeline
    /// messages would, against one stage holding the whole model.
    @Test func splitStagesMatchTheWholeModel() throws {
        let params = randomParameters(config, layers: 0..<5, seed: 13)
        let whole = try Stage(config: config, layers: 0..<5, batch: batch, sequence: sequence)
        let wholeLoss = try whole.forward(params, input: .tokens(tokens), targets: targets).loss
        let wholeGradients = try whole.backward(params).gradients

        let windows = [0..<2, 2..<3, 3..<5]
        let stages = try windows.map { try Stage(config: config, layers: $0, batch: batch, sequence: sequence) }
        // Each node holds only its own layers.
        let held = windows.map { w in LayerParameters(range: w, layers: w.map { params[$0] }) }
        let a1 = try stages[0].forward(held[0], input: .tokens(tokens)).activations
        let a2 = try stages[1].forward(held[1], input: .activations(a1)).activations
        let loss = try stages[2].forward(held[2], input: .activations(a2), targets: targets).loss
        let (d2, g3) = try stages[2].backward(held[2])
        let (d1, g2) = try stages[1].backward(held[1], outputGradient: d2)
        let (d0, g1) = try stages[0].backward(held[0], outputGradient: d1)
        #expect(d0 == nil)

        #expect(abs(loss - wholeLoss) <= 1e-6 * abs(wholeLoss))
        for (layer, (split, reference)) in zip(0..<5, zip(g1 + g2 + g3, wholeGradients)) {
            let scale = reference.map { abs($0) }.max()!
            #expect(scale > 0)
            #expect(zip(split, reference).allSatisfy { abs($0 - $1) <= 1e-5 * scale }, "layer \(layer)")
        }
    }

    @Test func sameInputsGiveIdenticalBits() throws {
        let params = randomParameters(config, layers: 0..<5, seed: 14)
        let model = try NeuroLLM(config: config)
        let first = try model.lossAndGradients(params, tokens: tokens, targets: targets, batch: batch, sequence: sequence)
        let second = try model.lossAndGradients(params, tokens: tokens, targets: targets, batch: batch, sequence: sequence)
        #expect(first.loss.bitPattern == second.loss.bitPattern)
        #expect(first.gradients.map { $0.map(\.bitPattern) } == second.gradients.map { $0.map(\.bitPattern) })
        // A reused stage gives the same bits too (nothing left over from the previous step).
        let stage = try Stage(config: config, layers: 0..<5, batch: batch, sequence: sequence)
        for _ in 0..<2 {
            let other = randomTokens(batch * sequence, seed: 15)
            _ = try stage.forward(params, input: .tokens(other), targets: targets)
            _ = try stage.backward(params)
            let loss = try stage.forward(params, input: .tokens(tokens), targets: targets).loss
            #expect(loss.bitPattern == first.loss.bitPattern)
            #expect(try stage.backward(params).gradients == first.gradients)
        }
    }

    @Test func laterTokensDoNotChangeEarlierPositions() throws {
        let params = randomParameters(config, layers: 0..<5, seed: 16)
        let stage = try Stage(config: config, layers: 0..<5, batch: batch, sequence: sequence)
        let v = config.vocabularySize
        let before = try stage.forward(params, input: .tokens(tokens)).logits
        var changed = tokens
        changed[3] = (changed[3] + 1) % Int32(v)  // sequence 0, position 3
        let after = try stage.forward(params, input: .tokens(changed)).logits
        #expect(before[0..<(3 * v)] == after[0..<(3 * v)])
        #expect(before[(3 * v)..<(4 * v)] != after[(3 * v)..<(4 * v)])
        #expect(before[(4 * v)..<(5 * v)] != after[(4 * v)..<(5 * v)])
        #expect(before[(sequence * v)...] == after[(sequence * v)...], "the other sequence of the batch")
    }

    /// The stage reuses its output buffers; results the caller still holds must not change.
    @Test func heldResultsSurviveTheNextStep() throws {
        let params = randomParameters(config, layers: 0..<5, seed: 23)
        let first = try Stage(config: config, layers: 0..<2, batch: batch, sequence: sequence)
        let last = try Stage(config: config, layers: 2..<5, batch: batch, sequence: sequence)
        let a = try first.forward(params, input: .tokens(tokens)).activations
        _ = try last.forward(params, input: .activations(a), targets: targets)
        let g = try last.backward(params)
        let aCopy = a.map(\.bitPattern), gCopy = g.gradients.map { $0.map(\.bitPattern) }
        let dCopy = g.inputGradient!.map(\.bitPattern)
        let b = try first.forward(params, input: .tokens(randomTokens(batch * sequence, seed: 24))).activations
        _ = try last.forward(params, input: .activations(b), targets: targets)
        let h = try last.backward(params)
        #expect(a.map(\.bitPattern) == aCopy && a != b)
        #expect(g.gradients.map { $0.map(\.bitPattern) } == gCopy && g.gradients != h.gradients)
        #expect(g.inputGradient!.map(\.bitPattern) == dCopy)
    }

    @Test func nextTokenLogitsAreTheLastPositionsLogits() throws {
        let params = randomParameters(config, layers: 0..<5, seed: 17)
        let model = try NeuroLLM(config: config)
        let context = Array(tokens.prefix(4))
        let stage = try Stage(config: config, layers: 0..<5, batch: 1, sequence: 4)
        let logits = try stage.forward(params, input: .tokens(context)).logits
        #expect(try model.nextTokenLogits(params, context: context) == Array(logits.suffix(config.vocabularySize)))
        // A context longer than the context length keeps its last contextLength tokens.
        let long = randomTokens(20, seed: 18)
        #expect(try model.nextTokenLogits(params, context: long)
                == model.nextTokenLogits(params, context: Array(long.suffix(config.contextLength))))
        #expect(throws: ModelError.self) { try model.nextTokenLogits(params, context: []) }
    }

    @Test func evaluationLossMatchesTheTrainingForward() throws {
        let params = randomParameters(config, layers: 0..<5, seed: 19)
        let model = try NeuroLLM(config: config)
        let training = try model.lossAndGradients(params, tokens: tokens, targets: targets, batch: batch, sequence: sequence)
        let evaluation = try model.loss(params, tokens: tokens, targets: targets, batch: batch, sequence: sequence)
        #expect(evaluation == training.loss)
    }

    @Test func allPadTargetsGiveZeroLossAndGradients() throws {
        let params = randomParameters(config, layers: 0..<5, seed: 20)
        let model = try NeuroLLM(config: config)
        let pads = [Int32](repeating: 0, count: batch * sequence)
        let result = try model.lossAndGradients(params, tokens: tokens, targets: pads, batch: batch, sequence: sequence)
        #expect(result.loss == 0)
        #expect(result.gradients.allSatisfy { $0.allSatisfy { $0 == 0 } })
    }

    @Test func badInputsAreRejected() throws {
        let params = randomParameters(config, layers: 0..<5, seed: 21)
        let whole = try Stage(config: config, layers: 0..<5, batch: batch, sequence: sequence)
        let middle = try Stage(config: config, layers: 2..<3, batch: batch, sequence: sequence)
        var badTokens = tokens
        badTokens[3] = 260
        func message(_ body: () throws -> Void) -> String? {
            do { try body() } catch { return (error as? ModelError)?.message ?? "not a ModelError: \(error)" }
            return nil
        }
        #expect(message { _ = try whole.backward(params) }?.contains("forward pass first") == true)
        #expect(message { _ = try whole.forward(params, input: .tokens(badTokens), targets: targets) }?
            .contains("token id 260 at position 3") == true)
        #expect(message { _ = try whole.forward(params, input: .tokens(tokens), targets: [1, 2]) }?
            .contains("target ids: 2") == true)
        #expect(message { _ = try whole.forward(params, input: .activations([1])) } != nil)
        #expect(message { _ = try middle.forward(params, input: .activations([1, 2, 3])) }?
            .contains("activations hold 3 floats") == true)
        #expect(message { _ = try middle.forward(params, input: .tokens(tokens)) } != nil)
        let activations = randomFloats(batch * sequence * config.hidden, seed: 22)
        #expect(message { _ = try middle.forward(params, input: .activations(activations), targets: targets) } != nil)
        _ = try middle.forward(params, input: .activations(activations))
        #expect(message { _ = try middle.backward(params) } != nil, "a stage without the head needs an output gradient")
        #expect(message { _ = try middle.backward(params, outputGradient: [0]) } != nil)

        var short = params
        short.layers[2].removeLast()
        #expect(message { _ = try whole.forward(short, input: .tokens(tokens)) }?
            .contains("layer 2 has") == true)
        let partial = LayerParameters(range: 0..<2, layers: [params[0], params[1]])
        #expect(message { _ = try whole.forward(partial, input: .tokens(tokens)) } != nil)

        _ = try whole.forward(params, input: .tokens(tokens))
        #expect(message { _ = try whole.backward(params) }?.contains("no targets") == true)
        let inference = try Stage(config: config, layers: 0..<5, batch: batch, sequence: sequence, training: false)
        _ = try inference.forward(params, input: .tokens(tokens), targets: targets)
        #expect(message { _ = try inference.backward(params) } != nil)

        #expect(message { _ = try Stage(config: config, layers: 0..<6, batch: 1, sequence: 1) } != nil)
        #expect(message { _ = try Stage(config: config, layers: 0..<5, batch: 1, sequence: 9) }?
            .contains("context length") == true)
    }
}
