import Deterministic
import Training

/// Joining, heartbeats, gossip and failure detection.
extension NodeCore {
    mutating func start(now: Timestamp, rng: inout DeterministicRNG) {
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

    mutating func shutdown() {
        for peer in peers.entries { send(.leave, to: peer.info.address) }
        phase = .idle
        persist()
    }

    mutating func receive(_ message: PeerMessage, from: NodeID, now: Timestamp, rng: inout DeterministicRNG) {
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
        case .update(let u): receiveUpdate(u, from: from, now: now, rng: &rng)
        case .checkpointRequest(let wanted): serveCheckpoint(wanted, to: from)
        case .checkpoint(let c): installCheckpoint(c, from: from, now: now, rng: &rng)
        }
    }

    mutating func hear(_ info: PeerInfo, at heardAt: Timestamp, now: Timestamp) {
        guard info.id != config.id else { return }
        if peers.heard(info, at: heardAt, now: now) {
            out.append(.note(.peerAdded(info.id)))
            remember(info.address)
        }
    }

    mutating func heartbeatTick(now: Timestamp, rng: inout DeterministicRNG) {
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

    mutating func peersChanged(now: Timestamp, rng: inout DeterministicRNG) {
        // A peer that left may have been the one we were waiting for.
        if case .syncing(let group, _, _) = phase, !group.isEmpty { tryFinishRound(now: now, rng: &rng, timedOut: false) }
        if case .fetching(let awaiting) = phase, awaiting.keys.contains(where: { !peers.contains($0) }) {
            phase = .idle
            rebalance(now: now, rng: &rng, force: true)
        }
    }

    var peerRanges: [Range<Int>] { peers.entries.map(\.info.layers) }

}
