import Foundation
import Testing

/// report.html as a browser renders it: `simulate` writes it beside summary.json, and headless
/// Chromium shows the run's own figures, every expectation and every chart with its data.
@Suite struct ReportBrowserTests {
    @Test func quickstartReportRendersTheRunsFigures() async throws {
        let out = try temporaryFolder("report")
        defer { cleanUp(out) }
        let run = try await neuroshard(["simulate", "Scenarios/quickstart.yaml", "--out", out.path], timeout: 300)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let folder = out.appendingPathComponent("quickstart/42")
        let page = folder.appendingPathComponent("report.html")
        #expect(FileManager.default.fileExists(atPath: page.path), "report.html missing: \(contents(of: out))")

        let dom = try await renderedDOM(url: page, budgetMs: 2000)
        let text = visibleText(dom)
        let summary = try readJSON(folder.appendingPathComponent("summary.json").path)
        let traceHash = try #require(summary["trace_hash"] as? String)

        #expect(text.contains("quickstart"))
        #expect(text.contains("trace hash \(traceHash)"), "the page does not show the trace hash \(traceHash)")
        #expect(text.contains("PASSED"))
        // The final loss exactly as `simulate` printed it.
        let lossLine = try #require(run.stdoutLines.first { $0.hasPrefix("final loss") }, "stdout: \(run.stdout)")
        let printedLoss = try #require(lossLine.split(separator: " ").dropFirst(2).first)
        #expect(text.contains("final loss \(printedLoss)"), "the page does not show final loss \(printedLoss)")

        let expectations = try #require(summary["expectations"] as? [[String: Any]])
        #expect(expectations.count >= 5)
        for e in expectations {
            let expectation = try #require(e["text"] as? String)
            let row = try Regex(NSRegularExpression.escapedPattern(for: expectation) + #" \S+ pass"#)
            #expect(text.contains(row), "the page does not list '\(expectation)' as passed")
        }

        for title in ["Loss against virtual time", "Loss against update bytes sent per node", "Outer rounds against virtual time",
                      "Request outcomes by HTTP status", "NEURO balances at the end"] {
            #expect(text.contains(title), "chart '\(title)' missing")
        }
        #expect(text.contains("no faults in this scenario"))
        #expect(dom.components(separatedBy: "<svg").count - 1 == 5)
        // Lines with real data: the loss and round lines have a point per 10 s sample (61).
        let pointCounts = dom.components(separatedBy: "<polyline").dropFirst().map { element in
            element.components(separatedBy: "points=\"").dropFirst().first?.prefix { $0 != "\"" }
                .split(separator: " ").count ?? 0
        }
        #expect(pointCounts.filter { $0 >= 50 }.count >= 3, "polylines: \(pointCounts)")
        // Bars: one per HTTP status seen and one per node's balance.
        #expect(dom.components(separatedBy: "<rect").count - 1 >= 9)
        // Nothing fetched from elsewhere.
        #expect(!dom.contains("src=\"http"))
        #expect(!dom.contains("href=\"http"))
    }

    @Test func screenshotIsAPNG() async throws {
        let out = try temporaryFolder("report-shot")
        defer { cleanUp(out) }
        let page = out.appendingPathComponent("page.html")
        try "<!DOCTYPE html><html><body><h1>shot</h1></body></html>".write(to: page, atomically: true, encoding: .utf8)
        let png = out.appendingPathComponent("shot.png")
        try await screenshot(url: page, to: png, width: 400, height: 300)
        let data = try Data(contentsOf: png)
        #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
    }
}
