import Deterministic
import Identity
@testable import NeuroShardCore
import Training
import Testing

@Suite struct MembershipTests {
    let a = nodeID(1), b = nodeID(2), c = nodeID(3)

    /// A is the seed; B and C join through it at t = 0. A fixed RNG per node.
    func threeNodes() -> Cluster {
        var net = Cluster()
        net.add(NodeCore(config: membershipConfig(1, "a"), objective: NoisyQuadratic()), seed: 11)
        net.add(NodeCore(config: membershipConfig(2, "b", seeds: ["a"]), objective: NoisyQuadratic()), seed: 12)
        net.add(NodeCore(config: membershipConfig(3, "c", seeds: ["a"]), objective: NoisyQuadratic()), seed: 13)
        for address in ["a", "b", "c"] { net.input(address, .start, at: .zero) }
        return net
    }

    @Test func nodesJoinThroughASeedAndSeeEachOther() {
        var net = threeNodes()
        // Right after the joins: the seed knows both, each newcomer knows the seed.
        #expect(net["a"].peers.contains(b) && net["a"].peers.contains(c))
        #expect(net["b"].peers.contains(a))
        #expect(net["c"].peers.contains(a))
        #expect(net["b"].joined && net["c"].joined && net["a"].joined)
        #expect(net.notes(of: "b").contains(.joined(via: a)))
        #expect(net.notes(of: "c").contains(.joined(via: a)))
        // C heard of B from the seed's welcome.
        #expect(net["c"].peers.contains(b))
        // One round of heartbeats and everybody knows everybody.
        net.tickAll(at: at(1))
        for (address, others) in [("a", [b, c]), ("b", [a, c]), ("c", [a, b])] {
            let ids = net[address].peers.entries.map(\.info.id)
            #expect(ids == others.sorted(), "\(address) sees \(ids) (the table is in id order)")
        }
        #expect(net.notes(of: "b").contains(.peerAdded(c)))
        // Nobody lists itself.
        for address in ["a", "b", "c"] {
            #expect(!net[address].peers.contains(net[address].config.id))
        }
    }

    @Test func aSilentPeerIsDroppedAtTheFirstTickAfterTheTimeoutAndReturnsWhenHeard() {
        var net = Cluster()
        net.add(NodeCore(config: membershipConfig(1, "a"), objective: NoisyQuadratic()), seed: 1)
        net.add(NodeCore(config: membershipConfig(3, "c", seeds: ["a"]), objective: NoisyQuadratic()), seed: 3)
        net.input("a", .start, at: .zero)
        net.input("c", .start, at: .zero)
        #expect(net["a"].peers[c]?.lastHeard == .zero)
        net.down = ["c"]
        // A ticks every 2 s from t = 1 s: C was last heard at 0, timeout 10 s, so the tick at
        // t = 9 keeps it and the tick at t = 11 drops it (silent 11 s ∈ (10, 12]).
        for t in stride(from: 1.0, through: 9.0, by: 2.0) {
            net.tick("a", at: at(t))
            #expect(net["a"].peers.contains(c), "dropped too early, at t = \(t)")
        }
        #expect(!net.notes(of: "a").contains { $0.kind == "peer_dropped" })
        net.tick("a", at: at(11))
        #expect(!net["a"].peers.contains(c))
        let dropped = net.notes(of: "a").filter { $0.kind == "peer_dropped" }
        #expect(dropped == [.peerDropped(c, silentFor: .seconds(11))])
        #expect(net["a"].metrics.peersDropped == 1)

        // C is reachable again and speaks (its own tick: it dropped A too, so it knocks on the seed).
        net.down = []
        net.tick("c", at: at(12))
        #expect(net["a"].peers.contains(c))
        #expect(net["a"].peers[c]?.lastHeard == at(12))
        #expect(net.notes(of: "a").filter { $0 == .peerAdded(c) }.count == 2)
        #expect(net["c"].peers.contains(a))
    }

    @Test func dropBoundaryIsStrictlyAfterTheTimeout() {
        var net = Cluster()
        net.add(NodeCore(config: membershipConfig(1, "a"), objective: NoisyQuadratic()), seed: 1)
        net.add(NodeCore(config: membershipConfig(3, "c", seeds: ["a"]), objective: NoisyQuadratic()), seed: 3)
        net.input("a", .start, at: .zero)
        net.input("c", .start, at: at(4))   // C last heard by A at t = 4
        net.down = ["c"]
        net.tick("a", at: at(14))           // exactly the timeout: kept
        #expect(net["a"].peers.contains(c))
        net.tick("a", at: at(14) + TimeSpan(nanos: 1))
        #expect(!net["a"].peers.contains(c))
        #expect(net.notes(of: "a").contains(.peerDropped(c, silentFor: .seconds(10) + TimeSpan(nanos: 1))))
    }

