import Deterministic
import Identity
import Ledger
import Training

/// What a node tells others about itself.
public struct PeerInfo: Equatable, Sendable {
    public var id: NodeID
    public var address: String
    public var layers: Range<Int>
    /// How many layers it could hold (from its memory).
    public var capacity: Int
    /// The DiLoCo round it is in.
    public var round: Int
    /// What its ledger holds (nil without a ledger, and in second-hand gossip): a peer whose
    /// summary differs pulls (see NodeCore+Reconciliation).
    public var ledger: LedgerSummary?

    public init(id: NodeID, address: String, layers: Range<Int>, capacity: Int, round: Int, ledger: LedgerSummary? = nil) {
        self.id = id; self.address = address; self.layers = layers; self.capacity = capacity; self.round = round
        self.ledger = ledger
    }

    /// Bytes on the wire: the fields, plus the summary when there is one.
    var wireSize: Int { 80 + (ledger == nil ? 0 : 16) }
}

/// A peer named second-hand in a heartbeat, with how long ago the sender last heard it
/// (so that a dead peer stops being passed around once everyone's memory of it is old).
public struct GossipEntry: Equatable, Sendable {
    public var info: PeerInfo
    public var age: TimeSpan

    public init(info: PeerInfo, age: TimeSpan) {
        self.info = info
        self.age = age
    }
}

public struct Heartbeat: Equatable, Sendable {
    public var info: PeerInfo
    public var gossip: [GossipEntry]
    /// The sender's clock when it sent this.
    public var sentAt: Timestamp
    /// The receiver's own `sentAt` from the last heartbeat the sender got from it, and how long
    /// the sender held it: the receiver gets a round-trip time without extra messages.
    public var echo: Timestamp?
    public var held: TimeSpan

    public init(info: PeerInfo, gossip: [GossipEntry], sentAt: Timestamp, echo: Timestamp?, held: TimeSpan) {
        self.info = info; self.gossip = gossip; self.sentAt = sentAt; self.echo = echo; self.held = held
    }
}

/// A node's share of a DiLoCo round, for the layers both ends hold.
public struct RoundUpdate: Equatable, Sendable {
    public var round: Int
    public var payload: Payload

    public enum Payload: Equatable, Sendable {
        /// Its weights after the inner steps, θ = θ₀ − Δ. A receiver whose θ₀ is the sender's
        /// reads exactly the sender's Δ from it (θ₀ − θ); a receiver whose θ₀ drifted (a round it
        /// aggregated without some peer) reads Δ plus the drift, so the outer step pulls the
        /// replicas back together instead of letting them part.
        case weights(LayerParameters)
        /// Δ itself: what sync mode carries (a gradient).
        case deltas(LayerParameters)
        /// Δ compressed (int8 blocks, top-k), one tensor per layer of `range`.
        case compressed(range: Range<Int>, [CompressedTensor])
    }

    public init(round: Int, weights: LayerParameters) {
        self.round = round
        payload = .weights(weights)
    }

    public init(round: Int, deltas: LayerParameters) {
        self.round = round
        payload = .deltas(deltas)
    }

    public init(round: Int, payload: Payload) {
        self.round = round
        self.payload = payload
    }

    /// The layers and their arrays, whichever the payload (compressed ones decoded).
    public var values: LayerParameters {
        switch payload {
        case .weights(let p), .deltas(let p): p
        case .compressed(let range, let tensors): LayerParameters(range: range, layers: tensors.map { $0.decoded() })
        }
    }

    /// The same update with a compressed payload decoded once (receivers keep this form).
    public var decoded: RoundUpdate {
        guard case .compressed = payload else { return self }
        return RoundUpdate(round: round, deltas: values)
    }

    /// The sender's Δ for `layer`, read against this node's θ₀ for it.
    public func delta(layer: Int, base: [Float]) -> [Float] {
        switch payload {
        case .weights(let w): zip(base, w[layer]).map { $0 - $1 }
        case .deltas(let d): d[layer]
        case .compressed(let range, let tensors): tensors[layer - range.lowerBound].decoded()
        }
    }

