import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Identity
import NeuroShardCore
import Synchronization
import Wire

/// The outgoing side of the peer protocol: one gRPC client per peer address, and a lane that
/// sends that peer the core's messages in the order the core emitted them. A call that finds the
/// peer unreachable is retried with backoff; one that still fails is dropped, since the core
/// copes with lost messages (timeouts, failure detection, retries of its own). Inference calls,
/// which wait for their answer, use the same client outside the lane.
final class PeerLinks: Sendable {
    /// What came back from a peer that the core must hear: the weights it asked for.
    typealias Reply = @Sendable (NodeID, CheckpointMessage) async -> Void
    typealias Client = Neuroshard_NeuroShard.Client<HTTP2ClientTransport.Posix>

    struct Settings: Sendable {
        var attempts = 3
        var backoff: Duration = .milliseconds(200)
        var timeout: Duration = .seconds(10)
        /// Pseudo-gradients and checkpoints are large: they get longer.
        var bulkTimeout: Duration = .seconds(60)
        /// A lane holds at most this many unsent messages; past it the oldest are dropped (a
        /// peer that is down does not eat memory).
        var queueLimit = 1024
        /// At most this many peers have a link; a new one closes the longest-unused (strangers
        /// naming fresh addresses must not pile up connections).
        var maxLinks = 128
    }

    private struct Outgoing: Sendable {
        var message: PeerMessage
        var reply: Reply
    }

    private struct Link {
        var grpc: GRPCClient<HTTP2ClientTransport.Posix>
        var connections: Task<Void, Never>
        var queue: AsyncStream<Outgoing>.Continuation
        var lane: Task<Void, Never>
    }

    /// The links by address, and their addresses from the least to the most recently used; nil
    /// once closed. Taken synchronously, so messages enter their lane in the order the core
    /// emitted them.
    private let links = Mutex<Table?>(Table())

    private struct Table {
        var byAddress: [String: Link] = [:]
        var recency: [String] = []
    }
    private let signer: CallSigner
    private let settings: Settings
    private let log: @Sendable (String) -> Void

    /// `signer` names this node on each call, stamped and signed.
    init(settings: Settings = .init(), signer: CallSigner,
         log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.signer = signer
        self.log = log
    }

    func send(_ message: PeerMessage, to address: String, reply: @escaping Reply) {
        links.withLock { links in
            guard links != nil, let link = link(address, in: &links!) else { return }
            link.queue.yield(Outgoing(message: message, reply: reply))
        }
    }

    /// A client for `address`, for calls that wait for their answer; nil once closed or for an
    /// address that is not host:port.
    func client(_ address: String) -> Client? {
        links.withLock { links in
            guard links != nil, let link = link(address, in: &links!) else { return nil }
            return Client(wrapping: link.grpc)
        }
    }

    /// The link to `address`, made on first use (closing the longest-unused past `maxLinks`).
    private func link(_ address: String, in table: inout Table) -> Link? {
        if let link = table.byAddress[address] {
            table.recency.removeAll { $0 == address }
            table.recency.append(address)
            return link
        }
        let transport: HTTP2ClientTransport.Posix
        do {
            transport = try PeerAddress.transport(to: address)
        } catch {
            log("peer \(address): \(error)")
            return nil
        }
        let grpc = GRPCClient(transport: transport)
        let connections = Task { [log] in
            do { try await grpc.runConnections() } catch { log("peer \(address): \(error)") }
        }
        let (stream, queue) = AsyncStream.makeStream(of: Outgoing.self, bufferingPolicy: .bufferingNewest(settings.queueLimit))
        let lane = Task { [settings, signer, log] in
            await Self.run(stream, to: Client(wrapping: grpc), address: address, settings: settings, signer: signer, log: log)
        }
        while table.byAddress.count >= settings.maxLinks, !table.recency.isEmpty {
            if let old = table.byAddress.removeValue(forKey: table.recency.removeFirst()) {
                old.queue.finish()
                old.grpc.beginGracefulShutdown()
            }
        }
        let link = Link(grpc: grpc, connections: connections, queue: queue, lane: lane)
        table.byAddress[address] = link
        table.recency.append(address)
        return link
    }

