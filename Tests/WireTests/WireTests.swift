import Deterministic
import Foundation
import Identity
import NeuroShardCore
import SwiftProtobuf
import Testing
import Training
@testable import Wire

// Every peer message survives the trip through its gRPC request (serialized to bytes and parsed
// back), and every malformed request is refused with a reason instead of a crash.

private let alice = NodeID(high: 0xA11CE, low: 1)
private let bob = NodeID(high: 0xB0B, low: 2)
private let me = Neuroshard_Caller.with { $0.nodeID = alice.hex; $0.address = "127.0.0.1:9001" }
private let info = PeerInfo(id: alice, address: "127.0.0.1:9001", layers: 1..<3, capacity: 2, round: 7)

/// The message as the receiver reads it: through the request's bytes.
private func roundTrip(_ message: PeerMessage) throws -> PeerMessage {
    switch PeerCall(message, caller: me) {
    case .gossip(let r): return try PeerMessage(Neuroshard_GossipRequest(serializedBytes: try r.serializedBytes() as [UInt8]))
    case .exchange(let r):
        return try PeerMessage(Neuroshard_ExchangeGradientRequest(serializedBytes: try r.serializedBytes() as [UInt8]))
    case .forward(let r):
        return try PeerMessage(training: Neuroshard_ForwardRequest(serializedBytes: try r.serializedBytes() as [UInt8]))
    case .backward(let r): return try PeerMessage(Neuroshard_BackwardRequest(serializedBytes: try r.serializedBytes() as [UInt8]))
    case .getCheckpoint(let r):
        let parsed = try Neuroshard_GetCheckpointRequest(serializedBytes: try r.serializedBytes() as [UInt8])
        return .checkpointRequest(layers: Int(parsed.layerStart)..<Int(parsed.layerEnd))
    case .putCheckpoint(let chunks):
        var assembler = CheckpointAssembler(limit: 1 << 30)
        for chunk in chunks { try assembler.add(Neuroshard_CheckpointChunk(serializedBytes: try chunk.serializedBytes() as [UInt8])) }
        #expect(try assembler.sender?.id() == alice)
        return .checkpoint(try assembler.finish())
    }
}

@Suite struct PeerMessageWireTests {
    @Test func everyKindRoundTrips() throws {
        let params = LayerParameters(range: 1..<3, layers: [[1, -2, 3.5], [.pi, 0, -0]])
        let step = StepID(driver: bob, number: 42)
        let messages: [PeerMessage] = [
            .join(info),
            .welcome(info, peers: [GossipEntry(info: PeerInfo(id: bob, address: "h:1", layers: 0..<1, capacity: 1, round: 0),
                                               age: .seconds(3))]),
            .heartbeat(Heartbeat(info: info, gossip: [], sentAt: Timestamp(nanos: 123), echo: Timestamp(nanos: 99), held: .seconds(1))),
            .heartbeatAck(Heartbeat(info: info, gossip: [], sentAt: Timestamp(nanos: 5), echo: nil, held: .zero)),
            .leave,
            .update(RoundUpdate(round: 3, weights: params)),
            .update(RoundUpdate(round: 4, deltas: params)),
            .update(RoundUpdate(round: 5, payload: .compressed(range: 1..<3, params.layers.map { Compression.int8(blockSize: 2).compress($0) }))),
            .checkpointRequest(layers: 2..<4),
            .checkpoint(CheckpointMessage(round: 9, params: params, velocity: [[0.5, 0.25, 0], [1, 2, 3]])),
            .checkpoint(CheckpointMessage(round: 0, params: params, velocity: [])),
            .forward(ActivationMessage(step: step, layer: 2, activations: [1, 2, 3, 4], targets: [5, 6])),
            .backward(GradientMessage(step: step, gradient: [0.1, -0.2])),
        ]
        for message in messages {
            #expect(try roundTrip(message) == message, "\(message.kind)")
        }
    }

