import Identity
import Ledger
import NeuroShardCore

/// The ledger's figures at the end of a run (SPEC §7), read from the nodes as they stand: no
/// message is delivered after the end, so agreement is the protocol's own.
struct LedgerFigures {
    var metrics: [String: Double] = [:]

    init(_ sim: Simulation) {
        let nodes = sim.nodes
        var conserved = true, audited = true
        var ledgers = 0, minted = Micro.zero, records = 0
        var accepted = 0, refused: [Refusal: Int] = [:], honestRefused = 0
        var attackerRewards = Micro.zero, backdatedRewards = Micro.zero, backdatedExcess = Micro.zero
        var settled: [UInt64] = [], full: [UInt64] = [], equivocations: [Int] = []
        let cheaters = nodes.filter { $0.config.ledger.conduct.provesNothing }.map(\.config.id)
        let honestAuthors = Set(nodes.filter { $0.config.ledger.conduct == .honest }.map(\.config.id))
        let backdaters = nodes.filter { $0.config.ledger.conduct == .backdated }
        let settleMs = (sim.end - sim.scenario.ledgerSettle.nanos) / 1_000_000
        for node in nodes {
            guard let ledger = node.core.ledger else { continue }
            ledgers += 1
            conserved = conserved && ledger.totals.conserved
            guard node.config.ledger.conduct == .honest, node.state == .running else { continue }
            audited = audited && ledger.audit().isEmpty
            settled.append(ledger.digest(asOfMs: settleMs))
            full.append(ledger.digest())
            equivocations.append(ledger.forkedAuthors.count)
            minted = max(minted, ledger.totals.minted)
            records = max(records, ledger.recordCount)
            accepted += ledger.counters.proofsAccepted
            for (reason, n) in ledger.counters.proofsRefused { refused[reason, default: 0] += n }
            honestRefused += ledger.refusedProofs(of: honestAuthors)
            for cheater in cheaters { attackerRewards = attackerRewards.adding(ledger.earned(by: cheater, sinceMs: .min)) ?? .max }
            for b in backdaters {
                let started = sim.startTimes[b.index].map { $0 / 1_000_000 } ?? settleMs
                let earned = ledger.earned(by: b.config.id, sinceMs: .min)
                    .subtracting(ledger.earned(by: b.config.id, sinceMs: started)) ?? .zero
                let excess = earned.subtracting(Self.uptimeAllowance(ledger.rules, untilMs: started)) ?? .zero
                backdatedRewards = max(backdatedRewards, earned)
                backdatedExcess = max(backdatedExcess, excess)
            }
        }
        guard ledgers > 0 else { return }
        metrics["ledger.conserved"] = conserved ? 1 : 0
        metrics["ledger.no_double_spend"] = audited ? 1 : 0
        metrics["ledger.balances_agree"] = Set(settled).count <= 1 ? 1 : 0
        metrics["ledger.digests_agree"] = Set(full).count <= 1 ? 1 : 0
        metrics["ledger.convergence_seconds"] = sim.ledgerWatch.convergenceSeconds ?? .nan
        metrics["ledger.equivocations"] = Double(equivocations.min() ?? 0)
        metrics["ledger.minted"] = minted.neuro
        metrics["ledger.records"] = Double(records)
        metrics["ledger.attacker_rewards"] = attackerRewards.neuro
        metrics["ledger.backdated_rewards"] = backdatedRewards.neuro
        metrics["ledger.backdated_excess"] = backdatedExcess.neuro
        metrics["honest_proofs_refused"] = Double(honestRefused)
        metrics["proofs.accepted"] = Double(accepted)
        for reason in [Refusal.signature, .replay, .stale, .future, .rate, .implausible] {
            metrics["proofs_rejected.\(reason.rawValue)"] = Double(refused[reason] ?? 0)
        }
    }

    /// The most that proofs may mint for uptime from the network's genesis until `untilMs`
    /// under the chain rules: every second claimed once (plus one proof's cap), at the largest
    /// role bonus, with no stake. A backdated chain earning more would break a rule.
    static func uptimeAllowance(_ rules: ChainRules, untilMs: Int64) -> Micro {
        let seconds = max(0, (untilMs - rules.genesisTimeMs) / 1000) + rules.maxUptimeSeconds
        return ChainRules.reward(base: seconds * 100 / 60, bonusPercent: 60, staked: .zero)
    }
}
