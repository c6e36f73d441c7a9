import Foundation
import NeuroShardCore
import Scenario

/// report.html: one self-contained page per run folder (inline CSS, charts as inline SVG, no
/// scripts, nothing fetched): the run's figures, its expectations, the variants and their
/// comparisons, and charts of loss, rounds, requests, balances and faults over the run. Every
/// figure comes from the `Experiment`; only the wall-clock ones change between identical runs.
struct ReportPage {
    let experiment: Experiment
    /// Series drawn in charts with one bar group per run, at most.
    static let maxBarRuns = 8

    init(_ experiment: Experiment) { self.experiment = experiment }

    private var runs: [(variant: String?, result: RunResult)] { experiment.runs }
    private var hasVariants: Bool { runs.first?.variant != nil }
    private func name(_ run: (variant: String?, result: RunResult)) -> String { run.variant ?? experiment.scenario.name }
    private func color(_ i: Int) -> String { ChartPalette.color(i) }

    var html: String {
        let title = "NeuroShard report: \(experiment.scenario.name) (seed \(experiment.scenario.seed))"
        var page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        page += "<title>\(htmlEscaped(title))</title>\n<style>\(Self.css)</style>\n</head>\n<body>\n<main>\n"
        page += header() + expectationsSection() + variantsSection() + chartsSection() + faultsTable() + sampleSection()
        page += footer()
        page += "</main>\n</body>\n</html>\n"
        return page
    }

    // MARK: - Header