    /// Sends what is queued (for at most `grace`), then closes every connection.
    func close(grace: Duration = .seconds(3)) async {
        let open = links.withLock { links in
            defer { links = nil }
            return Array((links?.byAddress ?? [:]).values)
        }
        for link in open { link.queue.finish() }
        let lanes = open.map(\.lane)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for lane in lanes { await lane.value } }
            group.addTask {
                try? await Task.sleep(for: grace)
                for lane in lanes { lane.cancel() }
            }
            await group.next()
            group.cancelAll()
        }
        for link in open { link.grpc.beginGracefulShutdown() }
        for link in open { await link.connections.value }
    }

    private static func run(_ stream: AsyncStream<Outgoing>, to peer: Client, address: String, settings: Settings,
                            signer: CallSigner, log: @escaping @Sendable (String) -> Void) async {
        var unreachable = false
        for await item in stream {
            let failure = await deliver(item, to: peer, settings: settings, signer: signer)
            // An unreachable peer is reported when it goes and when it comes back, not for every
            // message the core keeps sending it.
            switch failure {
            case nil where unreachable:
                unreachable = false
                log("peer \(address) reachable again")
            case nil: break
            case let error? where error.code == .unavailable || error.code == .deadlineExceeded:
                if !unreachable { log("peer \(address) unreachable: \(error.code) (\(item.message.kind))") }
                unreachable = true
            case let error?: log("\(item.message.kind) to \(address) refused: \(error.code): \(error.message)")
            }
        }
    }

    /// Sends one message, retrying while the peer is unavailable; the last error, or nil.
    private static func deliver(_ item: Outgoing, to peer: Client, settings: Settings,
                                signer: CallSigner) async -> RPCError? {
        var options = CallOptions.defaults
        switch item.message {
        case .update, .checkpoint, .checkpointRequest: options.timeout = settings.bulkTimeout
        default: options.timeout = settings.timeout
        }
        for attempt in 1...settings.attempts {
            do {
                try await call(signer.call(item.message), peer, options: options, reply: item.reply)
                return nil
            } catch let error as RPCError where error.code == .unavailable && attempt < settings.attempts && !Task.isCancelled {
                try? await Task.sleep(for: settings.backoff * (1 << (attempt - 1)))
            } catch let error as RPCError {
                return error
            } catch {
                return RPCError(code: .invalidArgument, message: "\(error)")
            }
        }
        return RPCError(code: .unavailable, message: "gave up")
    }

    private static func call(_ call: PeerCall, _ peer: Client, options: CallOptions, reply: Reply) async throws {
        switch call {
        case .gossip(let r): _ = try await peer.gossip(r, options: options)
        case .exchange(let r): _ = try await peer.exchangeGradient(r, options: options)
        case .forward(let r): _ = try await peer.forward(r, options: options)
        case .backward(let r): _ = try await peer.backward(r, options: options)
        case .putCheckpoint(let chunks):
            _ = try await peer.putCheckpoint(options: options) { writer in
                for chunk in chunks { try await writer.write(chunk) }
            }
        case .getCheckpoint(let r):
            let (sender, checkpoint) = try await peer.getCheckpoint(r, options: options) { response in
                var assembler = CheckpointAssembler(limit: PeerAddress.maxCheckpointBytes)
                for try await chunk in response.messages { try assembler.add(chunk) }
                return (try assembler.sender?.id(), try assembler.finish())
            }
            if let sender { await reply(sender, checkpoint) }
        }
    }
}

/// `host:port` of a peer's gRPC server, and the settings both ends of a link use.
public struct PeerAddress {
    static let maxMessageBytes = 64 << 20
    static let maxCheckpointBytes = 4 << 30
    /// HTTP/2 frames and flow-control window: large enough that a 1 MiB activation crosses in
    /// one frame without waiting for window updates (the defaults, 16 KiB and 64 KiB at the
    /// server, cost a 1 MiB Forward several round trips).
    static let maxFrameBytes = 1 << 20
    static let windowBytes = 8 << 20

    /// A client transport to `address` with those settings.
    public static func transport(to address: String) throws -> HTTP2ClientTransport.Posix {
        try HTTP2ClientTransport.Posix(
            target: try PeerAddress(address).target, transportSecurity: .plaintext,
            config: .defaults { $0.http2.maxFrameSize = maxFrameBytes; $0.http2.targetWindowSize = windowBytes },
            serviceConfig: serviceConfig)
    }

    let host: String
    let port: Int

    init(_ address: String) throws(WireError) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (1...65535).contains(port), colon > address.startIndex else {
            throw WireError("peer address '\(address)' is not host:port")
        }
        host = String(address[..<colon])
        self.port = port
    }

    var target: any ResolvableTarget {
        host.split(separator: ".").count == 4 && host.allSatisfy({ $0.isNumber || $0 == "." })
            ? .ipv4(address: host, port: port) as any ResolvableTarget
            : .dns(host: host, port: port)
    }

    /// The client's inbound limit is read from `maxRequestMessageBytes` by the transport, so both
    /// directions are set.
    static var serviceConfig: ServiceConfig {
        ServiceConfig(methodConfig: [MethodConfig(names: [MethodConfig.Name(service: "")],
                                                  maxRequestMessageBytes: maxMessageBytes,
                                                  maxResponseMessageBytes: maxMessageBytes)])
    }
}
