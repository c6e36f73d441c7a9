import Deterministic
import Identity
import Ledger
import Training

/// Everything a node is told at start; the same struct in both shells.
public struct NodeConfig: Sendable {
    /// The node's secp256k1 key, SHA-256 of its token (SPEC §3).
    public let key: SigningKey
    /// The node's id and wallet address: the start of SHA-256 of its public key.
    public let id: NodeID
    /// How peers reach this node (host:port in production, a node name in the simulator).
    public var address: String
    /// The operator's token: full rights on the HTTP API.
    public var token: String
    /// Read-only API keys.
    public var apiKeys: [String]
    /// When set, `/metrics` (Prometheus) needs it as a bearer token; open otherwise.
    public var metricsToken: String?
    public var seedPeers: [String]
    public var memoryMB: Double
    public var trainingEnabled: Bool
    public var behaviour: Behaviour
    /// Seeds this node's data shard; in the simulator it is the node's index.
    public var dataShard: UInt64
    public var membership: MembershipSettings
    public var diloco: DiLoCoSettings
    public var rateLimits: RateLimits
    public var ledger: LedgerSettings
    public var version: String

    /// `key` nil: the token's (SPEC §3), as production always has it; tests name nodes by key.
    public init(address: String, token: String, key: SigningKey? = nil, apiKeys: [String] = [], seedPeers: [String] = [],
                memoryMB: Double = 8192, trainingEnabled: Bool = true, behaviour: Behaviour = .honest,
                dataShard: UInt64 = 0, membership: MembershipSettings = .init(), diloco: DiLoCoSettings = .init(),
                rateLimits: RateLimits = .standard, ledger: LedgerSettings = .init(),
                version: String = NeuroShardVersion.current) {
        self.key = key ?? SigningKey(token: token)
        id = NodeID(hex: self.key.nodeID)!
        self.address = address; self.token = token; self.apiKeys = apiKeys; self.ledger = ledger
        self.seedPeers = seedPeers; self.memoryMB = memoryMB; self.trainingEnabled = trainingEnabled
        self.behaviour = behaviour; self.dataShard = dataShard; self.membership = membership
        self.diloco = diloco; self.rateLimits = rateLimits; self.version = version
    }
}

/// Proofs of Neural Work and the ledger they fill (SPEC §7).
public struct LedgerSettings: Equatable, Sendable {
    /// Off: the node neither signs nor checks records (a scenario of thousands of nodes, where
    /// every ledger checking every proof would cost N² signature checks a minute).
    public var enabled = true
    /// The record rules every ledger of the network applies (the core sets the model's layer count).
    public var rules = ChainRules()
    public var conduct = LedgerConduct.honest
    /// Balances the network starts with (counted as minted), as a devnet's genesis file gives.
    public var genesis: [GenesisAllocation] = []

    public init(enabled: Bool = true, rules: ChainRules = ChainRules(), conduct: LedgerConduct = .honest,
                genesis: [GenesisAllocation] = []) {
        self.enabled = enabled; self.rules = rules; self.conduct = conduct; self.genesis = genesis
    }
}

public enum NeuroShardVersion {
    public static let current = "0.1.0"
}

/// Peer table and failure detection.
public struct MembershipSettings: Equatable, Sendable {
    /// A heartbeat goes to every peer in the table this often.
    public var heartbeatInterval: TimeSpan
    /// A peer not heard from for longer than this is dropped.
    public var failureTimeout: TimeSpan
    /// The table keeps at most this many peers (a partial view: large networks stay cheap).
    public var maxPeers: Int
    /// Peers named in each heartbeat, so that views mix and newcomers become known.
    public var gossipSize: Int

    public init(heartbeatInterval: TimeSpan = .seconds(2), failureTimeout: TimeSpan = .seconds(10),
                maxPeers: Int = 32, gossipSize: Int = 3) {
        self.heartbeatInterval = heartbeatInterval
        self.failureTimeout = failureTimeout
        self.maxPeers = maxPeers
        self.gossipSize = gossipSize
    }
}

public enum TrainingMode: String, Equatable, Sendable, CaseIterable {
    case diloco
    case sync
}

/// DiLoCo (SPEC §6): H inner AdamW steps, then an outer Nesterov step on the aggregated
/// pseudo-gradients of the peers holding the same layers.
public struct DiLoCoSettings: Equatable, Sendable {
    public var innerSteps: Int
    public var inner: AdamW
    public var outerLearningRate: Float
    public var outerMomentum: Float
    /// How long a node waits for its peers' pseudo-gradients before going on with those that came.
    public var syncTimeout: TimeSpan
    /// At most this many peers per layer group exchange with a node each round.
    public var fanout: Int
    public var aggregator: Aggregator
    /// `diloco`: H inner steps, then exchange pseudo-gradients. `sync`: plain data parallelism,
    /// exchanging every step's gradient and applying the inner AdamW to their aggregate (the
    /// baseline DiLoCo is measured against).
    public var mode: TrainingMode = .diloco
    /// Inner steps after which a node stops training (nil: no limit), so that runs of different
    /// settings compare at equal compute.
    public var stepBudget: Int?
    /// Evaluate the loss when a round ends past a multiple of this many inner steps (and after the
    /// last step of the budget) instead of after every round: evaluation costs forward passes,
    /// and sync mode ends a round every step. nil: every round.
    public var evaluateEvery: Int?
    /// A node starts training only this long after it starts, so that the network has formed
    /// (peers known, rounds aligned) when the first round begins: a scheduled launch.
    public var startDelay: TimeSpan = .zero
    /// How pseudo-gradients are compressed on the wire (with error feedback); not in sync mode.
    public var compression: Compression = .none
    /// A peer's update whose Δ on a layer exceeds this multiple of the layer's weight norm (or 1)
    /// is rejected before aggregation as absurd (SPEC §6).
    public var maxUpdateRatio: Double = 100

    public init(innerSteps: Int = 500, inner: AdamW = AdamW(), outerLearningRate: Float = 0.7,
                outerMomentum: Float = 0.9, syncTimeout: TimeSpan = .seconds(30), fanout: Int = 16,
                aggregator: Aggregator = .mean) {
        self.innerSteps = innerSteps; self.inner = inner
        self.outerLearningRate = outerLearningRate; self.outerMomentum = outerMomentum
        self.syncTimeout = syncTimeout; self.fanout = fanout; self.aggregator = aggregator
    }
}
