import Deterministic
import Ledger
import Testing

/// What the ledger should hold, kept in plain dictionaries by the test.
private struct Model {
    var available: [String: Int64] = [:]
    var staked: [String: Int64] = [:]
    var minted: Int64 = 0
    var burned: Int64 = 0
    var transfers: [String: TransferEntry] = [:]
    var applied: [TransferEntry] = []
    var usedNonces: Set<String> = []
    var highestNonce: [String: Int64] = [:]
    var proofs: Set<String> = []

    mutating func apply(_ t: TransferEntry) -> TransferOutcome {
        if let stored = transfers[t.id] { return .duplicate(stored) }
        guard !usedNonces.contains("\(t.sender)/\(t.nonce)") else { return .nonceUsed }
        let required = t.amount.micro + t.fee.micro
        let have = available[t.sender, default: 0]
        guard have >= required else { return .insufficientBalance(available: micro(have), required: micro(required)) }
        available[t.sender] = have - required
        available[t.recipient, default: 0] += t.amount.micro
        burned += t.fee.micro
        transfers[t.id] = t
        applied.append(t)
        usedNonces.insert("\(t.sender)/\(t.nonce)")
        highestNonce[t.sender] = max(highestNonce[t.sender, default: 0], t.nonce)
        return .applied
    }

    mutating func record(_ p: ProofEntry) -> ProofRecording {
        guard proofs.insert(p.id).inserted else { return .duplicate }
        available[p.node, default: 0] += p.reward.micro
        minted += p.reward.micro
        return .credited
    }

    mutating func move(_ address: String, _ amount: Int64, staking: Bool) -> StakeOutcome {
        let have = staking ? available[address, default: 0] : staked[address, default: 0]
        guard amount <= have else { return .insufficient(have: micro(have)) }
        available[address, default: 0] -= staking ? amount : -amount
        staked[address, default: 0] += staking ? amount : -amount
        return .applied(Balance(available: micro(available[address]!), staked: micro(staked[address]!)))
    }

    var totals: Totals {
        Totals(minted: micro(minted), burned: micro(burned), available: micro(available.values.reduce(0, +)),
               staked: micro(staked.values.reduce(0, +)))
    }
}

private struct Abort: Error {}

@Suite struct InvariantTests {
    /// A few thousand random writes, every outcome predicted by the model, and after each one
    /// the totals equal the model's and minted = Σ available + Σ staked + burned exactly.
    @Test(arguments: [1, 2] as [UInt64])
    func everyWriteConservesNEURO(seed: UInt64) throws {
        var random = DeterministicRNG(seed: seed)
        let ledger = try Ledger(path: nil, durable: false)
        var model = Model()
        let accounts = 7 // the last one receives but is never funded by genesis
        let genesis = (0..<accounts - 1).map { (address: address($0), amount: micro(Int64(1 + random.below(50_000_000)))) }
        try ledger.allocateGenesis(genesis, timestamp: 0)
        for g in genesis { model.available[g.address] = g.amount.micro; model.minted += g.amount.micro }

        var nextID = 0
        func randomTransfer(_ model: Model) -> TransferEntry {
            let sender = random.below(accounts)
            let recipient = (sender + 1 + random.below(accounts - 1)) % accounts
            let have = model.available[address(sender), default: 0]
            let amount = micro(Int64(1 + random.below(Int(max(have, 1)) * 11 / 10 + 1)))
            let highest = model.highestNonce[address(sender), default: 0]
            let nonce: Int64 = switch random.below(10) {
            case 0: max(1, highest - Int64(random.below(3)))  // maybe reused
            case 1: highest + 2                                // a gap
            default: highest + 1
            }
            if random.below(20) == 0, !model.applied.isEmpty {
                return model.applied[random.below(model.applied.count)] // a retry or gossip repeat
            }
            nextID += 1
            return TransferEntry(id: digest(nextID), sender: address(sender), recipient: address(recipient), amount: amount,
                                 nonce: nonce, kind: random.below(4) == 0 ? .inference : .send, timestamp: Int64(nextID))
        }

        var seen: Set<String> = [] // which outcomes the sequence reached
        func check(_ t: TransferEntry) throws {
            let outcome = try ledger.applyTransfer(t)
            #expect(outcome == model.apply(t))
            seen.insert(String("\(outcome)".prefix { $0 != "(" }))
        }

        for step in 0..<2_500 {
            switch random.below(10) {
            case 0:
                let id = random.below(5) == 0 ? max(1, nextID - random.below(10)) : { nextID += 1; return nextID }()
                let p = proof(id, node: random.below(accounts), reward: micro(Int64(random.below(5_000_000))), at: Int64(step))
                #expect(try ledger.recordProof(p) == model.record(p))
            case 1, 2, 3, 4, 5:
                try check(randomTransfer(model))
            case 6, 7:
                let who = address(random.below(accounts))
                let amount = Int64(1 + random.below(10_000_000))
                let staking = random.below(2) == 0
                let outcome = staking ? try ledger.stake(address: who, amount: micro(amount), timestamp: Int64(step))
                                      : try ledger.unstake(address: who, amount: micro(amount), timestamp: Int64(step))
                #expect(outcome == model.move(who, amount, staking: staking))
            default:
                let saved = model
                let abort = random.below(4) == 0
                do {
                    try ledger.batch {
                        for _ in 0..<(1 + random.below(8)) {
                            try check(randomTransfer(model))
                        }
                        if abort { throw Abort() }
                    }
                } catch is Abort {
                    model = saved
                }
            }
            let totals = try ledger.totals()
            try #require(totals.conserved, "step \(step)")
            try #require(totals == model.totals, "step \(step)")
        }

        let expected = (0..<accounts).map(address).compactMap { a -> (String, Balance)? in
            let b = Balance(available: micro(model.available[a, default: 0]), staked: micro(model.staked[a, default: 0]))
            return b == Balance(available: .zero, staked: .zero) ? nil : (a, b)
        }
        let actual = try ledger.accounts()
        #expect(actual.map(\.address) == expected.map(\.0))
        #expect(actual.map(\.balance) == expected.map(\.1))
        for a in (0..<accounts).map(address) {
            #expect(try ledger.nextNonce(for: a) == model.highestNonce[a, default: 0] + 1)
        }
        #expect(try ledger.audit().isEmpty)
        #expect(seen == ["applied", "duplicate", "nonceUsed", "insufficientBalance"])
        #expect(model.transfers.count > 500)
    }
}

