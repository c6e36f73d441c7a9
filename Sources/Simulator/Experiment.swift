import Deterministic
import Foundation
import NeuroShardCore
import Scenario
import Training

/// A scenario's whole run: the scenario itself, or each of its variants in file order with the
/// same seed, followed by the `compare:` lines across them.
public struct Experiment: Sendable {
    public var scenario: Scenario
    public var runs: [(variant: String?, result: RunResult)]
    public var comparisons: [(comparison: Comparison, left: Double, right: Double, holds: Bool)]

    /// Builds every run's objective without running anything, so that a scenario whose model
    /// cannot be built (a text folder missing, nodes too small for the transformer) fails before
    /// any file is written. `run` takes the result.
    public static func prepare(_ scenario: Scenario) throws -> [any Objective] {
        try scenario.runs.map { run in
            do { return try Simulation.objective(for: run.scenario) } catch let error as ObjectiveError {
                throw ObjectiveError(description: (run.variant.map { "variant \($0): " } ?? "") + error.description)
            }
        }
    }

    /// Runs everything, streaming each run's trace into `directory` (trace.log, or
    /// trace.<variant>.log per variant) when given.
    public static func run(_ scenario: Scenario, objectives: [any Objective]? = nil, directory: String?,
                           progress: ((String?, Simulation) -> Void)? = nil) throws -> Experiment {
        let objectives = try objectives ?? prepare(scenario)
        var runs: [(variant: String?, result: RunResult)] = []
        for ((variant, s), objective) in zip(scenario.runs, objectives) {
            let path = directory.map { $0 + "/" + (variant.map { "trace.\($0).log" } ?? "trace.log") }
            let simulation = try Simulation(scenario: s, objective: objective, tracePath: path)
            if let progress { simulation.progress = { progress(variant, $0) } }
            runs.append((variant, simulation.run()))
        }
        let comparisons = scenario.comparisons.map { c in
            let e = c.evaluate { variant, metric in
                runs.first { $0.variant == variant }.flatMap { $0.result.metric(metric) }
            }
            return (c, e.left, e.right, e.holds)
        }
        return Experiment(scenario: scenario, runs: runs, comparisons: comparisons)
    }

    public var passed: Bool { runs.allSatisfy(\.result.passed) && comparisons.allSatisfy(\.holds) }

    /// The one run's trace hash, or a hash over the variants' names and hashes.
    public var traceHash: String {
        guard runs[0].variant != nil else { return runs[0].result.traceHash }
        var h = StableHasher()
        for r in runs { h.combine(r.variant ?? ""); h.combine(r.result.traceHash) }
        return h.value.hex16
    }

    public var wallSeconds: Double { runs.reduce(0) { $0 + $1.result.wallSeconds } }

    /// summary.json: a plain run's keys; with variants, the first variant's figures at the top level
    /// plus a `variants` object and the comparisons.
    public func summaryJSON() -> JSON {
        let rss = peakResidentBytes()
        guard runs.first?.variant != nil else { return runs[0].result.summaryJSON(scenarioHash: scenario.sourceHash, peakRSSBytes: rss) }
        var summary = runs[0].result.summaryJSON(scenarioHash: scenario.sourceHash, peakRSSBytes: rss)
        summary["trace_hash"] = .string(traceHash)
        summary["passed"] = .bool(passed)
        summary["wall_seconds"] = .double(wallSeconds)
        summary["variants"] = .object(runs.map { run in
            let r = run.result
            return (run.variant!, [
                "final_loss": .double(r.metrics["final_loss"] ?? .nan),
                "loss_gap_bits": .double(r.metrics["loss_gap_bits"] ?? .nan),
                "bytes_sent": .int(Int(r.metrics["update_bytes"] ?? 0)),
                "bytes_total": .int(Int(r.metrics["bytes"] ?? 0)),
                "outer_rounds": .int(Int(r.metrics["outer_rounds"] ?? 0)),
                "inner_steps": .double(r.metrics["inner_steps"] ?? 0),
                "virtual_seconds": .double(r.virtualSeconds),
                "passed": .bool(r.passed),
                "trace_hash": .string(r.traceHash),
                "sample_text": r.sampleText.map { .string($0) } ?? .null,
                "expectations": .array(r.expectations.map { e in
                    ["text": .string(e.expectation.text), "value": .double(e.value), "passed": .bool(e.passed)]
                }),
            ] as JSON)
        })
        summary["comparisons"] = .array(comparisons.map { c in
            ["text": .string(c.comparison.text), "left": .double(c.left), "right": .double(c.right), "passed": .bool(c.holds)]
        })
        return summary
    }

    /// The comparison table: one row per variant.
    public var variantsCSV: String {
        var lines = ["variant,final_loss,loss_gap_bits,bytes_sent,bytes_total,outer_rounds,inner_steps,virtual_seconds,passed"]
        for run in runs {
            let r = run.result
            lines.append([run.variant ?? scenario.name, "\(r.metrics["final_loss"] ?? .nan)", "\(r.metrics["loss_gap_bits"] ?? .nan)",
                          "\(Int(r.metrics["update_bytes"] ?? 0))", "\(Int(r.metrics["bytes"] ?? 0))",
                          "\(Int(r.metrics["outer_rounds"] ?? 0))", "\(r.metrics["inner_steps"] ?? 0)",
                          "\(r.virtualSeconds)", r.passed ? "1" : "0"].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Loss against rounds, inner steps and training bytes, per variant.
    public var curvesCSV: String {
        var lines = ["variant,round,inner_steps,update_bytes_per_node,loss"]
        for run in runs { for row in run.result.curve { lines.append((run.variant ?? scenario.name) + "," + row) } }
        return lines.joined(separator: "\n") + "\n"
    }

    /// metrics.csv, with a leading `variant` column when there are variants.
    public var metricsCSV: String {
        guard runs.first?.variant != nil else { return runs[0].result.metricsCSV }
        var lines = ["variant," + MetricsSample.header]
        for run in runs { for row in run.result.samples { lines.append(run.variant! + "," + row) } }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes summary.json, metrics.csv, curves.csv and report.html (and variants.csv with variants).
    public func write(to directory: String) throws {
        try (summaryJSON().prettyPrinted + "\n").write(toFile: directory + "/summary.json", atomically: true, encoding: .utf8)
        try metricsCSV.write(toFile: directory + "/metrics.csv", atomically: true, encoding: .utf8)
        try curvesCSV.write(toFile: directory + "/curves.csv", atomically: true, encoding: .utf8)
        if runs.first?.variant != nil {
            try variantsCSV.write(toFile: directory + "/variants.csv", atomically: true, encoding: .utf8)
        }
        try ReportPage(self).html.write(toFile: directory + "/report.html", atomically: true, encoding: .utf8)
    }
}

extension RunResult {
    /// A metric by name; a status code never seen counts 0.
    public func metric(_ name: String) -> Double? {
        metrics[name] ?? (name.hasPrefix("http.") ? 0 : nil)
    }
}