    @Test func aCheckpointLargerThanAChunkTravelsInSeveral() throws {
        var rng = DeterministicRNG(seed: 1)
        let big = (0..<3).map { _ in (0..<200_000).map { _ in Float(rng.nextDouble()) } }
        let c = CheckpointMessage(round: 2, params: LayerParameters(range: 0..<3, layers: big), velocity: big)
        let chunks = CheckpointTransfer.chunks(c, sender: me)
        #expect(chunks.count == (2 * 3 * 200_000 * 4 + CheckpointTransfer.chunkBytes - 1) / CheckpointTransfer.chunkBytes)
        #expect(chunks.allSatisfy { $0.data.count <= CheckpointTransfer.chunkBytes })
        #expect(try roundTrip(.checkpoint(c)) == .checkpoint(c))
    }
}

@Suite struct MalformedRequestTests {
    private func refusal(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }

    @Test func tensorsMustBeWholeFloatsMatchingTheirShape() {
        var t = Neuroshard_Tensor([1, 2, 3, 4], shape: [2, 2])
        #expect(refusal { _ = try t.floats("x") } == nil)
        t.shape = [3]
        #expect(refusal { _ = try t.floats("x") }?.contains("does not match 4 floats") == true)
        t.shape = [-2, -2]
        #expect(refusal { _ = try t.floats("x") }?.contains("negative") == true)
        t.shape = [1 << 40, 1 << 40]
        #expect(refusal { _ = try t.floats("x") }?.contains("too large") == true)
        t.shape = []
        #expect(refusal { _ = try t.floats("x") } != nil)
        t = Neuroshard_Tensor([1, 2], shape: [2])
        t.data.removeLast()
        #expect(refusal { _ = try t.floats("x") }?.contains("not a whole number of float32") == true)
        #expect(refusal { _ = try Neuroshard_Tensor([1, 2]).floats("x", expected: 3) }?.contains("expected 3") == true)
    }

    @Test func garbageFieldsAreRefused() {
        var gossip = Neuroshard_GossipRequest()
        #expect(refusal { _ = try PeerMessage(gossip) } == "gossip without a message")
        gossip.join = .with { $0.nodeID = "not hex"; $0.address = "h:1" }
        #expect(refusal { _ = try PeerMessage(gossip) }?.contains("32 hex") == true)
        gossip.join = .with { $0.nodeID = alice.hex; $0.address = "h:1"; $0.layerStart = 3; $0.layerEnd = 1 }
        #expect(refusal { _ = try PeerMessage(gossip) }?.contains("not a range") == true)
        gossip.join = .with { $0.nodeID = alice.hex; $0.address = "" }
        #expect(refusal { _ = try PeerMessage(gossip) }?.contains("address") == true)

        var exchange = Neuroshard_ExchangeGradientRequest()
        exchange.round = 1
        #expect(refusal { _ = try PeerMessage(exchange) } == "exchange without a payload")
        exchange.compressed = .with { $0.layers = [Data([9, 9, 9])] }
        #expect(refusal { _ = try PeerMessage(exchange) }?.contains("compressed layer 0") == true)
        exchange.round = -1
        #expect(refusal { _ = try PeerMessage(exchange) }?.contains("round -1") == true)

        var forward = Neuroshard_ForwardRequest()
        #expect(refusal { _ = try PeerMessage(training: forward) } == "forward without a step")
        forward.step = .with { $0.driver = bob.hex }
        forward.activations = .with { $0.data = Data([1, 2, 3]); $0.shape = [1] }
        #expect(refusal { _ = try PeerMessage(training: forward) }?.contains("whole number") == true)
        #expect(refusal { _ = try PeerMessage(Neuroshard_BackwardRequest()) } == "backward without a step")
    }

