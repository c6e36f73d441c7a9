import Foundation

// A small builder for the report's charts: line charts and bar charts as inline SVG (no
// scripts, no external resources), each inside a <figure> with an HTML legend. Output depends
// only on the data, so the same run gives the same bytes.

/// Text made safe for HTML element content and attribute values.
func htmlEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for c in text.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// Series colours: restrained, distinguishable, cycled when there are more series.
enum ChartPalette {
    static let colors = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
                         "#475569", "#ea580c", "#4f46e5", "#0d9488"]
    static func color(_ i: Int) -> String { colors[i % colors.count] }
}

/// One axis: its title (with the unit), the factor data values are divided by before they are
/// shown (60 for seconds shown in minutes), and its kind.
struct ChartAxis {
    var title: String
    var divisor = 1.0
    var log = false
    /// A linear axis that starts at zero whatever the data.
    var fromZero = false
}

struct LineSeries {
    var name: String
    var color: String
    var points: [(x: Double, y: Double)]
    /// An optional shaded range around the line (e.g. min–max over nodes).
    var band: [(x: Double, low: Double, high: Double)] = []
}

/// A labelled vertical line at `x` (data units), e.g. a fault.
struct ChartMarker {
    var x: Double
    var label: String
}

/// Evenly thinned to at most `limit` elements, always keeping the last.
func thinned<T>(_ items: [T], to limit: Int) -> [T] {
    guard items.count > limit, limit > 1 else { return items }
    let stride = (items.count + limit - 2) / (limit - 1)
    var out: [T] = []
    out.reserveCapacity(limit)
    var i = 0
    while i < items.count - 1 { out.append(items[i]); i += stride }
    out.append(items[items.count - 1])
    return out
}

/// Ticks for a value range: round numbers (1, 2, 5 × 10ⁿ) on a linear axis, powers of ten (with
/// 2 and 5 in between for short ranges) on a log axis.
struct Ticks {
    var low: Double
    var high: Double
    var values: [Double]
    var log: Bool
    private var step: Double

    init(low: Double, high: Double, log: Bool, fromZero: Bool, target: Int = 5) {
        self.log = log
        if log {
            // Bounds at 1, 2 or 5 × 10ⁿ just outside the data; ticks at those steps for spans of
            // up to three decades, at powers of ten beyond.
            let lo = max(low, 1e-300), hi = max(high, lo * 1.0001)
            let e0 = Foundation.floor(Foundation.log10(lo)), e1 = Foundation.floor(Foundation.log10(hi))
            let m0 = lo / Foundation.pow(10, e0), m1 = hi / Foundation.pow(10, e1)
            self.low = ([5.0, 2, 1].first { $0 <= m0 * 1.000001 } ?? 1) * Foundation.pow(10, e0)
            self.high = ([1.0, 2, 5, 10].first { $0 >= m1 * 0.999999 } ?? 10) * Foundation.pow(10, e1)
            let decades = Foundation.log10(self.high / self.low)
            let between: [Double] = decades <= 3.01 ? [1, 2, 5] : [1]
            var values: [Double] = []
            var e = e0
            while e <= e1 + 1 {
                for m in between {
                    let v = m * Foundation.pow(10, e)
                    if v >= self.low * 0.999999, v <= self.high * 1.000001 { values.append(v) }
                }
                e += 1
            }
            self.values = values
            step = 1
            return
        }
        var lo = fromZero ? min(0, low) : low, hi = max(high, lo)
        if hi - lo < 1e-12 * max(1, abs(hi)) {
            if hi == 0 { hi = 1 } else { lo -= abs(lo) * 0.1; hi += abs(hi) * 0.1; if fromZero { lo = min(0, lo) } }
        }
        let raw = (hi - lo) / Double(target)
        let magnitude = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        let nice = [1.0, 2, 2.5, 5, 10].first { $0 * magnitude >= raw } ?? 10
        step = nice * magnitude
        self.low = Foundation.floor(lo / step + 1e-9) * step
        self.high = Foundation.ceil(hi / step - 1e-9) * step
        var values: [Double] = []
        var v = self.low
        while v <= self.high + step * 1e-6 {
            values.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        self.values = values
    }

    /// Where `value` sits between `low` (0) and `high` (1).
    func fraction(_ value: Double) -> Double {
        if log { return (Foundation.log10(value) - Foundation.log10(low)) / (Foundation.log10(high) - Foundation.log10(low)) }
        return (value - low) / (high - low)
    }

    func label(_ value: Double) -> String {
        if log { return String(format: "%g", value) }
        if abs(value) >= 10_000 {
            let (d, suffix) = abs(value) >= 1e9 ? (1e9, "G") : abs(value) >= 1e6 ? (1e6, "M") : (1e3, "k")
            return String(format: "%g", (value / d * 1000).rounded() / 1000) + suffix
        }
        var decimals = 0
        while decimals < 6, abs(step * Foundation.pow(10, Double(decimals)) - (step * Foundation.pow(10, Double(decimals))).rounded()) > 1e-6 {
            decimals += 1
        }
        return String(format: "%.\(decimals)f", value)
    }
}

/// A number for SVG coordinates: one decimal.
private func coordinate(_ x: Double) -> String { String(format: "%.1f", x) }

/// The frame shared by both chart kinds: title, plot area, y grid and ticks, axis titles.
private struct Frame {
    static let width = 640.0
    var height: Double
    var left = 64.0
    var right = 18.0
    var top: Double
    var bottom: Double

