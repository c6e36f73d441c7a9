import Foundation

extension RunResult {
    /// Writes summary.json and metrics.csv into `directory` (trace.log was streamed there).
    public func write(to directory: String, scenarioHash: String) throws {
        let summary = summaryJSON(scenarioHash: scenarioHash, peakRSSBytes: peakResidentBytes())
        try (summary.prettyPrinted + "\n").write(toFile: directory + "/summary.json", atomically: true, encoding: .utf8)
        try metricsCSV.write(toFile: directory + "/metrics.csv", atomically: true, encoding: .utf8)
    }

    /// The folder a run's files go to: `<root>/<scenario>/<seed>`.
    public static func directory(root: String, scenario: String, seed: UInt64) -> String {
        "\(root)/\(scenario)/\(seed)"
    }
}
