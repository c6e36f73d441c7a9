import Deterministic
import Foundation
import Identity
import Ledger
import NeuroShardCore
import Training

/// A peer message as the gRPC call that carries it (see `Protos/neuroshard.proto`).
public enum PeerCall: Sendable {
    case gossip(Neuroshard_GossipRequest)
    case exchange(Neuroshard_ExchangeGradientRequest)
    case forward(Neuroshard_ForwardRequest)
    case backward(Neuroshard_BackwardRequest)
    case getCheckpoint(Neuroshard_GetCheckpointRequest)
    case putCheckpoint([Neuroshard_CheckpointChunk])

    public init(_ message: PeerMessage, caller: Neuroshard_Caller) {
        switch message {
        case .join(let info): self = .gossip(.with { $0.caller = caller; $0.join = .init(info) })
        case .welcome(let info, let peers):
            self = .gossip(.with {
                $0.caller = caller
                $0.welcome = .with { $0.info = .init(info); $0.peers = peers.map(Neuroshard_GossipEntry.init) }
            })
        case .heartbeat(let hb): self = .gossip(.with { $0.caller = caller; $0.heartbeat = .init(hb) })
        case .heartbeatAck(let hb): self = .gossip(.with { $0.caller = caller; $0.heartbeatAck = .init(hb) })
        case .leave: self = .gossip(.with { $0.caller = caller; $0.leave = .init() })
        case .record(let r): self = .gossip(.with { $0.caller = caller; $0.record = .init(r) })
        case .ledgerPull(let p): self = .gossip(.with { $0.caller = caller; $0.ledgerPull = .init(p) })
        case .ledgerBatch(let b): self = .gossip(.with { $0.caller = caller; $0.ledgerBatch = .init(b) })
        case .update(let u):
            self = .exchange(.with {
                $0.caller = caller
                $0.round = Int64(u.round)
                switch u.payload {
                case .weights(let p): $0.weights = .init(p)
                case .deltas(let p): $0.deltas = .init(p)
                case .compressed(let range, let tensors):
                    $0.compressed = .with {
                        $0.firstLayer = Int32(range.lowerBound)
                        $0.layers = tensors.map { Data($0.serialized()) }
                    }
                }
            })
        case .checkpointRequest(let layers):
            self = .getCheckpoint(.with {
                $0.caller = caller
                $0.layerStart = Int32(layers.lowerBound)
                $0.layerEnd = Int32(layers.upperBound)
            })
        case .checkpoint(let c): self = .putCheckpoint(CheckpointTransfer.chunks(c, sender: caller))
        case .forward(let f):
            self = .forward(.with {
                $0.caller = caller
                $0.step = .init(f.step)
                $0.layer = Int32(f.layer)
                $0.activations = .init(f.activations)
                $0.labels = f.targets
            })
        case .backward(let b):
            self = .backward(.with { $0.caller = caller; $0.step = .init(b.step); $0.gradient = .init(b.gradient) })
        }
    }
}

// MARK: - Requests back into peer messages

extension Neuroshard_Caller {
    /// The caller's node id; a call without a well-formed one is refused.
    public func id() throws(WireError) -> NodeID {
        guard let id = NodeID(hex: nodeID) else { throw WireError("caller.node_id '\(nodeID.prefix(40))' is not 32 hex characters") }
        return id
    }
}

extension PeerMessage {
    public init(_ r: Neuroshard_GossipRequest) throws(WireError) {
        switch r.message {
        case .join(let info): self = .join(try PeerInfo(info))
        case .welcome(let w):
            var peers: [GossipEntry] = []
            for entry in w.peers { peers.append(try GossipEntry(entry)) }
            self = .welcome(try PeerInfo(w.info), peers: peers)
        case .heartbeat(let hb): self = .heartbeat(try Heartbeat(hb))
        case .heartbeatAck(let hb): self = .heartbeatAck(try Heartbeat(hb))
        case .leave: self = .leave
        case .record(let rec): self = .record(try Record(rec))
        case .ledgerPull(let p): self = .ledgerPull(try LedgerPull(p))
        case .ledgerBatch(let b): self = .ledgerBatch(try LedgerBatch(b))
        case nil: throw WireError("gossip without a message")
        }
    }

    public init(_ r: Neuroshard_ExchangeGradientRequest) throws(WireError) {
        let round = try Self.count(r.round, "round")
        switch r.payload {
        case .weights(let w): self = .update(RoundUpdate(round: round, weights: try w.parameters("weights")))
        case .deltas(let d): self = .update(RoundUpdate(round: round, deltas: try d.parameters("deltas")))
        case .compressed(let c):
            let first = try Self.count(Int64(c.firstLayer), "compressed.first_layer")
            var tensors: [CompressedTensor] = []
            for (i, bytes) in c.layers.enumerated() {
                do { tensors.append(try CompressedTensor(bytes: Array(bytes))) } catch {
                    throw WireError("compressed layer \(first + i): \(error)")
                }
            }
            self = .update(RoundUpdate(round: round, payload: .compressed(range: first..<(first + tensors.count), tensors)))
        case nil: throw WireError("exchange without a payload")
        }
    }

