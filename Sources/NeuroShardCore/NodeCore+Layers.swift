import Deterministic
import Training

/// Which layers this node holds, and fetching their weights from peers.
extension NodeCore {
    mutating func rebalance(now: Timestamp, rng: inout DeterministicRNG, force: Bool = false) {
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
    mutating func take(_ target: Range<Int>, now: Timestamp, rng: inout DeterministicRNG) {
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
        if old != target { announce(now: now) }
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
            saveAndTrain(now: now, rng: &rng)
        } else {
            phase = .fetching(awaiting: awaiting)
            for id in awaiting.keys.sorted() {
                if let address = peers[id]?.info.address { send(.checkpointRequest(layers: awaiting[id]!), to: address) }
            }
            checkpointAttempt += 1
            out.append(.setTimer(.checkpointTimeout(attempt: checkpointAttempt), after: config.membership.failureTimeout))
        }
    }

    mutating func serveCheckpoint(_ wanted: Range<Int>, to requester: NodeID) {
        let overlap = wanted.clamped(to: layers)
        guard !overlap.isEmpty, let address = peers[requester]?.info.address else { return }
        let params = LayerParameters(range: overlap, layers: overlap.map { theta0[$0] })
        let velocity = outer.velocity.isEmpty ? [] : overlap.map { outer.velocity[$0 - layers.lowerBound] }
        send(.checkpoint(CheckpointMessage(round: round, params: params, velocity: velocity)), to: address)
    }

    mutating func installCheckpoint(_ c: CheckpointMessage, from: NodeID, now: Timestamp, rng: inout DeterministicRNG) {
        guard case .fetching(var awaiting) = phase, let expected = awaiting[from], c.params.range == expected,
              c.params.layers.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { return }
        for layer in c.params.range where theta0.contains(layer) && theta0[layer].count == c.params[layer].count {
            theta0[layer] = c.params[layer]
            if c.velocity.count == c.params.range.count {
                outer.adopt(c.velocity[layer - c.params.range.lowerBound], layer: layer, of: theta0)
            }
        }
        // The holder's round, but never past what the other peers report (one peer cannot
        // drag this node ahead).
        round = max(round, min(c.round, networkRound))
        awaiting[from] = nil
        out.append(.note(.checkpointInstalled(layers: c.params.range, from: from, round: c.round)))
        if awaiting.isEmpty {
            saveAndTrain(now: now, rng: &rng)
        } else {
            phase = .fetching(awaiting: awaiting)
        }
    }

    /// The held layers' weights are settled (fetched, restored, or stepped at the end of a round):
    /// save them and start the next round.
    mutating func saveAndTrain(now: Timestamp, rng: inout DeterministicRNG) {
        phase = .idle
        persist()
        startRound(now: now, rng: &rng)
    }
}