    /// Bytes of the arrays on the wire: a length per layer plus its floats or compressed form.
    var payloadBytes: Int {
        switch payload {
        case .weights(let p), .deltas(let p): p.layers.reduce(0) { $0 + 8 + 4 * $1.count }
        case .compressed(_, let tensors): tensors.reduce(0) { $0 + 8 + $1.wireBytes }
        }
    }
}

/// Weights of some layers, answering a `checkpointRequest`.
public struct CheckpointMessage: Equatable, Sendable {
    public var round: Int
    public var params: LayerParameters
    /// The holder's outer momentum for those layers (empty before its first round): replicas
    /// that share θ₀ and momentum stay identical when they aggregate the same updates.
    public var velocity: [[Float]]

    public init(round: Int, params: LayerParameters, velocity: [[Float]]) {
        self.round = round; self.params = params; self.velocity = velocity
    }
}

/// One training step through a pipeline: the driver that started it and its number there.
public struct StepID: Hashable, Sendable {
    public var driver: NodeID
    public var number: UInt64
    public init(driver: NodeID, number: UInt64) { self.driver = driver; self.number = number }
}

/// A stage's output activations for the next stage (gRPC Forward in production).
public struct ActivationMessage: Equatable, Sendable {
    public var step: StepID
    /// The first layer the receiver runs: the sender's last layer + 1.
    public var layer: Int
    public var activations: [Float]
    /// The minibatch's targets, for the stage that computes the loss.
    public var targets: [Int32]
    public init(step: StepID, layer: Int, activations: [Float], targets: [Int32]) {
        self.step = step; self.layer = layer; self.activations = activations; self.targets = targets
    }
}

/// The gradient of a stage's input activations, for the stage that sent them (gRPC Backward).
public struct GradientMessage: Equatable, Sendable {
    public var step: StepID
    public var gradient: [Float]
    public init(step: StepID, gradient: [Float]) { self.step = step; self.gradient = gradient }
}

/// Messages between nodes. In the simulator they travel as values over virtual links; in
/// production the shell maps them onto the gRPC service of `Protos/neuroshard.proto`.
public enum PeerMessage: Equatable, Sendable {
    case join(PeerInfo)
    case welcome(PeerInfo, peers: [GossipEntry])
    case heartbeat(Heartbeat)
    /// The answer to a heartbeat from a peer that is not in the receiver's (full) table.
    case heartbeatAck(Heartbeat)
    case leave
    case update(RoundUpdate)
    case checkpointRequest(layers: Range<Int>)
    case checkpoint(CheckpointMessage)
    case forward(ActivationMessage)
    case backward(GradientMessage)
    /// A ledger record (a proof, transfer or stake), pushed by its author when it signs it.
    case record(Record)
    /// Anti-entropy: the sender's version vector; the receiver answers with what the sender lacks.
    case ledgerPull(LedgerPull)
    case ledgerBatch(LedgerBatch)

    /// Each kind's name, by `kindCode`.
    public static let kindNames = ["", "join", "welcome", "heartbeat", "heartbeat_ack", "leave", "update",
                                   "checkpoint_request", "checkpoint", "forward", "backward", "record", "ledger_pull",
                                   "ledger_batch"]

    public var kind: String { Self.kindNames[Int(kindCode)] }

    /// A small number per kind, for digests.
    public var kindCode: UInt64 {
        switch self {
        case .join: 1
        case .welcome: 2
        case .heartbeat: 3
        case .heartbeatAck: 4
        case .leave: 5
        case .update: 6
        case .checkpointRequest: 7
        case .checkpoint: 8
        case .forward: 9
        case .backward: 10
        case .record: 11
        case .ledgerPull: 12
        case .ledgerBatch: 13
        }
    }

