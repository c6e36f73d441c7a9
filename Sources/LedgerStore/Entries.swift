/// Why a ledger operation failed. Refusals a client can cause (a short balance, a reused nonce)
/// are outcomes, not errors; these are storage failures and arguments no ledger could accept.
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// SQLite refused: its extended result code and its message.
    case sqlite(code: Int32, message: String)
    /// A genesis allocation different from the one already applied.
    case genesisConflict
    /// The database was written by a newer version of this module.
    case newerSchema(found: Int, supported: Int)
    /// A malformed id or address, an empty or duplicated genesis allocation.
    case invalid(String)
    /// SQLite rolled back the open batch after an error inside it (disk full, I/O): none of the
    /// batch is kept, and its remaining writes are refused.
    case transactionLost

    public var description: String {
        switch self {
        case let .sqlite(code, message): "sqlite error \(code): \(message)"
        case .genesisConflict: "a different genesis allocation was already applied"
        case let .newerSchema(found, supported): "database schema v\(found) is newer than this ledger's v\(supported)"
        case let .invalid(reason): "invalid: \(reason)"
        case .transactionLost: "the batch's transaction was rolled back by SQLite after an error"
        }
    }
}

public enum TransferKind: String, Sendable {
    /// A payment from one account to another.
    case send
    /// A charge for inference, paid to the node that served it.
    case inference
}

/// A transfer as the ledger stores it. `id` is the caller's hex digest of the signed transfer:
/// it decides identity, so a retry or a gossip repeat of the same id is applied once.
public struct TransferEntry: Equatable, Sendable {
    public let id: String
    public let sender: String
    public let recipient: String
    public let amount: Micro
    /// Burned on top of `amount`: always `amount.fee` for new entries; stored, so history keeps
    /// the fee actually paid.
    public let fee: Micro
    public let memo: String
    /// Unique per sender (from 1); `Ledger.nextNonce(for:)` gives the next unused one.
    public let nonce: Int64
    public let kind: TransferKind
    /// Milliseconds since the Unix epoch (the simulator's epoch in a simulation).
    public let timestamp: Int64

    public init(id: String, sender: String, recipient: String, amount: Micro, memo: String = "",
                nonce: Int64, kind: TransferKind = .send, timestamp: Int64) {
        self.init(id: id, sender: sender, recipient: recipient, amount: amount, fee: amount.fee, memo: memo,
                  nonce: nonce, kind: kind, timestamp: timestamp)
    }

    /// With an explicit fee: what a signed transfer from the wire carries (an inference payment pays none).
    public init(id: String, sender: String, recipient: String, amount: Micro, fee: Micro, memo: String,
                nonce: Int64, kind: TransferKind, timestamp: Int64) {
        self.id = id; self.sender = sender; self.recipient = recipient; self.amount = amount; self.fee = fee
        self.memo = memo; self.nonce = nonce; self.kind = kind; self.timestamp = timestamp
    }
}

public enum TransferOutcome: Equatable, Sendable {
    case applied
    /// This id was applied before: the stored entry; nothing changed.
    case duplicate(TransferEntry)
    /// The sender already used this nonce for another transfer.
    case nonceUsed
    /// `required` is the amount plus the fee.
    case insufficientBalance(available: Micro, required: Micro)
    case invalid(String)
}

/// An accepted Proof of Neural Work, with the reward the caller's policy granted.
public struct ProofEntry: Equatable, Sendable {
    /// The proof's digest, 64 lowercase hex characters.
    public var id: String
    public var node: String
    public var timestamp: Int64
    public var reward: Micro
    /// What the proof claims since the node's previous one (kept for dashboards and audits).
    public var uptimeSeconds: Int64
    public var batches: Int64
    public var samples: Int64
    public var tokens: Int64

    public init(id: String, node: String, timestamp: Int64, reward: Micro,
                uptimeSeconds: Int64 = 0, batches: Int64 = 0, samples: Int64 = 0, tokens: Int64 = 0) {
        self.id = id; self.node = node; self.timestamp = timestamp; self.reward = reward
        self.uptimeSeconds = uptimeSeconds; self.batches = batches; self.samples = samples; self.tokens = tokens
    }
}

public enum ProofRecording: Equatable, Sendable {
    case credited
    /// Recorded before; nothing changed.
    case duplicate
}

public enum StakeOutcome: Equatable, Sendable {
    /// The account's balance after the move.
    case applied(Balance)
    /// The account holds only `have` on the side the amount would leave.
    case insufficient(have: Micro)
    case invalid(String)
}

public struct Balance: Equatable, Sendable {
    public var available: Micro
    public var staked: Micro

    public init(available: Micro, staked: Micro) {
        self.available = available
        self.staked = staked
    }
}

public struct Totals: Equatable, Sendable {
    public var minted: Micro
    public var burned: Micro
    public var available: Micro
    public var staked: Micro

    public init(minted: Micro, burned: Micro, available: Micro, staked: Micro) {
        self.minted = minted
        self.burned = burned
        self.available = available
        self.staked = staked
    }

    /// Every micro ever minted is still in an account or was burned: nothing made or lost.
    public var conserved: Bool { available.adding(staked).flatMap { $0.adding(burned) } == minted }
}

/// One line of an account's history.
public struct HistoryItem: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case sent, received, reward, genesis, stake, unstake
    }

    public var kind: Kind
    /// The transfer's or the proof's id; nil for genesis and stake moves.
    public var id: String?
    /// The other account of a transfer.
    public var counterparty: String?
    public var transferKind: TransferKind?
    public var amount: Micro
    /// What a `.sent` transfer burned on top of `amount`; zero for the other kinds.
    public var fee: Micro
    public var memo: String
    public var timestamp: Int64
    /// This node's insertion order: history is newest-first by it, so pages are stable.
    public var sequence: Int64
}
