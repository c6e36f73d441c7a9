import NeuroShardCore

/// Watches whether the live honest ledgers agree (their summaries are equal, so they hold the
/// same records), to report how long they took to agree after the last disturbance: a fault, or
/// a node starting after the others. Updated after every input, at no more cost than a lookup.
struct LedgerWatch {
    private var summaries: [Int: UInt64] = [:]
    /// How many of the watched nodes hold each summary.
    private var holders: [UInt64: Int] = [:]
    private(set) var lastDisturbance: Int64 = 0
    /// The first time at or after `lastDisturbance` when every watched ledger agreed.
    private var agreedAt: Int64? = 0

    mutating func disturbed(at t: Int64) {
        lastDisturbance = t
        agreedAt = holders.count <= 1 ? t : nil
    }

    /// Node `i` changed: re-read its summary (none when it is down or not honest).
    mutating func update(_ i: Int, in sim: Simulation) {
        let node = sim.nodes[i]
        let summary = node.state == .running && node.config.ledger.conduct == .honest ? node.core.ledger?.summary : nil
        let value = summary.map { $0.hash ^ $0.records &* 0x9E37_79B9_7F4A_7C15 }
        guard summaries[i] != value else { return }
        if let old = summaries[i] {
            holders[old]! -= 1
            if holders[old] == 0 { holders[old] = nil }
        }
        summaries[i] = value
        if let value { holders[value, default: 0] += 1 }
        if agreedAt == nil, holders.count <= 1 { agreedAt = sim.now }
    }

    /// From the last disturbance until the ledgers agreed; nil if they did not agree again.
    var convergenceSeconds: Double? { agreedAt.map { Double($0 - lastDisturbance) / 1e9 } }
}
