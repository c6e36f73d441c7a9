import Deterministic
import Training

/// The node: a sans-IO state machine (DESIGN §1). `handle` takes one input with the node's
/// current time and a random-number generator owned by the shell, changes the state and returns
/// the effects for the shell to carry out. It never reads a clock, starts a thread or touches a
/// socket, so the simulator and the production shell drive the very same code.
public struct NodeCore: Sendable {
    public let config: NodeConfig
    public let objective: any Objective
    public let capacity: Int

    public private(set) var peers: PeerTable
    public private(set) var joined = false
    public private(set) var startedAt: Timestamp = .zero
    public internal(set) var metrics = NodeMetrics()
    var limiter: RateLimiter
    let authenticator: Authenticator

    /// Training state (DiLoCo).
    public private(set) var layers: Range<Int> = 0..<0
    public private(set) var round = 0
    public private(set) var completedRounds = 0
    public private(set) var lastLoss: Double?
    var theta0 = LayerParameters.empty
    var inner: AdamW
    var outer: NesterovSGD
    var phase = Phase.idle
    var nextJobID: UInt64 = 0
    /// Peers' pseudo-gradients by round (kept for the current and future rounds only).
    var inbox: [Int: [Received]] = [:]
    var rebalancePending = false
    var checkpointAttempt = 0
    var computeStartedAt: Timestamp?
    var knownAddresses: [String]

    enum Phase: Equatable {
        case idle
        /// Waiting for the weights of newly taken layers.
        case fetching(awaiting: [NodeID: Range<Int>])
        case computing(jobID: UInt64)
        /// Waiting for the peers' pseudo-gradients of `round`.
        case syncing(group: [NodeID], delta: LayerParameters)
    }

    struct Received: Equatable {
        var from: NodeID
        var update: LayerParameters
    }

    var out: [Effect] = []

    public init(config: NodeConfig, objective: any Objective, restoring durable: DurableState? = nil) {
        self.config = config
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
        PeerInfo(id: config.id, address: config.address, layers: layers, capacity: capacity, round: round)
    }
    var isFetching: Bool {
        if case .fetching = phase { return true }
        return false
    }
    public var isTraining: Bool {
        if case .computing = phase { return true }
        if case .syncing = phase { return true }
        return false
    }
    /// Current weights of the held layers (θ₀ of the current round).
    public var parameters: LayerParameters { theta0 }

    public mutating func handle(_ input: Input, now: Timestamp, rng: inout DeterministicRNG) -> [Effect] {
        out = []
        switch input {
        case .start: start(now: now, rng: &rng)
        case .message(let from, let message): receive(message, from: from, now: now, rng: &rng)
        case .timer(let kind): timerFired(kind, now: now, rng: &rng)
        case .api(let request): out.append(.respond(requestID: request.id, respond(to: request, now: now)))
        case .computeFinished(let jobID, let output): computeFinished(jobID: jobID, output, now: now, rng: &rng)
        case .persistFailed: metrics.persistFailures += 1
        case .shutdown: shutdown()
        }
        return out
    }

    // MARK: - Membership

    private mutating func start(now: Timestamp, rng: inout DeterministicRNG) {
        startedAt = now
        for address in knownAddresses where address != config.address {
            send(.join(info), to: address)
        }
        if knownAddresses.allSatisfy({ $0 == config.address }) { joined = true }
        // The first tick comes at a random point of the interval so that nodes started together
        // do not heartbeat (and choose layers) in lockstep.
        let interval = config.membership.heartbeatInterval
        out.append(.setTimer(.heartbeat, after: interval * rng.nextDouble()))
        if !layers.isEmpty { startRound(now: now, rng: &rng) }
    }

    private mutating func shutdown() {
        for peer in peers.entries { send(.leave, to: peer.info.address) }
        phase = .idle
        persist()
    }

