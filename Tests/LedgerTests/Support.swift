import Deterministic
import Identity
@testable import Ledger

/// A test author: a key and the head of its chain, making records the way a node does.
struct Author {
    let key: SigningKey
    let id: NodeID
    var seq: UInt64 = 0
    var previous = RecordID.zero
    var lastMs: Int64 = .min

    init(_ name: String) {
        key = SigningKey(token: "ledger-test-\(name)")
        id = NodeID(hex: key.nodeID)!
    }

    /// The next record of this chain, stamped `ms` (not below the previous stamp unless forced).
    mutating func make(_ body: RecordBody, at ms: Int64, keepingTime: Bool = true) -> Record {
        let stamp = keepingTime ? max(ms, lastMs) : ms
        let r = Record.signed(by: key, seq: seq + 1, previous: previous, timestampMs: stamp, body: body)
        seq += 1
        previous = r.id
        lastMs = stamp
        return r
    }

    mutating func proof(at ms: Int64, uptime: Int64 = 60, batches: Int64 = 0, role: Role = .full, loss: Double = 0.5) -> Record {
        make(.proof(WorkClaim(uptimeSeconds: uptime, batches: batches, samples: batches * 8, tokens: 0, layersHeld: 4,
                              role: role, modelBefore: UInt64(seq), modelAfter: UInt64(seq) + 1, loss: loss)), at: ms)
    }

    mutating func pay(_ to: Author, _ neuro: Double, at ms: Int64, memo: String = "") -> Record {
        let amount = Micro(neuro: neuro)!
        return make(.transfer(Payment(to: to.id, amount: amount, fee: amount.fee, memo: memo, kind: .send)), at: ms)
    }

    mutating func stake(_ neuro: Double, days: Int, at ms: Int64) -> Record {
        make(.stake(amount: Micro(neuro: neuro)!, days: days), at: ms)
    }

    mutating func unstake(_ neuro: Double, at ms: Int64) -> Record {
        make(.unstake(amount: Micro(neuro: neuro)!), at: ms)
    }
}

extension ChainRules {
    static var test: ChainRules {
        var rules = ChainRules()
        rules.layerCount = 4
        return rules
    }
}

func ledger(_ genesis: [(Author, Double)] = []) -> LedgerState {
    LedgerState(rules: .test, genesis: genesis.map { GenesisAllocation(address: $0.0.id, amount: Micro(neuro: $0.1)!) })
}

extension LedgerState {
    /// Takes records in as if pushed by their authors, at a clock far in the future (nothing waits).
    @discardableResult
    mutating func take(_ records: [Record]) -> [Admission] {
        var admissions: [Admission] = []
        for r in records { admissions += receive([r], from: .pushed(r.author), nowMs: Int64.max / 2) }
        return admissions
    }

    func available(_ a: Author) -> Micro { account(a.id).available }
}

/// Every record of `source` that `target` lacks, pulled in batches until the two agree, both
/// ways, as two nodes' anti-entropy does. Returns the round trips it took.
@discardableResult
func reconcile(_ a: inout LedgerState, _ b: inout LedgerState, limit: Int = 1_000) -> Int {
    var trips = 0
    while a.summary != b.summary, trips < limit {
        trips += 1
        let (toA, bWants) = b.answer(a.pull)
        a.receive(toA.records, from: .pulled(NodeID(high: 1, low: 1)), nowMs: Int64.max / 2)
        if bWants || !toA.complete || a.isSearchingForks || b.isSearchingForks {
            let (toB, _) = a.answer(b.pull)
            b.receive(toB.records, from: .pulled(NodeID(high: 2, low: 2)), nowMs: Int64.max / 2)
        }
    }
    return trips
}

/// NEURO as an exact amount.
func neuro(_ amount: Double) -> Micro { Micro(neuro: amount)! }

/// A count of micro-NEURO.
func micro(_ count: Int64) -> Micro { Micro(micro: count)! }
