import Deterministic
import Identity
import Training

/// DiLoCo rounds: H inner steps as one compute job, the exchange with the peers holding the same
/// layers, robust aggregation and the outer Nesterov step from θ₀. In sync mode a round is one
/// minibatch's gradient, exchanged and aggregated, then one AdamW step.
extension NodeCore {
    mutating func invalidateRound() {
        if case .computing = phase { computeStartedAt = nil }
        abandonPipeline()
        phase = .idle
    }

    /// Inner steps this node may still take (nil: no budget). The budget counts the minibatches a
    /// node draws: a pipeline stage after the driver steps whenever its drivers send work.
    var stepsLeft: Int? {
        guard !trainsInPipeline || layers.lowerBound == 0 else { return nil }
        return config.diloco.stepBudget.map { max(0, $0 - metrics.innerSteps) }
    }

    mutating func startRound(now: Timestamp, rng: inout DeterministicRNG) {
        guard config.trainingEnabled, !layers.isEmpty, phase == .idle, stepsLeft != 0, !waitingToTrain else { return }
        if trainsInPipeline { startPipelineRound(rng: &rng); return }
        nextJobID += 1
        let jobID = nextJobID
        let objective = self.objective
        let start = theta0
        let shard = config.dataShard
        let jobRNG = DeterministicRNG(seed: rng.next())
        phase = .computing(jobID: jobID)
        computeStartedAt = now
        let job: ComputeJob
        switch config.diloco.mode {
        case .sync:
            job = ComputeJob(id: jobID, flops: objective.flopsPerStep(layers: start.range)) {
                var jobRNG = jobRNG
                return .gradient(objective.gradients(start, shard: shard, rng: &jobRNG))
            }
        case .diloco:
            let optimizerAtStart = inner
            let steps = min(config.diloco.innerSteps, stepsLeft ?? .max)
            job = ComputeJob(id: jobID, flops: objective.flopsPerStep(layers: start.range) * Double(steps)) {
                var params = start, optimizer = optimizerAtStart, jobRNG = jobRNG
                let report = objective.train(&params, optimizer: &optimizer, steps: steps, shard: shard, rng: &jobRNG)
                return .innerPhase(params: params, optimizer: optimizer, report: report)
            }
        }
        out.append(.startCompute(job))
    }

    mutating func computeFinished(jobID: UInt64, _ output: ComputeOutput, now: Timestamp, rng: inout DeterministicRNG) {
        if let job = pipeline.jobs.removeValue(forKey: jobID) {
            stageJobFinished(job, output, now: now, rng: &rng)
            return
        }
        guard case .computing(let current) = phase, current == jobID else { return }
        if let started = computeStartedAt { metrics.computeBusy = metrics.computeBusy + (now - started) }
        computeStartedAt = nil
        // A layer move invalidates the running job (its id no longer matches), so the result
        // covers exactly the held layers.
        let delta: LayerParameters
        switch output {
        case .innerPhase(let params, let optimizer, let report):
            inner = optimizer
            metrics.innerSteps += report.steps
            metrics.samples += report.samples
            delta = theta0.minus(params)
        case .gradient(let g):
            metrics.innerSteps += 1
            metrics.samples += g.samples
            delta = LayerParameters(range: theta0.range, layers: g.layers)
        case .activations, .stageGradients, .failed:
            preconditionFailure("a pipeline stage's output for a local training job")
        }
        endInnerPhase(delta: delta, now: now, rng: &rng)
    }

    /// The round's inner steps are done, with true Δ `delta`: share it and wait for the peers'.
    mutating func endInnerPhase(delta: LayerParameters, now: Timestamp, rng: inout DeterministicRNG) {
        if firstDelta == nil { firstDelta = delta }
        // Catch up with the network if it is already in a later round.
        round = max(round, networkRound)
        inbox = inbox.filter { $0.key >= round }
        let group = chooseGroup(rng: &rng)
        syncAttempt += 1
        out.append(.setTimer(.syncTimeout(attempt: syncAttempt), after: config.diloco.syncTimeout))
        if config.behaviour.needsObservedUpdates {
            // A rushing attacker sends only once it has seen the honest updates, or after a
            // quarter of the timeout (others like it are waiting too, and must send before the
            // honest nodes give up on them).
            phase = .syncing(group: group, delta: delta, shared: nil)
            out.append(.setTimer(.rush(attempt: syncAttempt), after: config.diloco.syncTimeout * 0.25))
            rush(now: now, rng: &rng, force: false)
            return
        }
        let shared = outgoingUpdate(delta, rng: &rng)
        phase = .syncing(group: group, delta: delta, shared: shared)
        shareRound(shared, group: group)
        tryFinishRound(now: now, rng: &rng, timedOut: false)
    }

