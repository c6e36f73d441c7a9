import Deterministic
import Training

/// DiLoCo rounds: H inner steps as one compute job, the exchange with the peers holding the same
/// layers, robust aggregation and the outer Nesterov step from θ₀.
extension NodeCore {
    mutating func invalidateRound() {
        if case .computing = phase { computeStartedAt = nil }
        phase = .idle
    }

    mutating func startRound(now: Timestamp, rng: inout DeterministicRNG) {
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

    mutating func computeFinished(jobID: UInt64, _ output: ComputeOutput, now: Timestamp, rng: inout DeterministicRNG) {
        guard case .computing(let current) = phase, current == jobID else { return }
        if let started = computeStartedAt { metrics.computeBusy = metrics.computeBusy + (now - started) }
        computeStartedAt = nil
        switch output {
        case .innerPhase(let params, let optimizer, let report):
            // A layer move invalidates the running job (its id no longer matches), so the
            // result covers exactly the held layers.
            inner = optimizer
            metrics.innerSteps += report.steps
            metrics.samples += report.samples
            let delta = theta0.minus(params)
            // Catch up with the network if it is already in a later round.
            round = max(round, networkRound)
            inbox = inbox.filter { $0.key >= round }
            let group = chooseGroup(rng: &rng)
            let shared = outgoingWeights(delta, rng: &rng)
            for id in group { share(shared, with: id) }
            // Peers that already sent theirs may be waiting for ours.
            for r in inbox[round] ?? [] where !group.contains(r.from) { share(shared, with: r.from) }
            phase = .syncing(group: group, delta: delta, shared: shared)
            syncAttempt += 1
            out.append(.setTimer(.syncTimeout(attempt: syncAttempt), after: config.diloco.syncTimeout))
            tryFinishRound(now: now, rng: &rng, timedOut: false)
        }
    }

    /// How far ahead of this node a peer's round may be for its update to be kept.
    static let roundsAhead = 2

    static func maxUpdatesPerRound(_ settings: DiLoCoSettings) -> Int { 4 * settings.fanout }

    /// The round the peers sharing this node's layers say they are in: the median, so that a
    /// minority claiming absurd rounds moves nothing.
    var networkRound: Int {
        let rounds = peers.entries.filter { $0.info.layers.overlaps(layers) }.map(\.info.round).sorted()
        return rounds.isEmpty ? round : rounds[rounds.count / 2]
    }

    /// The peers this node exchanges with this round: those sharing a layer, in this round or one
    /// behind (about to reach it), at most `fanout`. A peer already ahead would drop our update
    /// as stale, and waiting for it could only end on the timeout.
    func chooseGroup(rng: inout DeterministicRNG) -> [NodeID] {
        let current = (round - 1)...round
        let candidates = peers.entries
            .filter { $0.info.layers.overlaps(layers) && current.contains($0.info.round) }
            .map(\.info.id)
        return candidates.count <= config.diloco.fanout ? candidates : rng.sample(candidates, count: config.diloco.fanout)
    }

    /// θ₀ − Δ′, where Δ′ is what this node's behaviour makes of its true Δ (nil: it shares nothing).
    func outgoingWeights(_ delta: LayerParameters, rng: inout DeterministicRNG) -> LayerParameters? {
        var weights = theta0
        for layer in layers {
            guard let sent = config.behaviour.corrupt(delta[layer], rng: &rng) else { return nil }
            weights[layer] = zip(theta0[layer], sent).map { $0 - $1 }
        }
        return weights
    }

    mutating func share(_ weights: LayerParameters?, with id: NodeID) {
        guard let weights, let peer = peers[id] else { return }
        let common = layers.clamped(to: peer.info.layers)
        guard !common.isEmpty else { return }
        metrics.gradientsSubmitted += 1
        let part = LayerParameters(range: common, layers: common.map { weights[$0] })
        send(.update(RoundUpdate(round: round, weights: part)), to: peer.info.address)
    }

    mutating func receiveUpdate(_ u: RoundUpdate, from: NodeID, now: Timestamp, rng: inout DeterministicRNG) {
        let weights = u.weights
        guard weights.range.lowerBound >= 0, weights.range.upperBound <= objective.layerCount else {
            reject(from, "layers \(weights.range) outside the model"); return
        }
        // Layers this node no longer holds: an update sent before it moved, not an attack.
        guard weights.range.overlaps(layers) else { metrics.staleUpdates += 1; return }
        guard weights.range.allSatisfy({ !layers.contains($0) || weights[$0].count == theta0[$0].count }) else {
            reject(from, "wrong shape"); return
        }
        guard weights.allFinite else { reject(from, "non-finite values"); return }
        for layer in weights.range where layers.contains(layer) {
            let delta = distance(theta0[layer], weights[layer])
            guard delta <= config.diloco.maxUpdateRatio * max(1, l2Norm(theta0[layer])) else {
                reject(from, "absurd update norm \(delta) on layer \(layer)"); return
            }
        }
        guard u.round >= round else { metrics.staleUpdates += 1; return }
        // A round far ahead is not kept: nobody may drag a node (or fill its memory) by claiming one.
        guard u.round <= round + Self.roundsAhead else { metrics.staleUpdates += 1; return }
        let received = inbox[u.round] ?? []
        guard !received.contains(where: { $0.from == from }) else { return } // a duplicate delivery
        // Bounded: a node many others picked (a seed, say) does not drown in their updates.
        guard received.count < Self.maxUpdatesPerRound(config.diloco) else { metrics.staleUpdates += 1; return }
        inbox[u.round, default: []].append(Received(from: from, weights: weights))
        metrics.gradientsAccepted += 1
        if case .syncing(let group, _, let shared) = phase, u.round == round {
            // It may be waiting for us: answer. We wait only for the group we chose, but use
            // whatever else arrives before the round ends.
            if !group.contains(from) { share(shared, with: from) }
            tryFinishRound(now: now, rng: &rng, timedOut: false)
        }
    }

    mutating func reject(_ from: NodeID, _ reason: String) {
        metrics.gradientsRejected += 1
        out.append(.note(.updateRejected(from: from, reason: reason)))
    }

    mutating func tryFinishRound(now: Timestamp, rng: inout DeterministicRNG, timedOut: Bool) {
        guard case .syncing(let group, let delta, _) = phase else { return }
        let arrived = inbox[round] ?? []
        let waitingFor = group.filter { id in peers.contains(id) && !arrived.contains { $0.from == id } }
        guard waitingFor.isEmpty || timedOut else { return }
        if timedOut { metrics.syncTimeouts += 1 }
        // Every contributor in id order (this node included), so that replicas that heard the same
        // peers compute bit-identical aggregates.
        var contributions = arrived.map { (id: $0.from, weights: $0.weights) }
        contributions.append((id: config.id, weights: theta0.minus(delta)))
        contributions.sort { $0.id < $1.id }
        var aggregate = delta
        for layer in layers {
            let base = theta0[layer]
            let deltas = contributions.filter { $0.weights.contains(layer) && $0.weights[layer].count == base.count }.map { c in
                zip(base, c.weights[layer]).map { $0 - $1 }
            }
            aggregate[layer] = config.diloco.aggregator.aggregate(deltas)
        }
        outer.step(&theta0, pseudoGradient: aggregate)
        let loss = objective.evaluate(theta0)
        lastLoss = loss
        out.append(.note(.roundCompleted(round: round, loss: loss, contributors: contributions.count, timedOut: timedOut)))
        round += 1
        completedRounds += 1
        inbox = inbox.filter { $0.key >= round }
        saveAndTrain(now: now, rng: &rng)
    }
}
