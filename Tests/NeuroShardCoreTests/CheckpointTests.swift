import Deterministic
import Testing
@testable import NeuroShardCore
import Training

/// A node taking over layers copies the holder's θ₀, outer momentum and round, so that it
/// continues the holder's outer steps instead of starting a diverging replica.
@Test func takingOverLayersAdoptsWeightsMomentumAndRound() {
    let objective = NoisyQuadratic(layerCount: 2, dimension: 3)
    let theta0 = LayerParameters(range: 0..<2, layers: [[1, 2, 3], [4, 5, 6]])
    let velocity: [[Float]] = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
    let holder = NodeCore(config: membershipConfig(1, "a", training: true), objective: objective,
                          restoring: DurableState(round: 5, completedRounds: 5, theta0: theta0,
                                                  outerVelocity: velocity, knownPeers: []))
    var cluster = Cluster()
    cluster.add(holder, seed: 1)
    cluster.add(NodeCore(config: membershipConfig(2, "b", seeds: ["a"], training: true), objective: objective), seed: 2)
    cluster.input("a", .start, at: at(0))
    cluster.input("b", .start, at: at(0))
    cluster.tick("a", at: at(1))   // b learns what a holds
    cluster.tick("b", at: at(2))   // b chooses layers, asks a, installs
    let b = cluster["b"]
    #expect(b.layers == 0..<2)
    #expect(b.parameters == theta0)
    #expect(b.outer.velocity == velocity)
    #expect(b.round == 5)
    #expect(cluster.notes(of: "b").contains(.checkpointInstalled(layers: 0..<2, from: nodeID(1), round: 5)))
}

/// The holder a node is fetching from leaves: the node asks another holder instead of falling
/// back to genesis weights.
@Test func aDepartedHolderIsReplacedByAnother() {
    let objective = NoisyQuadratic(layerCount: 2, dimension: 3)
    let theta0 = LayerParameters(range: 0..<2, layers: [[1, 2, 3], [4, 5, 6]])
    func holder(_ n: UInt64, _ address: String, round: Int) -> NodeCore {
        NodeCore(config: membershipConfig(n, address, training: true), objective: objective,
                 restoring: DurableState(round: round, completedRounds: round, theta0: theta0, outerVelocity: [], knownPeers: []))
    }
    var cluster = Cluster()
    cluster.add(holder(1, "a", round: 7), seed: 1)
    cluster.add(holder(3, "c", round: 5), seed: 3)
    cluster.add(NodeCore(config: membershipConfig(2, "b", seeds: ["a", "c"], training: true), objective: objective), seed: 2)
    for address in ["a", "c", "b"] { cluster.input(address, .start, at: at(0)) }
    cluster.tick("a", at: at(1))
    cluster.tick("c", at: at(1))
    // b asks a (the most advanced), but a's answer never arrives; then a leaves.
    cluster.drop = { from, _, message in from == "a" && message.kind == "checkpoint" }
    cluster.tick("b", at: at(2))
    #expect(cluster["b"].isFetching)
    cluster.drop = { _, _, _ in false }
    cluster.input("b", .message(from: nodeID(1), .leave), at: at(3))
    let b = cluster["b"]
    #expect(!b.isFetching)
    #expect(b.parameters == theta0) // from c, not genesis
    #expect(cluster.notes(of: "b").contains(.checkpointInstalled(layers: 0..<2, from: nodeID(3), round: 5)))
}
