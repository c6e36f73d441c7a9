import Ledger
import Testing

@Suite struct GenesisTests {
    @Test func genesisMintsAndIsIdempotent() throws {
        let ledger = try Ledger(path: nil, durable: false)
        let allocation = [(address: address(2), amount: neuro(30)), (address: address(1), amount: micro(5))]
        #expect(try ledger.allocateGenesis(allocation, timestamp: 100))
        #expect(try ledger.balance(of: address(2)) == Balance(available: neuro(30), staked: .zero))
        #expect(try ledger.totals() == Totals(minted: micro(30_000_005), burned: .zero, available: micro(30_000_005), staked: .zero))

        // The same allocation in another order, at another time: nothing changes.
        #expect(try !ledger.allocateGenesis(allocation.reversed(), timestamp: 999))
        #expect(try ledger.totals().minted == micro(30_000_005))
        #expect(try ledger.history(of: address(1), limit: 10).map(\.kind) == [.genesis])

        #expect(throws: LedgerError.genesisConflict) {
            try ledger.allocateGenesis([(address: address(2), amount: neuro(31)), (address: address(1), amount: micro(5))], timestamp: 0)
        }
        #expect(throws: LedgerError.genesisConflict) { try ledger.allocateGenesis([(address: address(2), amount: neuro(30))], timestamp: 0) }
        #expect(try ledger.totals().minted == micro(30_000_005))
        #expect(try ledger.minted(to: address(2), since: 100) == neuro(30))
        #expect(try ledger.minted(to: address(2), since: 101) == .zero)
    }

    @Test func genesisRefusesMalformedAllocations() throws {
        let ledger = try Ledger(path: nil, durable: false)
        let bad: [[(address: String, amount: Micro)]] = [
            [],
            [(address: "not-an-address", amount: neuro(1))],
            [(address: address(0xabc).uppercased(), amount: neuro(1))],
            [(address: address(1), amount: .zero)],
            [(address: address(1), amount: neuro(1)), (address: address(1), amount: neuro(2))],
            [(address: address(1), amount: micro(Int64.max)), (address: address(2), amount: micro(1))],
        ]
        for allocation in bad {
            #expect(throws: LedgerError.self) { try ledger.allocateGenesis(allocation, timestamp: 0) }
        }
        #expect(try ledger.totals().minted == .zero)
        #expect(try ledger.allocateGenesis([(address: address(1), amount: neuro(1))], timestamp: 0))
    }
}

@Suite struct ProofTests {
    @Test func proofsCreditOnceAndAreCounted() throws {
        let ledger = try Ledger(path: nil, durable: false)
        #expect(try ledger.recordProof(proof(1, node: 7, reward: neuro(2), at: 1_000)) == .credited)
        #expect(try ledger.recordProof(proof(2, node: 7, reward: micro(3), at: 2_000)) == .credited)
        #expect(try ledger.recordProof(proof(3, node: 8, reward: .zero, at: 2_500)) == .credited)
        // The same proof again, even claiming another reward, changes nothing.
        var again = proof(1, node: 7, reward: neuro(50), at: 9_000)
        #expect(try ledger.recordProof(again) == .duplicate)
        again.node = address(9)
        #expect(try ledger.recordProof(again) == .duplicate)

        #expect(try ledger.balance(of: address(7)).available == micro(2_000_003))
        #expect(try ledger.balance(of: address(9)) == Balance(available: .zero, staked: .zero))
        #expect(try ledger.totals() == Totals(minted: micro(2_000_003), burned: .zero, available: micro(2_000_003), staked: .zero))
        #expect(try ledger.hasProof(id: digest(1, salt: 1)))
        #expect(try !ledger.hasProof(id: digest(4, salt: 1)))
        #expect(try ledger.proofCount(node: address(7), since: 0) == 2)
        #expect(try ledger.proofCount(node: address(7), since: 1_001) == 1)
        #expect(try ledger.proofCount(node: address(7), since: 2_001) == 0)
        #expect(try ledger.proofCount(node: address(8), since: 0) == 1)
        #expect(try ledger.minted(to: address(7), since: 0) == micro(2_000_003))
        #expect(try ledger.minted(to: address(7), since: 1_500) == micro(3))
        let rewards = try ledger.history(of: address(7), limit: 10)
        #expect(rewards.map(\.kind) == [.reward, .reward])
        #expect(rewards.map(\.id) == [digest(2, salt: 1), digest(1, salt: 1)])
        #expect(rewards.map(\.amount) == [micro(3), neuro(2)])
        #expect(try ledger.audit().isEmpty)
    }

    @Test func malformedProofsThrow() throws {
        let ledger = try Ledger(path: nil, durable: false)
        var bad = proof(1, node: 1, reward: neuro(1))
        bad.id = "abc"
        #expect(throws: LedgerError.self) { try ledger.recordProof(bad) }
        bad = proof(1, node: 1, reward: neuro(1))
        bad.node = "node-1"
        #expect(throws: LedgerError.self) { try ledger.recordProof(bad) }
        #expect(try ledger.totals().minted == .zero)
    }
}