    var plotWidth: Double { Self.width - left - right }
    var plotHeight: Double { height - top - bottom }

    func open(title: String) -> String {
        "<svg viewBox=\"0 0 \(Int(Self.width)) \(Int(height))\" role=\"img\" "
            + "aria-label=\"\(htmlEscaped(title))\"><text class=\"title\" x=\"4\" y=\"20\">\(htmlEscaped(title))</text>"
    }

    func y(_ fraction: Double) -> Double { top + plotHeight * (1 - fraction) }
    func x(_ fraction: Double) -> Double { left + plotWidth * fraction }

    func yAxis(_ ticks: Ticks, title: String) -> String {
        var s = "<g class=\"grid\">"
        for v in ticks.values {
            let yy = coordinate(y(ticks.fraction(v)))
            s += "<line x1=\"\(coordinate(left))\" x2=\"\(coordinate(left + plotWidth))\" y1=\"\(yy)\" y2=\"\(yy)\"/>"
        }
        s += "</g><g class=\"ticks\" text-anchor=\"end\">"
        for v in ticks.values {
            s += "<text x=\"\(coordinate(left - 6))\" y=\"\(coordinate(y(ticks.fraction(v)) + 3.5))\">\(htmlEscaped(ticks.label(v)))</text>"
        }
        let mid = coordinate(top + plotHeight / 2)
        s += "</g><text class=\"axis-title\" text-anchor=\"middle\" transform=\"translate(14 \(mid)) rotate(-90)\">\(htmlEscaped(title))</text>"
        return s
    }

    func xTitle(_ title: String) -> String {
        "<text class=\"axis-title\" text-anchor=\"middle\" x=\"\(coordinate(left + plotWidth / 2))\" y=\"\(coordinate(height - 8))\">\(htmlEscaped(title))</text>"
    }

    func axes() -> String {
        let bottomY = coordinate(top + plotHeight)
        return "<path class=\"axis\" d=\"M\(coordinate(left)) \(coordinate(top))V\(bottomY)H\(coordinate(left + plotWidth))\"/>"
    }
}

/// The HTML legend under a chart: a swatch and a name per series.
private func legend(_ entries: [(name: String, color: String)]) -> String {
    guard !entries.isEmpty else { return "" }
    return "<ul class=\"legend\">" + entries.map { e in
        "<li><span class=\"swatch\" style=\"background:\(e.color)\"></span>\(htmlEscaped(e.name))</li>"
    }.joined() + "</ul>"
}

struct LineChart {
    var title: String
    var x: ChartAxis
    var y: ChartAxis
    var series: [LineSeries]
    var markers: [ChartMarker] = []
    /// Points drawn per series, at most (the rest are thinned evenly).
    var maxPoints = 400
    var height = 320.0

    /// Whether any series has a point to draw.
    var hasData: Bool { series.contains { s in s.points.contains { usable($0.y) && $0.x.isFinite } } }

    private func usable(_ v: Double) -> Bool { v.isFinite && (!y.log || v > 0) }