    @Test func aPeerThatKeepsTalkingIsNeverDropped() {
        var net = threeNodes()
        for t in stride(from: 1.0, through: 61.0, by: 2.0) { net.tickAll(at: at(t)) }
        for address in ["a", "b", "c"] {
            #expect(net[address].peers.count == 2)
            #expect(net[address].metrics.peersDropped == 0)
            #expect(!net.notes(of: address).contains { $0.kind == "peer_dropped" })
        }
    }

    @Test func leaveRemovesAtOnceAndGossipDoesNotBringItBack() {
        var net = threeNodes()
        net.tickAll(at: at(1))
        #expect(net["a"].peers.contains(b) && net["c"].peers.contains(b))
        // B leaves; its goodbye reaches A but is lost on the way to C, so C still gossips about B.
        net.drop = { from, to, message in from == "b" && to == "c" && message == .leave }
        net.input("b", .shutdown, at: at(2))
        net.down = ["b"]
        #expect(!net["a"].peers.contains(b), "a leave removes the peer at once, not after a timeout")
        #expect(net.notes(of: "a").contains(.peerLeft(b)))
        #expect(net["c"].peers.contains(b))

        // C's next heartbeat to A names B (C heard B a moment ago).
        let effects = net.input("c", .timer(.heartbeat), at: at(2.5))
        let toA = sends(effects).filter { $0.to == "a" }.compactMap { s -> Heartbeat? in
            if case .heartbeat(let hb) = s.message { hb } else { nil }
        }
        #expect(toA.count == 1)
        #expect(toA.first?.gossip.contains { $0.info.id == b } == true, "the test needs gossip naming B")
        #expect(!net["a"].peers.contains(b), "gossip brought back a peer that left")

        // Nor does a welcome or a heartbeat from anyone else naming it.
        var core = net["a"]
        var rng = DeterministicRNG(seed: 99)
        let bInfo = PeerInfo(id: b, address: "b", layers: 0..<4, capacity: 4, round: 0)
        let hb = Heartbeat(info: net["c"].info, gossip: [GossipEntry(info: bInfo, age: .zero)], sentAt: at(3),
                           echo: nil, held: .zero)
        _ = core.handle(.message(from: c, .heartbeat(hb)), now: at(3), rng: &rng)
        _ = core.handle(.message(from: c, .welcome(net["c"].info, peers: [GossipEntry(info: bInfo, age: .zero)])),
                        now: at(3), rng: &rng)
        #expect(!core.peers.contains(b))
        let later = core.handle(.timer(.heartbeat), now: at(4), rng: &rng)
        #expect(!notes(later).contains(.peerAdded(b)))
        #expect(!core.peers.contains(b))
    }

    @Test func aFullTableAnswersAStrangersHeartbeatWithAnAck() {
        var net = Cluster()
        net.add(NodeCore(config: membershipConfig(1, "a", maxPeers: 1), objective: NoisyQuadratic()), seed: 1)
        net.add(NodeCore(config: membershipConfig(2, "b", seeds: ["a"]), objective: NoisyQuadratic()), seed: 2)
        net.add(NodeCore(config: membershipConfig(3, "c"), objective: NoisyQuadratic()), seed: 3)
        for address in ["a", "b", "c"] { net.input(address, .start, at: .zero) }
        #expect(net["a"].peers.entries.map(\.info.id) == [b])
        #expect(net["a"].peers.isFull)

        // A stranger's heartbeat: A cannot take it in, but answers so the stranger can watch A.
        let hb = Heartbeat(info: net["c"].info, gossip: [], sentAt: at(5), echo: nil, held: .zero)
        let effects = net.input("a", .message(from: c, .heartbeat(hb)), at: at(5))
        #expect(!net["a"].peers.contains(c))
        let acks = sends(effects).compactMap { s -> (String, Heartbeat)? in
            if case .heartbeatAck(let h) = s.message { (s.to, h) } else { nil }
        }
        #expect(acks.count == 1)
        #expect(acks.first?.0 == "c")
        #expect(acks.first?.1.info.id == a)
        #expect(acks.first?.1.echo == at(5))
        // The ack reached C, which now knows A.
        #expect(net["c"].peers.contains(a))

        // A known peer's heartbeat gets no ack (it is heartbeated anyway).
        let fromB = Heartbeat(info: net["b"].info, gossip: [], sentAt: at(6), echo: nil, held: .zero)
        let effectsB = net.input("a", .message(from: b, .heartbeat(fromB)), at: at(6))
        #expect(!sends(effectsB).contains { if case .heartbeatAck = $0.message { true } else { false } })
    }

    @Test func sameSeedSameEffects() {
        // The core is deterministic: two identical runs give identical tables and notes.
        func run() -> ([[NodeID]], [[NodeNote]]) {
            var net = threeNodes()
            for t in stride(from: 1.0, through: 15.0, by: 2.0) { net.tickAll(at: at(t)) }
            return (["a", "b", "c"].map { net[$0].peers.entries.map(\.info.id) }, ["a", "b", "c"].map { net.notes(of: $0) })
        }
        let x = run(), y = run()
        #expect(x.0 == y.0)
        #expect(x.1 == y.1)
    }
}

