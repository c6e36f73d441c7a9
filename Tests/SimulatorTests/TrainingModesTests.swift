import Foundation
import NeuroShardCore
import Scenario
import Testing
@testable import Simulator

private func quadratic(_ diloco: String, nodes: String = "[{group: n, count: 3}]", dim: Int = 16,
                       start: String = "10s") -> String {
    """
    seed: 4
    duration: 3m
    model: {layers: 2, dim: \(dim), noise: 0.05, skew: 0.1, step_gflop: 0.01}
    nodes: \(nodes)
    membership: {heartbeat: 1s, failure_timeout: 5s}
    diloco: {inner_lr: 0.02, weight_decay: 0, start_after: \(start), \(diloco)}
    """
}

@Suite struct TrainingModesTests {
    @Test func syncModeKeepsReplicasIdenticalAndStepsOnce() throws {
        let sim = try simulation(quadratic("mode: sync, steps: 30"))
        let result = sim.run()
        #expect(sim.nodes.allSatisfy { $0.core.metrics.innerSteps == 30 })
        #expect(sim.nodes.allSatisfy { $0.core.completedRounds == 30 })
        // Every step's gradients were averaged over all three: the replicas never part.
        #expect(sim.nodes.allSatisfy { $0.core.parameters == sim.nodes[0].core.parameters })
        #expect(result.metrics["sync_timeouts"] == 0)
        #expect(result.metrics["final_loss"]! < result.metrics["initial_loss"]! / 2)
    }

    @Test func theStepBudgetEndsTraining() throws {
        let sim = try simulation(quadratic("inner_steps: 10, steps: 25"))
        let result = sim.run()
        // 10 + 10 + 5: the last round is cut to the budget.
        #expect(sim.nodes.allSatisfy { $0.core.metrics.innerSteps == 25 && $0.core.completedRounds == 3 })
        #expect(result.metrics["inner_steps"] == 25)
    }

    @Test func noTrainingBeforeTheStartDelay() throws {
        let sim = try simulation(quadratic("inner_steps: 10", start: "50s"))
        sim.advance(seconds: 49)
        #expect(sim.nodes.allSatisfy { $0.core.metrics.innerSteps == 0 })
        sim.advance(seconds: 60)
        #expect(sim.nodes.allSatisfy { $0.core.metrics.innerSteps > 0 })
    }

    @Test func int8CompressionCutsTheTrainingBytes() throws {
        let plain = try simulation(quadratic("inner_steps: 10, steps: 50", dim: 4096)).run()
        let sim = try simulation(quadratic("inner_steps: 10, steps: 50, compression: int8", dim: 4096))
        let int8 = sim.run()
        let ratio = plain.metrics["update_bytes"]! / int8.metrics["update_bytes"]!
        #expect(ratio > 3.5 && ratio < 4)
        // Every node decodes the same compressed updates: the replicas stay identical.
        #expect(sim.nodes.allSatisfy { $0.core.parameters == sim.nodes[0].core.parameters })
        #expect(int8.metrics["final_loss"]! < 1.1 * plain.metrics["final_loss"]! + 1e-4)
    }

    /// A rushing attacker (ALIE) waits for the honest updates before sending its own; alone in
    /// its round it never makes the others wait for the timeout.
    @Test func aRushingAttackerSendsAfterTheHonestUpdates() throws {
        let nodes = "[{group: honest, count: 3}, {group: bad, count: 1, behaviour: {type: alie, z: 1}}]"
        let sim = try simulation(quadratic("inner_steps: 10, steps: 50", nodes: nodes))
        let result = sim.run()
        #expect(result.metrics["sync_timeouts"] == 0)
        #expect(sim.nodes.allSatisfy { $0.core.completedRounds == 5 })
        #expect(sim.nodes[3].core.metrics.gradientsSubmitted == sim.nodes[0].core.metrics.gradientsSubmitted)
    }
}

@Suite struct TransformerScenarioTests {
    static let yaml = """
        name: tiny-transformer
        seed: 2
        duration: 2m
        model: {objective: transformer, preset: tiny, batch: 4, sequence: 16, eval_batches: 1}
        data: {source: markov, symbols: 8, order: 1, alpha: 0.3}
        nodes: [{group: n, count: 2, speed: 1gflops}]
        membership: {heartbeat: 1s, failure_timeout: 5s}
        diloco: {inner_steps: 10, steps: 40, inner_lr: 0.01, start_after: 5s, outer_lr: 1, outer_momentum: 0.5}
        variants:
          h10: {}
          h20: {diloco: {inner_steps: 20}}
        compare:
          - h10.final_loss < h10.initial_loss
          - h10.update_bytes >= 1.9 * h20.update_bytes
        """

    @Test func runsDeterministicallyWithVariantsAndComparisons() throws {
        let s = try scenario(Self.yaml)
        let a = try Experiment.run(s, directory: nil), b = try Experiment.run(s, directory: nil)
        #expect(a.traceHash == b.traceHash)
        #expect(a.passed, "\(a.comparisons.map { ($0.comparison.text, $0.left, $0.right) })")
        let floor = try #require(a.runs[0].result.metrics["loss_floor"])
        #expect(floor > 0 && floor < a.runs[0].result.metrics["final_loss"]!)
        let summary = a.summaryJSON()
        #expect(summary["variants"]?["h20"]?["outer_rounds"] == .int(2))
        #expect(summary["variants"]?["h10"]?["bytes_sent"]?.doubleValue == a.runs[0].result.metrics["update_bytes"])
        #expect(summary["comparisons"] != nil)
        #expect(a.curvesCSV.split(separator: "\n").count > 3)
        #expect(a.variantsCSV.hasPrefix("variant,final_loss,loss_gap_bits,bytes_sent"))
    }

    /// Nodes that fit one layer each spread over the four layers and train through the
    /// pipeline: every one takes the budgeted steps, the assembled model learns, and the run
    /// repeats bit for bit.
    @Test func nodesHoldingOneLayerEachTrainThroughThePipeline() throws {
        let split = Self.yaml
            .replacingOccurrences(of: "eval_batches: 1}", with: "eval_batches: 1, layer_memory: 100mb}")
            .replacingOccurrences(of: "count: 2, speed: 1gflops", with: "count: 4, speed: 1gflops, memory: 150mb")
        let sim = try Simulation(scenario: scenario(split))
        let result = sim.run()
        #expect(Set(sim.nodes.map(\.core.layers)) == [0..<1, 1..<2, 2..<3, 3..<4])
        #expect(sim.nodes.allSatisfy { $0.core.metrics.innerSteps == 40 && $0.core.completedRounds == 4 })
        #expect(result.metrics["final_loss"]! < 0.8 * result.metrics["initial_loss"]!)
        #expect(result.metrics["pipeline_timeouts"] == 0)
        let again = try Simulation(scenario: scenario(split)).run()
        #expect(again.traceHash == result.traceHash)
    }
}