    /// Sends this round's update to the group, and to peers that already sent theirs (they may be
    /// waiting for ours).
    mutating func shareRound(_ shared: RoundUpdate.Payload?, group: [NodeID]) {
        for id in group { share(shared, with: id) }
        for r in inbox[round] ?? [] where !group.contains(r.from) { share(shared, with: r.from) }
    }

    /// A rushing attacker crafts and sends its update once every peer of its group has sent theirs,
    /// or when `force`d by its timer.
    mutating func rush(now: Timestamp, rng: inout DeterministicRNG, force: Bool) {
        guard case .syncing(let group, let delta, nil) = phase, config.behaviour.needsObservedUpdates else { return }
        let arrived = inbox[round] ?? []
        guard force || group.allSatisfy({ id in arrived.contains { $0.from == id } }) else { return }
        let shared = outgoingUpdate(delta, observed: arrived.map(\.update), rng: &rng)
        phase = .syncing(group: group, delta: delta, shared: shared)
        shareRound(shared, group: group)
        tryFinishRound(now: now, rng: &rng, timedOut: false)
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

    /// What this node sends for its true Δ: its behaviour's Δ′ (nil: it shares nothing), as
    /// weights θ₀ − Δ′ in DiLoCo mode, compressed Δ′ when compression is on, and Δ′ itself in
    /// sync mode. `observed` are the peers' updates of the round, which only rushing attackers read.
    mutating func outgoingUpdate(_ delta: LayerParameters, observed: [RoundUpdate] = [],
                        rng: inout DeterministicRNG) -> RoundUpdate.Payload? {
        var sent = delta
        for layer in layers {
            let base = theta0[layer]
            let seen = observed.filter { $0.values.contains(layer) && $0.values[layer].count == base.count }
                .map { $0.delta(layer: layer, base: base) }
            let previous = firstDelta.flatMap { $0.contains(layer) ? $0[layer] : nil }
            guard let d = config.behaviour.corrupt(delta[layer], observed: seen, nodes: observed.count + 1, byzantine: 1,
                                                   previous: previous, rng: &rng) else { return nil }
            sent[layer] = d
        }
        switch (config.diloco.mode, config.diloco.compression) {
        case (.sync, _): return .deltas(sent)
        case (.diloco, .none): return .weights(theta0.minus(sent))
        case (.diloco, let compression):
            feedback.forgetLayers(outside: layers)
            return .compressed(range: layers, layers.map { feedback.compress(sent[$0], layer: $0, with: compression) })
        }
    }

    mutating func share(_ payload: RoundUpdate.Payload?, with id: NodeID) {
        guard let payload, let peer = peers[id] else { return }
        let common = layers.clamped(to: peer.info.layers)
        guard !common.isEmpty else { return }
        metrics.gradientsSubmitted += 1
        let update: RoundUpdate
        switch payload {
        case .weights(let w): update = RoundUpdate(round: round, weights: w.restricted(to: common))
        case .deltas(let d): update = RoundUpdate(round: round, deltas: d.restricted(to: common))
        case .compressed(let range, let tensors):
            update = RoundUpdate(round: round, payload: .compressed(range: common, Array(tensors[(common.lowerBound - range.lowerBound)..<(common.upperBound - range.lowerBound)])))
        }
        send(.update(update), to: peer.info.address)
    }

    mutating func receiveUpdate(_ wire: RoundUpdate, from: NodeID, now: Timestamp, rng: inout DeterministicRNG) {
        // A compressed tensor names its decoded size, and a few bytes of top-k may claim a gigabyte
        // of zeros: only the held layers are decoded, and only at their true sizes.
        var wire = wire
        if case .compressed(let range, let tensors) = wire.payload {
            guard range.lowerBound >= 0, range.upperBound <= objective.layerCount else {
                reject(from, "layers \(range) outside the model"); return
            }
            let overlap = range.clamped(to: layers)
            guard !overlap.isEmpty else { metrics.staleUpdates += 1; return }
            let kept = Array(tensors[(overlap.lowerBound - range.lowerBound)..<(overlap.upperBound - range.lowerBound)])
            guard zip(overlap, kept).allSatisfy({ $1.count == theta0[$0].count }) else { reject(from, "wrong shape"); return }
            wire.payload = .compressed(range: overlap, kept)
        }
        let u = wire.decoded
        let values = u.values
        guard values.range.lowerBound >= 0, values.range.upperBound <= objective.layerCount else {
            reject(from, "layers \(values.range) outside the model"); return
        }
        // Layers this node no longer holds: an update sent before it moved, not an attack.
        guard values.range.overlaps(layers) else { metrics.staleUpdates += 1; return }
        guard values.range.allSatisfy({ !layers.contains($0) || values[$0].count == theta0[$0].count }) else {
            reject(from, "wrong shape"); return
        }
        // Non-finite values and absurd norms are rejected before they can reach an aggregate.
        for layer in values.range where layers.contains(layer) {
            let base = theta0[layer], limit = config.diloco.maxUpdateRatio
            let problem = if case .weights(let w) = u.payload {
                UpdateCheck.screen(weights: w[layer], base: base, maxRatio: limit)
            } else {
                UpdateCheck.screen(u.delta(layer: layer, base: base), referenceNorm: l2Norm(base), maxRatio: limit)
            }
            if let problem { reject(from, "\(problem) on layer \(layer)"); return }
        }
        guard u.round >= round else { metrics.staleUpdates += 1; return }
        // A round far ahead is not kept: nobody may drag a node (or fill its memory) by claiming one.
        guard u.round <= round + Self.roundsAhead else { metrics.staleUpdates += 1; return }
        let received = inbox[u.round] ?? []
        guard !received.contains(where: { $0.from == from }) else { return } // a duplicate delivery
        // Bounded: a node many others picked (a seed, say) does not drown in their updates.
        guard received.count < Self.maxUpdatesPerRound(config.diloco) else { metrics.staleUpdates += 1; return }
        inbox[u.round, default: []].append(Received(from: from, update: u))
        peers.noteRound(u.round, of: from)
        metrics.gradientsAccepted += 1
        if case .syncing(let group, _, let shared) = phase, u.round == round {
            // It may be waiting for us: answer. We wait only for the group we chose, but use
            // whatever else arrives before the round ends.
            if shared == nil && config.behaviour.needsObservedUpdates {
                rush(now: now, rng: &rng, force: false)
                return
            }
            if !group.contains(from) { share(shared, with: from) }
            tryFinishRound(now: now, rng: &rng, timedOut: false)
        }
    }

    /// The training loss the node reports from now on, also kept for the loss curve.
    mutating func reportLoss(_ loss: Double, now: Timestamp) {
        lastLoss = loss
        metrics.lossHistory.append(LossPoint(seconds: (now - startedAt).seconds, step: metrics.innerSteps, loss: loss))
    }

    mutating func reject(_ from: NodeID, _ reason: String) {
        metrics.gradientsRejected += 1
        out.append(.note(.updateRejected(from: from, reason: reason)))
    }

    mutating func tryFinishRound(now: Timestamp, rng: inout DeterministicRNG, timedOut: Bool) {
        guard case .syncing(let group, let delta, let shared) = phase else { return }
        // A rushing attacker that has not sent yet sends first (its timer fires before the timeout).
        if shared == nil && config.behaviour.needsObservedUpdates && !timedOut { return }
        let arrived = inbox[round] ?? []
        let waitingFor = group.filter { id in peers.contains(id) && !arrived.contains { $0.from == id } }
        guard waitingFor.isEmpty || timedOut else { return }
        if timedOut { metrics.syncTimeouts += 1 }
        // Every contributor in id order (this node included), so that replicas that heard the same
        // peers compute bit-identical aggregates.
        var contributors = arrived.map { (id: $0.from, update: Optional($0.update)) }
        contributors.append((id: config.id, update: nil))
        contributors.sort { $0.id < $1.id }
        // A node counts its own update as its peers see it: compressed, if it was, so that
        // replicas hearing the same updates stay identical.
        let own: RoundUpdate
        if case .compressed = shared { own = RoundUpdate(round: round, payload: shared!) } else { own = RoundUpdate(round: round, deltas: delta) }
        var aggregate = delta
        for layer in layers {
            let base = theta0[layer]
            let deltas = contributors.compactMap { c -> [Float]? in
                guard let u = c.update else { return own.delta(layer: layer, base: base) }
                guard u.values.contains(layer), u.values[layer].count == base.count else { return nil }
                return u.delta(layer: layer, base: base)
            }
            aggregate[layer] = config.diloco.aggregator.aggregate(deltas)
        }
        switch config.diloco.mode {
        case .diloco: outer.step(&theta0, pseudoGradient: aggregate)
        case .sync: inner.step(&theta0, gradients: aggregate.layers)
        }
        var loss: Double?
        let every = config.diloco.evaluateEvery ?? 1
        if trainsInPipeline {
            // No stage holds the whole model to evaluate: the validator reports the round's
            // training loss.
            loss = pipelineLoss
            if let loss { reportLoss(loss, now: now) }
        } else if lastLoss == nil || stepsLeft == 0 || metrics.innerSteps / every != evaluatedAtStep / every {
            let evaluated = objective.evaluate(theta0)
            loss = evaluated
            reportLoss(evaluated, now: now)
            evaluatedAtStep = metrics.innerSteps
        }
        out.append(.note(.roundCompleted(round: round, loss: loss, contributors: contributors.count, timedOut: timedOut)))
        round += 1
        completedRounds += 1
        recordTrainedWork(loss: loss ?? lastLoss)
        inbox = inbox.filter { $0.key >= round }
        saveAndTrain(now: now, rng: &rng)
    }
}
