import Foundation
import Scenario
import Simulator

/// The end-of-run summary printed by `simulate`.
enum Report {
    static func summary(_ r: RunResult, scenario: Scenario, directory: String) -> String {
        var lines: [String] = []
        lines.append("scenario      \(r.scenario)  (file hash \(scenario.sourceHash))")
        lines.append("seed          \(r.seed)")
        lines.append("nodes         \(r.nodes)")
        lines.append("virtual time  \(duration(r.virtualSeconds))")
        lines.append(String(format: "wall time     %.3f s   (%@× faster than real time)", r.wallSeconds, si(r.speedup)))
        lines.append("events        \(r.events)   (\(si(r.eventsPerSecond))/s)")
        lines.append("messages      \(Int(r.metrics["messages"] ?? 0))   (\(bytes(r.metrics["bytes"] ?? 0)))")
        lines.append("faults fired  \(Int(r.metrics["faults_fired"] ?? 0))")
        lines.append(String(format: "final loss    %.6g   (initial %.6g)", r.metrics["final_loss"] ?? .nan, r.metrics["initial_loss"] ?? .nan))
        lines.append("outer rounds  \(Int(r.metrics["outer_rounds"] ?? 0))")
        if !r.expectations.isEmpty {
            lines.append("expectations")
            let width = r.expectations.map(\.expectation.text.count).max() ?? 0
            for e in r.expectations {
                let pad = String(repeating: " ", count: width - e.expectation.text.count)
                lines.append("  \(e.passed ? "pass" : "FAIL")  \(e.expectation.text)\(pad)   value \(number(e.value))")
            }
        }
        lines.append("trace hash    \(r.traceHash)")
        lines.append("results       \(directory)/")
        lines.append(r.passed ? "PASSED" : "FAILED")
        return lines.joined(separator: "\n")
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
