import Foundation
import GRPCCore
import Identity
import NeuroShardCore
import Synchronization
import Training
import Wire

/// The incoming side of the peer protocol: each call is checked (caller, age, shapes), turned
/// into the peer message it carries and handed to the node. Bad input is answered with a status
/// code and the server goes on (SPEC §5).
struct PeerService: Neuroshard_NeuroShard.SimpleServiceProtocol {
    let slot: HostSlot
    /// A call stamped further than this from the receiver's clock is refused (a replay, or a
    /// clock too wrong to trust).
    static let maxAge: Int64 = 60_000

    func forward(request: Neuroshard_ForwardRequest, context: ServerContext) async throws -> Neuroshard_ForwardResponse {
        let (host, from) = try await accept(request)
        if !request.sessionID.isEmpty { return try await infer(request, host: host) }
        let ack = try Self.ack(await host.deliver(try decode { try PeerMessage(training: request) }, from: from))
        return .with { $0.ack = ack }
    }

    /// An inference hop: this node's layers from `request.layer` on, run at once on the input;
    /// the output (activations, or the next token's logits) goes back in the answer.
    private func infer(_ request: Neuroshard_ForwardRequest, host: NodeHost) async throws -> Neuroshard_ForwardResponse {
        guard let (params, objective) = await host.inferenceStage(from: Int(request.layer)) else {
            throw RPCError(code: .notFound, message: "this node does not hold layer \(request.layer)")
        }
        let input: PipelineInput = request.layer == 0 ? .tokens(request.tokens)
            : .activations(try decode { try request.activations.floats("activations") })
        let output: InferenceOutput
        do { output = try objective.infer(params, input: input) } catch {
            throw RPCError(code: .invalidArgument, message: "\(error)")
        }
        return .with {
            $0.ack = .with { $0.accepted = true }
            $0.nextLayer = Int32(params.range.upperBound)
            switch output {
            case .activations(let a):
                // positions × hidden: the input's shape, or the token count at layer 0
                let positions = max(1, request.tokens.count)
                $0.output = request.layer == 0 ? Neuroshard_Tensor(a, shape: [positions, a.count / positions])
                    : Neuroshard_Tensor(a, shape: request.activations.shape.map(Int.init))
            case .logits(let l): $0.output = Neuroshard_Tensor(l)
            }
        }
    }

    func backward(request: Neuroshard_BackwardRequest, context: ServerContext) async throws -> Neuroshard_Ack {
        let (host, from) = try await accept(request)
        return try Self.ack(await host.deliver(try decode { try PeerMessage(request) }, from: from))
    }

    func exchangeGradient(request: Neuroshard_ExchangeGradientRequest, context: ServerContext) async throws -> Neuroshard_Ack {
        let (host, from) = try await accept(request)
        let delivery = await host.deliver(try decode { try PeerMessage(request) }, from: from)
        var ack = try Self.ack(delivery)
        // Well-formed but judged unfit (absurd size, outside the robust bounds): not taken.
        for case .updateRejected(_, let reason) in delivery.notes {
            ack.accepted = false
            ack.reason = reason
        }
        return ack
    }

    func getCheckpoint(request: Neuroshard_GetCheckpointRequest, response: RPCWriter<Neuroshard_CheckpointChunk>,
                       context: ServerContext) async throws {
        let (host, _) = try await accept(request)
        guard request.layerStart >= 0, request.layerEnd > request.layerStart else {
            throw RPCError(code: .invalidArgument, message: "layers \(request.layerStart)..<\(request.layerEnd) are not a range")
        }
        let wanted = Int(request.layerStart)..<Int(request.layerEnd)
        guard let checkpoint = await host.checkpoint(layers: wanted) else {
            throw RPCError(code: .notFound, message: "this node holds none of layers \(wanted.lowerBound)..<\(wanted.upperBound)")
        }
        for chunk in CheckpointTransfer.chunks(checkpoint, sender: host.signer.caller()) { try await response.write(chunk) }
    }