@Suite struct AtomicityTests {
    @Test func aBatchCommitsAllItsWrites() throws {
        let ledger = try funded([1_000, 1_000])
        let outcomes = try ledger.batch {
            try (1...64).map { try ledger.applyTransfer(send($0, $0 % 2, 1 - $0 % 2, neuro(1), nonce: Int64($0))) }
        }
        #expect(outcomes.allSatisfy { $0 == .applied })
        #expect(try ledger.totals().burned == micro(64 * 50_000))
        #expect(try ledger.history(of: address(0), limit: 1_000).count == 1 + 64)
    }

    @Test func aThrowingBatchLeavesNothingBehind() throws {
        let ledger = try funded([100, 100])
        let totals = try ledger.totals()
        #expect(throws: Abort.self) {
            try ledger.batch {
                #expect(try ledger.applyTransfer(send(1, 0, 1, neuro(10), nonce: 1)) == .applied)
                #expect(try ledger.recordProof(proof(1, node: 2, reward: neuro(5))) == .credited)
                #expect(try ledger.stake(address: address(1), amount: neuro(50), timestamp: 0) == .applied(Balance(available: neuro(60), staked: neuro(50))))
                #expect(try ledger.totals().minted == neuro(205)) // visible inside the batch
                throw Abort()
            }
        }
        #expect(try ledger.totals() == totals)
        #expect(try ledger.transfer(id: digest(1)) == nil)
        #expect(try !ledger.hasProof(id: digest(1, salt: 1)))
        #expect(try ledger.balance(of: address(1)) == Balance(available: neuro(100), staked: .zero))
        #expect(try ledger.nextNonce(for: address(0)) == 1)
        #expect(try ledger.history(of: address(0), limit: 10).map(\.kind) == [.genesis])
        #expect(try ledger.accounts().map(\.address) == [address(0), address(1)])
        #expect(try ledger.audit().isEmpty)
    }

    /// A write that fails after it moved a balance (the mint counter would overflow; the STRICT
    /// column refuses the REAL SQLite makes of it) leaves nothing, alone or inside a batch.
    @Test func aWriteFailingMidwayIsUndone() throws {
        let ledger = try Ledger(path: nil, durable: false)
        try ledger.allocateGenesis([(address: address(0), amount: micro(Int64.max))], timestamp: 0)
        let totals = try ledger.totals()
        let overflowing = proof(1, node: 5, reward: micro(1))
        #expect {
            try ledger.recordProof(overflowing)
        } throws: { error in
            guard case let .sqlite(_, message) = error as? LedgerError else { return false }
            return message.contains("totals.minted")
        }
        #expect(try ledger.totals() == totals)
        #expect(try ledger.balance(of: address(5)) == Balance(available: .zero, staked: .zero))
        #expect(try !ledger.hasProof(id: overflowing.id))

        try ledger.batch { () throws in
            #expect(try ledger.applyTransfer(send(1, 0, 1, neuro(1), nonce: 1)) == .applied)
            #expect(throws: LedgerError.self) { try ledger.recordProof(overflowing) }
            #expect(try ledger.applyTransfer(send(2, 0, 1, neuro(1), nonce: 2)) == .applied)
        }
        #expect(try ledger.balance(of: address(1)).available == neuro(2))
        #expect(try ledger.balance(of: address(5)).available == .zero)
        #expect(try ledger.totals().conserved)
        #expect(try ledger.audit().isEmpty)
    }

    @Test func aNestedBatchThatThrowsIsUndoneAlone() throws {
        let ledger = try funded([100])
        try ledger.batch { () throws in
            #expect(try ledger.applyTransfer(send(1, 0, 1, neuro(1), nonce: 1)) == .applied)
            #expect(throws: Abort.self) {
                try ledger.batch {
                    #expect(try ledger.applyTransfer(send(2, 0, 2, neuro(1), nonce: 2)) == .applied)
                    throw Abort()
                }
            }
            #expect(try ledger.applyTransfer(send(3, 0, 3, neuro(1), nonce: 2)) == .applied)
        }
        #expect(try ledger.accounts().map(\.address) == [address(0), address(1), address(3)])
        #expect(try ledger.transfer(id: digest(2)) == nil)
        #expect(try ledger.totals().conserved)
    }
}
