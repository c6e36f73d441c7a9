import Foundation
import Scenario
import Testing
@testable import Simulator

/// Four nodes for two minutes with a crash, client load and the ledger: every chart has data.
private let busyScenario = """
    name: tiny
    seed: 3
    duration: 2m
    nodes:
      - group: n
        count: 4
        memory: 1gb
    membership: {heartbeat: 2s, failure_timeout: 10s}
    diloco: {inner_steps: 10, sync_timeout: 10s}
    faults:
      - at: 70s
        crash: n[3]
    load:
      - target: n[0]
        endpoint: status
        per_minute: 30
    expect:
      - nodes == 4
      - live_nodes == 3
      - http.200 > 0
      - final_loss < 1000

    """

/// No faults, no load, no ledger.
private let quietScenario = """
    name: quiet
    seed: 5
    duration: 1m
    nodes:
      - group: n
        count: 2
        memory: 1gb
    ledger: {enabled: false}
    membership: {heartbeat: 2s, failure_timeout: 10s}
    diloco: {inner_steps: 10, sync_timeout: 10s}
    expect:
      - nodes == 2

    """

private let variantScenario = """
    name: pair
    seed: 2
    duration: 1m
    nodes:
      - group: n
        count: 2
        memory: 1gb
    membership: {heartbeat: 2s, failure_timeout: 10s}
    diloco: {inner_steps: 10, sync_timeout: 10s}
    variants:
      short: {diloco: {inner_steps: 5}}
      long: {diloco: {inner_steps: 20}}
    expect:
      - nodes == 2
    compare:
      - short.outer_rounds >= long.outer_rounds

    """

/// The run's page. Scenario files allow only plain names (they name folders), so the name
/// with markup is set in-process, as a check that every text is escaped.
private func report(_ yaml: String, name: String? = nil) throws -> (html: String, experiment: Experiment) {
    var s = try scenario(yaml)
    if let name { s.name = name }
    let experiment = try Experiment.run(s, directory: nil)
    return (ReportPage(experiment).html, experiment)
}

private func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

@Suite struct ReportPageTests {
    @Test func theHeaderAndTablesHoldTheRunsFigures() throws {
        let (html, e) = try report(busyScenario)
        let r = e.runs[0].result
        #expect(html.contains(String(format: "%.6g", r.metrics["final_loss"]!)))
        #expect(html.contains(r.traceHash))
        #expect(html.contains(e.scenario.sourceHash))
        #expect(html.contains(e.passed ? "PASSED" : "FAILED"))
        #expect(html.contains("<dt>events</dt><dd>\(Format.grouped(Double(r.events)))</dd>"))
        for x in r.expectations {
            #expect(html.contains("<code>\(htmlEscaped(x.expectation.text))</code>"), "\(x.expectation.text)")
        }
        #expect(html.contains("<code>http.200 &gt; 0</code>"))
        #expect(r.expectations.allSatisfy { $0.passed })
        #expect(count("<td class=\"pass\">pass</td>", in: html) == r.expectations.count)
    }

    @Test func everyChartHasAnSVGWithData() throws {
        let (html, e) = try report(busyScenario)
        let r = e.runs[0].result
        #expect(count("<svg ", in: html) == 6)
        for title in ["Loss against virtual time", "Loss against update bytes sent per node", "Outer rounds against virtual time",
                      "Request outcomes by HTTP status", "NEURO balances at the end", "Faults and live nodes over time"] {
            #expect(html.contains(">\(title)</text>"), "\(title)")
        }
        #expect(count("<polyline ", in: html) >= 4)
        #expect(html.contains("crash n[3]"))
        #expect(r.faults == [FiredFault(seconds: 70, label: "crash n[3]", acted: true)])
        // Request counts as bars, with the count printed above: the 200s the run answered.
        let ok = Int(r.metrics["http.200"]!)
        #expect(ok > 0)
        #expect(html.contains(">\(ok)</text>"))
        #expect(!r.balances.isEmpty)
        #expect(r.balances.allSatisfy { $0.group == "n" && $0.label.hasPrefix("n-") })
        // The loss line has a point per metrics sample.
        let line = try #require(html.components(separatedBy: "<polyline ").dropFirst().first)
        let points = line.components(separatedBy: "points=\"")[1].prefix { $0 != "\"" }
        #expect(points.split(separator: " ").count >= r.series.filter { $0.meanLoss.isFinite }.count)
    }

