import GRPCCore
import GRPCNIOTransportHTTP2
import ServiceLifecycle

/// The peer protocol's server (grpc-swift 2 over NIO's HTTP/2), as a service of the node's
/// service group: it stops taking calls on graceful shutdown and finishes those in flight.
public struct GRPCFront: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>

    /// A server on `host:port` (0: any free port) answering for whatever node `slot` holds.
    public init(slot: HostSlot, host: String, port: Int) {
        server = GRPCServer(
            transport: .http2NIOPosix(address: .ipv4(host: host, port: port), transportSecurity: .plaintext,
                                      config: .defaults {
                                          $0.rpc.maxRequestPayloadSize = PeerAddress.maxMessageBytes
                                          $0.http2.maxFrameSize = PeerAddress.maxFrameBytes
                                          $0.http2.targetWindowSize = PeerAddress.windowBytes
                                      }),
            services: [PeerService(slot: slot)])
    }

    /// The bound port, once the server listens (nil if it could not bind).
    public var port: Int? {
        get async { try? await server.listeningAddress?.ipv4?.port }
    }

    /// Stops taking calls; `run` returns once those in flight are answered.
    public func stop() { server.beginGracefulShutdown() }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.serve()
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}
