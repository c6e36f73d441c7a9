import NeuroShardCore

/// Watches how long the live honest ledgers take to agree after the last disturbance (a fault,
/// or a node starting after the others) on the records stamped before it: those every ledger
/// must come to hold, while records made since keep arriving. Checked after every input until
/// they agree, at the cost of a summary of one node's chains.
struct LedgerWatch {
    private(set) var lastDisturbance: Int64 = 0
    /// Each watched node's summary of the records stamped up to the disturbance.
    private var summaries: [Int: UInt64] = [:]
    /// How many of the watched nodes hold each summary.
    private var holders: [UInt64: Int] = [:]
    /// When they agreed after `lastDisturbance`; nil while they do not.
    private var agreedAt: Int64? = 0

    mutating func disturbed(at t: Int64, in sim: Simulation) {
        lastDisturbance = t
        summaries = [:]
        holders = [:]
        agreedAt = nil
        for i in sim.nodes.indices { refresh(i, in: sim) }
        if holders.count <= 1 { agreedAt = t }
    }

    /// Node `i` changed: re-read its summary (none when it is down or not honest).
    mutating func update(_ i: Int, in sim: Simulation) {
        guard agreedAt == nil else { return }
        refresh(i, in: sim)
        if holders.count <= 1 { agreedAt = sim.now }
    }

    private mutating func refresh(_ i: Int, in sim: Simulation) {
        let node = sim.nodes[i]
        let value = node.state == .running && node.config.ledger.conduct == .honest
            ? node.core.ledger?.summary(asOfMs: lastDisturbance / 1_000_000) : nil
        guard summaries[i] != value else { return }
        if let old = summaries[i] {
            holders[old]! -= 1
            if holders[old] == 0 { holders[old] = nil }
        }
        summaries[i] = value
        if let value { holders[value, default: 0] += 1 }
    }

    /// From the last disturbance until the ledgers agreed; nil if they did not by the end.
    var convergenceSeconds: Double? { agreedAt.map { Double($0 - lastDisturbance) / 1e9 } }
}
