import Deterministic
import Identity
import Ledger
import Training

/// The node: a sans-IO state machine (DESIGN §1). `handle` takes one input with the node's
/// current time and a random-number generator owned by the shell, changes the state and returns
/// the effects for the shell to carry out. It never reads a clock, starts a thread or touches a
/// socket, so the simulator and the production shell drive the very same code.
public struct NodeCore: Sendable {
    public let config: NodeConfig
    public let objective: any Objective
    public let capacity: Int

    public internal(set) var peers: PeerTable
    public internal(set) var joined = false
    public internal(set) var startedAt: Timestamp = .zero
    public internal(set) var metrics = NodeMetrics()
    var limiter: RateLimiter
    let authenticator: Authenticator

    /// Training state (DiLoCo).
    public internal(set) var layers: Range<Int> = 0..<0
    public internal(set) var round = 0
    public internal(set) var completedRounds = 0
    public internal(set) var lastLoss: Double?
    var theta0 = LayerParameters.empty
    var inner: AdamW
    var outer: NesterovSGD
    var phase = Phase.idle
    var nextJobID: UInt64 = 0
    /// Peers' round updates by round (kept for the current and future rounds only).
    var inbox: [Int: [Received]] = [:]
    /// Peers that said goodbye, and when.
    var departed: [NodeID: Timestamp] = [:]
    var rebalancePending = false
    var checkpointAttempt = 0
    var syncAttempt = 0
    var computeStartedAt: Timestamp?
    /// Set from start until `DiLoCoSettings.startDelay` has passed.
    var waitingToTrain = false
    /// Inner steps at the last loss evaluation.
    var evaluatedAtStep = 0
    /// The first Δ this node computed: what a stale rider keeps re-sending.
    var firstDelta: LayerParameters?
    /// What compression dropped from earlier updates, sent later.
    var feedback = ErrorFeedback()
    var knownAddresses: [String]
    /// Steps taken with the holders of the other layers (a node holding part of the model).
    var pipeline = PipelineState()
    /// Generations the shell is running, by API request.
    var inferences: [UInt64: RunningInference] = [:]
    /// The NEURO ledger (SPEC §7) as plain data; nil when the ledger is off (thousands of
    /// simulated nodes would each check every proof). Its writes leave `handle` as a `commit`.
    public internal(set) var ledger: LedgerState?
    var proofs = ProofState()
    /// Anti-entropy with each peer (see NodeCore+Reconciliation).
    var reconciler = Reconciler()
    /// NEURO held back for inference requests still running (shown as pending).
    var reserved = Micro.zero

    enum Phase: Equatable {
        case idle
        /// Waiting for the weights of newly taken layers.
        case fetching(awaiting: [NodeID: Range<Int>])
        case computing(jobID: UInt64)
        /// Taking the round's inner steps through the pipeline (see NodeCore+Pipeline).
        case pipelining
        /// Waiting for the peers' shares of `round`; `delta` is this node's true Δ, `shared` what it sent.
        case syncing(group: [NodeID], delta: LayerParameters, shared: RoundUpdate.Payload?)
    }

    struct Received: Equatable {
        var from: NodeID
        var update: RoundUpdate
    }

    var out: [Effect] = []

    /// `ledgerRecords`: what this node's store holds (its records and fork evidence), folded again.
    public init(config: NodeConfig, objective: any Objective, restoring durable: DurableState? = nil,
                ledgerRecords: [Record] = []) {
        self.config = config
        if config.ledger.enabled {
            var rules = config.ledger.rules
            rules.layerCount = objective.layerCount
            ledger = LedgerState(rules: rules, genesis: config.ledger.genesis, restoring: ledgerRecords)
        }
        self.objective = objective
        capacity = LayerPlanner.capacity(memoryMB: config.memoryMB, layerMemoryMB: objective.layerMemoryMB,
                                         layerCount: objective.layerCount)
        peers = PeerTable(capacity: config.membership.maxPeers)
        limiter = RateLimiter(limits: config.rateLimits)
        authenticator = Authenticator(token: config.token, apiKeys: config.apiKeys)
        inner = config.diloco.inner
        outer = NesterovSGD(learningRate: config.diloco.outerLearningRate, momentum: config.diloco.outerMomentum)
        knownAddresses = config.seedPeers
        if let d = durable {
            round = d.round
            completedRounds = d.completedRounds
            theta0 = d.theta0
            layers = d.theta0.range
            outer = NesterovSGD(learningRate: config.diloco.outerLearningRate,
                                momentum: config.diloco.outerMomentum, velocity: d.outerVelocity)
            knownAddresses = Self.merge(config.seedPeers, d.knownPeers)
            if !layers.isEmpty { lastLoss = objective.evaluate(theta0) }
        }
    }

