import Foundation
import Scenario
@testable import Simulator

/// A scenario from YAML text; a broken one fails the test that wrote it.
func scenario(_ yaml: String) throws -> Scenario {
    try ScenarioReader.parse(yaml, file: "test.yaml")
}

func simulation(_ yaml: String, trace: String? = nil) throws -> Simulation {
    try Simulation(scenario: scenario(yaml), tracePath: trace)
}

extension Simulation {
    func advance(seconds: Double) { advance(to: Int64(seconds * 1e9)) }

    /// Indices of the live nodes holding `layer`.
    func holders(of layer: Int) -> [Int] {
        nodes.indices.filter { nodes[$0].isUp && nodes[$0].core.layers.contains(layer) }
    }

    func peerCounts() -> [Int] { nodes.map { $0.core.peers.count } }

    func knows(_ i: Int, _ j: Int) -> Bool { nodes[i].core.peers.contains(nodes[j].config.id) }
}

let shippedScenarios: [String] = {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scenarios").standardized
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted().map { dir.appendingPathComponent($0).path }
}()
