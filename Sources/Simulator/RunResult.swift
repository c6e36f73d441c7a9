import Deterministic
import Foundation
import NeuroShardCore
import Scenario

/// What a run produced: the figures expectations are checked against, and the files written to
/// `Results/<scenario>/<seed>/`.
public struct RunResult: Sendable {
    public var scenario: String
    public var seed: UInt64
    public var traceHash: String
    public var virtualSeconds: Double
    public var wallSeconds: Double
    public var events: UInt64
    /// Every metric of `MetricCatalog`, plus `http.NNN` for each status code seen.
    public var metrics: [String: Double]
    public var expectations: [(expectation: Expectation, value: Double, passed: Bool)]
    public var samples: [String]
    /// For a transformer: text the first honest replica's final weights generate from bos.
    public var sampleText: String?
    /// `round,inner_steps,update_bytes_per_node,loss` rows (see `LossCurve`).
    public var curve: [String]
    public var nodes: Int
    /// Each node's address and the peer message kinds it sent, with their counts.
    public var sentByNode: [(node: String, kinds: [(kind: String, count: Int)])]
    /// What metrics.csv is written from, the faults as they fired and the ledger's balances at
    /// the end: the time series of report.html.
    var series: [MetricsSample]
    var faults: [FiredFault]
    var balances: [AccountBalance]

    public var passed: Bool { expectations.allSatisfy(\.passed) }
    public var eventsPerSecond: Double { wallSeconds > 0 ? Double(events) / wallSeconds : 0 }
    public var speedup: Double { wallSeconds > 0 ? virtualSeconds / wallSeconds : 0 }

    init(simulation sim: Simulation, wallSeconds: Double) {
        scenario = sim.scenario.name
        seed = sim.scenario.seed
        traceHash = sim.trace.hashHex
        virtualSeconds = Double(sim.now) / 1e9
        self.wallSeconds = wallSeconds
        events = sim.trace.events
        nodes = sim.nodes.count
        sentByNode = sim.nodes.map { ($0.config.address, $0.core.metrics.sentKinds) }
        let snap = sim.snapshot()
        let stats = sim.stats
        let finalLoss = sim.finalLoss(snap)
        var m: [String: Double] = [
            "final_loss": finalLoss,
            "initial_loss": sim.objective.evaluate(sim.objective.initialParameters(range: 0..<sim.objective.layerCount)),
            "outer_rounds": Double(snap.maxRound),
            "min_outer_rounds": Double(snap.fewestRounds),
            "all_layers_covered": sim.coverage.allCovered ? 1 : 0,
            "uncovered_seconds": Double(sim.coverage.uncoveredNanos) / 1e9,
            "live_nodes": Double(snap.live),
            "nodes": Double(sim.nodes.count),
            "events": Double(sim.trace.events),
            "messages": Double(stats.messages),
            "bytes": Double(stats.bytes),
            "messages_dropped": Double(stats.dropped),
            "messages_duplicated": Double(stats.duplicated),
            "faults_fired": Double(stats.faultsFired),
            "peers.min": Double(snap.live > 0 ? snap.minPeers : 0),
            "peers.mean": snap.live > 0 ? Double(snap.peerSum) / Double(snap.live) : 0,
            "detection_seconds.max": Double(stats.maxDetection) / 1e9,
            "sync_timeouts": Double(stats.timedOutRounds),
            "virtual_seconds": Double(sim.now) / 1e9,
            "http.total": Double(stats.httpCount { _ in true }),
            "http.2xx": Double(stats.httpCount { (200..<300).contains($0) }),
            "http.4xx": Double(stats.httpCount { (400..<500).contains($0) }),
            "http.5xx": Double(stats.httpCount { (500..<600).contains($0) }),
            "http.unreachable": Double(stats.unreachable),
        ]
        var peersDropped = 0, rejected = 0, stale = 0, persistFailures = 0, updateBytes = 0
        var pipelineTimeouts = 0, pipelineFailures = 0
        var honestSteps = 0, honestTrainers = 0
        for node in sim.nodes {
            peersDropped += node.core.metrics.peersDropped
            rejected += node.core.metrics.gradientsRejected
            stale += node.core.metrics.staleUpdates
            persistFailures += node.core.metrics.persistFailures
            updateBytes += node.core.metrics.updateBytesSent
            pipelineTimeouts += node.core.metrics.pipelineTimeouts
            pipelineFailures += node.core.metrics.pipelineFailures
            if node.config.trainingEnabled && node.config.behaviour == .honest {
                honestTrainers += 1
                honestSteps += node.core.metrics.innerSteps
            }
        }
        m["update_bytes"] = Double(updateBytes)
        m["ledger.reconciliation_bytes"] = Double(sim.nodes.reduce(0) { $0 + $1.core.metrics.reconciliationBytesSent })
        m["ledger.record_bytes"] = Double(sim.nodes.reduce(0) { $0 + $1.core.metrics.recordBytesSent })
        for (code, name) in PeerMessage.kindNames.enumerated() where !name.isEmpty {
            m["messages_by_kind.\(name)"] = Double(sim.nodes.reduce(0) { $0 + $1.core.metrics.sentByKind[code] })
        }
        let floor = sim.objective.lossFloor ?? .nan
        m["loss_floor"] = floor
        m["loss_gap_bits"] = (finalLoss - floor) / 0.693_147_180_559_945_3
        m["inner_steps"] = honestTrainers > 0 ? Double(honestSteps) / Double(honestTrainers) : 0
        m["peers_dropped"] = Double(peersDropped)
        m["gradients_rejected"] = Double(rejected)
        m["stale_updates"] = Double(stale)
        m["persist_failures"] = Double(persistFailures)
        m["pipeline_timeouts"] = Double(pipelineTimeouts)
        m["pipeline_failures"] = Double(pipelineFailures)
        for (code, count) in stats.http { m["http.\(code)"] = Double(count) }
        m.merge(LedgerFigures(sim).metrics) { a, _ in a }
        metrics = m
        // The ledger's invariants hold at the end of every scenario with a ledger, listed or not
        // (SPEC §7): no NEURO made or lost, no spend the balance did not cover, one state.
        var checked = sim.scenario.expectations
        for invariant in ["ledger.conserved", "ledger.no_double_spend", "ledger.balances_agree"]
        where m[invariant] != nil && !checked.contains(where: { $0.metric == invariant }) {
            checked.append(try! Expectation.parse(invariant))
        }
        expectations = checked.map { e in
            let value = m[e.metric] ?? (e.metric.hasPrefix("http.") ? 0 : .nan)
            return (e, value, e.holds(value))
        }
        samples = sim.samples.map(\.csvRow)
        series = sim.samples
        faults = sim.firedFaults
        balances = AccountBalance.all(in: sim)
        curve = sim.curve.rows()
        sampleText = sim.sampleText()
    }

