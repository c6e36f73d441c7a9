/// An amount of NEURO, held as a whole number of micro-NEURO (10⁻⁶ NEURO) so that sums are exact:
/// the ledger's invariant `minted = Σ available + Σ staked + burned` must hold to the last unit,
/// which floating point cannot promise. Never negative.
public struct Micro: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let micro: Int64

    public static let perNEURO: Int64 = 1_000_000
    public static let zero = Micro(0)
    /// The most that parsing accepts: 10¹² NEURO, far above any supply yet far below Int64.max
    /// (about 9.2·10¹² NEURO), so the sum of two parsed amounts cannot overflow.
    public static let max = Micro(1_000_000_000_000 * perNEURO)

    /// For figures already known to be non-negative (arithmetic results, database columns with a CHECK).
    init(_ micro: Int64) {
        precondition(micro >= 0, "negative amount \(micro)")
        self.micro = micro
    }

    /// nil for a negative count.
    public init?(micro: Int64) {
        guard micro >= 0 else { return nil }
        self.micro = micro
    }

    /// Rounds to the nearest micro-NEURO; nil for NaN, infinities, negatives and anything above `max`.
    /// A Double carries ~16 significant digits, so amounts above ~10⁹ NEURO may be off by a few
    /// micro: exact input should come as text (`init?(_:)`).
    public init?(neuro: Double) {
        guard neuro.isFinite, neuro >= 0, neuro <= Micro.max.neuro else { return nil }
        self.micro = Int64((neuro * Double(Micro.perNEURO)).rounded())
    }

    /// Parses a plain decimal ("12", "12.5", "0.000001") exactly. nil for signs, exponents, more
    /// than six decimals (they would need rounding), a bare or trailing point, or more than `max`.
    public init?(_ text: String) {
        var whole: Int64 = 0, fraction: Int64 = 0
        var wholeDigits = 0, places = 0, sawPoint = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard !sawPoint, wholeDigits > 0 else { return nil }
                sawPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            if sawPoint {
                places += 1
                guard places <= 6 else { return nil }
                fraction = fraction * 10 + digit
            } else {
                wholeDigits += 1
                whole = whole * 10 + digit
                guard whole <= Micro.max.micro / Micro.perNEURO else { return nil }
            }
        }
        guard wholeDigits > 0, !sawPoint || places > 0 else { return nil }
        for _ in places..<6 { fraction *= 10 }
        let micro = whole * Micro.perNEURO + fraction
        guard micro <= Micro.max.micro else { return nil }
        self.micro = micro
    }

    public var neuro: Double { Double(micro) / Double(Micro.perNEURO) }

    /// The shortest decimal with at most six places, always with one: "12.5", "0.000001", "100.0".
    public var description: String {
        var fraction = String(micro % Micro.perNEURO)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > 1, fraction.last == "0" { fraction.removeLast() }
        return "\(micro / Micro.perNEURO).\(fraction)"
    }

    /// The fee a transfer of this amount pays on top, burned: 5 %, rounded UP to a whole micro.
    /// Up, so that every positive transfer pays at least 1 micro (dust transfers are not free
    /// spam) and the burn is never below 5 %; integer arithmetic, so every node computes the same.
    public var fee: Micro { Micro(micro / 20 + (micro % 20 == 0 ? 0 : 1)) }

    /// nil on overflow.
    public func adding(_ other: Micro) -> Micro? {
        let (sum, overflow) = micro.addingReportingOverflow(other.micro)
        return overflow ? nil : Micro(sum)
    }

    /// nil when `other` is larger (an amount is never negative).
    public func subtracting(_ other: Micro) -> Micro? {
        other.micro <= micro ? Micro(micro - other.micro) : nil
    }

    public static func < (a: Micro, b: Micro) -> Bool { a.micro < b.micro }
}