    private mutating func receive(_ message: PeerMessage, from: NodeID, now: Timestamp, rng: inout DeterministicRNG) {
        metrics.received(message)
        switch message {
        case .join(let info):
            hear(info, at: now, now: now)
            let sample = peers.gossipSample(count: config.membership.maxPeers, excluding: info.id, now: now,
                                            freshness: config.membership.failureTimeout, rng: &rng)
            send(.welcome(self.info, peers: sample), to: info.address)
        case .welcome(let info, let sample):
            hear(info, at: now, now: now)
            for entry in sample where entry.info.id != config.id { hear(entry.info, at: now - entry.age, now: now) }
            if !joined {
                joined = true
                out.append(.note(.joined(via: info.id)))
            }
        case .heartbeat(let hb):
            hear(hb.info, at: now, now: now)
            peers.recordHeartbeat(hb, now: now)
            for entry in hb.gossip where entry.info.id != config.id { hear(entry.info, at: now - entry.age, now: now) }
            if !joined { joined = true; out.append(.note(.joined(via: hb.info.id))) }
        case .leave:
            if peers.remove(from) != nil {
                out.append(.note(.peerLeft(from)))
                peersChanged(now: now, rng: &rng)
            }
        case .delta(let d): receiveDelta(d, from: from, now: now, rng: &rng)
        case .checkpointRequest(let wanted): serveCheckpoint(wanted, to: from)
        case .checkpoint(let c): installCheckpoint(c, from: from, now: now, rng: &rng)
        }
    }

    private mutating func hear(_ info: PeerInfo, at heardAt: Timestamp, now: Timestamp) {
        guard info.id != config.id else { return }
        if peers.heard(info, at: heardAt, now: now) {
            out.append(.note(.peerAdded(info.id)))
            remember(info.address)
        }
    }

    private mutating func heartbeatTick(now: Timestamp, rng: inout DeterministicRNG) {
        let m = config.membership
        let dropped = peers.expire(now: now, timeout: m.failureTimeout)
        for entry in dropped {
            metrics.peersDropped += 1
            out.append(.note(.peerDropped(entry.info.id, silentFor: now - entry.lastHeard)))
        }
        if peers.count == 0 {
            // Alone (just started, or everyone went quiet): knock on every door it knows.
            for address in knownAddresses where address != config.address { send(.join(info), to: address) }
        }
        for entry in peers.entries {
            let (echo, held) = peers.echo(for: entry.info.id, now: now)
            let gossip = peers.gossipSample(count: m.gossipSize, excluding: entry.info.id, now: now,
                                            freshness: m.heartbeatInterval * 2, rng: &rng)
            send(.heartbeat(Heartbeat(info: info, gossip: gossip, sentAt: now, echo: echo, held: held)),
                 to: entry.info.address)
        }
        out.append(.setTimer(.heartbeat, after: m.heartbeatInterval))
        if !dropped.isEmpty { peersChanged(now: now, rng: &rng) }
        // Choose layers once joined (or once it is clear nobody answers).
        if layers.isEmpty && phase == .idle && (joined || now - startedAt >= m.failureTimeout) {
            rebalance(now: now, rng: &rng)
        } else if !rebalancePending && LayerPlanner.plan(layerCount: objective.layerCount, capacity: capacity,
                                                         current: layers, peerRanges: peerRanges) != nil {
            rebalancePending = true
            out.append(.setTimer(.rebalance, after: m.heartbeatInterval * rng.nextDouble()))
        }
    }

    private mutating func peersChanged(now: Timestamp, rng: inout DeterministicRNG) {
        // A peer that left may have been the one we were waiting for.
        if case .syncing(let group, _) = phase, !group.isEmpty { tryFinishRound(now: now, rng: &rng, timedOut: false) }
        if case .fetching(let awaiting) = phase, awaiting.keys.contains(where: { !peers.contains($0) }) {
            phase = .idle
            rebalance(now: now, rng: &rng, force: true)
        }
    }

    var peerRanges: [Range<Int>] { peers.entries.map(\.info.layers) }

    // MARK: - Layers

