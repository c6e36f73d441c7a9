import Foundation
import Ledger
import NeuroShardCore

// Proofs and transfers on the wire. Only the shapes are checked here; signatures, ages and
// balances are the ledger's business (NodeCore+Proofs, NodeCore+Wallet).

extension Neuroshard_WorkProof {
    init(_ p: WorkProof) {
        self = .with {
            $0.nodeID = p.node.hex; $0.publicKey = Data(p.publicKey); $0.timestampMs = p.timestampMs; $0.nonce = p.nonce
            $0.uptimeSeconds = p.uptimeSeconds; $0.batches = p.batches; $0.samples = p.samples; $0.tokens = p.tokens
            $0.layersHeld = Int32(clamping: p.layersHeld); $0.role = p.role.rawValue
            $0.modelBefore = p.modelBefore; $0.modelAfter = p.modelAfter; $0.loss = p.loss; $0.signature = Data(p.signature)
        }
    }
}

extension WorkProof {
    init(_ p: Neuroshard_WorkProof) throws(WireError) {
        guard let node = NodeID(hex: p.nodeID) else { throw WireError("proof.node_id '\(p.nodeID.prefix(40))' is not 32 hex characters") }
        guard let role = Role(rawValue: p.role) else { throw WireError("proof.role '\(p.role.prefix(20))' is not a role") }
        guard p.publicKey.count == 33, p.signature.count == 64 else {
            throw WireError("proof needs a 33-byte public key and a 64-byte signature (got \(p.publicKey.count) and \(p.signature.count))")
        }
        self.init(node: node, publicKey: Array(p.publicKey), timestampMs: p.timestampMs, nonce: p.nonce,
                  uptimeSeconds: p.uptimeSeconds, batches: p.batches, samples: p.samples, tokens: p.tokens,
                  layersHeld: Int(p.layersHeld), role: role, modelBefore: p.modelBefore, modelAfter: p.modelAfter,
                  loss: p.loss, signature: Array(p.signature))
    }
}

extension Neuroshard_Transfer {
    init(_ t: SignedTransfer) {
        self = .with {
            $0.id = t.id; $0.from = t.from.hex; $0.publicKey = Data(t.publicKey); $0.to = t.to.hex
            $0.amountMicro = t.amount.micro; $0.feeMicro = t.fee.micro; $0.memo = t.memo; $0.nonce = t.nonce
            $0.timestampMs = t.timestampMs; $0.kind = t.kind.rawValue; $0.signature = Data(t.signature)
        }
    }
}

extension SignedTransfer {
    init(_ t: Neuroshard_Transfer) throws(WireError) {
        guard t.id.utf8.count == 64, t.id.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw WireError("transfer.id must be 64 lowercase hex characters")
        }
        guard let from = NodeID(hex: t.from), let to = NodeID(hex: t.to) else { throw WireError("transfer addresses must be 32 hex characters") }
        guard let amount = Micro(micro: t.amountMicro), let fee = Micro(micro: t.feeMicro) else {
            throw WireError("transfer amounts must be between 0 and \(Micro.max) NEURO")
        }
        guard let kind = TransferKind(rawValue: t.kind) else { throw WireError("transfer.kind '\(t.kind.prefix(20))' is unknown") }
        guard t.memo.utf8.count <= SignedTransfer.maxMemoBytes else { throw WireError("transfer.memo is too long") }
        guard t.publicKey.count == 33, t.signature.count == 64 else { throw WireError("transfer needs a 33-byte key and a 64-byte signature") }
        self.init(id: t.id, from: from, publicKey: Array(t.publicKey), to: to, amount: amount, fee: fee, memo: t.memo,
                  nonce: t.nonce, timestampMs: t.timestampMs, kind: kind, signature: Array(t.signature))
    }
}
