import Foundation
import Identity
import Ledger
import NeuroShardCore

// Ledger records and anti-entropy on the wire. Only the shapes are checked here; signatures,
// chains and balances are the ledger's business (Sources/Ledger).

extension Neuroshard_Record {
    public init(_ r: Record) {
        self = .with {
            $0.author = r.author.hex; $0.publicKey = Data(r.publicKey); $0.seq = r.seq; $0.previous = Data(r.previous.bytes)
            $0.timestampMs = r.timestampMs; $0.signature = Data(r.signature)
            switch r.body {
            case .proof(let w):
                $0.proof = .with {
                    $0.uptimeSeconds = w.uptimeSeconds; $0.batches = w.batches; $0.samples = w.samples; $0.tokens = w.tokens
                    $0.layersHeld = Int32(clamping: w.layersHeld); $0.role = w.role.rawValue
                    $0.modelBefore = w.modelBefore; $0.modelAfter = w.modelAfter; $0.loss = w.loss
                }
            case .transfer(let p):
                $0.transfer = .with {
                    $0.to = p.to.hex; $0.amountMicro = p.amount.micro; $0.feeMicro = p.fee.micro; $0.memo = p.memo
                    $0.kind = p.kind.rawValue; $0.requestKey = Data(p.requestKey?.bytes ?? [])
                }
            case .stake(let amount, let days): $0.stake = .with { $0.amountMicro = amount.micro; $0.days = Int32(clamping: days) }
            case .unstake(let amount): $0.unstake = .with { $0.amountMicro = amount.micro }
            }
        }
    }
}

extension Record {
    public init(_ r: Neuroshard_Record) throws(WireError) {
        guard let author = NodeID(hex: r.author) else { throw WireError("record.author '\(r.author.prefix(40))' is not 32 hex characters") }
        guard r.publicKey.count == 33, r.signature.count == 64 else {
            throw WireError("a record needs a 33-byte public key and a 64-byte signature (got \(r.publicKey.count) and \(r.signature.count))")
        }
        guard let previous = RecordID(bytes: Array(r.previous)) else { throw WireError("record.previous must be 32 bytes") }
        guard r.seq >= 1 else { throw WireError("record.seq starts at 1") }
        let body: RecordBody
        switch r.body {
        case .proof(let w)?:
            guard let role = Role(rawValue: w.role) else { throw WireError("proof.role '\(w.role.prefix(20))' is not a role") }
            body = .proof(WorkClaim(uptimeSeconds: w.uptimeSeconds, batches: w.batches, samples: w.samples, tokens: w.tokens,
                                    layersHeld: Int(w.layersHeld), role: role, modelBefore: w.modelBefore,
                                    modelAfter: w.modelAfter, loss: w.loss))
        case .transfer(let p)?:
            guard let to = NodeID(hex: p.to) else { throw WireError("transfer.to must be 32 hex characters") }
            guard let amount = Micro(micro: p.amountMicro), let fee = Micro(micro: p.feeMicro) else {
                throw WireError("transfer amounts must be between 0 and \(Micro.max) NEURO")
            }
            guard let kind = TransferKind(rawValue: p.kind) else { throw WireError("transfer.kind '\(p.kind.prefix(20))' is unknown") }
            guard p.memo.utf8.count <= Payment.maxMemoBytes else { throw WireError("transfer.memo is too long") }
            var key: RecordID?
            if !p.requestKey.isEmpty {
                guard let k = RecordID(bytes: Array(p.requestKey)) else { throw WireError("transfer.request_key must be 32 bytes or empty") }
                key = k
            }
            body = .transfer(Payment(to: to, amount: amount, fee: fee, memo: p.memo, kind: kind, requestKey: key))
        case .stake(let s)?:
            guard let amount = Micro(micro: s.amountMicro) else { throw WireError("stake.amount_micro is out of range") }
            body = .stake(amount: amount, days: Int(s.days))
        case .unstake(let u)?:
            guard let amount = Micro(micro: u.amountMicro) else { throw WireError("unstake.amount_micro is out of range") }
            body = .unstake(amount: amount)
        case nil: throw WireError("a record needs a body (proof, transfer, stake or unstake)")
        }
        self.init(author: author, publicKey: Array(r.publicKey), seq: r.seq, previous: previous, timestampMs: r.timestampMs,
                  body: body, signature: Array(r.signature))
    }
}

extension Neuroshard_LedgerSummary {
    public init(_ s: LedgerSummary) { self = .with { $0.records = s.records; $0.hash = s.hash } }
}

extension Neuroshard_LedgerPull {
    public init(_ p: LedgerPull) {
        self = .with {
            $0.entries = p.entries.map { e in
                .with { $0.author = e.author.hex; $0.seq = e.seq; $0.head = e.head; $0.fork = e.fork; $0.back = e.back }
            }
        }
    }
}

extension LedgerPull {
    public init(_ p: Neuroshard_LedgerPull) throws(WireError) {
        var entries: [VersionEntry] = []
        entries.reserveCapacity(p.entries.count)
        for e in p.entries {
            guard let author = NodeID(hex: e.author) else { throw WireError("ledger_pull names an author that is not 32 hex characters") }
            entries.append(VersionEntry(author: author, seq: e.seq, head: e.head, fork: e.fork, back: max(e.back, 1)))
        }
        self.init(entries: entries)
    }
}

extension Neuroshard_LedgerBatch {
    public init(_ b: LedgerBatch) { self = .with { $0.records = b.records.map(Neuroshard_Record.init); $0.complete = b.complete } }
}

extension LedgerBatch {
    public init(_ b: Neuroshard_LedgerBatch) throws(WireError) {
        var records: [Record] = []
        records.reserveCapacity(b.records.count)
        for r in b.records { records.append(try Record(r)) }
        self.init(records: records, complete: b.complete)
    }
}
