/// A point on a node's clock, in nanoseconds since that clock's epoch. In the simulator the
/// epoch is the start of the run (plus any skew the scenario gives the node); in production it
/// is the Unix epoch. The core never reads a clock: every input arrives with its `Timestamp`.
public struct Timestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanos: Int64
    public init(nanos: Int64) { self.nanos = nanos }
    public static let zero = Timestamp(nanos: 0)

    public var seconds: Double { Double(nanos) / 1e9 }
    /// Whole milliseconds since the epoch (what proofs and ledger entries are stamped with).
    public var milliseconds: Int64 { nanos / 1_000_000 }
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.nanos < b.nanos }
    public static func + (a: Timestamp, b: TimeSpan) -> Timestamp { Timestamp(nanos: a.nanos &+ b.nanos) }
    public static func - (a: Timestamp, b: TimeSpan) -> Timestamp { Timestamp(nanos: a.nanos &- b.nanos) }
    public static func - (a: Timestamp, b: Timestamp) -> TimeSpan { TimeSpan(nanos: a.nanos &- b.nanos) }
    public var description: String { TimeSpan(nanos: nanos).description }
}

/// A length of time in nanoseconds (Swift's `Duration` carries 128 bits and is slower on the
/// simulator's hot path).
public struct TimeSpan: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanos: Int64
    public init(nanos: Int64) { self.nanos = nanos }
    public static let zero = TimeSpan(nanos: 0)

    public static func seconds(_ s: Double) -> TimeSpan { TimeSpan(nanos: Int64((s * 1e9).rounded())) }
    public static func milliseconds(_ ms: Double) -> TimeSpan { TimeSpan(nanos: Int64((ms * 1e6).rounded())) }
    public var seconds: Double { Double(nanos) / 1e9 }
    public var milliseconds: Double { Double(nanos) / 1e6 }

    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.nanos < b.nanos }
    public static func + (a: TimeSpan, b: TimeSpan) -> TimeSpan { TimeSpan(nanos: a.nanos &+ b.nanos) }
    public static func - (a: TimeSpan, b: TimeSpan) -> TimeSpan { TimeSpan(nanos: a.nanos &- b.nanos) }
    public static func * (a: TimeSpan, k: Double) -> TimeSpan { TimeSpan(nanos: Int64((Double(a.nanos) * k).rounded())) }

    /// Human form used in logs and summaries: `1h02m03.5s`, `12.250s`, `35ms`.
    public var description: String {
        let abs = nanos.magnitude
        let sign = nanos < 0 ? "-" : ""
        if abs < 1_000_000_000 { return sign + "\(Double(abs) / 1e6)ms" }
        let totalSeconds = Double(abs) / 1e9
        if totalSeconds < 60 { return sign + String(format3(totalSeconds)) + "s" }
        let h = Int(totalSeconds) / 3600, m = (Int(totalSeconds) % 3600) / 60
        let s = totalSeconds - Double(h * 3600 + m * 60)
        return sign + (h > 0 ? "\(h)h" : "") + "\(m)m" + format3(s) + "s"
    }
}

/// Three decimals without Foundation (keeps this module dependency-free).
func format3(_ x: Double) -> String {
    let scaled = Int64((x * 1000).rounded())
    let whole = scaled / 1000, frac = scaled % 1000
    let f = String(frac)
    return "\(whole)." + String(repeating: "0", count: 3 - f.count) + f
}
