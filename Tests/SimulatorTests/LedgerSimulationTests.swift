import Ledger
import NeuroShardCore
import Scenario
import Testing
@testable import Simulator

/// The simulator tells the truth about the ledger (SPEC §7): a restart keeps what the node's
/// store kept, a full disk keeps nothing, and agreement is the protocol's own.
@Suite struct LedgerSimulationTests {
    static func yaml(faults: String = "", load: String = "", duration: String = "6m", extra: String = "") -> String {
        """
        seed: 3
        duration: \(duration)
        model: {layers: 2, dim: 4, step_gflop: 1}
        nodes:
          - group: n
            count: 4
            memory: 1gb
        network:
          latency: 10ms
        membership: {heartbeat: 1s, failure_timeout: 5s}
        diloco: {inner_steps: 10, inner_lr: 0.02, weight_decay: 0, sync_timeout: 4s}
        ledger: {proof_interval: 30s, genesis: {n: 50}}
        \(extra)
        load:
          - {target: n, endpoint: wallet/send, to: n, amount: 0.25, per_minute: 6}
        \(load)
        faults:
        \(faults)
        """
    }

    @Test func aRestartedNodeKeepsItsLedgerAndCatchesUpOnWhatItMissed() throws {
        let sim = try simulation(Self.yaml(faults: "  - {at: 120s, crash: \"n[3]\"}\n  - {at: 240s, restart: \"n[3]\"}"))
        sim.advance(seconds: 119.9)
        let before = sim.nodes[3].core.ledger!.recordCount
        #expect(before > 10)
        sim.advance(seconds: 240.001)
        // Folded again from its store at once, as a production node opens its SQLite file...
        #expect(sim.nodes[3].core.ledger!.recordCount >= before)
        let behind = sim.nodes[0].core.ledger!.recordCount - sim.nodes[3].core.ledger!.recordCount
        #expect(behind > 5, "it missed two minutes of proofs and sends")
        // ...then pulls the two minutes it missed from its peers.
        sim.advance(seconds: 250)
        #expect(sim.nodes[3].core.ledger!.summary(asOfMs: 240_000) == sim.nodes[0].core.ledger!.summary(asOfMs: 240_000))
        #expect(sim.nodes[3].core.metrics.recordsPulled >= behind)
        let result = sim.run()
        #expect(result.metrics["ledger.balances_agree"] == 1)
        #expect(result.metrics["ledger.convergence_seconds"].map { $0 >= 0 && $0 < 5 } == true)
    }

    @Test func aFullDiskKeepsNoneOfItsNodesLedgerWrites() throws {
        let sim = try simulation(Self.yaml(faults: "  - {at: 60s, disk_full: \"n[1]\"}\n  - {at: 180s, disk_ok: \"n[1]\"}"))
        sim.advance(seconds: 61)
        let stored = sim.nodes[1].ledgerStore.all.count
        sim.advance(seconds: 179)
        #expect(sim.nodes[1].ledgerStore.all.count == stored, "nothing reached the full disk")
        #expect(sim.nodes[1].core.metrics.commitFailures > 0)
        #expect(sim.nodes[1].core.ledger!.recordCount == stored, "what the disk did not keep, the node does not count")
        #expect((sim.stats.http[500] ?? 0) > 0, "its sends were answered 500")
        let result = sim.run()
        #expect(sim.nodes[1].ledgerStore.all.count > stored, "it caught up once the disk had room")
        #expect(result.metrics["ledger.balances_agree"] == 1 && result.metrics["ledger.conserved"] == 1)
    }

    @Test func ledgersThatCannotTalkDoNotAgreeAndTheRunSaysSo() throws {
        // Partitioned to the very end: no delivery after the end may hide it.
        let sim = try simulation(Self.yaml(faults: "  - {at: 60s, partition: [[\"n[0..1]\"], [\"n[2..3]\"]]}"))
        let result = sim.run()
        #expect(result.metrics["ledger.balances_agree"] == 0)
        // Convergence counts from the last disturbance on the records stamped before it, which
        // both sides held when it came: what they could not exchange after, agreement catches.
        #expect(result.metrics["ledger.convergence_seconds"] == 0)
        #expect(!result.passed, "balances_agree is checked whether or not the file lists it")
        #expect(result.expectations.contains { $0.expectation.metric == "ledger.balances_agree" && !$0.passed })
    }

    @Test func aDoubleSpendBySignedHistoriesIsVoidedEverywhere() throws {
        let text = """
            seed: 9
            duration: 5m
            model: {layers: 2, dim: 4, step_gflop: 1}
            nodes:
              - {group: n, count: 5, memory: 1gb}
              - {group: eve, memory: 1gb, behaviour: equivocating-transfer}
            network: {latency: 10ms, loss: 0.02}
            membership: {heartbeat: 1s, failure_timeout: 5s}
            diloco: {inner_steps: 10, inner_lr: 0.02, weight_decay: 0, sync_timeout: 4s}
            ledger: {proof_interval: 30s, genesis: {eve: 10}}
            """
        let sim = try simulation(text)
        let result = sim.run()
        let eve = sim.nodes[5].config.id
        #expect(result.metrics["ledger.equivocations"] == 1)
        #expect(result.metrics["ledger.balances_agree"] == 1 && result.metrics["ledger.conserved"] == 1)
        for node in sim.nodes.prefix(5) {
            let ledger = node.core.ledger!
            #expect(ledger.forkedAuthors == [eve])
            // Neither payee kept its payment: eve's balance is its genesis and what it earned before.
            #expect(ledger.account(eve).available >= Micro(neuro: 10)!)
            #expect(ledger.totals.burned == .zero)
        }
    }
}
