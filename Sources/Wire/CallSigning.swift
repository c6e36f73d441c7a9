import Foundation
import Identity
import NeuroShardCore
import SwiftProtobuf

/// Peer calls are signed (SPEC §5): peers are different owners and share no secret, so every
/// call but Ping carries the caller's node id, public key, a timestamp and a secp256k1 signature
/// over the request. The receiver checks that the key hashes to the node id and that the
/// signature verifies before acting: nobody can send gradients or weights in another's name.
///
/// What is signed: SHA-256 of a domain tag, the message's type name and the request's bytes with
/// the caller's signature left empty. Both ends serialize with swift-protobuf, whose output is
/// fixed for a given message (fields in number order; the proto has no maps).
public protocol SignedCall: SwiftProtobuf.Message {
    var caller: Neuroshard_Caller { get set }
}

extension Neuroshard_GossipRequest: SignedCall {}
extension Neuroshard_ExchangeGradientRequest: SignedCall {}
extension Neuroshard_ForwardRequest: SignedCall {}
extension Neuroshard_BackwardRequest: SignedCall {}
extension Neuroshard_GetCheckpointRequest: SignedCall {}
/// A PutCheckpoint stream is signed through its header, whose SHA-256 covers all the data.
extension Neuroshard_CheckpointHeader: SignedCall {
    public var caller: Neuroshard_Caller {
        get { sender }
        set { sender = newValue }
    }
}

extension SignedCall {
    /// The digest the caller signs.
    public var callDigest: [UInt8] {
        var unsigned = self
        unsigned.caller.signature = Data()
        // Serializing an in-memory proto3 message cannot fail (no required fields).
        let bytes: [UInt8] = (try? unsigned.serializedBytes()) ?? []
        var h = SHA256()
        h.update(Array("neuroshard/call/v1".utf8))
        h.update(Array(Self.protoMessageName.utf8))
        h.update(bytes)
        return h.finish()
    }

    /// Why the signature cannot be trusted, or nil when the caller's key signed this request.
    public var signatureProblem: String? {
        guard let key = PublicKey(compressed: Array(caller.publicKey)) else {
            return caller.publicKey.isEmpty ? "the call is not signed (caller.public_key is empty)" : "caller.public_key is not a secp256k1 key"
        }
        guard key.nodeID == caller.nodeID else { return "caller.public_key does not belong to node \(caller.nodeID.prefix(32))" }
        guard key.verify(signature: Array(caller.signature), digest: callDigest) else { return "caller.signature does not verify" }
        return nil
    }
}

/// Signs this node's calls: its identity, stamped with the time of each call.
public struct CallSigner: Sendable {
    public let key: SigningKey
    public let address: String

    public init(key: SigningKey, address: String) {
        self.key = key
        self.address = address
    }

    /// This node as a caller, stamped `timestampMs`, not yet signed.
    public func caller(at timestampMs: Int64 = CallSigner.nowMs) -> Neuroshard_Caller {
        .with {
            $0.nodeID = key.nodeID
            $0.address = address
            $0.timestampMs = timestampMs
            $0.publicKey = Data(key.publicKey.compressed)
        }
    }

    public func sign<Request: SignedCall>(_ request: inout Request) {
        request.caller.signature = Data()
        request.caller.signature = Data(key.sign(digest: request.callDigest))
    }

    /// `message` as the call that carries it, stamped now and signed.
    public func call(_ message: PeerMessage) -> PeerCall {
        switch PeerCall(message, caller: caller()) {
        case .gossip(var r): sign(&r); return .gossip(r)
        case .exchange(var r): sign(&r); return .exchange(r)
        case .forward(var r): sign(&r); return .forward(r)
        case .backward(var r): sign(&r); return .backward(r)
        case .getCheckpoint(var r): sign(&r); return .getCheckpoint(r)
        case .putCheckpoint(var chunks):
            if !chunks.isEmpty { sign(&chunks[0].header) }
            return .putCheckpoint(chunks)
        }
    }

    public static var nowMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
