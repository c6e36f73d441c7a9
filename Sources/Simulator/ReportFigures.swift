import Deterministic
import Identity
import Ledger
import NeuroShardCore
import Scenario

/// A timed fault as it fired: when, what (`crash stage[0..4]`), and whether it found anything
/// to act on.
struct FiredFault: Sendable, Equatable {
    var seconds: Double
    var label: String
    var acted: Bool
}

/// One ledger account at the end of a run, as the first honest running ledger holds it.
struct AccountBalance: Sendable, Equatable {
    /// The node's address (`group-k`), or a short account id for an account no node owns.
    var label: String
    /// The owning node's group; nil for an account no node owns.
    var group: String?
    /// The owning node's index, for ordering.
    var node: Int?
    var available: Double
    var staked: Double

    var total: Double { available + staked }

    /// Every node's account in the first honest running ledger (any ledger when none runs),
    /// zero for a node holding nothing, in node order; then accounts no node owns, by id. Empty
    /// without a ledger.
    static func all(in sim: Simulation) -> [AccountBalance] {
        let holder = sim.nodes.first { $0.core.ledger != nil && $0.config.ledger.conduct == .honest && $0.state == .running }
            ?? sim.nodes.first { $0.core.ledger != nil }
        guard let ledger = holder?.core.ledger else { return [] }
        var balances = sim.nodes.map { node in
            AccountBalance(label: node.config.address, group: sim.scenario.groups[node.group].name, node: node.index,
                           available: 0, staked: 0)
        }
        var owners: [NodeID: Int] = [:]
        for node in sim.nodes { owners[node.config.id] = node.index }
        var others: [AccountBalance] = []
        for (id, account) in ledger.accounts.sorted(by: { $0.key < $1.key }) where account != .empty {
            let available = account.available.neuro, staked = account.staked.neuro
            if let i = owners[id] {
                balances[i].available = available
                balances[i].staked = staked
            } else {
                others.append(AccountBalance(label: "account " + id.short, group: nil, node: nil,
                                             available: available, staked: staked))
            }
        }
        return balances + others
    }
}

extension FaultKind {
    /// What the fault does to whom, for labels: `crash stage[0..4]`, `partition a | b`.
    var label: String {
        func list(_ selectors: [NodeSelector]) -> String { selectors.map(\.description).joined(separator: ", ") }
        switch self {
        case .crash(let s), .restart(let s), .resume(let s), .leave(let s): return "\(name) \(s)"
        case .pause(let s, let duration): return "pause \(s)" + (duration.map { " for \(Self.short($0))" } ?? "")
        case .partition(let a, let b, let oneWay): return "partition \(list(a)) \(oneWay ? "→" : "|") \(list(b))"
        case .heal: return "heal"
        case .clockSkew(let s, let offset, let ppm): return "clock_skew \(s) \(Self.short(offset)) \(ppm == ppm.rounded() ? String(Int(ppm)) : String(ppm)) ppm"
        case .diskFull(let s, _): return "\(name) \(s)"
        }
    }

    /// A span as a scenario file would write it: 30s, 5m, 1.5s, 250ms.
    private static func short(_ span: TimeSpan) -> String {
        let ns = span.nanos
        if ns % 60_000_000_000 == 0 && ns != 0 { return "\(ns / 60_000_000_000)m" }
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if abs(ns) < 1_000_000_000 { return String(format: "%gms", Double(ns) / 1e6) }
        return String(format: "%gs", Double(ns) / 1e9)
    }
}
