import Deterministic
import Identity
@testable import Ledger
import Testing

@Suite struct FoldTests {
    @Test func proofsMintAndTransfersMoveAndBurn() {
        var a = Author("a"), b = Author("b")
        var l = ledger([(a, 10)])
        l.take([a.pay(b, 4, at: 1_000), b.proof(at: 61_000)])
        #expect(l.available(a) == neuro(10 - 4.2))
        #expect(l.available(b) == neuro(4 + 0.00015))
        #expect(l.totals.burned == Micro(neuro: 0.2)!)
        #expect(l.totals.minted == Micro(neuro: 10.00015)!)
        #expect(l.totals.conserved)
    }

    @Test func aTransferTheBalanceDoesNotCoverIsRefusedAndMovesNothing() {
        var a = Author("a"), b = Author("b")
        var l = ledger([(a, 10)])
        let big = a.pay(b, 20, at: 1_000)
        l.take([big])
        #expect(l.outcome(of: big) == .refused(.insufficient))
        #expect(l.available(a) == neuro(10))
        #expect(l.available(b) == neuro(0))
        #expect(l.totals.conserved)
    }

    @Test func aLateCreditStampedEarlierIsFoldedInItsPlace() {
        // b's payment to c needs a's earlier payment to b; it arrives second.
        var a = Author("a"), b = Author("b"), c = Author("c")
        let credit = a.pay(b, 5, at: 1_000)
        let spend = b.pay(c, 4, at: 2_000)
        var l = ledger([(a, 10)])
        l.take([spend])
        #expect(l.outcome(of: spend) == .refused(.insufficient))
        l.take([credit])
        #expect(l.outcome(of: spend) == .applied(Micro(neuro: 4)!))
        #expect(l.available(c) == neuro(4))
        #expect(l.available(b) == neuro(5 - 4.2))
        #expect(l.totals.conserved)
        let journal = l.takeJournal()
        #expect(journal.contains(.outcome(spend.id, .applied(Micro(neuro: 4)!))), "the store hears the outcome changed")
    }

    @Test func aRecordWaitsForItsPredecessorThenBothCount() {
        var a = Author("a"), b = Author("b")
        let one = a.pay(b, 1, at: 1_000), two = a.pay(b, 2, at: 2_000)
        var l = ledger([(a, 10)])
        #expect(l.take([two]).map(\.result) == [.held])
        #expect(l.available(b) == neuro(0))
        #expect(l.take([one]).map(\.result) == [.counted, .counted])
        #expect(l.available(b) == neuro(3))
    }

    @Test func aRecordStampedAheadOfTheClockWaitsForIt() {
        var a = Author("a")
        let ahead = a.proof(at: 200_000)
        var l = ledger()
        #expect(l.receive([ahead], from: .pushed(a.id), nowMs: 100_000).map(\.result) == [.held])
        #expect(l.recordCount == 0)
        #expect(l.admitDue(nowMs: 130_000).isEmpty, "still more than a minute ahead")
        #expect(l.admitDue(nowMs: 140_000).map(\.result) == [.counted])
        #expect(l.recordCount == 1)
    }

    @Test func duplicatesCountOnceAndRelayedProofsAreReplays() {
        var a = Author("a")
        let p = a.proof(at: 60_000)
        var l = ledger()
        l.take([p, p])
        l.receive([p], from: .pushed(NodeID(high: 9, low: 9)), nowMs: 100_000)
        #expect(l.recordCount == 1)
        #expect(l.counters.duplicates == 2)
        #expect(l.counters.proofsRefused[.replay] == 1)
        #expect(l.totals.minted.micro == 150)
    }

    @Test func forgedRecordsAreNotKept() {
        let a = Author("a"), mallory = Author("mallory")
        let body = RecordBody.proof(WorkClaim(uptimeSeconds: 60, batches: 0, samples: 0, tokens: 0, layersHeld: 1,
                                              role: .worker, modelBefore: 0, modelAfter: 0, loss: 0))
        let real = Record.signed(by: a.key, seq: 1, previous: .zero, timestampMs: 1, body: body)
        let forged = Record(author: a.id, publicKey: mallory.key.publicKey.compressed, seq: 1, previous: .zero,
                            timestampMs: 1, body: body, signature: mallory.key.sign(digest: real.id.bytes))
        var l = ledger()
        #expect(l.take([forged]).map(\.result) == [.notAuthentic])
        #expect(l.recordCount == 0)
        #expect(l.counters.proofsRefused[.signature] == 1)
    }

    @Test func stakesLockAndRaiseRewards() {
        var a = Author("a")
        let day: Int64 = 86_400_000
        var l = ledger([(a, 2000)])
        let stake = a.stake(1000, days: 7, at: 10_000)
        let tooEarly = a.unstake(1000, at: 10_000 + 6 * day)
        let proof = a.proof(at: 10_000 + 6 * day + 60_000)
        let onTime = a.unstake(400, at: 10_000 + 7 * day)
        l.take([stake, tooEarly, proof, onTime])
        #expect(l.outcome(of: tooEarly) == .refused(.locked))
        // 150 micro for a full replica's minute, times the 1.1 stake bonus of 1000 NEURO.
        #expect(l.outcome(of: proof) == .applied(Micro(micro: 165)!))
        #expect(l.outcome(of: onTime) == .applied(Micro(neuro: 400)!))
        #expect(l.account(a.id).staked == Micro(neuro: 600)!)
        #expect(l.account(a.id).lockedUntilMs == 10_000 + 7 * day)
        #expect(l.totals.conserved)
        let overdraw = a.stake(5000, days: 1, at: 10_000 + 8 * day)
        l.take([overdraw])
        #expect(l.outcome(of: overdraw) == .refused(.insufficient))
    }

