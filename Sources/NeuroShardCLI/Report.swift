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
                    lines.append("  \(c.holds ? "pass" : "FAIL")  \(c.comparison.text)   (\(number(c.left)) vs \(number(c.right)))")
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
        lines.append("virtual time  \(duration(r.virtualSeconds))")
        lines.append(String(format: "wall time     %.3f s   (%@× faster than real time)", r.wallSeconds, si(r.speedup)))
        lines.append("events        \(r.events)   (\(si(r.eventsPerSecond))/s)")
        lines.append("messages      \(Int(r.metrics["messages"] ?? 0))   (\(bytes(r.metrics["bytes"] ?? 0)); updates \(bytes(r.metrics["update_bytes"] ?? 0)))")
        lines.append("faults fired  \(Int(r.metrics["faults_fired"] ?? 0))")
        lines.append(String(format: "final loss    %.6g   (initial %.6g)", r.metrics["final_loss"] ?? .nan, r.metrics["initial_loss"] ?? .nan))
        lines.append("outer rounds  \(Int(r.metrics["outer_rounds"] ?? 0))   (\(number(r.metrics["inner_steps"] ?? 0)) inner steps per node)")
        if !r.expectations.isEmpty {
            lines.append("expectations")
            let width = r.expectations.map(\.expectation.text.count).max() ?? 0
            for e in r.expectations {
                let pad = String(repeating: " ", count: width - e.expectation.text.count)
                lines.append("  \(e.passed ? "pass" : "FAIL")  \(e.expectation.text)\(pad)   value \(number(e.value))")
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
                         bytes(r.metrics["update_bytes"] ?? 0), Int(r.metrics["outer_rounds"] ?? 0),
                         number(r.metrics["inner_steps"] ?? 0), r.passed ? "pass" : "FAIL"))
        }
        return lines
    }

    static func number(_ x: Double) -> String {
        if x.isNaN { return "n/a" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.6g", x)
    }

    static func si(_ x: Double) -> String {
        switch x {
        case 1e9...: String(format: "%.2fG", x / 1e9)
        case 1e6...: String(format: "%.2fM", x / 1e6)
        case 1e3...: String(format: "%.1fk", x / 1e3)
        default: String(format: "%.1f", x)
        }
    }

    static func bytes(_ x: Double) -> String {
        switch x {
        case 1e9...: String(format: "%.2f GB", x / 1e9)
        case 1e6...: String(format: "%.2f MB", x / 1e6)
        case 1e3...: String(format: "%.1f kB", x / 1e3)
        default: "\(Int(x)) B"
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s >= 3600 { return String(format: "%dh%02dm%02ds", s / 3600, (s % 3600) / 60, s % 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%.3fs", seconds)
    }
}