    private mutating func rebalance(now: Timestamp, rng: inout DeterministicRNG, force: Bool = false) {
        rebalancePending = false
        let target: Range<Int>
        if force {
            target = layers.isEmpty
                ? (LayerPlanner.plan(layerCount: objective.layerCount, capacity: capacity, current: 0..<0,
                                     peerRanges: peerRanges) ?? 0..<0)
                : layers
        } else {
            guard let planned = LayerPlanner.plan(layerCount: objective.layerCount, capacity: capacity,
                                                  current: layers, peerRanges: peerRanges) else { return }
            target = planned
        }
        take(target, now: now, rng: &rng)
    }

    /// Holds `target` from now on: keeps the weights of layers it already has, asks peers for the
    /// others (their newest θ₀), and starts from the genesis weights where no peer has them.
    private mutating func take(_ target: Range<Int>, now: Timestamp, rng: inout DeterministicRNG) {
        let old = layers
        let params = LayerParameters(range: target, layers: target.map { layer in
            old.contains(layer) ? theta0[layer] : objective.initialParameters(layer: layer)
        })
        if old != target {
            out.append(.note(.layersChanged(from: old, to: target, role: Role(layers: target, layerCount: objective.layerCount))))
            if !old.isEmpty || !outer.velocity.isEmpty {
                inner.reset()
                outer.reset()
            }
        }
        layers = target
        // Ask the most advanced holder of each missing layer, contiguous runs per holder.
        var awaiting: [NodeID: Range<Int>] = [:]
        var layer = target.lowerBound
        while layer < target.upperBound {
            if old.contains(layer) { layer += 1; continue }
            guard let holder = peers.entries.filter({ $0.info.layers.contains(layer) })
                .max(by: { ($0.info.round, $1.info.id) < ($1.info.round, $0.info.id) }) else { layer += 1; continue }
            var end = layer + 1
            while end < target.upperBound && !old.contains(end) && holder.info.layers.contains(end) { end += 1 }
            let run = layer..<end
            if let existing = awaiting[holder.info.id] {
                awaiting[holder.info.id] = min(existing.lowerBound, run.lowerBound)..<max(existing.upperBound, run.upperBound)
            } else {
                awaiting[holder.info.id] = run
            }
            layer = end
        }
        theta0 = params
        invalidateRound()
        if awaiting.isEmpty {
            phase = .idle
            persist()
            startRound(now: now, rng: &rng)
        } else {
            phase = .fetching(awaiting: awaiting)
            for id in awaiting.keys.sorted() {
                if let address = peers[id]?.info.address { send(.checkpointRequest(layers: awaiting[id]!), to: address) }
            }
            checkpointAttempt += 1
            out.append(.setTimer(.checkpointTimeout(attempt: checkpointAttempt), after: config.membership.failureTimeout))
        }
    }

    private mutating func serveCheckpoint(_ wanted: Range<Int>, to requester: NodeID) {
        let overlap = wanted.clamped(to: layers)
        guard !overlap.isEmpty, let address = peers[requester]?.info.address else { return }
        let params = LayerParameters(range: overlap, layers: overlap.map { theta0[$0] })
        let velocity = outer.velocity.isEmpty ? [] : overlap.map { outer.velocity[$0 - layers.lowerBound] }
        send(.checkpoint(CheckpointMessage(round: round, params: params, velocity: velocity)), to: address)
    }

    private mutating func installCheckpoint(_ c: CheckpointMessage, from: NodeID, now: Timestamp, rng: inout DeterministicRNG) {
        guard case .fetching(var awaiting) = phase, let expected = awaiting[from], c.params.range == expected,
              c.params.layers.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { return }
        for layer in c.params.range where theta0.contains(layer) && theta0[layer].count == c.params[layer].count {
            theta0[layer] = c.params[layer]
        }
        round = max(round, c.round)
        awaiting[from] = nil
        out.append(.note(.checkpointInstalled(layers: c.params.range, from: from, round: c.round)))
        if awaiting.isEmpty {
            phase = .idle
            persist()
            startRound(now: now, rng: &rng)
        } else {
            phase = .fetching(awaiting: awaiting)
        }
    }

