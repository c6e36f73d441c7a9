import Foundation
@testable import NeuroLLM
import Testing

@Suite struct ModelConfigTests {
    @Test func presetsExistAndAreValid() throws {
        for name in ModelConfig.presetNames {
            let config = try #require(ModelConfig.preset(name), "\(name)")
            try config.validate()
            #expect(config.vocabularySize == 260 && !config.tiedEmbeddings)
        }
        #expect(ModelConfig.preset("huge") == nil)
        let original = try #require(ModelConfig.preset("default"))
        let shape: [Int] = [original.blocks, original.hidden, original.heads, original.kvHeads, original.ffn,
                            original.contextLength]
        #expect(shape == [11, 512, 16, 4, 2048, 512])
    }

    @Test func parameterCountsFollowTheLayout() throws {
        let tiny = try #require(ModelConfig.preset("tiny"))
        #expect(tiny.pipelineLayerCount == tiny.blocks + 2)
        #expect(tiny.parameterCount(layer: 0) == 260 * 32)
        // norms 2·32, wq 32·32, wk and wv 16·32 each, wo 32·32, gate, up and down 96·32 each
        #expect(tiny.parameterCount(layer: 1) == 64 + 1024 + 512 + 512 + 1024 + 3 * 3072)
        #expect(tiny.parameterCount(layer: tiny.headLayer) == 32 + 260 * 32)
        let layout = BlockLayout(tiny)
        let ranges = layout.named.map(\.range)
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        #expect(layout.wqkv.count == (32 + 2 * 16) * 32 && layout.wGateUp.count == 2 * 96 * 32)
    }

    @Test func flopsCountMatrixProductsOnly() {
        let c = microConfig()  // hidden 8, kv width 4, ffn 12
        let projections: Double = 2 * 8 * (8 + 8) + 2 * 8 * 8 + 2 * 8 * 24 + 2 * 12 * 8
        let attention: Double = 4 * 5 * 8
        let block = projections + attention, head: Double = 2 * 8 * 260
        #expect(c.flops(layers: 0..<1, tokens: 10, sequence: 5) == 0)
        #expect(c.flops(layers: 1..<2, tokens: 10, sequence: 5) == 3 * block * 10)
        #expect(c.flops(layers: 0..<3, tokens: 10, sequence: 5) == 3 * (block + head) * 10)
    }

    @Test func invalidShapesAreRejected() {
        let good = microConfig()
        var cases: [ModelConfig] = []
        var c = good; c.tiedEmbeddings = true; cases.append(c)
        c = good; c.heads = 3; cases.append(c)           // 8 not a multiple of 3
        c = good; c.kvHeads = 3; cases.append(c)
        c = good; c.heads = 8; c.kvHeads = 8; cases.append(c)  // head size 1: odd
        c = good; c.normEpsilon = 0; cases.append(c)
        for config in cases { #expect(throws: ModelError.self) { try config.validate() } }
        #expect(throws: ModelError.self) { try NeuroLLM(config: cases[0]) }
    }

    @Test func initialParametersAreDeterministicAndScaled() throws {
        let config = try #require(ModelConfig.preset("small"))
        let block = config.initialParameters(layer: 2, seed: 7)
        #expect(block == config.initialParameters(layer: 2, seed: 7))
        #expect(block != config.initialParameters(layer: 2, seed: 8))
        #expect(block != config.initialParameters(layer: 3, seed: 7))
        let layout = BlockLayout(config)
        #expect(block[layout.attentionNorm].allSatisfy { $0 == 1 } && block[layout.mlpNorm].allSatisfy { $0 == 1 })
        func std(_ x: ArraySlice<Float>) -> Double {
            (x.reduce(0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
        }
        let h = Double(config.hidden), residual = 1 / Double(2 * config.blocks).squareRoot()
        #expect(abs(std(block[layout.wq]) * h.squareRoot() - 1) < 0.02)
        #expect(abs(std(block[layout.wo]) * h.squareRoot() / residual - 1) < 0.02)
        #expect(abs(std(block[layout.wDown]) * Double(config.ffn).squareRoot() / residual - 1) < 0.02)
        let head = config.initialParameters(layer: config.headLayer, seed: 7)
        #expect(head[HeadLayout(config).norm].allSatisfy { $0 == 1 })
        #expect(abs(std(config.initialParameters(layer: 0, seed: 7)[...]) - 1) < 0.02)
    }

    @Test func genesisLossIsNearAUniformGuess() throws {
        let config = try #require(ModelConfig.preset("tiny"))
        let model = try NeuroLLM(config: config)
        let tokens = randomTokens(4 * 32, seed: 1), targets = randomTokens(4 * 32, seed: 2)
        let loss = try model.loss(model.initialParameters(seed: 3), tokens: tokens, targets: targets, batch: 4, sequence: 32)
        #expect(abs(loss - log(260)) < 0.3, "\(loss)")
    }
}

