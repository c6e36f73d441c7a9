import Deterministic

/// The rate-limit classes of SPEC §4.
public enum RateClass: String, Sendable, CaseIterable {
    case status, inference, wallet
}

public struct RateLimits: Equatable, Sendable {
    public var window: TimeSpan
    public var status: Int
    public var inference: Int
    public var wallet: Int

    public static let standard = RateLimits(window: .seconds(60), status: 100, inference: 60, wallet: 10)

    public func limit(for c: RateClass) -> Int {
        switch c {
        case .status: status
        case .inference: inference
        case .wallet: wallet
        }
    }
}

/// A sliding-window limiter per (principal, class): a call is allowed when fewer than `limit`
/// calls were allowed in the window before it. Refused calls do not count, so a client that backs
/// off for `retryAfter` always gets through.
public struct RateLimiter: Sendable {
    private struct Key: Hashable { var principal: String; var rateClass: RateClass }
    /// Times of allowed calls, oldest first (at most `limit` kept per key).
    private var calls: [Key: [Timestamp]] = [:]
    public let limits: RateLimits

    public init(limits: RateLimits) { self.limits = limits }

    public enum Decision: Equatable, Sendable {
        case allowed(remaining: Int)
        case limited(retryAfter: TimeSpan)
    }

    public mutating func check(principal: String, rateClass: RateClass, now: Timestamp) -> Decision {
        let key = Key(principal: principal, rateClass: rateClass)
        let limit = limits.limit(for: rateClass)
        var times = calls[key] ?? []
        let windowStart = now - limits.window
        if let firstKept = times.firstIndex(where: { $0 > windowStart }) {
            times.removeFirst(firstKept)
        } else {
            times.removeAll()
        }
        guard times.count < limit else {
            calls[key] = times
            return .limited(retryAfter: times.first.map { ($0 + limits.window) - now } ?? limits.window)
        }
        times.append(now)
        calls[key] = times
        return .allowed(remaining: limit - times.count)
    }
}
