import Ledger
import NeuroShardCore

/// The ledger's figures at the end of a run (SPEC §7): conservation in every ledger, no
/// negative balance, and the honest ledgers agreeing once gossip has settled.
struct LedgerFigures {
    var metrics: [String: Double] = [:]

    init(_ nodes: [SimNode]) {
        var conserved = true, noDoubleSpend = true
        var honestAccounts: [[(address: String, balance: Balance)]] = []
        var rejected: [ProofRejection: Int] = [:]
        var accepted = 0
        var minted = Micro.zero
        var attackerRewards = Micro.zero
        let cheaters = Set(nodes.filter { $0.config.ledger.conduct.provesNothing }.map { $0.config.id.hex })
        var ledgers = 0
        for node in nodes {
            guard let ledger = node.core.ledger else { continue }
            ledgers += 1
            guard let totals = try? ledger.totals(), let accounts = try? ledger.accounts() else {
                conserved = false
                continue
            }
            conserved = conserved && totals.conserved
            // A spend applied twice, or past the balance, shows as a negative balance.
            noDoubleSpend = noDoubleSpend && accounts.allSatisfy { $0.balance.available >= .zero && $0.balance.staked >= .zero }
            guard node.config.ledger.conduct == .honest, node.state == .running else { continue }
            honestAccounts.append(accounts)
            accepted += node.core.metrics.proofsAccepted
            for (reason, n) in node.core.metrics.proofsRejected { rejected[reason, default: 0] += n }
            minted = max(minted, totals.minted)
            for cheater in cheaters {
                attackerRewards = attackerRewards.adding((try? ledger.earned(by: cheater, since: .min)) ?? .zero) ?? attackerRewards
            }
        }
        guard ledgers > 0 else { return }
        let agree = honestAccounts.dropFirst().allSatisfy { accounts in
            accounts.count == honestAccounts[0].count
                && zip(accounts, honestAccounts[0]).allSatisfy { $0.address == $1.address && $0.balance == $1.balance }
        }
        metrics["ledger.conserved"] = conserved ? 1 : 0
        metrics["ledger.no_double_spend"] = noDoubleSpend ? 1 : 0
        metrics["ledger.balances_agree"] = agree ? 1 : 0
        metrics["ledger.minted"] = minted.neuro
        metrics["ledger.attacker_rewards"] = attackerRewards.neuro
        metrics["proofs.accepted"] = Double(accepted)
        for reason in ProofRejection.allCases { metrics["proofs_rejected.\(reason.rawValue)"] = Double(rejected[reason] ?? 0) }
    }
}

extension ProofConduct {
    /// Attacks none of whose proofs may earn anything (a flooding node's first 120 an hour are honest).
    var provesNothing: Bool { self != .honest && self != .flooding }
}
