import Deterministic
import Foundation
import Identity
@testable import Ledger
import Testing

@Suite struct RecordTests {
    @Test func everyKindRoundTripsThroughItsStoredBytes() throws {
        var a = Author("a"), b = Author("b")
        let records = [
            a.proof(at: 60_000, batches: 12),
            a.pay(b, 1.5, at: 61_000, memo: "thanks ✓"),
            a.make(.transfer(Payment(to: b.id, amount: Micro(neuro: 2)!, fee: .zero, memo: "inference", kind: .inference,
                                     requestKey: Payment.requestKey(from: a.id, key: "k1"))), at: 62_000),
            a.stake(3, days: 7, at: 63_000),
            a.unstake(1, at: 64_000),
        ]
        for r in records {
            let back = try #require(Record(encoded: r.encoded))
            #expect(back == r)
            #expect(back.id == r.id)
            #expect(back.isAuthentic)
        }
    }

    @Test func damagedBytesAreRefusedNotTrusted() {
        var a = Author("a")
        let bytes = a.proof(at: 1_000).encoded
        for cut in [0, 1, 20, bytes.count / 2, bytes.count - 1] {
            #expect(Record(encoded: Array(bytes.prefix(cut))) == nil, "truncated to \(cut) bytes")
        }
        #expect(Record(encoded: bytes + [0]) == nil, "a trailing byte")
        var flipped = bytes
        flipped[40] ^= 0xFF
        // Still parses (a field changed), but no longer carries its author's signature.
        if let r = Record(encoded: flipped) { #expect(!r.isAuthentic) }
    }

    @Test func aRecordSignedByAnotherKeyIsNotAuthentic() {
        let a = Author("a"), mallory = Author("mallory")
        let honest = Record.signed(by: a.key, seq: 1, previous: .zero, timestampMs: 5, body: .unstake(amount: Micro(neuro: 1)!))
        let forged = Record(author: a.id, publicKey: mallory.key.publicKey.compressed, seq: 1, previous: .zero, timestampMs: 5,
                            body: .unstake(amount: Micro(neuro: 1)!), signature: mallory.key.sign(digest: honest.id.bytes))
        #expect(honest.isAuthentic)
        #expect(!forged.isAuthentic)
    }

    @Test func recordIDsAndHexAgree() throws {
        var a = Author("a")
        let r = a.proof(at: 1)
        #expect(r.id.hex.count == 64)
        #expect(RecordID(hex: r.id.hex) == r.id)
        #expect(RecordID(bytes: r.id.bytes) == r.id)
        #expect(RecordID(hex: String(r.id.hex.dropLast())) == nil)
        #expect(r.id.bytes.hex == r.id.hex)
    }
}

@Suite struct ChainRulesTests {
    @Test func integerLog2MatchesTheRealOne() {
        #expect(ChainRules.log2Q32(numerator: 1, denominator: 1) == 0)
        #expect(ChainRules.log2Q32(numerator: 2, denominator: 1) == 1 << 32)
        #expect(ChainRules.log2Q32(numerator: 1024, denominator: 1) == 10 << 32)
        for (n, d) in [(3, 2), (7, 3), (1_000_001, 1_000_000), (123_456_789, 1_000)] as [(UInt64, UInt64)] {
            let exact = log2(Double(n) / Double(d)) * 4_294_967_296
            #expect(abs(Double(ChainRules.log2Q32(numerator: n, denominator: d)) - exact) <= 2, "log2(\(n)/\(d))")
        }
    }

    @Test func theStakeBonusIsSpecsFormula() {
        #expect(ChainRules.stakeMultiplierPPM(.zero) == 1_000_000)
        #expect(ChainRules.stakeMultiplierPPM(Micro(neuro: 1000)!) == 1_100_000) // 1 + 0.1·log2(2)
        #expect(ChainRules.stakeMultiplierPPM(Micro(neuro: 3000)!) == 1_200_000) // 1 + 0.1·log2(4)
        let ppm = Double(ChainRules.stakeMultiplierPPM(Micro(neuro: 10_000)!))
        #expect(abs(ppm - (1 + 0.1 * log2(11)) * 1e6) <= 1)
    }

