import Deterministic
import Language
import NeuroLLM
import Scenario
import Training

/// A scenario's model section could not be built (a text folder missing, say).
public struct ObjectiveError: Error, CustomStringConvertible {
    public var description: String
}

extension ModelSpec {
    /// The objective every node of a run trains (the same value on all of them); data shards
    /// are cut for `nodes` nodes.
    func objective(seed: UInt64, nodes: Int) throws -> any Objective {
        switch self {
        case .quadratic(let q): return q.make(seed: seed)
        case .transformer(let t): return try t.objective(seed: seed, nodes: nodes)
        }
    }
}

extension TransformerSpec {
    /// The transformer and its genesis data, cut into `nodes` shards.
    public func objective(seed: UInt64, nodes: Int) throws -> TransformerObjective {
        do { return try build(seed: seed, nodes: nodes) } catch let error as ModelError {
            throw ObjectiveError(description: "model: \(error)")
        }
    }

    private func build(seed: UInt64, nodes: Int) throws -> TransformerObjective {
        let model = try NeuroLLM(config: config)
        let (batch, sequence) = (self.batch, self.sequence)
        let shards = max(1, nodes)
        switch data.source {
        case .markov:
            let markov = MarkovSource(symbols: data.symbols, order: data.order, alpha: data.alpha, seed: seed)
            // Shard chains are built once (a tilted chain needs its stationary law computed).
            let sources = data.nonIID == 0 ? [markov] : (0..<shards).map { markov.shard($0, of: shards, nonIID: data.nonIID).source }
            return try TransformerObjective(
                model: model, batch: batch, sequence: sequence, seed: seed, layerMemoryMB: layerMemoryMB,
                lossFloor: markov.expectedLoss(sequenceLength: sequence),
                validation: markov.validationSet(batches: evalBatches, batch: batch, sequence: sequence)) { shard, rng in
                    var stream = MarkovStream(source: sources[Int(shard % UInt64(sources.count))], rng: DeterministicRNG(seed: rng.next()))
                    return stream.nextBatch(batch: batch, sequence: sequence)
                }
        case .text:
            let corpus: TextCorpus
            do { corpus = try TextCorpus(directory: data.path) } catch { throw ObjectiveError(description: "data.path: \(error)") }
            let slices = (0..<shards).map { i in
                data.nonIID == 0 ? corpus.training : Array(corpus.training[corpus.shardRange(i, of: shards)])
            }
            guard slices.allSatisfy({ $0.count > sequence }) else {
                throw ObjectiveError(description: "the text in \(data.path) is too short for \(shards) shards of \(sequence)-byte windows")
            }
            let validation = corpus.validationSet(batch: batch, sequence: sequence, maxBatches: evalBatches)
            guard !validation.isEmpty else {
                throw ObjectiveError(description: "the held-out text of \(data.path) is too short for one validation batch")
            }
            return try TransformerObjective(
                model: model, batch: batch, sequence: sequence, seed: seed, layerMemoryMB: layerMemoryMB,
                validation: validation) { shard, rng in
                    var stream = TextStream(bytes: slices[Int(shard % UInt64(slices.count))], rng: DeterministicRNG(seed: rng.next()))
                    return stream.nextBatch(batch: batch, sequence: sequence)
                }
        }
    }
}

extension Simulation {
    /// The network's model in one piece: each layer's θ₀ from its live honest holder with the
    /// most completed rounds (the first such); nil while some layer has none.
    func assembledModel() -> LayerParameters? {
        let count = objective.layerCount
        var newest: [(rounds: Int, node: Int)?] = Array(repeating: nil, count: count)
        for (i, node) in nodes.enumerated() where node.isUp && node.config.behaviour == .honest {
            for layer in node.core.layers where newest[layer].map({ node.core.completedRounds > $0.rounds }) ?? true {
                newest[layer] = (node.core.completedRounds, i)
            }
        }
        guard newest.allSatisfy({ $0 != nil }) else { return nil }
        return LayerParameters(range: 0..<count, layers: (0..<count).map { nodes[newest[$0]!.node].core.parameters[$0] })
    }

    /// The loss the run is judged by. Honest full replicas each evaluate the validation set, and
    /// their mean is taken; when the model is split into stages no node can, so the simulator
    /// evaluates the assembled model (a view only it has).
    func finalLoss(_ snap: Snapshot) -> Double {
        let replicated = nodes.contains { $0.isUp && $0.config.behaviour == .honest && $0.core.role == .full }
        guard !replicated, objective is any PipelineObjective, let model = assembledModel() else { return snap.meanLoss }
        return objective.evaluate(model)
    }

    /// 64 tokens (temperature 0.7, top-k 20) from the network's final weights; nil for the
    /// analytic objective.
    func sampleText() -> String? {
        guard let transformer = objective as? TransformerObjective, let params = assembledModel() else { return nil }
        var rng = DeterministicRNG(seed: scenario.seed).split("sample")
        let options = GenerationOptions(maxTokens: 64, temperature: 0.7, topK: 20)
        return try? transformer.model.generate(params, prompt: "", options: options, rng: &rng).text
    }
}