    @Test func aDamagedCheckpointIsRefused() throws {
        let c = CheckpointMessage(round: 1, params: LayerParameters(range: 0..<1, layers: [[1, 2, 3, 4]]), velocity: [])
        let chunks = CheckpointTransfer.chunks(c, sender: me)

        func assemble(_ chunks: [Neuroshard_CheckpointChunk], limit: Int = 1 << 20) -> String? {
            refusal {
                var a = CheckpointAssembler(limit: limit)
                for chunk in chunks { try a.add(chunk) }
                _ = try a.finish()
            }
        }
        #expect(assemble(chunks) == nil)
        var truncated = chunks
        truncated[0].data.removeLast(4)
        #expect(assemble(truncated)?.contains("truncated") == true)
        var flipped = chunks
        flipped[0].data[flipped[0].data.startIndex] ^= 1
        #expect(assemble(flipped)?.contains("sha256") == true)
        #expect(assemble([Neuroshard_CheckpointChunk.with { $0.data = Data([1]) }])?.contains("no header") == true)
        #expect(assemble(chunks + chunks)?.contains("second header") == true)
        var extra = chunks
        extra.append(.with { $0.data = Data([0, 0, 0, 0]) })
        #expect(assemble(extra)?.contains("more data") == true)
        #expect(assemble(chunks, limit: 8)?.contains("limit") == true)
        var lying = chunks
        lying[0].header.totalBytes = 1 << 19
        #expect(assemble(lying)?.contains("does not match the layer sizes") == true)
        #expect(assemble([])?.contains("no chunks") == true)
        // Sizes whose sum would overflow are refused, not trapped on.
        var overflowing = chunks
        overflowing[0].header.layerSizes = [1 << 62, 1 << 62]
        overflowing[0].header.totalBytes = 0
        #expect(assemble(overflowing)?.contains("beyond the limit") == true)
    }
}

/// The committed code is what the proto gives today (scripts/generate-protos.sh --check, with
/// the plugins scripts/build.sh builds beside this test).
@Suite struct GeneratedCodeTests {
    @Test func generatedCodeMatchesTheProto() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("scripts/generate-protos.sh").path, "--check"]
        process.environment = ProcessInfo.processInfo.environment.merging(["PLUGIN_BIN": binary.path]) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(message)")
    }
}

/// SPEC §5: every call but Ping carries its caller's key and a signature over the request.
@Suite struct CallSigningTests {
    let signer = CallSigner(key: SigningKey(token: "signing-test"), address: "127.0.0.1:9001")

    /// The receiver's view: the request parsed from its bytes.
    func received<R: SignedCall>(_ request: R) throws -> R { try R(serializedBytes: try request.serializedBytes() as [UInt8]) }

    @Test func everyKindOfCallVerifiesAtTheReceiver() throws {
        let messages: [PeerMessage] = [
            .join(info), .leave, .checkpointRequest(layers: 0..<2),
            .update(RoundUpdate(round: 3, deltas: LayerParameters(range: 1..<2, layers: [[1, 2]]))),
            .forward(ActivationMessage(step: StepID(driver: alice, number: 1), layer: 1, activations: [0.5], targets: [1])),
            .backward(GradientMessage(step: StepID(driver: alice, number: 1), gradient: [0.25])),
            .checkpoint(CheckpointMessage(round: 1, params: LayerParameters(range: 0..<1, layers: [[1, 2, 3]]), velocity: [])),
        ]
        for message in messages {
            let problem: String?
            switch signer.call(message) {
            case .gossip(let r): problem = try received(r).signatureProblem
            case .exchange(let r): problem = try received(r).signatureProblem
            case .forward(let r): problem = try received(r).signatureProblem
            case .backward(let r): problem = try received(r).signatureProblem
            case .getCheckpoint(let r): problem = try received(r).signatureProblem
            case .putCheckpoint(let chunks): problem = try received(chunks[0].header).signatureProblem
            }
            #expect(problem == nil, "\(message.kind): \(problem ?? "")")
        }
    }

    @Test func aChangedOrBorrowedOrMissingSignatureIsRefused() throws {
        guard case .exchange(let signed) = signer.call(.update(RoundUpdate(round: 3, deltas: LayerParameters(range: 1..<2, layers: [[1, 2]])))) else {
            Issue.record("not an exchange"); return
        }
        var tampered = try received(signed)
        tampered.round = 4
        #expect(tampered.signatureProblem == "caller.signature does not verify")
        var stolen = signed
        stolen.caller.nodeID = bob.hex
        #expect(stolen.signatureProblem?.contains("does not belong") == true, "a key speaks only for its own id")
        var unsigned = signed
        unsigned.caller.publicKey = Data()
        #expect(unsigned.signatureProblem?.contains("not signed") == true)
        var other = signed
        CallSigner(key: SigningKey(token: "someone else"), address: "x").sign(&other)
        other.caller.publicKey = signed.caller.publicKey
        #expect(other.signatureProblem == "caller.signature does not verify")
    }
}