    @Test func thePageFetchesNothingAndRunsNoScript() throws {
        let (html, _) = try report(busyScenario)
        #expect(!html.contains("http://"))
        #expect(!html.contains("https://"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("@import"))
        #expect(!html.contains("url("))
    }

    @Test func namesAreEscaped() throws {
        let (html, _) = try report(busyScenario, name: "tiny <b>report</b> & co")
        #expect(html.contains("tiny &lt;b&gt;report&lt;/b&gt; &amp; co"))
        #expect(!html.contains("<b>report"))
        #expect(htmlEscaped("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;")
    }

    @Test func absentDataGetsALineInsteadOfAFrame() throws {
        let (html, _) = try report(quietScenario)
        #expect(html.contains("no faults in this scenario"))
        #expect(html.contains("no client load in this scenario"))
        #expect(html.contains("no ledger in this scenario"))
        #expect(count("<svg ", in: html) == 3)
    }

    @Test func variantsGetTheirTableComparisonsAndALinePerVariant() throws {
        let (html, e) = try report(variantScenario)
        #expect(html.contains("<h2>Variants</h2>"))
        #expect(html.contains("<code>short.outer_rounds &gt;= long.outer_rounds</code>"))
        for (i, run) in e.runs.enumerated() {
            #expect(html.contains("background:\(ChartPalette.color(i))\"></span>\(run.variant!)</li>"))
            #expect(html.contains(run.result.traceHash))
        }
        #expect(html.contains(e.traceHash))
        // Loss against time, against bytes and rounds: a line per variant each.
        #expect(count("<polyline ", in: html) == 6)
    }

    @Test func sameRunSamePageButTheWallClock() throws {
        func stable(_ html: String) throws -> String {
            let wall = try Regex(#"<dt>(wall time|speed-up)</dt><dd>[^<]*</dd>"#)
            return html.replacing(wall, with: "")
        }
        let a = try stable(report(busyScenario).html), b = try stable(report(busyScenario).html)
        #expect(a == b)
    }

    @Test func writingResultsWritesTheReport() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let e = try Experiment.run(scenario(quietScenario), directory: dir)
        try e.write(to: dir)
        let html = try String(contentsOfFile: dir + "/report.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains(e.traceHash))
    }

    @Test func ticksAreRoundNumbers() {
        let t = Ticks(low: 0.3, high: 9.2, log: false, fromZero: true)
        #expect(t.values == [0, 2, 4, 6, 8, 10])
        #expect(t.values.map(t.label) == ["0", "2", "4", "6", "8", "10"])
        let small = Ticks(low: 0.0123, high: 0.0871, log: false, fromZero: false)
        #expect(small.values.map(small.label) == ["0.00", "0.02", "0.04", "0.06", "0.08", "0.10"])
        let log = Ticks(low: 0.0012, high: 0.11, log: true, fromZero: false)
        #expect(log.values.first == 0.001)
        #expect(log.values.map(log.label).contains("0.01"))
        #expect(Ticks(low: 0, high: 25_000, log: false, fromZero: true).label(20_000) == "20k")
    }

    @Test func seriesAreThinnedToTheCap() {
        let many = Array(0..<10_000)
        let few = thinned(many, to: 400)
        #expect(few.count <= 400)
        #expect(few.first == 0 && few.last == 9_999)
        #expect(thinned([1, 2, 3], to: 400) == [1, 2, 3])
    }
}
