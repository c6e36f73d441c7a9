import Foundation
import Scenario
import Simulator

/// The end-of-run summary printed by `simulate`.
enum Report {
    static func summary(_ e: Experiment, directory: String) -> String {
        var lines: [String] = []
        let first = e.runs[0].result
        lines.append("scenario      \(e.scenario.name)  (file hash \(e.scenario.sourceHash))")
        lines.append("seed          \(e.scenario.seed)")
        if e.runs[0].variant == nil {
            lines += runLines(first)
        } else {
            for run in e.runs {
                lines.append("variant \(run.variant!)")
                lines += runLines(run.result).map { "  " + $0 }
            }
            lines.append(contentsOf: variantTable(e))
            if !e.comparisons.isEmpty {
                lines.append("comparisons")
                for c in e.comparisons {
                    lines.append("  \(c.holds ? "pass" : "FAIL")  \(c.comparison.text)   (\(Format.number(c.left)) vs \(Format.number(c.right)))")
                }
            }
        }
        lines.append("trace hash    \(e.traceHash)")
        lines.append("results       \(directory)/")
        lines.append(e.passed ? "PASSED" : "FAILED")
        return lines.joined(separator: "\n")
    }

    private static func runLines(_ r: RunResult) -> [String] {
        var lines: [String] = []
        lines.append("nodes         \(r.nodes)")
        lines.append("virtual time  \(Format.duration(r.virtualSeconds))")
        lines.append(String(format: "wall time     %.3f s   (%@× faster than real time)", r.wallSeconds, Format.si(r.speedup)))
        lines.append("events        \(r.events)   (\(Format.si(r.eventsPerSecond))/s)")
        lines.append("messages      \(Int(r.metrics["messages"] ?? 0))   (\(Format.bytes(r.metrics["bytes"] ?? 0)); updates \(Format.bytes(r.metrics["update_bytes"] ?? 0)))")
        lines.append("faults fired  \(Int(r.metrics["faults_fired"] ?? 0))")
        lines.append(String(format: "final loss    %.6g   (initial %.6g)", r.metrics["final_loss"] ?? .nan, r.metrics["initial_loss"] ?? .nan))
        lines.append("outer rounds  \(Int(r.metrics["outer_rounds"] ?? 0))   (\(Format.number(r.metrics["inner_steps"] ?? 0)) inner steps per node)")
        if !r.expectations.isEmpty {
            lines.append("expectations")
            let width = r.expectations.map(\.expectation.text.count).max() ?? 0
            for e in r.expectations {
                let pad = String(repeating: " ", count: width - e.expectation.text.count)
                lines.append("  \(e.passed ? "pass" : "FAIL")  \(e.expectation.text)\(pad)   value \(Format.number(e.value))")
            }
        }
        return lines
    }

    /// One line per variant: the comparison table.
    private static func variantTable(_ e: Experiment) -> [String] {
        let width = max(8, e.runs.map { $0.variant!.count }.max() ?? 0)
        var lines = ["variant".padding(toLength: width + 2, withPad: " ", startingAt: 0)
            + "final loss   update bytes   rounds   steps    result"]
        for run in e.runs {
            let r = run.result
            lines.append(run.variant!.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                + String(format: "%-12.5g %-14@ %-8d %-8@ %@", r.metrics["final_loss"] ?? .nan,
                         Format.bytes(r.metrics["update_bytes"] ?? 0), Int(r.metrics["outer_rounds"] ?? 0),
                         Format.number(r.metrics["inner_steps"] ?? 0), r.passed ? "pass" : "FAIL"))
        }
        return lines
    }
}
