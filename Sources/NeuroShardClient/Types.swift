// The node's answers (docs/openapi.yaml), decoded with `.convertFromSnakeCase`: `node_id` is
// `nodeID` (a coding key names the converted form "nodeId"). Fields the node adds later are
// ignored, so an older client keeps working against a newer node.

/// `GET /api/v1/status`.
public struct Status: Codable, Sendable, Equatable {
    public var nodeID: String
    public var version: String
    public var uptimeSeconds: Double
    /// joining, assigning or running.
    public var status: String
    /// full, driver, worker, validator or idle.
    public var role: String
    public var layers: [Int]
    public var peerCount: Int
    public var hasEmbedding: Bool
    public var hasLmHead: Bool
    public var training: Training
    public var resources: Resources

    public struct Training: Codable, Sendable, Equatable {
        public var enabled: Bool
        /// The DiLoCo round.
        public var epoch: Int
        public var step: Int
        /// nil before the first evaluation.
        public var loss: Double?
    }

    public struct Resources: Codable, Sendable, Equatable {
        public var ramUsed: Int
        public var ramTotal: Int
        public var cpuPercent: Double
    }

    enum CodingKeys: String, CodingKey {
        case nodeID = "nodeId", version, uptimeSeconds, status, role, layers, peerCount, hasEmbedding, hasLmHead, training, resources
    }
}

/// `GET /api/v1/metrics`.
public struct Metrics: Codable, Sendable, Equatable {
    public var inference: Inference
    public var training: Training
    public var network: Network
    public var rewards: Rewards

    public struct Inference: Codable, Sendable, Equatable {
        public var requestsTotal: Int
        public var requestsPerMinute: Double
        public var avgLatencyMs: Double
        public var p99LatencyMs: Double
        public var tokensGenerated: Int
    }

    public struct Training: Codable, Sendable, Equatable {
        public var stepsTotal: Int
        public var stepsPerHour: Double
        public var gradientsSubmitted: Int
        public var gradientsAccepted: Int
        public var gradientsRejected: Int?
        public var outerRounds: Int
        /// The losses the node reported, oldest first (the latest 256; nil from nodes predating it).
        public var lossHistory: [LossPoint]?
    }

    public struct LossPoint: Codable, Sendable, Equatable {
        /// Seconds since the node started.
        public var t: Double
        public var step: Int
        public var loss: Double
    }

    public struct Network: Codable, Sendable, Equatable {
        public var bytesSent: Int
        public var bytesReceived: Int
        public var activeConnections: Int
        public var rpcCalls: Int
        public var peerCount: Int
        /// Peer messages sent, by kind (`heartbeat_ack`…, the node's spelling).
        public var messagesSentByKind: [String: Int]?
    }

    public struct Rewards: Codable, Sendable, Equatable {
        public var earnedToday: Double
        public var earnedTotal: Double
        public var pending: Double
        public var proofsAccepted: Int?
        /// Refused proofs by reason (signature, stale, future, replay, rate, implausible).
        public var proofsRejected: [String: Int]?
        public var transfersApplied: Int?
        public var transfersRefused: Int?
    }
}

/// `POST /api/v1/inference` (and the final event of a stream).
public struct InferenceResponse: Codable, Sendable, Equatable {
    public var id: String
    public var text: String
    public var tokensGenerated: Int
    /// stop, length or eos.
    public var finishReason: String
    public var usage: Usage
    public var cost: Cost
    public var timing: Timing
    /// Which node ran which layers.
    public var route: [Hop]?

    public struct Usage: Codable, Sendable, Equatable {
        public var promptTokens: Int
        public var completionTokens: Int
        public var totalTokens: Int
    }

    public struct Cost: Codable, Sendable, Equatable {
        public var amount: Double
        public var currency: String
    }

    public struct Timing: Codable, Sendable, Equatable {
        public var queueMs: Double
        public var inferenceMs: Double
        public var totalMs: Double
    }

    public struct Hop: Codable, Sendable, Equatable {
        public var nodeID: String
        public var layers: [Int]
        enum CodingKeys: String, CodingKey { case nodeID = "nodeId", layers }
    }
}

/// One peer of `GET /api/v1/peers`.
public struct Peer: Codable, Sendable, Equatable {
    public var id: String
    /// host:port of the peer's gRPC server.
    public var address: String
    public var role: String
    public var layers: [Int]
    /// Heartbeat round trip; nil before one.
    public var latencyMs: Double?
    /// Seconds since this node first heard of the peer.
    public var connectedSince: Double
}

/// `GET /api/v1/peers`.
public struct Peers: Codable, Sendable, Equatable {
    public var peers: [Peer]
    public var total: Int
}