    /// Bytes this message takes on the wire, as its protobuf encoding would: fixed headers plus
    /// 4 bytes per float. Bandwidth and the bytes metrics use it.
    public var wireSize: Int {
        let header = 48
        switch self {
        case .join(let info): return header + info.wireSize
        case .welcome(let info, let peers): return header + info.wireSize + peers.reduce(0) { $0 + $1.info.wireSize }
        case .heartbeat(let hb), .heartbeatAck(let hb):
            return header + hb.info.wireSize + hb.gossip.reduce(0) { $0 + $1.info.wireSize + 8 } + 24
        case .leave: return header
        case .update(let u): return header + 16 + u.payloadBytes
        case .checkpointRequest: return header + 8
        case .checkpoint(let c):
            return header + 16 + c.params.layers.reduce(0) { $0 + 8 + 4 * $1.count }
                + c.velocity.reduce(0) { $0 + 4 * $1.count }
        case .forward(let f): return header + 32 + 4 * f.activations.count + 4 * f.targets.count
        case .backward(let b): return header + 24 + 4 * b.gradient.count
        case .record(let r): return header + r.wireSize
        case .ledgerPull(let p): return header + p.wireSize
        case .ledgerBatch(let b): return header + b.wireSize
        }
    }

    /// A heartbeat's ledger summary: two 64-bit words.
    public static let summaryBytes = 16

    /// A short digest of the content for the trace (every float counts: a one-bit difference in
    /// a pseudo-gradient changes the trace hash).
    public func digest(into h: inout StableHasher) {
        h.combine(kindCode)
        switch self {
        case .join(let info): info.digest(into: &h)
        case .welcome(let info, let peers):
            info.digest(into: &h)
            for p in peers { p.info.digest(into: &h); h.combine(p.age.nanos) }
        case .heartbeat(let hb), .heartbeatAck(let hb):
            hb.info.digest(into: &h)
            for g in hb.gossip { g.info.digest(into: &h); h.combine(g.age.nanos) }
            h.combine(hb.sentAt.nanos); h.combine(hb.echo?.nanos ?? -1); h.combine(hb.held.nanos)
        case .leave: break
        case .update(let u):
            h.combine(u.round)
            switch u.payload {
            case .weights(let p): p.digest(into: &h)
            case .deltas(let p): h.combine(1); p.digest(into: &h)
            case .compressed(let range, let tensors):
                h.combine(2); h.combine(range.lowerBound)
                for t in tensors { for b in t.serialized() { h.combine(UInt64(b)) } }
            }
        case .checkpointRequest(let layers):
            h.combine(layers.lowerBound); h.combine(layers.upperBound)
        case .checkpoint(let c):
            h.combine(c.round); c.params.digest(into: &h)
            for v in c.velocity { h.combine(v) }
        case .forward(let f):
            f.step.digest(into: &h); h.combine(f.layer); h.combine(f.activations)
            for t in f.targets { h.combine(UInt64(UInt32(bitPattern: t))) }
        case .backward(let b):
            b.step.digest(into: &h); h.combine(b.gradient)
        case .record(let r): r.digest(into: &h)
        case .ledgerPull(let p):
            for e in p.entries {
                h.combine(e.author.high); h.combine(e.author.low); h.combine(e.seq); h.combine(e.head)
                h.combine(e.fork); h.combine(e.back)
            }
        case .ledgerBatch(let b):
            h.combine(b.complete)
            for r in b.records { r.digest(into: &h) }
        }
    }
}

extension PeerInfo {
    func digest(into h: inout StableHasher) {
        h.combine(id.high); h.combine(id.low); h.combine(layers.lowerBound); h.combine(layers.upperBound)
        h.combine(capacity); h.combine(round)
        h.combine(ledger?.records ?? .max); h.combine(ledger?.hash ?? 0)
    }
}

extension StepID {
    func digest(into h: inout StableHasher) {
        h.combine(driver.high); h.combine(driver.low); h.combine(number)
    }
}

extension LayerParameters {
    public func digest(into h: inout StableHasher) {
        h.combine(range.lowerBound); h.combine(range.upperBound)
        for layer in layers { h.combine(layer) }
    }
}
