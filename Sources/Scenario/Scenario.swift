import Deterministic
import NeuroLLM
import NeuroShardCore
import Training

/// A scenario file, parsed and checked (SPEC §8). Everything a run does follows from this value
/// and the seed.
public struct Scenario: Sendable {
    public var name: String
    public var seed: UInt64
    public var duration: TimeSpan
    public var model: ModelSpec
    public var groups: [NodeGroup]
    /// How many nodes (the first ones, in file order) act as seed peers for the others.
    public var bootstrap: Int
    public var network: NetworkSpec
    public var membership: MembershipSettings
    public var diloco: DiLoCoSettings
    public var faults: [FaultSpec]
    public var load: [LoadSpec]
    public var expectations: [Expectation]
    public var metricsInterval: TimeSpan
    public var trace: TraceLevel
    /// `ledger:` — whether nodes sign and check proofs, and how often.
    public var ledger = LedgerSettings()
    /// `ledger.settle`: records stamped this long before the end have had time to reach every
    /// live ledger; `ledger.balances_agree` compares the state they give (nil: ten heartbeats).
    public var ledgerSettleOverride: TimeSpan?
    public var ledgerSettle: TimeSpan { ledgerSettleOverride ?? membership.heartbeatInterval * 10 }
    /// Stable hash of the file's text: tells apart two versions of "the same" scenario.
    public var sourceHash: String = ""
    /// Named overrides run side by side with the same seed; empty for a plain scenario.
    public var variants: [Variant] = []
    /// Lines that compare the variants' results.
    public var comparisons: [Comparison] = []

    public struct Variant: Sendable {
        public var name: String
        /// The file with this variant's overrides applied.
        public var scenario: Scenario
    }

    /// The same scenario run with another seed (its variants too).
    public func reseeded(_ seed: UInt64) -> Scenario {
        var s = self
        s.seed = seed
        for i in s.variants.indices { s.variants[i].scenario.seed = seed }
        return s
    }

    /// What a run executes: the variants, or the scenario itself as one unnamed run.
    public var runs: [(variant: String?, scenario: Scenario)] {
        variants.isEmpty ? [(nil, self)] : variants.map { ($0.name, $0.scenario) }
    }

    public var nodeCount: Int { groups.reduce(0) { $0 + $1.count } }

    /// The node indices a selector names (groups are numbered in file order).
    public func nodes(_ selector: NodeSelector) -> [Int] {
        var first = 0
        for g in groups {
            if g.name == selector.group {
                let range = selector.indices ?? 0..<g.count
                return range.map { first + $0 }
            }
            first += g.count
        }
        return []
    }
}

public enum TraceLevel: String, Sendable {
    /// Every event in trace.log.
    case full
    /// Faults, membership, layer and round changes, plus a hash checkpoint every 100,000 events.
    case summary
}

/// What the nodes train.
public enum ModelSpec: Sendable {
    case quadratic(QuadraticSpec)
    case transformer(TransformerSpec)
}

/// A NeuroLLM preset trained on a data source (see `TransformerObjective`).
public struct TransformerSpec: Sendable {
    public var preset: String
    public var config: ModelConfig
    /// Sequences per inner step on each node.
    public var batch = 8
    /// Tokens per sequence (at most the preset's context).
    public var sequence: Int
    public var data = DataSpec()
    /// Validation batches the reported loss is averaged over.
    public var evalBatches = 4
    /// Memory a node needs per pipeline layer; nil: four times the largest layer's float32
    /// weights (weights, two AdamW moments, θ₀) plus activations, rounded up.
    public var layerMemoryMB: Double?
}

extension TransformerSpec {
    /// A preset with the defaults (sequences as long as its context); nil for an unknown name.
    public init?(preset: String) {
        guard let config = ModelConfig.preset(preset) else { return nil }
        self.init(preset: preset, config: config, sequence: config.contextLength)
    }
}

/// Where the training bytes come from.
public struct DataSpec: Sendable {
    public enum Source: String, Sendable, CaseIterable {
        /// A seeded Markov chain over bytes whose entropy rate is known exactly.
        case markov
        /// The text files of a folder, one contiguous slice per node.
        case text
    }
    public var source = Source.markov
    public var symbols = 16
    public var order = 2
    /// Dirichlet concentration of the chain's transitions: smaller is more predictable.
    public var alpha = 0.2
    /// Markov: 0 means every node draws from the same chain, up to 1 each node's chain leans
    /// toward its own. Text: 0 means every node reads all of it, above 0 a contiguous slice each.
    public var nonIID = 0.0
    public var path = "/usr/share/common-licenses"
}

/// The cheap analytic objective (see `NoisyQuadratic`).
public struct QuadraticSpec: Sendable {
    public var layers = 4
    public var dimension = 16
    public var conditionNumber = 10.0
    public var noise = 0.1
    public var skew = 0.5
    public var initialDistance = 1.0
    public var layerMemoryMB = 100.0
    public var stepGFLOP = 1.0

    public func make(seed: UInt64) -> NoisyQuadratic {
        NoisyQuadratic(layerCount: layers, dimension: dimension, conditionNumber: conditionNumber, noise: noise,
                       skew: skew, initialDistance: initialDistance, layerMemoryMB: layerMemoryMB,
                       stepFlopsPerLayer: stepGFLOP * 1e9, seed: seed)
    }
}

