import Deterministic
import Ledger
import Testing

@Suite struct MicroTests {
    @Test func fromDoubleRoundsToTheNearestMicro() {
        #expect(Micro(neuro: 12.5)?.micro == 12_500_000)
        #expect(Micro(neuro: 0.000001)?.micro == 1)
        #expect(Micro(neuro: 0.0000014)?.micro == 1)
        #expect(Micro(neuro: 0.0000016)?.micro == 2)
        #expect(Micro(neuro: 0.1)?.micro == 100_000)
        #expect(Micro(neuro: 0) == .zero)
        #expect(Micro(neuro: -0.0) == .zero)
        #expect(Micro(neuro: 1e12) == .max)
    }

    @Test func fromDoubleRefusesWhatIsNotAnAmount() {
        for bad in [Double.nan, .infinity, -.infinity, -0.000001, -1, 1e12 + 1, 1e300] {
            #expect(Micro(neuro: bad) == nil, "\(bad)")
        }
    }

    @Test func formatsTheShortestDecimalWithAtLeastOnePlace() {
        #expect(micro(12_500_000).description == "12.5")
        #expect(micro(1).description == "0.000001")
        #expect(micro(100_000_000).description == "100.0")
        #expect(Micro.zero.description == "0.0")
        #expect(micro(1_234_567_890_123).description == "1234567.890123")
        #expect(micro(10).description == "0.00001")
        #expect(Micro.max.description == "1000000000000.0")
        #expect(micro(12_500_000).neuro == 12.5)
    }

    @Test func parsesDecimalsExactly() {
        #expect(Micro("12.5")?.micro == 12_500_000)
        #expect(Micro("0.000001")?.micro == 1)
        #expect(Micro("100")?.micro == 100_000_000)
        #expect(Micro("100.0")?.micro == 100_000_000)
        #expect(Micro("007.25")?.micro == 7_250_000)
        #expect(Micro("1000000000000") == .max)
        #expect(Micro("1.000000")?.micro == 1_000_000)
        for bad in ["", ".", ".5", "5.", "1.0000001", "-1", "+1", "1e3", "1,5", " 1", "1.2.3", "0x10", "1000000000000.000001", "99999999999999999999"] {
            #expect(Micro(bad) == nil, "\(bad)")
        }
    }

    @Test func textRoundTrips() {
        var random = DeterministicRNG(seed: 7)
        for _ in 0..<2_000 {
            let amount = micro(Int64(random.next() % UInt64(Micro.max.micro + 1)))
            #expect(Micro(amount.description) == amount)
        }
    }

    @Test func feeIsFivePercentRoundedUp() {
        #expect(Micro.zero.fee == .zero)
        #expect(micro(1).fee == micro(1))
        #expect(micro(19).fee == micro(1))
        #expect(micro(20).fee == micro(1))
        #expect(micro(21).fee == micro(2))
        #expect(neuro(100).fee == neuro(5))
        #expect(micro(Int64.max).fee.micro == Int64.max / 20 + 1)
    }

    @Test func arithmeticRefusesOverflowAndNegatives() {
        #expect(micro(2).adding(micro(3)) == micro(5))
        #expect(micro(Int64.max).adding(micro(1)) == nil)
        #expect(micro(5).subtracting(micro(3)) == micro(2))
        #expect(micro(3).subtracting(micro(3)) == .zero)
        #expect(micro(3).subtracting(micro(4)) == nil)
        #expect(Micro(micro: -1) == nil)
        #expect(micro(1) < micro(2))
    }
}