/// One layer of `GET /api/v1/layers`.
public struct Layer: Codable, Sendable, Equatable {
    public var index: Int
    /// embedding, transformer or lm_head.
    public var type: String
    public var memoryMB: Double
    /// loading, training or ready.
    public var status: String
    enum CodingKeys: String, CodingKey { case index, type, memoryMB = "memoryMb", status }
}

/// `GET /api/v1/layers`.
public struct Layers: Codable, Sendable, Equatable {
    public var layers: [Layer]
    public var totalLayers: Int
    public var myLayerCount: Int
}

/// `GET /api/v1/health` (no token needed).
public struct Health: Codable, Sendable, Equatable {
    public var healthy: Bool
    public var checks: Checks

    public struct Checks: Codable, Sendable, Equatable {
        public var node: Bool
        public var network: Bool
        public var model: Bool
    }
}

/// `GET /api/v1/wallet/balance`, flattened: the node nests the figures under `balances`.
public struct Balance: Codable, Sendable, Equatable {
    public var address: String
    /// What a send may spend (the balance less `pending`).
    public var available: Double
    public var staked: Double
    /// Held back for inference requests still running.
    public var pending: Double
    public var total: Double
    /// The stake may not be taken back before this (Unix seconds); nil before any stake.
    public var lockedUntil: Double?
    /// The stake's reward bonus, 1 + 0.1·log2(1 + stake / 1000); 1 without a stake.
    public var multiplier: Double

    private struct Figures: Codable { var available, staked, pending, total: Double }
    private struct Stake: Codable { var lockedUntil: Double?; var multiplier: Double }
    private enum CodingKeys: String, CodingKey { case address, balances, stake }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        address = try c.decode(String.self, forKey: .address)
        let f = try c.decode(Figures.self, forKey: .balances)
        (available, staked, pending, total) = (f.available, f.staked, f.pending, f.total)
        let stake = try c.decodeIfPresent(Stake.self, forKey: .stake)
        (lockedUntil, multiplier) = (stake?.lockedUntil, stake?.multiplier ?? 1)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(address, forKey: .address)
        try c.encode(Figures(available: available, staked: staked, pending: pending, total: total), forKey: .balances)
        try c.encode(Stake(lockedUntil: lockedUntil, multiplier: multiplier), forKey: .stake)
    }
}

/// `POST /api/v1/wallet/send`: the transfer's receipt (the first one again for a repeated
/// idempotency key).
public struct SendReceipt: Codable, Sendable, Equatable {
    public var transactionID: String
    public var from: String
    public var to: String
    public var amount: Double
    /// 5 % of `amount`, paid on top and burned.
    public var fee: Double
    public var memo: String
    public var status: String
    /// Unix seconds.
    public var timestamp: Double
    enum CodingKeys: String, CodingKey { case transactionID = "transactionId", from, to, amount, fee, memo, status, timestamp }
}

/// `POST /api/v1/wallet/stake`: the stake's id, what it moved, the whole stake now and its lock.
public struct StakeReceipt: Codable, Sendable, Equatable {
    public var transactionID: String
    public var amount: Double
    public var durationDays: Int
    public var staked: Double
    /// Unix seconds.
    public var lockedUntil: Double
    public var multiplier: Double
    public var status: String
    public var timestamp: Double
    enum CodingKeys: String, CodingKey {
        case transactionID = "transactionId", amount, durationDays, staked, lockedUntil, multiplier, status, timestamp
    }
}

/// `POST /api/v1/wallet/unstake`: what came back, what stays staked, the available balance now.
public struct UnstakeReceipt: Codable, Sendable, Equatable {
    public var transactionID: String
    public var amount: Double
    public var staked: Double
    public var available: Double
    public var status: String
    public var timestamp: Double
    enum CodingKeys: String, CodingKey { case transactionID = "transactionId", amount, staked, available, status, timestamp }
}

/// One entry of the wallet history.
public struct Transaction: Codable, Sendable, Equatable {
    /// The record's id (transfer, proof, stake or unstake); nil for genesis.
    public var transactionID: String?
    /// sent, received, reward, genesis, stake or unstake.
    public var type: String
    /// Always positive; `type` gives the direction.
    public var amount: Double
    public var fee: Double
    public var timestamp: Double
    public var from: String?
    public var to: String?
    public var memo: String?
    /// confirmed, or refused for this node's own record that its balance did not cover.
    public var status: String?
    enum CodingKeys: String, CodingKey { case transactionID = "transactionId", type, amount, fee, timestamp, from, to, memo, status }
}

/// `GET /api/v1/wallet/transactions`: one page, newest first.
public struct Transactions: Codable, Sendable, Equatable {
    public var transactions: [Transaction]
    public var limit: Int
    public var offset: Int
}