public struct NodeGroup: Sendable {
    public var name: String
    public var count: Int
    public var memoryMB: Double
    /// Compute speed in FLOP/s: a job's virtual duration is its work divided by this.
    public var flops: Double
    public var link: LinkSpec
    public var behaviour: Behaviour
    /// How its nodes make their ledger records (an attack such as `forged-proof`).
    public var conduct: LedgerConduct = .honest
    /// NEURO each of its nodes holds at genesis (`ledger.genesis`).
    public var genesisNEURO: Double = 0
    public var training: Bool
    /// When the group's nodes start, spread evenly over `joinSpread`.
    public var joinAt: TimeSpan
    public var joinSpread: TimeSpan
}

public struct LinkSpec: Sendable {
    public var upMbps: Double
    public var downMbps: Double
    /// Added to the network's latency on every message to or from this node.
    public var extraLatency: TimeSpan
}

public enum LatencyModel: Sendable, Equatable {
    case constant(TimeSpan)
    case uniform(min: TimeSpan, max: TimeSpan)
    case exponential(mean: TimeSpan, min: TimeSpan)
    case lognormal(median: TimeSpan, sigma: Double)

    /// A draw, at most an hour: a heavy tail must not overflow the clock.
    public func sample(_ rng: inout DeterministicRNG) -> TimeSpan {
        min(draw(&rng), .seconds(3600))
    }

    private func draw(_ rng: inout DeterministicRNG) -> TimeSpan {
        switch self {
        case .constant(let t): return t
        case .uniform(let lo, let hi): return lo + (hi - lo) * rng.nextDouble()
        case .exponential(let mean, let lo): return lo + .seconds(rng.nextExponential(mean: (mean - lo).seconds))
        case .lognormal(let median, let sigma): return .seconds(min(median.seconds * _exp(sigma * rng.nextGaussian()), 3600))
        }
    }
}

public struct NetworkSpec: Sendable {
    public var latency: LatencyModel = .constant(.milliseconds(20))
    public var loss = 0.0
    public var duplicate = 0.0
    /// Probability that a message is held back by up to `reorderWindow`, so later ones overtake it.
    public var reorder = 0.0
    public var reorderWindow = TimeSpan.milliseconds(100)
}

public struct NodeSelector: Sendable, Equatable, CustomStringConvertible {
    public var group: String
    /// nil: the whole group.
    public var indices: Range<Int>?

    public init(group: String, indices: Range<Int>? = nil) {
        self.group = group
        self.indices = indices
    }

    public var description: String {
        guard let r = indices else { return group }
        return r.count == 1 ? "\(group)[\(r.lowerBound)]" : "\(group)[\(r.lowerBound)..\(r.upperBound - 1)]"
    }
}

public struct FaultSpec: Sendable {
    public var at: TimeSpan
    public var kind: FaultKind
    /// The 1-based line in the scenario file, for messages.
    public var line: Int

    public init(at: TimeSpan, kind: FaultKind, line: Int) {
        self.at = at
        self.kind = kind
        self.line = line
    }
}

public enum FaultKind: Sendable {
    case crash(NodeSelector)
    /// Restart crashed nodes from their last persisted state.
    case restart(NodeSelector)
    /// Stop processing; events wait. With a duration, resume afterwards by itself.
    case pause(NodeSelector, duration: TimeSpan?)
    case resume(NodeSelector)
    /// Graceful shutdown: the node tells its peers and stops.
    case leave(NodeSelector)
    /// Messages between sides are dropped; `oneWay` drops only from the first side to the others.
    case partition([NodeSelector], [NodeSelector], oneWay: Bool)
    case heal
    /// The node's clock reads `offset` off and runs `driftPPM` parts per million fast.
    case clockSkew(NodeSelector, offset: TimeSpan, driftPPM: Double)
    /// Persisting fails while the disk is full.
    case diskFull(NodeSelector, full: Bool)

    public var name: String {
        switch self {
        case .crash: "crash"
        case .restart: "restart"
        case .pause: "pause"
        case .resume: "resume"
        case .leave: "leave"
        case .partition: "partition"
        case .heal: "heal"
        case .clockSkew: "clock_skew"
        case .diskFull(_, let full): full ? "disk_full" : "disk_ok"
        }
    }
}

/// Client calls against nodes, as HTTP requests through the core's API.
public struct LoadSpec: Sendable {
    public enum Credential: String, Sendable, CaseIterable {
        /// The node's own token.
        case owner
        /// A read-only API key the node was started with.
        case apiKey = "api_key"
        /// A token the node does not know.
        case wrong
        /// No Authorization header.
        case none
    }
    public var targets: NodeSelector
    public var method: String
    public var path: String
    public var perMinute: Double
    public var credential: Credential
    public var from: TimeSpan
    public var until: TimeSpan?
    /// Evenly spaced calls (exact counts) or a Poisson process.
    public var poisson: Bool
    /// `endpoint: wallet/send`: whom each call pays (one of these nodes, drawn per call, never
    /// the caller) and how much.
    public var transfer: TransferLoad?
}

public struct TransferLoad: Sendable {
    public var to: NodeSelector
    public var amountNEURO: Double
}
