import Foundation

/// The number formats of `simulate`'s summary and of report.html: fixed, so the same run
/// prints and renders the same figures.
public enum Format {
    /// As `simulate` prints it: six significant digits.
    public static func loss(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "n/a" }

    public static func number(_ x: Double) -> String {
        if x.isNaN { return "n/a" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.6g", x)
    }

    /// An integer with thousands separators: 1,234,567.
    public static func grouped(_ x: Double) -> String {
        guard x.isFinite else { return "n/a" }
        let digits = String(Int64(x.magnitude.rounded()))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (x < 0 ? "-" : "") + out
    }

    public static func si(_ x: Double) -> String {
        switch x {
        case 1e9...: String(format: "%.2fG", x / 1e9)
        case 1e6...: String(format: "%.2fM", x / 1e6)
        case 1e3...: String(format: "%.1fk", x / 1e3)
        default: String(format: "%.1f", x)
        }
    }

    public static func byteUnit(_ x: Double) -> (divisor: Double, unit: String) {
        switch x {
        case 1e9...: (1e9, "GB")
        case 1e6...: (1e6, "MB")
        case 1e3...: (1e3, "kB")
        default: (1, "B")
        }
    }

    public static func bytes(_ x: Double) -> String {
        let (d, unit) = byteUnit(x)
        return d == 1 ? "\(Int(x)) B" : String(format: "%.2f %@", x / d, unit)
    }

    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s >= 3600 { return String(format: "%dh%02dm%02ds", s / 3600, (s % 3600) / 60, s % 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%.3fs", seconds)
    }
}
