import Deterministic
import Identity

/// One known peer.
public struct PeerEntry: Equatable, Sendable {
    public var info: PeerInfo
    public var lastHeard: Timestamp
    public var connectedSince: Timestamp
    public var roundTrip: TimeSpan?
    /// The peer's `sentAt` from its last heartbeat, and when it arrived (echoed back to it).
    var lastSentAt: Timestamp?
    var lastReceivedAt: Timestamp = .zero
}

/// The node's partial view of the network, sorted by id so that every walk over it is in the
/// same order in every process. Heartbeats refresh entries; `expire` drops the silent ones.
public struct PeerTable: Sendable {
    public private(set) var entries: [PeerEntry] = []
    public let capacity: Int

    public init(capacity: Int) { self.capacity = capacity }

    public var count: Int { entries.count }
    public var isFull: Bool { entries.count >= capacity }

    private func index(of id: NodeID) -> (found: Bool, at: Int) {
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].info.id < id { lo = mid + 1 } else { hi = mid }
        }
        return (lo < entries.count && entries[lo].info.id == id, lo)
    }

    public subscript(id: NodeID) -> PeerEntry? {
        let (found, at) = index(of: id)
        return found ? entries[at] : nil
    }

    public func contains(_ id: NodeID) -> Bool { index(of: id).found }

    /// A peer's update shows it has reached `round`: fresher than its last heartbeat when rounds
    /// are short (sync mode ends one every step).
    public mutating func noteRound(_ round: Int, of id: NodeID) {
        let (found, at) = index(of: id)
        if found && entries[at].info.round < round { entries[at].info.round = round }
    }

    /// Records a message from the peer itself at `now`. Returns true when the peer is new to the
    /// table. A full table ignores newcomers (they find room elsewhere through gossip).
    @discardableResult
    public mutating func heard(_ info: PeerInfo, now: Timestamp) -> Bool {
        let (found, at) = index(of: info.id)
        if found {
            entries[at].info = info
            entries[at].lastHeard = now
            return false
        }
        return add(info, lastHeard: now, now: now)
    }

    /// Adds a peer not yet in the table, if there is room. Returns true when it was added.
    @discardableResult
    public mutating func add(_ info: PeerInfo, lastHeard: Timestamp, now: Timestamp) -> Bool {
        let (found, at) = index(of: info.id)
        guard !found, !isFull else { return false }
        entries.insert(PeerEntry(info: info, lastHeard: lastHeard, connectedSince: now), at: at)
        return true
    }

    /// Bookkeeping for round-trip times on a direct heartbeat.
    public mutating func recordHeartbeat(_ hb: Heartbeat, now: Timestamp) {
        let (found, at) = index(of: hb.info.id)
        guard found else { return }
        entries[at].lastSentAt = hb.sentAt
        entries[at].lastReceivedAt = now
        if let echo = hb.echo {
            let rtt = (now - echo) - hb.held
            if rtt >= .zero { entries[at].roundTrip = rtt }
        }
    }

    /// The echo this node puts in its next heartbeat to `id`.
    public func echo(for id: NodeID, now: Timestamp) -> (Timestamp?, TimeSpan) {
        guard let e = self[id], let sent = e.lastSentAt else { return (nil, .zero) }
        return (sent, now - e.lastReceivedAt)
    }

    @discardableResult
    public mutating func remove(_ id: NodeID) -> PeerEntry? {
        let (found, at) = index(of: id)
        return found ? entries.remove(at: at) : nil
    }

    /// Drops every peer silent for longer than `timeout`; returns them.
    public mutating func expire(now: Timestamp, timeout: TimeSpan) -> [PeerEntry] {
        var dropped: [PeerEntry] = []
        entries.removeAll { entry in
            let silent = now - entry.lastHeard > timeout
            if silent { dropped.append(entry) }
            return silent
        }
        return dropped
    }

    /// Up to `count` peers heard within `freshness`, drawn at random, for gossip.
    public func gossipSample(count: Int, now: Timestamp, freshness: TimeSpan,
                             rng: inout DeterministicRNG) -> [GossipEntry] {
        guard count > 0 else { return [] }
        let fresh = entries.filter { now - $0.lastHeard <= freshness }
        return rng.sample(fresh, count: count).map { entry in
            var info = entry.info
            info.ledger = nil // a second-hand summary is stale: only a peer's own counts
            return GossipEntry(info: info, age: now - entry.lastHeard)
        }
    }
}