    // MARK: - DiLoCo

    private mutating func invalidateRound() {
        if case .computing = phase { computeStartedAt = nil }
        phase = .idle
    }

    private mutating func startRound(now: Timestamp, rng: inout DeterministicRNG) {
        guard config.trainingEnabled, !layers.isEmpty, phase == .idle else { return }
        nextJobID += 1
        let jobID = nextJobID
        let objective = self.objective
        let start = theta0
        let optimizerAtStart = inner
        let steps = config.diloco.innerSteps
        let shard = config.dataShard
        let jobRNG = DeterministicRNG(seed: rng.next())
        phase = .computing(jobID: jobID)
        computeStartedAt = now
        out.append(.startCompute(ComputeJob(id: jobID, flops: objective.flopsPerStep(layers: start.range) * Double(steps)) {
            var params = start, optimizer = optimizerAtStart, jobRNG = jobRNG
            let report = objective.train(&params, optimizer: &optimizer, steps: steps, shard: shard, rng: &jobRNG)
            return .innerPhase(params: params, optimizer: optimizer, report: report)
        }))
    }

    private mutating func computeFinished(jobID: UInt64, _ output: ComputeOutput, now: Timestamp, rng: inout DeterministicRNG) {
        guard case .computing(let current) = phase, current == jobID else { return }
        if let started = computeStartedAt { metrics.computeBusy = metrics.computeBusy + (now - started) }
        computeStartedAt = nil
        switch output {
        case .innerPhase(let params, let optimizer, let report):
            guard params.range == layers else { phase = .idle; return }
            inner = optimizer
            metrics.innerSteps += report.steps
            metrics.samples += report.samples
            let delta = theta0.minus(params)
            // Catch up with peers that are already in a later round.
            if let ahead = inbox.keys.filter({ $0 > round }).max() { round = ahead }
            inbox = inbox.filter { $0.key >= round }
            var group = chooseGroup(rng: &rng)
            for r in inbox[round] ?? [] where !group.contains(r.from) { group.append(r.from) }
            group.sort()
            for id in group { shareDelta(delta, with: id, rng: &rng) }
            phase = .syncing(group: group, delta: delta)
            out.append(.setTimer(.syncTimeout(round: round), after: config.diloco.syncTimeout))
            tryFinishRound(now: now, rng: &rng, timedOut: false)
        }
    }

    /// The peers this node exchanges with this round: those sharing a layer, at most `fanout`.
    private func chooseGroup(rng: inout DeterministicRNG) -> [NodeID] {
        let candidates = peers.entries.filter { $0.info.layers.overlaps(layers) }.map(\.info.id)
        return candidates.count <= config.diloco.fanout ? candidates : rng.sample(candidates, count: config.diloco.fanout)
    }

    private mutating func shareDelta(_ delta: LayerParameters, with id: NodeID, rng: inout DeterministicRNG) {
        guard let peer = peers[id] else { return }
        let common = layers.clamped(to: peer.info.layers)
        guard !common.isEmpty else { return }
        var layersOut: [[Float]] = []
        for layer in common {
            guard let corrupted = config.behaviour.corrupt(delta[layer], rng: &rng) else { return }
            layersOut.append(corrupted)
        }
        metrics.gradientsSubmitted += 1
        send(.delta(DeltaMessage(round: round, update: LayerParameters(range: common, layers: layersOut))), to: peer.info.address)
    }