    func putCheckpoint(request: RPCAsyncSequence<Neuroshard_CheckpointChunk, any Error>,
                       context: ServerContext) async throws -> Neuroshard_Ack {
        var assembler = CheckpointAssembler(limit: PeerAddress.maxCheckpointBytes)
        var caller: (host: NodeHost, from: NodeID)?
        for try await chunk in request {
            try decode { try assembler.add(chunk) }
            // The header (first chunk) names the sender: checked before any more data is taken.
            if caller == nil { caller = try await accept(chunk.header) }
        }
        let checkpoint = try decode { try assembler.finish() }
        guard let (host, from) = caller else { throw RPCError(code: .invalidArgument, message: "checkpoint: no chunks") }
        let delivery = await host.deliver(.checkpoint(checkpoint), from: from)
        var ack = try Self.ack(delivery)
        guard delivery.notes.contains(where: { if case .checkpointInstalled = $0 { true } else { false } }) else {
            throw RPCError(code: .failedPrecondition,
                           message: "this node did not ask \(from.short) for layers \(checkpoint.params.range.lowerBound)..<\(checkpoint.params.range.upperBound)")
        }
        ack.accepted = true
        return ack
    }

    func gossip(request: Neuroshard_GossipRequest, context: ServerContext) async throws -> Neuroshard_Ack {
        let (host, from) = try await accept(request)
        return try Self.ack(await host.deliver(try decode { try PeerMessage(request) }, from: from))
    }

    func ping(request: Neuroshard_PingRequest, context: ServerContext) async throws -> Neuroshard_PingResponse {
        guard let host = slot.host else { throw RPCError(code: .unavailable, message: "the node is starting") }
        let info = await host.info
        let role = await host.role
        let peers = await host.peerCount
        return .with {
            $0.nodeID = info.id.hex
            $0.role = role.rawValue
            $0.layerStart = Int32(info.layers.lowerBound)
            $0.layerEnd = Int32(info.layers.upperBound)
            $0.round = Int64(info.round)
            $0.timestampMs = Int64(Date().timeIntervalSince1970 * 1000)
            $0.version = NeuroShardVersion.current
            $0.peerCount = Int32(peers)
        }
    }

    // MARK: - Checks

    /// The node, and who calls: a well-formed id, stamped within `maxAge` of now, and the
    /// request signed by that id's key, or the call made by the node's operator (its own token
    /// in the `authorization` metadata).
    private func accept<Request: SignedCall>(_ request: Request) async throws -> (NodeHost, NodeID) {
        guard let host = slot.host else { throw RPCError(code: .unavailable, message: "the node is starting") }
        let caller = request.caller
        let id: NodeID
        do { id = try caller.id() } catch { throw RPCError(code: .unauthenticated, message: error.description) }
        let now = CallSigner.nowMs
        // A range check, not a subtraction: any Int64 may arrive, and none may overflow.
        guard (now - Self.maxAge...now + Self.maxAge).contains(caller.timestampMs) else {
            throw RPCError(code: .unauthenticated, message: "caller.timestamp_ms \(caller.timestampMs) is more than \(Self.maxAge) ms from this node's clock")
        }
        if await !host.isOperator(OperatorCall.authorization), let problem = request.signatureProblem {
            throw RPCError(code: .unauthenticated, message: problem)
        }
        return (host, id)
    }

    /// Runs a decoding step; what it cannot read is the caller's fault.
    private func decode<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as WireError { throw RPCError(code: .invalidArgument, message: error.description) }
    }

    private static func ack(_ delivery: NodeHost.Delivery) throws -> Neuroshard_Ack {
        if let refusal = delivery.refusal { throw RPCError(code: .invalidArgument, message: refusal) }
        return .with { $0.accepted = true; $0.round = Int64(delivery.round) }
    }
}

/// The node host once it exists: the servers start before the node (its address is the port
/// the gRPC server bound), and calls that arrive in between are told the node is starting.
/// A lock, not an actor: every call reads it, and a read should not cost a hop.
public final class HostSlot: Sendable {
    private let slot = Mutex<NodeHost?>(nil)
    public init() {}
    public var host: NodeHost? { slot.withLock { $0 } }
    public func fill(_ host: NodeHost) { slot.withLock { $0 = host } }
}