    /// A training Forward (one with a step, not a session).
    public init(training r: Neuroshard_ForwardRequest) throws(WireError) {
        guard r.hasStep else { throw WireError("forward without a step") }
        self = .forward(ActivationMessage(step: try StepID(r.step), layer: try Self.count(Int64(r.layer), "layer"),
                                          activations: try r.activations.floats("activations"), targets: r.labels))
    }

    public init(_ r: Neuroshard_BackwardRequest) throws(WireError) {
        guard r.hasStep else { throw WireError("backward without a step") }
        self = .backward(GradientMessage(step: try StepID(r.step), gradient: try r.gradient.floats("gradient")))
    }

    /// A non-negative count from the wire.
    static func count(_ value: Int64, _ what: String) throws(WireError) -> Int {
        guard value >= 0, value <= Int64(Int32.max) else { throw WireError("\(what) \(value) is out of range") }
        return Int(value)
    }
}

// MARK: - The pieces

extension Neuroshard_PeerInfo {
    init(_ info: PeerInfo) {
        self.init()
        nodeID = info.id.hex
        address = info.address
        layerStart = Int32(info.layers.lowerBound)
        layerEnd = Int32(info.layers.upperBound)
        capacity = Int32(clamping: info.capacity)
        round = Int64(info.round)
        if let summary = info.ledger { ledger = .init(summary) }
    }
}

extension PeerInfo {
    init(_ p: Neuroshard_PeerInfo) throws(WireError) {
        guard let id = NodeID(hex: p.nodeID) else { throw WireError("peer node_id '\(p.nodeID.prefix(40))' is not 32 hex characters") }
        guard p.layerStart >= 0, p.layerEnd >= p.layerStart else {
            throw WireError("peer layers \(p.layerStart)..<\(p.layerEnd) are not a range")
        }
        guard !p.address.isEmpty, p.address.utf8.count <= 256 else { throw WireError("peer address must be 1-256 bytes") }
        self.init(id: id, address: p.address, layers: Int(p.layerStart)..<Int(p.layerEnd),
                  capacity: Int(p.capacity), round: try PeerMessage.count(p.round, "peer round"),
                  ledger: p.hasLedger ? LedgerSummary(records: p.ledger.records, hash: p.ledger.hash) : nil)
    }
}

extension Neuroshard_GossipEntry {
    init(_ entry: GossipEntry) {
        self.init()
        info = .init(entry.info)
        ageNs = entry.age.nanos
    }
}

extension GossipEntry {
    init(_ e: Neuroshard_GossipEntry) throws(WireError) {
        guard e.ageNs >= 0 else { throw WireError("gossip age \(e.ageNs) is negative") }
        self.init(info: try PeerInfo(e.info), age: TimeSpan(nanos: e.ageNs))
    }
}

extension Neuroshard_Heartbeat {
    init(_ hb: Heartbeat) {
        self.init()
        info = .init(hb.info)
        gossip = hb.gossip.map(Neuroshard_GossipEntry.init)
        sentAtNs = hb.sentAt.nanos
        if let echo = hb.echo { echoNs = echo.nanos }
        heldNs = hb.held.nanos
    }
}

extension Heartbeat {
    init(_ hb: Neuroshard_Heartbeat) throws(WireError) {
        var gossip: [GossipEntry] = []
        for entry in hb.gossip { gossip.append(try GossipEntry(entry)) }
        guard hb.heldNs >= 0 else { throw WireError("heartbeat held \(hb.heldNs) is negative") }
        self.init(info: try PeerInfo(hb.info), gossip: gossip, sentAt: Timestamp(nanos: hb.sentAtNs),
                  echo: hb.hasEchoNs ? Timestamp(nanos: hb.echoNs) : nil, held: TimeSpan(nanos: hb.heldNs))
    }
}

extension Neuroshard_StepId {
    init(_ step: StepID) {
        self.init()
        driver = step.driver.hex
        number = step.number
    }
}

extension StepID {
    init(_ s: Neuroshard_StepId) throws(WireError) {
        guard let driver = NodeID(hex: s.driver) else { throw WireError("step.driver '\(s.driver.prefix(40))' is not 32 hex characters") }
        self.init(driver: driver, number: s.number)
    }
}

extension Neuroshard_LayerTensors {
    init(_ p: LayerParameters) {
        self.init()
        firstLayer = Int32(p.range.lowerBound)
        layers = p.layers.map { Neuroshard_Tensor($0) }
    }

    func parameters(_ what: String) throws(WireError) -> LayerParameters {
        let first = try PeerMessage.count(Int64(firstLayer), "\(what).first_layer")
        var arrays: [[Float]] = []
        for (i, t) in layers.enumerated() { arrays.append(try t.floats("\(what) layer \(first + i)")) }
        return LayerParameters(range: first..<(first + arrays.count), layers: arrays)
    }
}
