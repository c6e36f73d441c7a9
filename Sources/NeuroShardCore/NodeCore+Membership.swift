import Deterministic
import Identity
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
        if config.diloco.startDelay > .zero {
            waitingToTrain = true
            out.append(.setTimer(.trainingStart, after: config.diloco.startDelay))
        }
        if !layers.isEmpty { startRound(now: now, rng: &rng) }
        startLedger()
    }

    mutating func shutdown() {
        for peer in peers.entries { send(.leave, to: peer.info.address) }
        phase = .idle
        persist()
    }

    mutating func receive(_ raw: PeerMessage, from: NodeID, now: Timestamp, rng: inout DeterministicRNG) {
        metrics.received(raw)
        let message: PeerMessage
        switch validated(raw, from: from) {
        case .success(let m): message = m
        case .failure(let rejection):
            metrics.messagesRejected += 1
            out.append(.note(.messageRejected(from: from, kind: raw.kind, reason: rejection.reason)))
            return
        }
        switch message {
        case .join(let info):
            hear(info, now: now)
            let sample = peers.gossipSample(count: config.membership.maxPeers, now: now,
                                            freshness: config.membership.failureTimeout, rng: &rng)
            send(.welcome(self.info, peers: sample), to: info.address)
        case .welcome(let info, let sample):
            hear(info, now: now)
            learn(sample, now: now)
            markJoined(via: info.id)
        case .heartbeat(let hb):
            heartbeatArrived(hb, now: now)
            if !peers.contains(hb.info.id) {
                // Our table is full, so we will not heartbeat it: answer, so it can still watch us.
                send(.heartbeatAck(Heartbeat(info: info, gossip: [], sentAt: now, echo: hb.sentAt, held: .zero)),
                     to: hb.info.address)
            }
        case .heartbeatAck(let hb):
            heartbeatArrived(hb, now: now)
        case .leave:
            // Remembered for a while, so that gossip still naming it does not bring it back.
            departed[from] = now
            if peers.remove(from) != nil {
                out.append(.note(.peerLeft(from)))
                peersChanged(now: now, rng: &rng)
            }
        case .update(let u): receiveUpdate(u, from: from, now: now, rng: &rng)
        case .checkpointRequest(let wanted): serveCheckpoint(wanted, to: from)
        case .checkpoint(let c): installCheckpoint(c, from: from, now: now, rng: &rng)
        case .forward, .backward: receivePipeline(message, from: from)
        case .record(let r): receiveRecord(r, from: from, now: now)
        case .ledgerPull(let p): answerPull(p, from: from, now: now)
        case .ledgerBatch(let b): receiveBatch(b, from: from, now: now)
        }
    }

    /// A message straight from the peer: it is alive now.
    mutating func hear(_ info: PeerInfo, now: Timestamp) {
        guard info.id != config.id else { return }
        departed[info.id] = nil
        if peers.heard(info, now: now) {
            out.append(.note(.peerAdded(info.id)))
            remember(info.address)
        }
        compareLedgers(info.ledger, of: info, now: now)
    }

    /// Peers named second-hand: new ones join the table (if there is room) as if last heard when
    /// the namer heard them, so one that is dead is dropped again soon; known ones are untouched,
    /// since only a peer's own messages prove it alive.
    mutating func learn(_ entries: [GossipEntry], now: Timestamp) {
        for entry in entries where entry.info.id != config.id && !peers.contains(entry.info.id)
            && departed[entry.info.id] == nil {
            if peers.add(entry.info, lastHeard: now - entry.age, now: now) {
                out.append(.note(.peerAdded(entry.info.id)))
                remember(entry.info.address)
            }
        }
    }

    mutating func heartbeatArrived(_ hb: Heartbeat, now: Timestamp) {
        hear(hb.info, now: now)
        peers.recordHeartbeat(hb, now: now)
        learn(hb.gossip, now: now)
        markJoined(via: hb.info.id)
    }

    mutating func markJoined(via id: NodeID) {
        guard !joined else { return }
        joined = true
        out.append(.note(.joined(via: id)))
    }

    mutating func heartbeatTick(now: Timestamp, rng: inout DeterministicRNG) {
        let m = config.membership
        let dropped = peers.expire(now: now, timeout: m.failureTimeout)
        if !departed.isEmpty { departed = departed.filter { now - $0.value <= m.failureTimeout * 2 } }
        for entry in dropped {
            metrics.peersDropped += 1
            out.append(.note(.peerDropped(entry.info.id, silentFor: now - entry.lastHeard)))
        }
        let absent = knownAddresses.filter { a in a != config.address && !peers.entries.contains { $0.info.address == a } }
        if peers.count == 0 {
            // Alone (just started, or everyone went quiet): knock on every door it knows.
            for address in absent { send(.join(info), to: address) }
        } else if !peers.isFull, !absent.isEmpty {
            // Room in the table: try one address it knew before, so that the two sides of a healed
            // partition (which no longer gossip about each other) find each other again.
            send(.join(info), to: absent[rng.nextInt(below: absent.count)])
        }
        // One gossip sample per tick serves every peer (a peer named to itself ignores it).
        announce(now: now, gossip: peers.gossipSample(count: m.gossipSize, now: now,
                                                      freshness: m.heartbeatInterval * 2, rng: &rng))
        out.append(.setTimer(.heartbeat, after: m.heartbeatInterval))
        admitDueRecords(now: now)
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

    /// A heartbeat to every peer: on each tick, and at once when this node's layers change, so
    /// that other nodes planning a move see this one before they make theirs.
    mutating func announce(now: Timestamp, gossip: [GossipEntry] = []) {
        for entry in peers.entries {
            let (echo, held) = peers.echo(for: entry.info.id, now: now)
            send(.heartbeat(Heartbeat(info: info, gossip: gossip, sentAt: now, echo: echo, held: held)),
                 to: entry.info.address)
        }
    }

    mutating func peersChanged(now: Timestamp, rng: inout DeterministicRNG) {
        // A peer that left may have been the one we were waiting for.
        if case .syncing(let group, _, _) = phase, !group.isEmpty { tryFinishRound(now: now, rng: &rng, timedOut: false) }
        refetch(now: now, rng: &rng)
    }

    var peerRanges: [Range<Int>] { peers.entries.map(\.info.layers) }
}
