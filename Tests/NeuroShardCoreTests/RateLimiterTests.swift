import Deterministic
@testable import NeuroShardCore
import Testing

@Suite struct RateLimiterTests {
    /// Calls `n` times, `spacing` apart from `start`; returns every decision.
    func burst(_ limiter: inout RateLimiter, principal: String = "owner", _ rateClass: RateClass,
               count n: Int, from start: Double, spacing: Double) -> [RateLimiter.Decision] {
        (0..<n).map { i in limiter.check(principal: principal, rateClass: rateClass, now: at(start + Double(i) * spacing)) }
    }

    /// Every decision allowed, with the remaining count going down to 0 (names the bad indices).
    func expectFullQuota(_ decisions: [RateLimiter.Decision], limit: Int,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(decisions.count == limit, sourceLocation: sourceLocation)
        let wrong = decisions.enumerated().filter { $0.element != .allowed(remaining: limit - 1 - $0.offset) }
        #expect(wrong.isEmpty, "calls \(wrong.prefix(3).map { "#\($0.offset + 1): \($0.element)" }) of \(wrong.count) wrong",
                sourceLocation: sourceLocation)
    }

    @Test func standardLimitsAreSpecs() {
        let s = RateLimits.standard
        #expect(s.window == .seconds(60))
        #expect(s.limit(for: .status) == 100)
        #expect(s.limit(for: .inference) == 60)
        #expect(s.limit(for: .wallet) == 10)
    }

    @Test func statusAllowsHundredThenLimitsUntilOldestLeavesTheWindow() {
        var limiter = RateLimiter(limits: .standard)
        // 100 calls from t = 0 to t = 49.5 s.
        let first = burst(&limiter, .status, count: 100, from: 0, spacing: 0.5)
        expectFullQuota(first, limit: 100)
        // The 101st at t = 50 s: the oldest call (t = 0) leaves the window at t = 60 s.
        let d101 = limiter.check(principal: "owner", rateClass: .status, now: at(50))
        #expect(d101 == .limited(retryAfter: .seconds(10)))
        // Refused calls do not count: retrying keeps pointing at the same oldest call.
        let d102 = limiter.check(principal: "owner", rateClass: .status, now: at(55))
        #expect(d102 == .limited(retryAfter: .seconds(5)))
        let justBefore = limiter.check(principal: "owner", rateClass: .status, now: at(60) - TimeSpan(nanos: 1))
        #expect(justBefore == .limited(retryAfter: TimeSpan(nanos: 1)))
        // At t = 60 s the call of t = 0 is out of the window: exactly one slot is free.
        let atSixty = limiter.check(principal: "owner", rateClass: .status, now: at(60))
        #expect(atSixty == .allowed(remaining: 0))
        // Next one waits for the call of t = 0.5 s.
        let again = limiter.check(principal: "owner", rateClass: .status, now: at(60))
        #expect(again == .limited(retryAfter: .seconds(0.5)))
    }

    @Test func refusedCallsDoNotExtendTheWait() {
        var limiter = RateLimiter(limits: .standard)
        _ = burst(&limiter, .status, count: 100, from: 0, spacing: 0)
        // A client hammering while limited: 500 refusals between t = 1 s and t = 59 s.
        let refused = burst(&limiter, .status, count: 500, from: 1, spacing: 0.116)
        let allowedWhileLimited = refused.filter { if case .allowed = $0 { true } else { false } }.count
        #expect(allowedWhileLimited == 0)
        // Backing off for the announced time always gets through, with the whole quota back.
        let later = burst(&limiter, .status, count: 100, from: 60, spacing: 0)
        expectFullQuota(later, limit: 100)
        let over = limiter.check(principal: "owner", rateClass: .status, now: at(60))
        #expect(over == .limited(retryAfter: .seconds(60)))
    }

    @Test func retryAfterIsTheTimeUntilTheOldestCallLeaves() {
        var limiter = RateLimiter(limits: .standard)
        // Spread calls: t = 10, 10.3, 10.6, ... ; the oldest is at t = 10.
        _ = burst(&limiter, .status, count: 100, from: 10, spacing: 0.3)
        for t in [40.0, 52.25, 69.9] {
            let d = limiter.check(principal: "owner", rateClass: .status, now: at(t))
            #expect(d == .limited(retryAfter: at(70) - at(t)), "at t = \(t)")
        }
        let d = limiter.check(principal: "owner", rateClass: .status, now: at(70))
        #expect(d == .allowed(remaining: 0))
    }

    @Test func afterAQuietWindowEverythingPassesAgain() {
        var limiter = RateLimiter(limits: .standard)
        _ = burst(&limiter, .status, count: 100, from: 0, spacing: 0.1)
        let limited = limiter.check(principal: "owner", rateClass: .status, now: at(30))
        #expect(limited == .limited(retryAfter: .seconds(30)))
        let again = burst(&limiter, .status, count: 100, from: 500, spacing: 0.1)
        expectFullQuota(again, limit: 100)
    }

    @Test(arguments: [(RateClass.inference, 60), (RateClass.wallet, 10), (RateClass.status, 100)])
    func eachClassHasItsLimit(rateClass: RateClass, limit: Int) {
        var limiter = RateLimiter(limits: .standard)
        let allowed = burst(&limiter, rateClass, count: limit, from: 0, spacing: 0.01)
        expectFullQuota(allowed, limit: limit)
        let over = limiter.check(principal: "owner", rateClass: rateClass, now: at(1))
        #expect(over == .limited(retryAfter: .seconds(59)))
        let later = limiter.check(principal: "owner", rateClass: rateClass, now: at(60))
        #expect(later == .allowed(remaining: 0))
    }

    @Test func classesAndPrincipalsAreIndependent() {
        var limiter = RateLimiter(limits: .standard)
        _ = burst(&limiter, .status, count: 100, from: 0, spacing: 0)
        _ = burst(&limiter, .wallet, count: 10, from: 0, spacing: 0)
        let status = limiter.check(principal: "owner", rateClass: .status, now: at(1))
        let wallet = limiter.check(principal: "owner", rateClass: .wallet, now: at(1))
        #expect(status == .limited(retryAfter: .seconds(59)))
        #expect(wallet == .limited(retryAfter: .seconds(59)))
        // The owner's other class is untouched.
        let inference = limiter.check(principal: "owner", rateClass: .inference, now: at(1))
        #expect(inference == .allowed(remaining: 59))
        // Another principal has its own budget in every class.
        let keyStatus = limiter.check(principal: "key0", rateClass: .status, now: at(1))
        let keyWallet = limiter.check(principal: "key0", rateClass: .wallet, now: at(1))
        #expect(keyStatus == .allowed(remaining: 99))
        #expect(keyWallet == .allowed(remaining: 9))
        // And using it does not free or consume the owner's.
        let ownerStill = limiter.check(principal: "owner", rateClass: .status, now: at(2))
        #expect(ownerStill == .limited(retryAfter: .seconds(58)))
    }

    @Test func customLimitsAndWindow() {
        var limiter = RateLimiter(limits: RateLimits(window: .seconds(10), status: 2, inference: 1, wallet: 1))
        let a = limiter.check(principal: "p", rateClass: .status, now: at(0))
        let b = limiter.check(principal: "p", rateClass: .status, now: at(4))
        let c = limiter.check(principal: "p", rateClass: .status, now: at(5))
        let d = limiter.check(principal: "p", rateClass: .status, now: at(10))
        let e = limiter.check(principal: "p", rateClass: .status, now: at(10))
        #expect(a == .allowed(remaining: 1))
        #expect(b == .allowed(remaining: 0))
        #expect(c == .limited(retryAfter: .seconds(5)))
        #expect(d == .allowed(remaining: 0))
        #expect(e == .limited(retryAfter: .seconds(4)))
    }

    /// Long runs, many calls per window: every decision matches a plain recount of the allowed
    /// calls inside the window (the limiter drops old calls in batches; this checks it drops
    /// exactly the right ones).
    @Test func manyCallsMatchARecount() {
        let limits = RateLimits(window: .seconds(1), status: 150, inference: 1, wallet: 1)
        var limiter = RateLimiter(limits: limits)
        var rng = DeterministicRNG(seed: 4)
        var allowed: [Timestamp] = []
        var now = Timestamp.zero
        for _ in 0..<20_000 {
            now = now + TimeSpan(nanos: Int64(rng.nextInt(below: 12_000_000)))
            let inWindow = allowed.filter { $0 > now - limits.window }
            let expected: RateLimiter.Decision = inWindow.count < 150
                ? .allowed(remaining: 150 - inWindow.count - 1)
                : .limited(retryAfter: (inWindow[0] + limits.window) - now)
            let decision = limiter.check(principal: "p", rateClass: .status, now: now)
            guard decision == expected else {
                Issue.record("at \(now): \(decision), expected \(expected)")
                return
            }
            if case .allowed = decision { allowed.append(now) }
            allowed = allowed.filter { $0 > now - limits.window }
        }
    }
}