    @Test func historyListsAnAccountsRecordsNewestFirst() {
        var a = Author("a"), b = Author("b")
        var l = ledger([(a, 10)])
        let send = a.pay(b, 2, at: 1_000, memo: "rent")
        let refused = a.pay(b, 50, at: 2_000)
        l.take([send, refused, b.proof(at: 61_000)])
        let mine = l.history(of: a.id, limit: 10)
        #expect(mine.map(\.kind) == [.sent, .sent, .genesis])
        #expect(mine[0].outcome == .refused(.insufficient), "its author sees a refused transfer")
        let theirs = l.history(of: b.id, limit: 10)
        #expect(theirs.map(\.kind) == [.reward, .received], "the refused one never reached b")
        #expect(theirs[1].memo == "rent")
        #expect(l.history(of: b.id, limit: 1, offset: 1).map(\.kind) == [.received])
    }

    @Test func theJournalRebuildsTheBalances() {
        var a = Author("a"), b = Author("b"), c = Author("c")
        var l = ledger([(a, 100)])
        var mirror: [NodeID: Account] = [:]
        var stored: [RecordID: Record] = [:]
        for batch in [[a.pay(b, 10, at: 1)], [b.pay(c, 3, at: 2), c.proof(at: 60_000)], [a.stake(50, days: 2, at: 3)]] {
            l.take(batch)
            for entry in l.takeJournal() {
                switch entry {
                case .account(let id, let account): mirror[id] = account
                case .record(let r, _): stored[r.id] = r
                case .drop(let id): stored[id] = nil
                case .outcome, .totals: break
                }
            }
        }
        #expect(mirror == l.accounts.filter { $0.value != .empty || mirror[$0.key] != nil })
        let restored = LedgerState(rules: .test, genesis: l.genesis, restoring: Array(stored.values))
        #expect(restored.digest() == l.digest())
        #expect(restored.accounts == l.accounts)
    }
}

@Suite struct ForkTests {
    @Test func twoHistoriesOfOneAuthorVoidBothFromTheForkOn() {
        var eve = Author("eve"), b = Author("b"), c = Author("c")
        var l = ledger([(eve, 10)])
        let honestStart = eve.proof(at: 60_000)
        var branch = eve
        let toB = eve.pay(b, 9, at: 70_000)
        let toC = branch.pay(c, 9, at: 70_000)
        let afterB = eve.proof(at: 120_000)
        l.take([honestStart, toB, afterB])
        #expect(l.available(b) == neuro(9))
        let admissions = l.take([toC])
        #expect(admissions.map(\.result) == [.fork])
        #expect(l.available(b) == neuro(0), "the credit from the voided branch is taken back")
        #expect(l.available(c) == neuro(0))
        #expect(l.available(eve) == neuro(10.00015), "what came before the fork stands")
        #expect(l.forkedAuthors == [eve.id])
        #expect(l.counters.forks == 1)
        #expect(l.totals.conserved)
        // Later records of either branch count for nothing.
        #expect(l.take([branch.proof(at: 130_000)]).map(\.result) == [.void])
    }

    @Test func ledgersThatSawDifferentBranchesAgreeAfterReconciling() {
        var eve = Author("eve"), b = Author("b"), c = Author("c")
        let start = eve.proof(at: 60_000)
        var branch = eve
        let one = [eve.pay(b, 5, at: 70_000), eve.proof(at: 120_000), eve.proof(at: 180_000)]
        let two = [branch.pay(c, 5, at: 70_000), branch.proof(at: 125_000)]
        var x = ledger([(eve, 10)]), y = ledger([(eve, 10)])
        x.take([start] + one)
        y.take([start] + two)
        #expect(x.digest() != y.digest())
        reconcile(&x, &y)
        #expect(x.digest() == y.digest())
        #expect(x.forkedAuthors == [eve.id] && y.forkedAuthors == [eve.id])
        #expect(x.available(b) == .zero && y.available(c) == .zero)
    }

    @Test func aForkDeepBelowTheHeadsIsFoundByWalkingBack() {
        var eve = Author("eve")
        var x = ledger(), y = ledger()
        var common: [Record] = []
        for k in 0..<5 { common.append(eve.proof(at: 60_000 * Int64(k + 1))) }
        var branch = eve
        var one: [Record] = [], two: [Record] = []
        for k in 5..<40 { one.append(eve.proof(at: 60_000 * Int64(k + 1))) }
        for k in 5..<30 { two.append(branch.proof(at: 60_000 * Int64(k + 1) + 1)) }
        x.take(common + one)
        y.take(common + two)
        reconcile(&x, &y)
        #expect(x.digest() == y.digest())
        #expect(x.recordCount == 5, "only the shared prefix counts")
        #expect(x.forkedAuthors == [eve.id])
    }
}
