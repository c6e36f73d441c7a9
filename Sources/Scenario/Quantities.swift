import Deterministic

/// Units accepted in scenario files. A bare number takes the default unit named in each parser.
enum Quantity {
    /// `250ms`, `30s`, `10m`, `1h`, `1.5s`, `1h30m`, `4m59s`; a bare number is seconds.
    static func duration(_ text: String) -> TimeSpan? {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        var rest = Substring(text.lowercased().replacingSpaces)
        guard !rest.isEmpty else { return nil }
        if let seconds = Double(rest) { return (0...maxSeconds).contains(seconds) ? .seconds(seconds) : nil }
        var total = 0.0
        while !rest.isEmpty {
            let numberEnd = rest.firstIndex { !$0.isNumber && $0 != "." } ?? rest.endIndex
            guard let value = Double(rest[..<numberEnd]), value >= 0 else { return nil }
            rest = rest[numberEnd...]
            let unitEnd = rest.firstIndex { $0.isNumber || $0 == "." } ?? rest.endIndex
            guard let factor = units.first(where: { $0.0 == rest[..<unitEnd] })?.1 else { return nil }
            total += value * factor
            rest = rest[unitEnd...]
        }
        // Beyond a century the nanosecond clock would overflow soon after.
        return total <= Self.maxSeconds ? .seconds(total) : nil
    }

    static let maxSeconds = 100 * 365.25 * 86400

    /// Megabits per second: `100mbps`, `1gbps`, `500kbps`; a bare number is Mbit/s.
    static func bandwidthMbps(_ text: String) -> Double? {
        let units: [(String, Double)] = [("kbps", 1e-3), ("mbps", 1), ("gbps", 1e3), ("kbit", 1e-3), ("mbit", 1), ("gbit", 1e3)]
        return scaled(text, units, defaultFactor: 1)
    }

    /// Megabytes: `512mb`, `8gb`, `1tb`; a bare number is MB.
    static func memoryMB(_ text: String) -> Double? {
        scaled(text, [("kb", 1.0 / 1024), ("mb", 1), ("gb", 1024), ("tb", 1024 * 1024)], defaultFactor: 1)
    }

    /// FLOP/s: `50gflops`, `1tflops`, `200mflops`; a bare number is GFLOP/s.
    static func flops(_ text: String) -> Double? {
        scaled(text, [("mflops", 1e6), ("gflops", 1e9), ("tflops", 1e12)], defaultFactor: 1e9)
    }

    private static func scaled(_ text: String, _ units: [(String, Double)], defaultFactor: Double) -> Double? {
        guard let (value, unit) = split(text), value > 0 else { return nil }
        if unit.isEmpty { return value * defaultFactor }
        return units.first(where: { $0.0 == unit }).map { value * $0.1 }
    }

    /// "12.5 GB" → (12.5, "gb").
    private static func split(_ text: String) -> (Double, String)? {
        let t = text.lowercased().replacingSpaces
        let numberEnd = t.firstIndex { !("0123456789.eE+-".contains($0)) } ?? t.endIndex
        // "1e3" is a number but "5e" is not: let Double decide, backing off to a shorter prefix.
        var end = numberEnd
        while end > t.startIndex {
            if let v = Double(t[t.startIndex..<end]), v.isFinite { return (v, String(t[end...])) }
            end = t.index(before: end)
        }
        return nil
    }
}

extension String {
    var replacingSpaces: String { String(filter { $0 != " " && $0 != "_" }) }
}