@Suite struct TransferTests {
    @Test func transferMovesTheAmountAndBurnsTheFee() throws {
        let ledger = try funded([100])
        let t = send(1, 0, 1, neuro(10), nonce: 1, memo: "thanks", at: 5_000)
        #expect(t.fee == micro(500_000))
        #expect(try ledger.applyTransfer(t) == .applied)
        #expect(try ledger.balance(of: address(0)).available == micro(89_500_000))
        #expect(try ledger.balance(of: address(1)).available == neuro(10))
        #expect(try ledger.totals() == Totals(minted: neuro(100), burned: micro(500_000), available: micro(99_500_000), staked: .zero))
        #expect(try ledger.transfer(id: t.id) == t)
        #expect(try ledger.transfer(id: digest(2)) == nil)
        #expect(try ledger.nextNonce(for: address(0)) == 2)
        #expect(try ledger.nextNonce(for: address(1)) == 1)
        #expect(try ledger.nextNonce(for: address(5)) == 1)
    }

    @Test func aRepeatedIdReturnsTheStoredEntryAndChangesNothing() throws {
        let ledger = try funded([100])
        let original = send(1, 0, 1, neuro(10), nonce: 1, memo: "first")
        #expect(try ledger.applyTransfer(original) == .applied)
        let before = (try ledger.totals(), try ledger.accounts().map(\.balance))
        #expect(try ledger.applyTransfer(original) == .duplicate(original))
        // Same id, different body (another nonce and amount): the id decides, the first stands.
        #expect(try ledger.applyTransfer(send(1, 0, 2, neuro(20), nonce: 2)) == .duplicate(original))
        #expect(try ledger.totals() == before.0)
        #expect(try ledger.accounts().map(\.balance) == before.1)
        #expect(try ledger.nextNonce(for: address(0)) == 2)
    }

    @Test func aNonceIsUsedOncePerSenderInAnyOrder() throws {
        let ledger = try funded([100, 100])
        #expect(try ledger.applyTransfer(send(1, 0, 1, neuro(1), nonce: 3)) == .applied)
        #expect(try ledger.applyTransfer(send(2, 0, 1, neuro(1), nonce: 3)) == .nonceUsed)
        #expect(try ledger.nextNonce(for: address(0)) == 4)
        // Arriving late (gossip out of order) is fine; the highest nonce still decides the next.
        #expect(try ledger.applyTransfer(send(3, 0, 1, neuro(1), nonce: 2)) == .applied)
        #expect(try ledger.nextNonce(for: address(0)) == 4)
        // Another sender has its own nonces.
        #expect(try ledger.applyTransfer(send(4, 1, 0, neuro(1), nonce: 3)) == .applied)
        #expect(try ledger.balance(of: address(0)).available == micro(100_000_000 - 2 * 1_050_000 + 1_000_000))
    }