    @Test func rewardsAreSpecsRatesWithTheirBonuses() {
        // One minute of uptime: 100 micro; a full replica's +50%; training's +10%.
        #expect(ChainRules.reward(base: 100, bonusPercent: 0, staked: .zero).micro == 100)
        #expect(ChainRules.reward(base: 100, bonusPercent: 50, staked: .zero).micro == 150)
        #expect(ChainRules.reward(base: 100, bonusPercent: 60, staked: Micro(neuro: 1000)!).micro == 176)
    }

    @Test func verdictsFollowFromTheChainAlone() {
        let rules = ChainRules.test
        var a = Author("a")
        let first = a.proof(at: 120_000, uptime: 60)
        #expect(rules.verdict(on: first, previous: nil, lastProofMs: nil, recentProofs: 0) == .valid(base: 100, bonusPercent: 50))
        // Uptime beyond the time since the previous proof: time not yet lived.
        let greedy = a.proof(at: 150_000, uptime: 60)
        #expect(rules.verdict(on: greedy, previous: first, lastProofMs: 120_000, recentProofs: 1) == .refused(.future))
        // Stamped before its predecessor.
        var b = Author("b")
        let later = b.proof(at: 500_000)
        let earlier = b.make(.proof(WorkClaim(uptimeSeconds: 1, batches: 0, samples: 0, tokens: 0, layersHeld: 1, role: .worker,
                                              modelBefore: 0, modelAfter: 0, loss: 0)), at: 400_000, keepingTime: false)
        #expect(rules.verdict(on: earlier, previous: later, lastProofMs: 500_000, recentProofs: 1) == .refused(.stale))
        // Before the network's genesis.
        var late = rules
        late.genesisTimeMs = 1_000_000
        #expect(late.verdict(on: first, previous: nil, lastProofMs: nil, recentProofs: 0) == .refused(.stale))
        // The 121st valid proof of an hour.
        #expect(rules.verdict(on: first, previous: nil, lastProofMs: nil, recentProofs: 120) == .refused(.rate))
    }

    @Test func onlyTheLMHeadsHolderOwesALoss() {
        let rules = ChainRules.test
        func claim(_ role: Role, loss: Double) -> WorkClaim {
            WorkClaim(uptimeSeconds: 60, batches: 10, samples: 80, tokens: 0, layersHeld: 2, role: role,
                      modelBefore: 1, modelAfter: 2, loss: loss)
        }
        #expect(rules.implausibility(claim(.driver, loss: 0)) == nil, "a stage without the head computes no loss")
        #expect(rules.implausibility(claim(.worker, loss: 0)) == nil)
        #expect(rules.implausibility(claim(.validator, loss: 0)) != nil)
        #expect(rules.implausibility(claim(.full, loss: 0)) != nil)
        #expect(rules.implausibility(claim(.full, loss: 1.2)) == nil)
        var unchanged = claim(.full, loss: 1)
        unchanged.modelAfter = unchanged.modelBefore
        #expect(rules.implausibility(unchanged) != nil)
        var flood = claim(.worker, loss: 0)
        flood.batches = 60 * rules.maxBatchesPerSecond + 1
        #expect(rules.implausibility(flood) != nil)
    }

    @Test func transfersMustBurnTheirFeeAndNotPayThemselves() {
        let rules = ChainRules.test
        var a = Author("a")
        let b = Author("b")
        let noFee = a.make(.transfer(Payment(to: b.id, amount: Micro(neuro: 10)!, fee: .zero, memo: "", kind: .send)), at: 1)
        #expect(rules.verdict(on: noFee, previous: nil, lastProofMs: nil, recentProofs: 0) == .refused(.malformed))
        var c = Author("c")
        let toSelf = c.make(.transfer(Payment(to: c.id, amount: Micro(neuro: 1)!, fee: Micro(neuro: 1)!.fee, memo: "", kind: .send)), at: 1)
        #expect(rules.verdict(on: toSelf, previous: nil, lastProofMs: nil, recentProofs: 0) == .refused(.malformed))
        var d = Author("d")
        let longLock = d.stake(1, days: 400, at: 1)
        #expect(rules.verdict(on: longLock, previous: nil, lastProofMs: nil, recentProofs: 0) == .refused(.malformed))
    }
}
