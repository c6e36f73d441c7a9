import NeuroShardClient

// README: swift-client-example begin
/// What a user of the Swift SDK writes: connect, see what the node is, generate, read the wallet.
func clientExample(url: String, token: String) async throws -> String {
    let node = NeuroNode(url: url, apiToken: token)

    let status = try await node.getStatus()
    var lines = [
        "Node: \(status.nodeID)",
        "Role: \(status.role)",
        "Layers: \(status.layers)",
        "Peers: \(status.peerCount)",
    ]

    let response = try await node.inference("What is NeuroShard?", maxTokens: 20)
    lines.append("Inference: \(response.usage.completionTokens) tokens, cost \(response.cost.amount) NEURO")

    let balance = try await NEUROLedger(node).getBalance()
    lines.append("Balance: \(balance.available) NEURO")

    let report = lines.joined(separator: "\n")
    print(report)
    return report
}
// README: swift-client-example end
