import Deterministic
import Identity
import Ledger
@testable import NeuroShardCore
import Training

// Helpers shared by the NeuroShardCore tests: times, ids, configs, and a tiny hand-driven
// network that delivers `.send` effects at once to the node with that address.

func at(_ seconds: Double) -> Timestamp { Timestamp(nanos: Int64((seconds * 1e9).rounded())) }

/// Test node `n`'s key, and its id (the key's, as every node id is).
func nodeKey(_ n: UInt64) -> SigningKey { SigningKey(token: "test-node-\(n)") }
func nodeID(_ n: UInt64) -> NodeID { NodeID(hex: nodeKey(n).nodeID)! }

/// The effects as a shell carries them out when every commit succeeds: each `commit` replaced by
/// the effects that waited for it.
func carriedOut(_ effects: [Effect]) -> [Effect] {
    effects.flatMap { effect -> [Effect] in
        if case .commit(_, let then) = effect { return then }
        return [effect]
    }
}

func notes(_ effects: [Effect]) -> [NodeNote] {
    carriedOut(effects).compactMap { if case .note(let n) = $0 { n } else { nil } }
}

func sends(_ effects: [Effect]) -> [(to: String, message: PeerMessage)] {
    carriedOut(effects).compactMap { if case .send(let to, let m) = $0 { (to, m) } else { nil } }
}

/// The ledger records among `effects`' messages.
func records(_ effects: [Effect]) -> [(to: String, record: Record)] {
    sends(effects).compactMap { if case .record(let r) = $0.message { ($0.to, r) } else { nil } }
}

/// The journals `effects` ask to commit.
func journals(_ effects: [Effect]) -> [[JournalEntry]] {
    effects.compactMap { if case .commit(let journal, _) = $0 { journal } else { nil } }
}

/// Nodes driven by hand: every input's `.send` effects are delivered immediately (same `now`),
/// breadth first, to the node whose address matches, unless `drop` says otherwise. Timers are
/// ignored (the test fires `.timer(.heartbeat)` itself); compute jobs too, unless `runsCompute`:
/// then each runs at once and its result joins the queue.
struct Cluster {
    var nodes: [String: NodeCore] = [:]
    var rngs: [String: DeterministicRNG] = [:]
    /// Every effect each node produced, in order.
    var effects: [String: [Effect]] = [:]
    /// Nodes that neither send nor receive (crashed or cut off).
    var down: Set<String> = []
    /// Extra filter: return true to lose a message (from address, to address, message).
    var drop: (String, String, PeerMessage) -> Bool = { _, _, _ in false }
    /// Return true to deliver a message twice, back to back.
    var duplicate: (String, String, PeerMessage) -> Bool = { _, _, _ in false }
    var runsCompute = false

    mutating func add(_ core: NodeCore, seed: UInt64) {
        nodes[core.config.address] = core
        rngs[core.config.address] = DeterministicRNG(seed: seed)
        effects[core.config.address] = []
    }

    subscript(address: String) -> NodeCore { nodes[address]! }

    func notes(of address: String) -> [NodeNote] { NeuroShardCoreTests.notes(effects[address] ?? []) }

    /// Hands `input` to the node at `address` and delivers everything that follows from it.
    @discardableResult
    mutating func input(_ address: String, _ input: Input, at now: Timestamp) -> [Effect] {
        var queue: [(to: String, from: String, input: Input)] = [(address, address, input)]
        var first: [Effect]? = nil
        while !queue.isEmpty {
            let (to, from, next) = queue.removeFirst()
            guard var core = nodes[to], var rng = rngs[to] else { continue }
            if case .message = next, down.contains(to) || down.contains(from) { continue }
            let out = carriedOut(core.handle(next, now: now, rng: &rng))
            nodes[to] = core
            rngs[to] = rng
            effects[to, default: []].append(contentsOf: out)
            if first == nil { first = out }
            for effect in out {
                switch effect {
                case .send(let dest, let message) where nodes[dest] != nil && !drop(to, dest, message):
                    for _ in 0..<(duplicate(to, dest, message) ? 2 : 1) {
                        queue.append((dest, to, .message(from: core.config.id, message)))
                    }
                case .startCompute(let job) where runsCompute:
                    queue.append((to, to, .computeFinished(jobID: job.id, job.run())))
                default: break
                }
            }
        }
        return first ?? []
    }

    mutating func tick(_ address: String, at now: Timestamp) {
        input(address, .timer(.heartbeat), at: now)
    }

    mutating func tickAll(at now: Timestamp) {
        for address in nodes.keys.sorted() where !down.contains(address) { tick(address, at: now) }
    }
}

func membershipConfig(_ n: UInt64, _ address: String, seeds: [String] = [], maxPeers: Int = 32,
                      training: Bool = false) -> NodeConfig {
    NodeConfig(address: address, token: "token-\(address)", key: nodeKey(n), seedPeers: seeds,
               trainingEnabled: training,
               membership: MembershipSettings(heartbeatInterval: .seconds(2), failureTimeout: .seconds(10),
                                              maxPeers: maxPeers, gossipSize: 3))
}
