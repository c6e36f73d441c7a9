import Deterministic
import Identity
@testable import Ledger
import Testing

/// The ledger's promise (SPEC §7): its state is a function of the set of records it holds.
@Suite struct ConvergenceTests {
    /// A small network's records: six authors whose chains mix proofs, transfers (some larger
    /// than the balance that precedes them), stakes and unstakes, with times drawn so that chains
    /// interleave; one author signs two histories from a random point.
    static func history(seed: UInt64) -> (genesis: [GenesisAllocation], records: [Record]) {
        var rng = DeterministicRNG(seed: seed)
        var authors = (0..<6).map { Author("convergence-\($0)") }
        let genesis = authors.prefix(3).map { GenesisAllocation(address: $0.id, amount: Micro(neuro: 50)!) }
        var records: [Record] = []
        var clocks = [Int64](repeating: 0, count: authors.count)
        var forkAt: Int? = nil
        var branch: Author?
        for step in 0..<120 {
            let i = rng.nextInt(below: authors.count)
            clocks[i] += 10_000 + Int64(rng.nextInt(below: 50_000))
            let now = clocks[i]
            let other = authors[(i + 1 + rng.nextInt(below: authors.count - 1)) % authors.count]
            let body: RecordBody
            switch rng.nextInt(below: 6) {
            case 0, 1:
                body = .proof(WorkClaim(uptimeSeconds: Int64(rng.nextInt(below: 70)), batches: Int64(rng.nextInt(below: 30)),
                                        samples: 0, tokens: 0, layersHeld: 2, role: .worker, modelBefore: UInt64(step),
                                        modelAfter: UInt64(step + 1), loss: 0))
            case 2, 3:
                let amount = Micro(micro: Int64(rng.nextInt(below: 30_000_000)) + 1)!
                body = .transfer(Payment(to: other.id, amount: amount, fee: amount.fee, memo: "m\(step)", kind: .send))
            case 4: body = .stake(amount: Micro(micro: Int64(rng.nextInt(below: 10_000_000)) + 1)!, days: 1)
            default: body = .unstake(amount: Micro(micro: Int64(rng.nextInt(below: 10_000_000)) + 1)!)
            }
            if i == 5, forkAt == nil, rng.nextInt(below: 4) == 0 {
                forkAt = step
                branch = authors[5]
            }
            records.append(authors[i].make(body, at: now))
            if i == 5, var b = branch {
                // The second history: the same kinds of records, to someone else.
                let amount = Micro(micro: 1_000_000)!
                records.append(b.make(.transfer(Payment(to: authors[0].id, amount: amount, fee: amount.fee, memo: "b\(step)",
                                                        kind: .send)), at: now + 1))
                branch = b
            }
        }
        return (genesis, records)
    }

    static func fresh(_ genesis: [GenesisAllocation]) -> LedgerState { LedgerState(rules: .test, genesis: genesis) }

    @Test(arguments: 1...12 as ClosedRange<UInt64>)
    func everyOrderDuplicationAndSplitGivesOneState(seed: UInt64) {
        let (genesis, records) = Self.history(seed: seed)
        var reference = Self.fresh(genesis)
        reference.receive(records.sorted { $0.key < $1.key }, from: .pulled(NodeID(high: 0, low: 1)), nowMs: .max / 2)
        #expect(reference.totals.conserved)
        #expect(reference.recordCount > 60, "the history is not trivial")
        var rng = DeterministicRNG(seed: seed ^ 0xC0FFEE)
        for trial in 0..<6 {
            var shuffled = rng.sample(records, count: records.count)
            for _ in 0..<rng.nextInt(below: 20) { shuffled.append(shuffled[rng.nextInt(below: shuffled.count)]) }
            shuffled = rng.sample(shuffled, count: shuffled.count)
            var l = Self.fresh(genesis)
            var at = 0
            while at < shuffled.count {
                let n = 1 + rng.nextInt(below: 40)
                let source: RecordSource = rng.nextInt(below: 2) == 0 ? .pushed(shuffled[at].author) : .pulled(NodeID(high: 0, low: 2))
                l.receive(Array(shuffled[at..<min(at + n, shuffled.count)]), from: source, nowMs: .max / 2)
                at += n
                #expect(l.totals.conserved)
            }
            #expect(l.digest() == reference.digest(), "trial \(trial) of seed \(seed)")
            #expect(l.accounts.filter { $0.value != .empty } == reference.accounts.filter { $0.value != .empty })
            #expect(l.summary == reference.summary)
        }
    }

    @Test(arguments: 1...6 as ClosedRange<UInt64>)
    func twoLedgersHoldingPartsConvergeByPulling(seed: UInt64) {
        let (genesis, records) = Self.history(seed: seed)
        var reference = Self.fresh(genesis)
        reference.take(records)
        var rng = DeterministicRNG(seed: seed &* 77)
        var x = Self.fresh(genesis), y = Self.fresh(genesis)
        for r in records {
            switch rng.nextInt(below: 3) {
            case 0: x.take([r])
            case 1: y.take([r])
            default: x.take([r]); y.take([r])
            }
        }
        let trips = reconcile(&x, &y)
        #expect(trips < 50)
        #expect(x.digest() == reference.digest())
        #expect(y.digest() == reference.digest())
    }

    @Test func aLedgerRestoredFromItsRecordsIsTheSame() {
        let (genesis, records) = Self.history(seed: 99)
        var l = Self.fresh(genesis)
        l.take(records)
        var kept: [RecordID: Record] = [:]
        for entry in l.takeJournal() {
            if case .record(let r, _) = entry { kept[r.id] = r }
            if case .drop(let id) = entry { kept[id] = nil }
        }
        let restored = LedgerState(rules: .test, genesis: genesis, restoring: Array(kept.values))
        #expect(restored.digest() == l.digest())
        #expect(restored.summary == l.summary)
        #expect(restored.forkedAuthors == l.forkedAuthors)
    }

    @Test func theDigestAsOfATimeIgnoresLaterRecords() {
        var a = Author("a"), b = Author("b")
        let early = [a.pay(b, 1, at: 1_000), b.proof(at: 61_000)]
        let late = [a.pay(b, 2, at: 500_000)]
        var x = ledger([(a, 10)]), y = ledger([(a, 10)])
        x.take(early + late)
        y.take(early)
        #expect(x.digest() != y.digest())
        #expect(x.digest(asOfMs: 100_000) == y.digest(asOfMs: 100_000))
        #expect(y.digest(asOfMs: 100_000) == y.digest())
    }
}

extension ConvergenceTests {
    /// The histories exercise what the property is about: forks, refusals and late insertions.
    @Test func theHistoriesHoldForksRefusalsAndLocks() {
        var forks = 0, refused: Set<Refusal> = []
        for seed in 1...12 as ClosedRange<UInt64> {
            let (genesis, records) = Self.history(seed: seed)
            var l = Self.fresh(genesis)
            l.take(records)
            forks += l.forkedAuthors.count
            for r in records { if case .refused(let why)? = l.outcome(of: r) { refused.insert(why) } }
        }
        #expect(forks >= 6)
        #expect(refused.isSuperset(of: [.insufficient, .locked, .future]))
    }
}
