import ServiceLifecycle

/// The node as a service of the group: made once the servers listen, stopped first on
/// graceful shutdown (so it can still tell its peers goodbye over the open connections).
public struct NodeStarter: Service {
    let start: @Sendable () async throws -> NodeHost
    let stop: @Sendable (NodeHost) async -> Void

    public init(start: @escaping @Sendable () async throws -> NodeHost, stop: @escaping @Sendable (NodeHost) async -> Void) {
        self.start = start
        self.stop = stop
    }

    public func run() async throws {
        let node = try await start()
        try? await gracefulShutdown()
        await stop(node)
    }
}