    func html() -> String {
        let drawn = series.map { s -> LineSeries in
            var t = s
            t.points = thinned(s.points.filter { usable($0.y) && $0.x.isFinite }, to: maxPoints)
            t.band = thinned(s.band.filter { usable($0.low) && usable($0.high) && $0.x.isFinite }, to: maxPoints)
            return t
        }
        let xs = drawn.flatMap { $0.points.map(\.x) } + markers.map(\.x)
        let ys = drawn.flatMap { $0.points.map(\.y) + $0.band.flatMap { [$0.low, $0.high] } }
        let xTicks = Ticks(low: (xs.min() ?? 0) / x.divisor, high: (xs.max() ?? 1) / x.divisor, log: false, fromZero: x.fromZero)
        let yTicks = Ticks(low: (ys.min() ?? 0) / y.divisor, high: (ys.max() ?? 1) / y.divisor, log: y.log, fromZero: y.fromZero)

        // Marker labels go in rows above the plot, each in the first row where it does not
        // overlap the one before; a label that would leave the chart on the right ends at its line.
        var frame = Frame(height: height, top: 34, bottom: 46)
        let px = { (v: Double) in frame.x(xTicks.fraction(v / x.divisor)) }
        let placed = placeMarkers(at: { px($0) }, right: Frame.width - 2)
        let rows = (placed.map(\.row).max() ?? -1) + 1
        frame.top = 34 + Double(rows) * 14
        frame.height = frame.top + (height - 34 - 46) + frame.bottom
        let py = { (v: Double) in frame.y(yTicks.fraction(v / y.divisor)) }

        var s = frame.open(title: title) + frame.yAxis(yTicks, title: y.title)
        s += "<g class=\"ticks\" text-anchor=\"middle\">"
        for v in xTicks.values {
            s += "<text x=\"\(coordinate(frame.x(xTicks.fraction(v))))\" y=\"\(coordinate(frame.top + frame.plotHeight + 16))\">\(htmlEscaped(xTicks.label(v)))</text>"
        }
        s += "</g>" + frame.xTitle(x.title) + frame.axes()
        for m in placed {
            let mx = px(m.marker.x)
            let labelY = 34 + Double(m.row) * 14 + 8
            s += "<g class=\"marker\"><line x1=\"\(coordinate(mx))\" x2=\"\(coordinate(mx))\" y1=\"\(coordinate(labelY + 3))\" "
                + "y2=\"\(coordinate(frame.top + frame.plotHeight))\"/><text x=\"\(coordinate(m.endsAtLine ? mx - 3 : mx + 3))\" "
                + "y=\"\(coordinate(labelY))\"\(m.endsAtLine ? " text-anchor=\"end\"" : "")>\(htmlEscaped(m.marker.label))</text></g>"
        }
        for series in drawn {
            if !series.band.isEmpty {
                let upper = series.band.map { "\(coordinate(px($0.x))),\(coordinate(py($0.high)))" }
                let lower = series.band.reversed().map { "\(coordinate(px($0.x))),\(coordinate(py($0.low)))" }
                s += "<polygon class=\"band\" fill=\"\(series.color)\" points=\"\((upper + lower).joined(separator: " "))\"/>"
            }
            guard !series.points.isEmpty else { continue }
            if zip(series.points, series.points.dropFirst()).contains(where: { $0.x > $1.x }) {
                // Not a function of x (e.g. nodes restarted with fewer bytes sent): dots, not a line.
                s += "<g class=\"dots\" fill=\"\(series.color)\"><title>\(htmlEscaped(series.name))</title>"
                for p in series.points { s += "<circle cx=\"\(coordinate(px(p.x)))\" cy=\"\(coordinate(py(p.y)))\" r=\"2\"/>" }
                s += "</g>"
                continue
            }
            let points = series.points.map { "\(coordinate(px($0.x))),\(coordinate(py($0.y)))" }.joined(separator: " ")
            s += "<polyline class=\"series\" stroke=\"\(series.color)\" points=\"\(points)\"><title>\(htmlEscaped(series.name))</title></polyline>"
            if series.points.count == 1 {
                s += "<circle cx=\"\(coordinate(px(series.points[0].x)))\" cy=\"\(coordinate(py(series.points[0].y)))\" r=\"3\" fill=\"\(series.color)\"/>"
            }
        }
        s += "</svg>"
        return "<figure class=\"chart\">" + s + legend(series.map { ($0.name, $0.color) }) + "</figure>"
    }

    /// Each marker with its label row (at most 4 rows; labels past that share the last) and
    /// whether its label ends at the line (near the right edge) rather than starts there.
    private func placeMarkers(at px: (Double) -> Double, right: Double) -> [(marker: ChartMarker, row: Int, endsAtLine: Bool)] {
        var rowEnds: [Double] = []
        var placed: [(ChartMarker, Int, Bool)] = []
        for m in markers.sorted(by: { $0.x < $1.x }) {
            let x = px(m.x), width = 6.0 * Double(m.label.count)
            let endsAtLine = x + 3 + width > right
            let start = endsAtLine ? x - 3 - width : x - 2
            let end = endsAtLine ? x + 2 : x + 3 + width
            if let row = rowEnds.firstIndex(where: { $0 + 6 <= start }) {
                rowEnds[row] = end
                placed.append((m, row, endsAtLine))
            } else if rowEnds.count < 4 {
                rowEnds.append(end)
                placed.append((m, rowEnds.count - 1, endsAtLine))
            } else {
                placed.append((m, 3, endsAtLine))
            }
        }
        return placed
    }
}

