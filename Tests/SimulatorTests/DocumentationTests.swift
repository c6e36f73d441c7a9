import Foundation
import Scenario
import Testing
@testable import Simulator

/// The README's scenario example is the format's reference: it must parse and pass as written.
@Test func readmeScenarioExampleRuns() throws {
    let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../README.md").standardized
    let text = try String(contentsOf: readme, encoding: .utf8)
    let start = try #require(text.range(of: "```yaml\n"))
    let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
    let result = try simulation(String(text[start.upperBound..<end.lowerBound])).run()
    #expect(result.passed, "\(result.expectations.filter { !$0.passed }.map(\.expectation.text))")
    #expect(result.metrics["faults_fired"] == 9)
}

/// Every metric an expectation may name is produced by a run, and the other way round.
@Test func metricCatalogMatchesWhatRunsReport() throws {
    let result = try simulation("seed: 1\nduration: 1m\nnodes:\n  - group: n\n    count: 2").run()
    for name in MetricCatalog.names.keys { #expect(result.metrics[name] != nil, "\(name) is not reported") }
    for name in result.metrics.keys where !name.hasPrefix("http.") {
        #expect((try? MetricCatalog.validate(name)) != nil, "\(name) is reported but not in the catalog")
    }
}
