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
    /// For a private test network and benchmarks: no practical limit.
    public static let off = RateLimits(window: .seconds(60), status: .max, inference: .max, wallet: .max)

    public init(window: TimeSpan, status: Int, inference: Int, wallet: Int) {
        self.window = window; self.status = status; self.inference = inference; self.wallet = wallet
    }

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
    /// Times of allowed calls, oldest first; those before `head` have left the window (dropped
    /// in batches, so that a call costs O(1) whatever the limit).
    private struct Window {
        var times: [Timestamp] = []
        var head = 0
        var count: Int { times.count - head }

        mutating func forget(before start: Timestamp) {
            while head < times.count && times[head] <= start { head += 1 }
            if head >= 64 && 2 * head >= times.count {
                times.removeFirst(head)
                head = 0
            }
        }

        mutating func admit(now: Timestamp, window: TimeSpan, limit: Int) -> Decision {
            forget(before: now - window)
            guard count < limit else {
                return .limited(retryAfter: head < times.count ? (times[head] + window) - now : window)
            }
            times.append(now)
            return .allowed(remaining: limit - count)
        }
    }
    private var calls: [Key: Window] = [:]
    public let limits: RateLimits

    public init(limits: RateLimits) { self.limits = limits }

    public enum Decision: Equatable, Sendable {
        case allowed(remaining: Int)
        case limited(retryAfter: TimeSpan)
    }

    public mutating func check(principal: String, rateClass: RateClass, now: Timestamp) -> Decision {
        let limit = limits.limit(for: rateClass), window = limits.window
        return calls[Key(principal: principal, rateClass: rateClass), default: Window()].admit(now: now, window: window, limit: limit)
    }
}