    private mutating func receiveDelta(_ d: DeltaMessage, from: NodeID, now: Timestamp, rng: inout DeterministicRNG) {
        let update = d.update
        guard update.range.lowerBound >= 0, update.range.upperBound <= objective.layerCount else {
            reject(from, "layers \(update.range) outside the model"); return
        }
        // Layers this node no longer holds: an update sent before it moved, not an attack.
        guard update.range.overlaps(layers) else { metrics.staleUpdates += 1; return }
        guard update.range.allSatisfy({ layers.contains($0) ? update[$0].count == theta0[$0].count : true }) else {
            reject(from, "wrong shape"); return
        }
        guard update.allFinite else { reject(from, "non-finite values"); return }
        guard d.round >= round else { metrics.staleUpdates += 1; return }
        var list = inbox[d.round] ?? []
        guard !list.contains(where: { $0.from == from }) else { return } // a duplicate delivery
        list.append(Received(from: from, update: update))
        inbox[d.round] = list
        metrics.gradientsAccepted += 1
        if case .syncing(var group, let delta) = phase, d.round == round {
            if !group.contains(from) {
                // It counted on us: answer with ours, and wait for it like the others.
                group.append(from)
                group.sort()
                phase = .syncing(group: group, delta: delta)
                shareDelta(delta, with: from, rng: &rng)
            }
            tryFinishRound(now: now, rng: &rng, timedOut: false)
        }
    }

    private mutating func reject(_ from: NodeID, _ reason: String) {
        metrics.gradientsRejected += 1
        out.append(.note(.deltaRejected(from: from, reason: reason)))
    }

    private mutating func tryFinishRound(now: Timestamp, rng: inout DeterministicRNG, timedOut: Bool) {
        guard case .syncing(let group, let delta) = phase else { return }
        let arrived = inbox[round] ?? []
        let waitingFor = group.filter { id in peers.contains(id) && !arrived.contains { $0.from == id } }
        guard waitingFor.isEmpty || timedOut else { return }
        if timedOut { metrics.syncTimeouts += 1 }
        // Aggregate per layer: own update first, then peers' in id order.
        let sorted = arrived.sorted { $0.from < $1.from }
        var aggregate = delta
        for layer in layers {
            var updates = [delta[layer]]
            for r in sorted where r.update.contains(layer) { updates.append(r.update[layer]) }
            aggregate[layer] = config.diloco.aggregator.aggregate(updates)
        }
        outer.step(&theta0, pseudoGradient: aggregate)
        let loss = objective.evaluate(theta0)
        lastLoss = loss
        out.append(.note(.roundCompleted(round: round, loss: loss, contributors: 1 + sorted.count, timedOut: timedOut)))
        round += 1
        completedRounds += 1
        inbox = inbox.filter { $0.key >= round }
        phase = .idle
        persist()
        startRound(now: now, rng: &rng)
    }

    // MARK: - Timers

    private mutating func timerFired(_ kind: TimerKind, now: Timestamp, rng: inout DeterministicRNG) {
        switch kind {
        case .heartbeat: heartbeatTick(now: now, rng: &rng)
        case .rebalance: if !isFetching { rebalance(now: now, rng: &rng) }
        case .syncTimeout(let r): if r == round { tryFinishRound(now: now, rng: &rng, timedOut: true) }
        case .checkpointTimeout(let attempt):
            guard attempt == checkpointAttempt, isFetching else { return }
            // The holders did not answer: keep what arrived, genesis weights for the rest.
            phase = .idle
            persist()
            startRound(now: now, rng: &rng)
        }
    }

    // MARK: - Effects

    private mutating func send(_ message: PeerMessage, to address: String) {
        metrics.sent(message)
        out.append(.send(to: address, message))
    }

    private mutating func persist() {
        out.append(.persist(DurableState(round: round, completedRounds: completedRounds, theta0: theta0,
                                         outerVelocity: outer.velocity, knownPeers: knownAddresses)))
    }

    /// Addresses to rejoin through after a restart: the seeds plus the most recent peers.
    private mutating func remember(_ address: String) {
        guard !knownAddresses.contains(address) else { return }
        knownAddresses.append(address)
        let limit = config.seedPeers.count + 2 * config.membership.maxPeers
        if knownAddresses.count > limit {
            if let oldest = knownAddresses.firstIndex(where: { !config.seedPeers.contains($0) }) {
                knownAddresses.remove(at: oldest)
            }
        }
    }

    private static func merge(_ a: [String], _ b: [String]) -> [String] {
        var out = a
        for x in b where !out.contains(x) { out.append(x) }
        return out
    }
}
