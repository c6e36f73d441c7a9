import Deterministic
import Identity
import Ledger
import Training

/// Which layers this node holds, and fetching their weights from peers.
extension NodeCore {
    mutating func rebalance(now: Timestamp, rng: inout DeterministicRNG) {
        rebalancePending = false
        guard let target = LayerPlanner.plan(layerCount: objective.layerCount, capacity: capacity,
                                             current: layers, peerRanges: peerRanges) else { return }
        take(target, now: now, rng: &rng)
    }

    /// Holds `target` from now on: keeps the weights (and outer momentum) of layers it already
    /// has, asks peers for the others (their newest θ₀), and starts from the genesis weights where
    /// no peer has them.
    mutating func take(_ target: Range<Int>, now: Timestamp, rng: inout DeterministicRNG) {
        let old = layers
        guard old != target else { return }
        out.append(.note(.layersChanged(from: old, to: target, role: Role(layers: target, layerCount: objective.layerCount))))
        theta0 = LayerParameters(range: target, layers: target.map { layer in
            old.contains(layer) ? theta0[layer] : objective.initialParameters(layer: layer)
        })
        outer.remap(from: old, to: theta0)
        inner.reset()
        inbox = [:] // updates for the old layers
        layers = target
        announce(now: now)
        invalidateRound()
        let awaiting = fetch(target.filter { !old.contains($0) })
        if awaiting.isEmpty {
            saveAndTrain(now: now, rng: &rng)
        } else {
            phase = .fetching(awaiting: awaiting)
        }
    }

    /// Asks the most advanced holder of each of `missing` for its weights, one request per
    /// holder; returns what was asked of whom. Layers nobody holds keep their genesis weights.
    mutating func fetch(_ missing: [Int]) -> [NodeID: Range<Int>] {
        var awaiting: [NodeID: Range<Int>] = [:]
        for layer in missing {
            guard let holder = peers.entries.filter({ $0.info.layers.contains(layer) })
                .max(by: { ($0.info.round, $1.info.id) < ($1.info.round, $0.info.id) }) else { continue }
            let asked = awaiting[holder.info.id].map { min($0.lowerBound, layer)..<max($0.upperBound, layer + 1) }
            awaiting[holder.info.id] = asked ?? layer..<(layer + 1)
        }
        for id in awaiting.keys.sorted() {
            send(.checkpointRequest(layers: awaiting[id]!), to: peers[id]!.info.address)
        }
        if !awaiting.isEmpty {
            checkpointAttempt += 1
            out.append(.setTimer(.checkpointTimeout(attempt: checkpointAttempt), after: config.membership.failureTimeout))
        }
        return awaiting
    }

    /// A holder we were fetching from is gone: ask another for its layers.
    mutating func refetch(now: Timestamp, rng: inout DeterministicRNG) {
        guard case .fetching(var awaiting) = phase else { return }
        let lost = awaiting.keys.filter { !peers.contains($0) }.sorted()
        guard !lost.isEmpty else { return }
        var missing: [Int] = []
        for id in lost { missing += Array(awaiting.removeValue(forKey: id)!) }
        for (id, range) in fetch(missing.sorted()).sorted(by: { $0.key < $1.key }) {
            guard let pending = awaiting[id] else { awaiting[id] = range; continue }
            // Already asked for other layers: one answer must cover both, so ask for the span.
            let span = min(pending.lowerBound, range.lowerBound)..<max(pending.upperBound, range.upperBound)
            awaiting[id] = span
            send(.checkpointRequest(layers: span), to: peers[id]!.info.address)
        }
        if awaiting.isEmpty {
            saveAndTrain(now: now, rng: &rng)
        } else {
            phase = .fetching(awaiting: awaiting)
        }
    }

    mutating func serveCheckpoint(_ wanted: Range<Int>, to requester: NodeID) {
        guard let address = peers[requester]?.info.address, let checkpoint = checkpoint(of: wanted) else { return }
        send(.checkpoint(checkpoint), to: address)
    }

    /// The production shell's GetCheckpoint, a call answered in place: counted as the request
    /// received and the `checkpoint` message sent that the simulator's nodes exchange.
    public mutating func serveCheckpoint(_ wanted: Range<Int>) -> CheckpointMessage? {
        metrics.received(.checkpointRequest(layers: wanted))
        guard let checkpoint = checkpoint(of: wanted) else { return nil }
        metrics.sent(.checkpoint(checkpoint))
        return checkpoint
    }

    /// The θ₀ and outer momentum of the held layers among `wanted` (nil: none held).
    func checkpoint(of wanted: Range<Int>) -> CheckpointMessage? {
        let overlap = wanted.clamped(to: layers)
        guard !overlap.isEmpty else { return nil }
        let params = LayerParameters(range: overlap, layers: overlap.map { theta0[$0] })
        let velocity = outer.velocity.isEmpty ? [] : overlap.map { outer.velocity[$0 - layers.lowerBound] }
        return CheckpointMessage(round: round, params: params, velocity: velocity)
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