    public var role: Role { Role(layers: layers, layerCount: objective.layerCount) }
    public var info: PeerInfo {
        PeerInfo(id: config.id, address: config.address, layers: layers, capacity: capacity, round: round, ledger: ledger?.summary)
    }
    var isFetching: Bool {
        if case .fetching = phase { return true }
        return false
    }
    public var isTraining: Bool {
        switch phase {
        case .computing, .pipelining, .syncing: true
        case .idle, .fetching: false
        }
    }
    /// Current weights of the held layers (θ₀ of the current round).
    public var parameters: LayerParameters { theta0 }

    public mutating func handle(_ input: Input, now: Timestamp, rng: inout DeterministicRNG) -> [Effect] {
        var effects: [Effect] = []
        handle(input, now: now, rng: &rng, into: &effects)
        return effects
    }

    /// The same, writing into the caller's buffer (emptied first), so that a shell handling
    /// millions of inputs reuses one allocation.
    public mutating func handle(_ input: Input, now: Timestamp, rng: inout DeterministicRNG, into effects: inout [Effect]) {
        effects.removeAll(keepingCapacity: true)
        swap(&out, &effects)
        defer { swap(&out, &effects) }
        switch input {
        case .start: start(now: now, rng: &rng)
        case .message(let from, let message): receive(message, from: from, now: now, rng: &rng)
        case .timer(let kind): timerFired(kind, now: now, rng: &rng)
        case .api(let request):
            if let response = respond(to: request, now: now, rng: &rng) { out.append(.respond(requestID: request.id, response)) }
        case .inferenceFinished(let id, let outcome): inferenceFinished(requestID: id, outcome, now: now)
        case .computeFinished(let jobID, let output): computeFinished(jobID: jobID, output, now: now, rng: &rng)
        case .persistFailed: metrics.persistFailures += 1
        case .commitFailed(let records): restoreLedger(records)
        case .shutdown: shutdown()
        }
        if ledger?.hasJournal == true { commitLedger() }
    }

    // MARK: - Timers

    mutating func timerFired(_ kind: TimerKind, now: Timestamp, rng: inout DeterministicRNG) {
        switch kind {
        case .heartbeat: heartbeatTick(now: now, rng: &rng)
        case .rebalance:
            rebalancePending = false
            if !isFetching { rebalance(now: now, rng: &rng) }
        case .syncTimeout(let attempt): if attempt == syncAttempt { tryFinishRound(now: now, rng: &rng, timedOut: true) }
        case .rush(let attempt): if attempt == syncAttempt { rush(now: now, rng: &rng, force: true) }
        case .trainingStart:
            waitingToTrain = false
            startRound(now: now, rng: &rng)
        case .pipelineStep(let number): pipelineStepTimedOut(number)
        case .stageStep(let number): stageStepTimedOut(number)
        case .proof: proofTick(now: now)
        case .checkpointTimeout(let attempt):
            guard attempt == checkpointAttempt, isFetching else { return }
            // The holders did not answer: keep what arrived, genesis weights for the rest.
            saveAndTrain(now: now, rng: &rng)
        }
    }

    // MARK: - Effects

    mutating func send(_ message: PeerMessage, to address: String) {
        metrics.sent(message)
        out.append(.send(to: address, message))
    }

    mutating func persist() {
        out.append(.persist(DurableState(round: round, completedRounds: completedRounds, theta0: theta0,
                                         outerVelocity: outer.velocity, knownPeers: knownAddresses)))
    }

    /// Addresses to rejoin through after a restart: the seeds plus the most recent peers.
    mutating func remember(_ address: String) {
        guard !knownAddresses.contains(address) else { return }
        knownAddresses.append(address)
        let limit = config.seedPeers.count + 2 * config.membership.maxPeers
        if knownAddresses.count > limit {
            if let oldest = knownAddresses.firstIndex(where: { !config.seedPeers.contains($0) }) {
                knownAddresses.remove(at: oldest)
            }
        }
    }

    static func merge(_ a: [String], _ b: [String]) -> [String] {
        var out = a
        for x in b where !out.contains(x) { out.append(x) }
        return out
    }
}