    @Test func insufficientBalanceReportsExactFigures() throws {
        let ledger = try funded([10])
        #expect(try ledger.applyTransfer(send(1, 0, 1, neuro(10), nonce: 1))
            == .insufficientBalance(available: neuro(10), required: micro(10_500_000)))
        // 9.523810 + fee 0.476191 is one micro too many; 9.523809 + 0.476191 spends it all.
        #expect(try ledger.applyTransfer(send(2, 0, 1, micro(9_523_810), nonce: 1))
            == .insufficientBalance(available: neuro(10), required: micro(10_000_001)))
        #expect(try ledger.applyTransfer(send(3, 0, 1, micro(9_523_809), nonce: 1)) == .applied)
        #expect(try ledger.balance(of: address(0)).available == .zero)
        #expect(try ledger.applyTransfer(send(4, 0, 1, micro(1), nonce: 2))
            == .insufficientBalance(available: .zero, required: micro(2)))
        #expect(try ledger.applyTransfer(send(5, 7, 1, micro(1), nonce: 1))
            == .insufficientBalance(available: .zero, required: micro(2)))
        #expect(try ledger.totals().conserved)
        #expect(try ledger.nextNonce(for: address(0)) == 2)
    }

    @Test func malformedTransfersAreRefused() throws {
        let ledger = try funded([100])
        let good = send(1, 0, 1, neuro(1), nonce: 1)
        let bad = [
            send(1, 0, 0, neuro(1), nonce: 1),
            send(1, 0, 1, .zero, nonce: 1),
            send(1, 0, 1, neuro(1), nonce: 0),
            send(1, 0, 1, micro(Micro.max.micro + 1), nonce: 1),
            send(1, 0, 1, neuro(1), nonce: 1, memo: String(repeating: "é", count: 129)),
            TransferEntry(id: digest(0xabc).uppercased(), sender: good.sender, recipient: good.recipient, amount: good.amount, nonce: 1, timestamp: 0),
            TransferEntry(id: "abc", sender: good.sender, recipient: good.recipient, amount: good.amount, nonce: 1, timestamp: 0),
            TransferEntry(id: good.id, sender: "alice", recipient: good.recipient, amount: good.amount, nonce: 1, timestamp: 0),
            TransferEntry(id: good.id, sender: good.sender, recipient: good.recipient + "0", amount: good.amount, nonce: 1, timestamp: 0),
        ]
        for t in bad {
            guard case .invalid = try ledger.applyTransfer(t) else {
                Issue.record("accepted \(t)")
                continue
            }
        }
        #expect(try ledger.totals() == Totals(minted: neuro(100), burned: .zero, available: neuro(100), staked: .zero))
        #expect(try ledger.applyTransfer(send(1, 0, 1, neuro(1), nonce: 1, memo: String(repeating: "é", count: 128))) == .applied)
    }

    @Test func historyIsNewestFirstAndPaged() throws {
        let ledger = try funded([100, 100])
        #expect(try ledger.applyTransfer(send(1, 0, 1, neuro(1), nonce: 1, at: 10)) == .applied)
        #expect(try ledger.recordProof(proof(1, node: 0, reward: neuro(2), at: 20)) == .credited)
        #expect(try ledger.applyTransfer(TransferEntry(id: digest(2), sender: address(1), recipient: address(0), amount: neuro(3),
                                                       memo: "tokens", nonce: 1, kind: .inference, timestamp: 30)) == .applied)
        #expect(try ledger.stake(address: address(0), amount: neuro(4), timestamp: 40) == .applied(Balance(available: micro(99_950_000), staked: neuro(4))))
        #expect(try ledger.unstake(address: address(0), amount: neuro(1), timestamp: 50) == .applied(Balance(available: micro(100_950_000), staked: neuro(3))))
        #expect(try ledger.applyTransfer(send(3, 1, 2, neuro(1), nonce: 2, at: 60)) == .applied)

        let all = try ledger.history(of: address(0), limit: 100)
        #expect(all.map(\.kind) == [.unstake, .stake, .received, .reward, .sent, .genesis])
        #expect(all.map(\.timestamp) == [50, 40, 30, 20, 10, 0])
        #expect(all.map(\.amount) == [neuro(1), neuro(4), neuro(3), neuro(2), neuro(1), neuro(100)])
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.sequence > $1.sequence })
        let sent = all[4]
        #expect(sent.id == digest(1) && sent.counterparty == address(1) && sent.fee == micro(50_000) && sent.transferKind == .send)
        let received = all[2]
        #expect(received.counterparty == address(1) && received.fee == .zero && received.memo == "tokens" && received.transferKind == .inference)

        var paged: [HistoryItem] = []
        for page in 0..<4 { paged += try ledger.history(of: address(0), limit: 2, offset: page * 2) }
        #expect(paged == all)
        #expect(try ledger.history(of: address(0), limit: 0).isEmpty)
        #expect(try ledger.history(of: address(9), limit: 10).isEmpty)
        #expect(try ledger.history(of: address(2), limit: 10).map(\.kind) == [.received])
    }
}

@Suite struct StakeTests {
    @Test func stakeMovesBetweenAvailableAndStaked() throws {
        let ledger = try funded([10])
        #expect(try ledger.stake(address: address(0), amount: neuro(4), timestamp: 1) == .applied(Balance(available: neuro(6), staked: neuro(4))))
        #expect(try ledger.stake(address: address(0), amount: neuro(7), timestamp: 2) == .insufficient(have: neuro(6)))
        #expect(try ledger.unstake(address: address(0), amount: neuro(5), timestamp: 3) == .insufficient(have: neuro(4)))
        #expect(try ledger.unstake(address: address(0), amount: neuro(4), timestamp: 4) == .applied(Balance(available: neuro(10), staked: .zero)))
        #expect(try ledger.stake(address: address(1), amount: neuro(1), timestamp: 5) == .insufficient(have: .zero))
        #expect(try ledger.stake(address: address(0), amount: neuro(10), timestamp: 6) == .applied(Balance(available: .zero, staked: neuro(10))))
        // Staked NEURO cannot be spent.
        #expect(try ledger.applyTransfer(send(1, 0, 1, micro(1), nonce: 1)) == .insufficientBalance(available: .zero, required: micro(2)))
        #expect(try ledger.totals() == Totals(minted: neuro(10), burned: .zero, available: .zero, staked: neuro(10)))
        guard case .invalid = try ledger.stake(address: address(0), amount: .zero, timestamp: 7) else { Issue.record("zero stake"); return }
        guard case .invalid = try ledger.unstake(address: "x", amount: neuro(1), timestamp: 7) else { Issue.record("bad address"); return }
        #expect(try ledger.audit().isEmpty)
    }

    @Test func accountsAreSortedAndLeaveOutEmptyOnes() throws {
        let ledger = try funded([10, 6, 4])
        #expect(try ledger.applyTransfer(send(1, 0, 9, micro(9_523_809), nonce: 1)) == .applied) // spends account 0 to zero
        #expect(try ledger.stake(address: address(2), amount: neuro(4), timestamp: 0) == .applied(Balance(available: .zero, staked: neuro(4))))
        let accounts = try ledger.accounts()
        #expect(accounts.map(\.address) == [address(1), address(2), address(9)])
        #expect(accounts.map(\.balance) == [Balance(available: neuro(6), staked: .zero), Balance(available: .zero, staked: neuro(4)),
                                            Balance(available: micro(9_523_809), staked: .zero)])
    }
}