    /// summary.json: the keys the README documents, in a fixed order.
    public func summaryJSON(scenarioHash: String, peakRSSBytes: Int) -> JSON {
        let metricKeys = metrics.keys.sorted()
        return [
            "scenario": .string(scenario),
            "seed": .int(Int64(bitPattern: seed)),
            "scenario_hash": .string(scenarioHash),
            "trace_hash": .string(traceHash),
            "passed": .bool(passed),
            "virtual_seconds": .double(virtualSeconds),
            "wall_seconds": .double(wallSeconds),
            "speedup": .double(speedup),
            "events": .int(Int64(events)),
            "events_per_second": .double(eventsPerSecond),
            "messages": .int(Int(metrics["messages"] ?? 0)),
            "bytes": .int(Int(metrics["bytes"] ?? 0)),
            "faults_fired": .int(Int(metrics["faults_fired"] ?? 0)),
            "peak_rss_bytes": .int(peakRSSBytes),
            "nodes": .int(nodes),
            "final_loss": .double(metrics["final_loss"] ?? .nan),
            "outer_rounds": .int(Int(metrics["outer_rounds"] ?? 0)),
            "sample_text": sampleText.map { .string($0) } ?? .null,
            "expectations": .array(expectations.map { e in
                ["text": .string(e.expectation.text), "value": .double(e.value), "passed": .bool(e.passed)]
            }),
            "metrics": .object(metricKeys.map { ($0, .double(metrics[$0]!)) }),
            "sent_by_node": Self.sentJSON(sentByNode),
            "version": .string(NeuroShardVersion.current),
        ]
    }

    /// `sent_by_node`: `{"<address>": {"<kind>": count}}`, what `simulate --real` reports too.
    public static func sentJSON(_ sent: [(node: String, kinds: [(kind: String, count: Int)])]) -> JSON {
        .object(sent.map { node in (node.node, .object(node.kinds.map { ($0.kind, .int($0.count)) })) })
    }

    public var metricsCSV: String {
        ([MetricsSample.header] + samples).joined(separator: "\n") + "\n"
    }
}

/// The largest resident set this process has had, in bytes.
public func peakResidentBytes() -> Int {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss * 1024
    #else
    getrusage(RUSAGE_SELF, &usage)
    return usage.ru_maxrss
    #endif
}