    private func header() -> String {
        let e = experiment, first = runs[0].result
        let passed = e.passed
        var facts: [(String, String)] = [
            ("seed", "\(e.scenario.seed)"),
            ("scenario file hash", e.scenario.sourceHash),
            ("trace hash", e.traceHash),
            // Variants may differ in size: the largest.
            ("nodes", "\(runs.map(\.result.nodes).max()!)"),
            ("virtual time", Format.duration(first.virtualSeconds)),
            ("wall time", String(format: "%.3f s", e.wallSeconds)),
        ]
        let virtual = runs.reduce(0) { $0 + $1.result.virtualSeconds }
        facts.append(("speed-up", e.wallSeconds > 0 ? Format.si(virtual / e.wallSeconds) + "× real time" : "n/a"))
        let sum = { (key: String) in runs.reduce(0.0) { $0 + ($1.result.metrics[key] ?? 0) } }
        facts.append(("events", Format.grouped(Double(runs.reduce(0) { $0 + $1.result.events }))))
        facts.append(("messages", Format.grouped(sum("messages"))))
        facts.append(("bytes", Format.bytes(sum("bytes"))))
        facts.append(((hasVariants ? "final loss (\(runs[0].variant!))" : "final loss"), Format.loss(first.metrics["final_loss"] ?? .nan)))
        var s = "<header>\n<div class=\"title-row\"><h1>\(htmlEscaped(e.scenario.name))</h1>"
        s += "<span class=\"badge \(passed ? "pass" : "fail")\">\(passed ? "PASSED" : "FAILED")</span></div>\n"
        s += "<p class=\"subtitle\">NeuroShard simulation report"
        if hasVariants { s += " · \(runs.count) variants, same seed (events, messages and bytes summed over them)" }
        s += "</p>\n<dl class=\"facts\">"
        for (label, value) in facts {
            s += "<div><dt>\(htmlEscaped(label))</dt><dd\(label.hasSuffix("hash") ? " class=\"hash\"" : "")>\(htmlEscaped(value))</dd></div>"
        }
        return s + "</dl>\n</header>\n"
    }

    // MARK: - Tables

    private func expectationsSection() -> String {
        let rows = runs.flatMap { run in run.result.expectations.map { (run.variant, $0) } }
        var s = "<section>\n<h2>Expectations</h2>\n"
        guard !rows.isEmpty else { return s + "<p class=\"empty\">no expectations in this scenario</p>\n</section>\n" }
        s += "<table><thead><tr>" + (hasVariants ? "<th>variant</th>" : "")
            + "<th>expectation</th><th class=\"num\">value</th><th>result</th></tr></thead><tbody>"
        for (variant, e) in rows {
            s += "<tr>" + (variant.map { "<td>\(htmlEscaped($0))</td>" } ?? "")
                + "<td><code>\(htmlEscaped(e.expectation.text))</code></td><td class=\"num\">\(htmlEscaped(Format.number(e.value)))</td>"
                + Self.result(e.passed) + "</tr>"
        }
        return s + "</tbody></table>\n</section>\n"
    }

    private func variantsSection() -> String {
        guard hasVariants else { return "" }
        var s = "<section>\n<h2>Variants</h2>\n<table><thead><tr><th>variant</th><th class=\"num\">final loss</th>"
            + "<th class=\"num\">loss gap (bits)</th><th class=\"num\">update bytes</th><th class=\"num\">bytes total</th>"
            + "<th class=\"num\">outer rounds</th><th class=\"num\">inner steps</th><th>trace hash</th><th>result</th></tr></thead><tbody>"
        for (i, run) in runs.enumerated() {
            let m = run.result.metrics
            s += "<tr><td><span class=\"swatch\" style=\"background:\(color(i))\"></span>\(htmlEscaped(run.variant!))</td>"
                + "<td class=\"num\">\(Format.loss(m["final_loss"] ?? .nan))</td>"
                + "<td class=\"num\">\(Format.number(m["loss_gap_bits"] ?? .nan))</td>"
                + "<td class=\"num\">\(Format.bytes(m["update_bytes"] ?? 0))</td><td class=\"num\">\(Format.bytes(m["bytes"] ?? 0))</td>"
                + "<td class=\"num\">\(Format.number(m["outer_rounds"] ?? 0))</td><td class=\"num\">\(Format.number(m["inner_steps"] ?? 0))</td>"
                + "<td><code>\(htmlEscaped(run.result.traceHash))</code></td>" + Self.result(run.result.passed) + "</tr>"
        }
        s += "</tbody></table>\n"
        if !experiment.comparisons.isEmpty {
            s += "<h3>Comparisons</h3>\n<table><thead><tr><th>comparison</th><th class=\"num\">left</th>"
                + "<th class=\"num\">right</th><th>result</th></tr></thead><tbody>"
            for c in experiment.comparisons {
                s += "<tr><td><code>\(htmlEscaped(c.comparison.text))</code></td><td class=\"num\">\(Format.number(c.left))</td>"
                    + "<td class=\"num\">\(Format.number(c.right))</td>" + Self.result(c.holds) + "</tr>"
            }
            s += "</tbody></table>\n"
        }
        return s + "</section>\n"
    }

    private static func result(_ passed: Bool) -> String {
        passed ? "<td class=\"pass\">pass</td>" : "<td class=\"fail\">FAIL</td>"
    }

    // MARK: - Charts

    private func chartsSection() -> String {
        // Charts with data first; the lines saying what this scenario lacks after them.
        let charts = [lossOverTime(), lossOverBytes(), roundsOverTime(), requestOutcomes(), balances(), faultsOverTime()]
        let drawn = charts.filter { $0.contains("<svg") }, lacking = charts.filter { !$0.contains("<svg") }
        return "<section>\n<h2>Charts</h2>\n<div class=\"charts\">\n" + (drawn + lacking).joined(separator: "\n") + "\n</div>\n</section>\n"
    }

    private func empty(_ title: String, _ line: String) -> String {
        "<figure class=\"chart\"><h3>\(htmlEscaped(title))</h3><p class=\"empty\">\(htmlEscaped(line))</p></figure>"
    }

    private var timeAxis: ChartAxis {
        let longest = runs.map(\.result.virtualSeconds).max() ?? 0
        if longest > 3 * 3600 { return ChartAxis(title: "virtual time (h)", divisor: 3600, fromZero: true) }
        if longest > 180 { return ChartAxis(title: "virtual time (min)", divisor: 60, fromZero: true) }
        return ChartAxis(title: "virtual time (s)", fromZero: true)
    }

    /// The first run's faults that acted, as markers.
    private var faultMarkers: [ChartMarker] {
        (runs.first { !$0.result.faults.isEmpty }?.result.faults ?? []).filter(\.acted).map { ChartMarker(x: $0.seconds, label: $0.label) }
    }

    /// A log axis when the values are positive and span more than a factor of 20.
    private func lossAxis(_ values: [Double]) -> ChartAxis {
        let finite = values.filter { $0.isFinite }
        let lo = finite.min() ?? 1, hi = finite.max() ?? 1
        let log = lo > 0 && hi / lo > 20
        return ChartAxis(title: log ? "loss (log scale)" : "loss", log: log)
    }

    private func lossOverTime() -> String {
        let title = "Loss against virtual time"
        var series: [LineSeries] = []
        for (i, run) in runs.enumerated() {
            let samples = run.result.series
            var line = LineSeries(name: hasVariants ? run.variant! : "mean loss of honest training nodes", color: color(i),
                                  points: samples.map { ($0.time, $0.meanLoss) })
            if !hasVariants {
                line.band = samples.map { ($0.time, $0.minLoss, $0.maxLoss) }
            }
            series.append(line)
        }
        let values = series.flatMap { $0.points.map(\.y) }
        var chart = LineChart(title: title, x: timeAxis, y: lossAxis(values), series: series, markers: faultMarkers)
        guard chart.hasData else { return empty(title, "no loss reported in this scenario (no honest training node)") }
        if !hasVariants { chart.series.append(LineSeries(name: "min–max over nodes (band)", color: color(0) + "40", points: [])) }
        return chart.html()
    }

    private func lossOverBytes() -> String {
        let title = "Loss against update bytes sent per node"
        let curves = runs.map { run in
            run.result.curve.compactMap { row -> (x: Double, y: Double)? in
                let f = row.split(separator: ",")
                guard f.count == 4, let bytes = Double(f[2]), let loss = Double(f[3]) else { return nil }
                return (bytes, loss)
            }
        }
        let maxBytes = curves.flatMap { $0.map(\.x) }.max() ?? 0
        let (divisor, unit) = Format.byteUnit(maxBytes)
        let series = zip(runs, curves).enumerated().map { i, pair in
            LineSeries(name: hasVariants ? pair.0.variant! : "mean over nodes completing each outer round", color: color(i), points: pair.1)
        }
        let chart = LineChart(title: title, x: ChartAxis(title: "update bytes sent per node (\(unit))", divisor: divisor, fromZero: true),
                              y: lossAxis(series.flatMap { $0.points.map(\.y) }), series: series)
        guard chart.hasData else { return empty(title, "no outer rounds completed in this scenario") }
        return chart.html()
    }

    private func roundsOverTime() -> String {
        let title = "Outer rounds against virtual time"
        var series: [LineSeries] = []
        for (i, run) in runs.enumerated() {
            let samples = run.result.series
            if hasVariants {
                series.append(LineSeries(name: run.variant!, color: color(i), points: samples.map { ($0.time, Double($0.maxRound)) }))
            } else {
                series.append(LineSeries(name: "most rounds of a live node", color: color(0),
                                         points: samples.map { ($0.time, Double($0.maxRound)) }))
                series.append(LineSeries(name: "fewest rounds of a live training node", color: color(1),
                                         points: samples.map { ($0.time, Double($0.minRound)) }))
            }
        }
        let chart = LineChart(title: title, x: timeAxis, y: ChartAxis(title: "outer rounds", fromZero: true), series: series,
                              markers: faultMarkers)
        guard series.contains(where: { $0.points.contains { $0.y > 0 } }) else {
            return empty(title, "no outer rounds completed in this scenario")
        }
        return chart.html()
    }

    private func requestOutcomes() -> String {
        let title = "Request outcomes by HTTP status"
        let loaded = runs.enumerated().filter { ($0.element.result.metrics["http.total"] ?? 0) + ($0.element.result.metrics["http.unreachable"] ?? 0) > 0 }
        guard !loaded.isEmpty else { return empty(title, "no client load in this scenario") }
        let shown = Array(loaded.prefix(Self.maxBarRuns))
        var codes = Set<Int>()
        for (_, run) in shown {
            for key in run.result.metrics.keys where key.hasPrefix("http.") {
                if let code = Int(key.dropFirst(5)), (100..<600).contains(code) { codes.insert(code) }
            }
        }
        var categories = codes.sorted().map(String.init)
        var colors = codes.sorted().map(Self.statusColor)
        let unreachable = shown.contains { ($0.element.result.metrics["http.unreachable"] ?? 0) > 0 }
        if unreachable {
            categories.append("unreachable")
            colors.append("#94a3b8")
        }
        let series = shown.map { i, run in
            BarSeries(name: name(run), color: color(i), values: categories.map { c in
                c == "unreachable" ? run.result.metrics["http.unreachable"] ?? 0 : run.result.metrics["http." + c] ?? 0
            })
        }
        var chart = BarChart(title: title, categories: categories, series: series, categoryColors: colors, xTitle: "HTTP status",
                             y: ChartAxis(title: "requests", fromZero: true))
        if loaded.count > shown.count { chart.title += " (first \(shown.count) of \(loaded.count) variants)" }
        guard chart.hasData else { return empty(title, "no requests answered in this scenario") }
        return chart.html()
    }

    private static func statusColor(_ code: Int) -> String {
        switch code {
        case 200..<300: "#059669"
        case 429: "#d97706"
        case 400..<500: "#f59e0b"
        case 500..<600: "#dc2626"
        default: "#64748b"
        }
    }

    private func balances() -> String {
        let title = "NEURO balances at the end"
        // With variants: the one with the most accounts, so the chart shows the most nodes.
        guard let run = runs.filter({ !$0.result.balances.isEmpty }).max(by: { $0.result.balances.count < $1.result.balances.count })
        else { return empty(title, "no ledger in this scenario") }
        let accounts = run.result.balances
        var categories: [String] = [], available: [Double] = [], staked: [Double] = []
        var xTitle = "node"
        if accounts.count <= 24 {
            for a in accounts {
                categories.append(a.label)
                available.append(a.available)
                staked.append(a.staked)
            }
        } else {
            // Too many nodes for a bar each: one bar per group, summed.
            xTitle = "group (sum over its nodes)"
            var order: [String] = []
            var sums: [String: (Int, Double, Double)] = [:]
            for a in accounts {
                let key = a.group ?? "other accounts"
                if sums[key] == nil { order.append(key) }
                let s = sums[key] ?? (0, 0, 0)
                sums[key] = (s.0 + 1, s.1 + a.available, s.2 + a.staked)
            }
            for key in order {
                let s = sums[key]!
                categories.append("\(key) (\(s.0))")
                available.append(s.1)
                staked.append(s.2)
            }
        }
        var series = [BarSeries(name: "available", color: "#2563eb", values: available)]
        if staked.contains(where: { $0 > 0 }) { series.append(BarSeries(name: "staked", color: "#93c5fd", values: staked)) }
        var chart = BarChart(title: title + (hasVariants ? " (\(run.variant!))" : ""), categories: categories, series: series,
                             xTitle: xTitle, y: ChartAxis(title: "NEURO", fromZero: true), stacked: true)
        if series.count == 1 { chart.series[0].name = "available NEURO" }
        guard chart.hasData else { return empty(title, "no NEURO held in this scenario's ledger") }
        return chart.html()
    }

    private func faultsOverTime() -> String {
        let title = "Faults and live nodes over time"
        guard runs.contains(where: { !$0.result.faults.isEmpty }) else { return empty(title, "no faults in this scenario") }
        let series = runs.enumerated().map { i, run in
            LineSeries(name: hasVariants ? run.variant! : "live nodes", color: color(i),
                       points: run.result.series.map { ($0.time, Double($0.liveNodes)) })
        }
        var markers = faultMarkers
        if markers.isEmpty {
            markers = (runs.first { !$0.result.faults.isEmpty }?.result.faults ?? []).map {
                ChartMarker(x: $0.seconds, label: $0.label + " (no effect)")
            }
        }
        let chart = LineChart(title: title, x: timeAxis, y: ChartAxis(title: "live nodes", fromZero: true), series: series, markers: markers)
        return chart.html()
    }

    private func faultsTable() -> String {
        guard let run = runs.first(where: { !$0.result.faults.isEmpty }) else { return "" }
        var s = "<section>\n<h2>Faults" + (hasVariants ? " (\(htmlEscaped(run.variant!)))" : "")
            + "</h2>\n<table><thead><tr><th class=\"num\">virtual time</th><th>fault</th><th>effect</th></tr></thead><tbody>"
        for f in run.result.faults {
            s += "<tr><td class=\"num\">\(Format.duration(f.seconds))</td><td><code>\(htmlEscaped(f.label))</code></td>"
                + "<td>\(f.acted ? "fired" : "nothing to act on")</td></tr>"
        }
        return s + "</tbody></table>\n</section>\n"
    }

    private func sampleSection() -> String {
        let texts = runs.compactMap { run in run.result.sampleText.map { (name(run), $0) } }
        guard !texts.isEmpty else { return "" }
        var s = "<section>\n<h2>Sample text</h2>\n"
        for (name, text) in texts {
            s += (hasVariants ? "<h3>\(htmlEscaped(name))</h3>" : "") + "<pre class=\"sample\">\(htmlEscaped(text))</pre>\n"
        }
        return s + "</section>\n"
    }

    private func footer() -> String {
        var files = ["summary.json", "metrics.csv", "curves.csv"]
        if hasVariants { files.append("variants.csv") }
        files += hasVariants ? runs.map { "trace.\($0.variant!).log" } .prefix(3) + (runs.count > 3 ? ["…"] : []) : ["trace.log"]
        let links = files.map { $0 == "…" ? "…" : "<a href=\"\(htmlEscaped($0))\">\(htmlEscaped($0))</a>" }.joined(separator: " · ")
        return "<footer>Files beside this page: \(links)<br>neuroshard \(htmlEscaped(NeuroShardVersion.current))"
            + " · every figure is from this run; only wall time and speed-up differ between identical runs</footer>\n"
    }

    static let css = """
        :root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f6f7f9;--card:#fff;--pass:#047857;--fail:#b91c1c}
        *{box-sizing:border-box}
        body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif;color:var(--fg);background:var(--bg)}
        main{max-width:1200px;margin:0 auto;padding:28px 28px 40px}
        .title-row{display:flex;align-items:center;gap:14px;flex-wrap:wrap}
        h1{font-size:28px;margin:0;letter-spacing:-.01em}
        .subtitle{color:var(--muted);margin:2px 0 16px}
        .badge{font-size:13px;font-weight:700;letter-spacing:.06em;padding:3px 10px;border-radius:999px}
        .badge.pass{background:#d1fae5;color:var(--pass)}
        .badge.fail{background:#fee2e2;color:var(--fail)}
        dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(178px,1fr));gap:10px;margin:0}
        dl.facts div{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 12px}
        dt{font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
        dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
        dd.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:14px}
        section{margin-top:30px}
        h2{font-size:19px;margin:0 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
        h3{font-size:15px;margin:16px 0 8px}
        table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px;font-size:14px}
        th,td{padding:6px 12px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
        th{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;font-weight:600;background:#fafafa}
        tr:last-child td{border-bottom:none}
        .num{text-align:right;font-variant-numeric:tabular-nums}
        td.pass{color:var(--pass);font-weight:600}
        td.fail{color:var(--fail);font-weight:700}
        code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:13px}
        .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:16px}
        figure.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
        figure.chart h3{margin:4px 0}
        svg{width:100%;height:auto;display:block}
        svg text{font-size:12px;fill:#4b5563}
        svg .title{font-size:16px;font-weight:600;fill:#111827}
        svg .axis-title{font-size:12.5px;fill:#374151}
        svg .value{font-size:11.5px;fill:#374151}
        svg .grid line{stroke:#eef0f3}
        svg .axis{fill:none;stroke:#9ca3af}
        svg .series{fill:none;stroke-width:1.8;stroke-linejoin:round;stroke-linecap:round}
        svg .band{fill-opacity:.16;stroke:none}
        svg .marker line{stroke:#b91c1c;stroke-width:1;stroke-dasharray:4 3;opacity:.7}
        svg .marker text{fill:#b91c1c;font-size:11px}
        .legend{list-style:none;display:flex;flex-wrap:wrap;gap:2px 14px;padding:0;margin:4px 0 0 8px;font-size:12.5px;color:#374151}
        .swatch{display:inline-block;width:14px;height:4px;border-radius:2px;margin-right:6px;vertical-align:middle}
        .empty{color:var(--muted);font-style:italic;margin:6px 0 10px}
        pre.sample{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px;white-space:pre-wrap}
        footer{margin-top:30px;color:var(--muted);font-size:13px}
        a{color:#2563eb}
        """
}