@Suite struct PeerTableTests {
    func info(_ n: UInt64) -> PeerInfo {
        PeerInfo(id: nodeID(n), address: "n\(n)", layers: 0..<1, capacity: 1, round: 0)
    }

    @Test func entriesStaySortedById() {
        var table = PeerTable(capacity: 100)
        var rng = DeterministicRNG(seed: 5)
        let ids = rng.sample(Array(1...60), count: 60)
        for n in ids { table.heard(info(UInt64(n)), now: at(Double(n))) }
        let order = table.entries.map(\.info.id)
        #expect(order == order.sorted())
        #expect(table.count == 60)
        for n in ids { #expect(table[nodeID(UInt64(n))]?.lastHeard == at(Double(n))) }
        // Removing keeps the order and the lookups right.
        for n in ids.prefix(20) {
            let removed = table.remove(nodeID(UInt64(n)))
            #expect(removed?.info.id == nodeID(UInt64(n)))
        }
        #expect(table.entries.map(\.info.id) == table.entries.map(\.info.id).sorted())
        for n in ids.prefix(20) { #expect(!table.contains(nodeID(UInt64(n)))) }
        for n in ids.dropFirst(20) { #expect(table.contains(nodeID(UInt64(n)))) }
        // Ordering is by (high, low), like the hex form.
        #expect(NodeID(high: 1, low: 0) > NodeID(high: 0, low: .max))
        #expect(NodeID(high: 1, low: 0).hex > NodeID(high: 0, low: .max).hex)
    }

    @Test func capacityIsRespected() {
        var table = PeerTable(capacity: 3)
        let addedFive = table.heard(info(5), now: at(1))
        #expect(addedFive)
        let addedTwo = table.heard(info(2), now: at(1))
        #expect(addedTwo)
        let addedNine = table.add(info(9), lastHeard: at(0), now: at(1))
        #expect(addedNine)
        #expect(table.isFull)
        let addedOneWhenFull = table.heard(info(1), now: at(2))
        #expect(!addedOneWhenFull)
        let addedSevenWhenFull = table.add(info(7), lastHeard: at(2), now: at(2))
        #expect(!addedSevenWhenFull)
        #expect(table.count == 3)
        #expect(!table.contains(nodeID(1)) && !table.contains(nodeID(7)))
        // Known peers are still refreshed when full.
        var moved = info(5)
        moved.layers = 2..<4
        let refreshedIsNew = table.heard(moved, now: at(3))
        #expect(!refreshedIsNew)
        #expect(table[nodeID(5)]?.lastHeard == at(3))
        #expect(table[nodeID(5)]?.info.layers == 2..<4)
        #expect(table[nodeID(5)]?.connectedSince == at(1))
        // A duplicate add changes nothing.
        let duplicateAdded = table.add(info(2), lastHeard: at(9), now: at(9))
        #expect(!duplicateAdded)
        #expect(table[nodeID(2)]?.lastHeard == at(1))
    }

    @Test func expireDropsOnlyPeersSilentLongerThanTheTimeout() {
        var table = PeerTable(capacity: 10)
        table.add(info(1), lastHeard: at(0), now: at(0))
        table.add(info(2), lastHeard: at(5), now: at(5))
        table.add(info(3), lastHeard: at(9), now: at(9))
        let dropped = table.expire(now: at(15), timeout: .seconds(10))
        #expect(dropped.map(\.info.id) == [nodeID(1)])
        #expect(table.entries.map(\.info.id) == [nodeID(2), nodeID(3)])
        #expect(table.expire(now: at(15), timeout: .seconds(10)).isEmpty)
    }

    @Test func gossipSamplesOnlyFreshPeers() {
        var table = PeerTable(capacity: 50)
        // Even ids heard at t = 100, odd ones long ago.
        for n in 1...20 { table.add(info(UInt64(n)), lastHeard: n % 2 == 0 ? at(100) : at(90), now: at(100)) }
        var rng = DeterministicRNG(seed: 3)
        let fresh = Set((1...10).map { nodeID(UInt64(2 * $0)) })
        var seen = Set<NodeID>()
        for _ in 0..<200 {
            let sample = table.gossipSample(count: 3, now: at(101), freshness: .seconds(4), rng: &rng)
            #expect(sample.count == 3)
            #expect(Set(sample.map(\.info.id)).count == 3, "no repeats within a sample")
            for entry in sample {
                #expect(fresh.contains(entry.info.id), "stale peer \(entry.info.id) gossiped")
                #expect(entry.age == .seconds(1))
                seen.insert(entry.info.id)
            }
        }
        #expect(seen == fresh, "every fresh peer is eventually sampled")
        let all = table.gossipSample(count: 100, now: at(101), freshness: .seconds(4), rng: &rng)
        #expect(all.count == 10)
        #expect(table.gossipSample(count: 0, now: at(101), freshness: .seconds(4), rng: &rng).isEmpty)
        #expect(table.gossipSample(count: 5, now: at(200), freshness: .seconds(4), rng: &rng).isEmpty)
    }
}