struct BarSeries {
    var name: String
    var color: String
    /// One value per category.
    var values: [Double]
}

struct BarChart {
    var title: String
    var categories: [String]
    var series: [BarSeries]
    /// With a single series: a colour per category (e.g. by HTTP status class).
    var categoryColors: [String]? = nil
    var xTitle: String
    var y: ChartAxis
    var stacked = false
    var height = 320.0

    var hasData: Bool { !categories.isEmpty && series.contains { $0.values.contains { $0 != 0 } } }

    func html() -> String {
        let n = categories.count
        let tops = (0..<n).map { c in
            stacked ? series.reduce(0) { $0 + max(0, $1.values[c]) } : series.map { $0.values[c] }.max() ?? 0
        }
        let yTicks = Ticks(low: 0, high: (tops.max() ?? 1) / y.divisor, log: false, fromZero: true)
        let longest = categories.map(\.count).max() ?? 0
        let rotate = n > 8 || Double(longest) * 6.5 > 576 / Double(max(n, 1))
        let bottom = rotate ? min(130, 30 + Double(longest) * 4.6) : 46
        var frame = Frame(height: height, top: 42, bottom: bottom)
        frame.height = height - 46 + bottom
        let groupWidth = frame.plotWidth / Double(max(n, 1))
        let barWidth = stacked || series.count == 1 ? groupWidth * 0.62 : groupWidth * 0.8 / Double(series.count)
        let py = { (v: Double) in frame.y(yTicks.fraction(v / y.divisor)) }

        var s = frame.open(title: title) + frame.yAxis(yTicks, title: y.title)
        let showValues = n * (stacked ? 1 : series.count) <= 16
        for c in 0..<n {
            let groupLeft = frame.left + groupWidth * Double(c)
            var base = 0.0
            for (k, series) in series.enumerated() {
                let v = max(0, series.values[c])
                let color = self.series.count == 1 ? categoryColors?[c] ?? series.color : series.color
                let x0 = stacked || self.series.count == 1
                    ? groupLeft + (groupWidth - barWidth) / 2
                    : groupLeft + groupWidth * 0.1 + barWidth * Double(k)
                let from = stacked ? base : 0, to = from + v
                let yTop = py(to), yBottom = py(from)
                s += "<rect x=\"\(coordinate(x0))\" y=\"\(coordinate(yTop))\" width=\"\(coordinate(max(barWidth - 1, 1)))\" "
                    + "height=\"\(coordinate(max(yBottom - yTop, 0)))\" fill=\"\(color)\"><title>\(htmlEscaped(categories[c])) · "
                    + "\(htmlEscaped(series.name)): \(htmlEscaped(Self.value(v)))</title></rect>"
                if showValues && !stacked && v > 0 {
                    s += "<text class=\"value\" text-anchor=\"middle\" x=\"\(coordinate(x0 + barWidth / 2))\" y=\"\(coordinate(yTop - 4))\">"
                        + "\(htmlEscaped(Self.value(v / y.divisor)))</text>"
                }
                if stacked { base = to }
            }
            if showValues && stacked && base > 0 {
                s += "<text class=\"value\" text-anchor=\"middle\" x=\"\(coordinate(groupLeft + groupWidth / 2))\" y=\"\(coordinate(py(base) - 4))\">"
                    + "\(htmlEscaped(Self.value(base / y.divisor)))</text>"
            }
            let cx = groupLeft + groupWidth / 2, ly = frame.top + frame.plotHeight + 15
            if rotate {
                s += "<text class=\"category\" text-anchor=\"end\" transform=\"translate(\(coordinate(cx + 3)) \(coordinate(ly - 4))) rotate(-40)\">"
                    + "\(htmlEscaped(categories[c]))</text>"
            } else {
                s += "<text class=\"category\" text-anchor=\"middle\" x=\"\(coordinate(cx))\" y=\"\(coordinate(ly))\">\(htmlEscaped(categories[c]))</text>"
            }
        }
        s += frame.xTitle(xTitle) + frame.axes() + "</svg>"
        let entries = series.count > 1 ? series.map { ($0.name, $0.color) } : []
        return "<figure class=\"chart\">" + s + legend(entries) + "</figure>"
    }

    private static func value(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.4g", v)
    }
}
