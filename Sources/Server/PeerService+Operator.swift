import GRPCCore
import Wire

/// The `authorization` metadata of the peer call being handled, for `PeerService.accept`: a
/// call carrying the node's own token is its operator's and needs no signature (SPEC §5). The
/// simple service methods see only the message, so these full-request methods read the
/// metadata and hand it down as a task-local value.
enum OperatorCall {
    @TaskLocal static var authorization: String?

    static func authorization(_ metadata: Metadata) -> String? {
        var values = metadata[stringValues: "authorization"].makeIterator()
        return values.next()
    }
}

extension PeerService {
    private func withMetadata<Response>(_ metadata: Metadata, _ body: () async throws -> Response) async throws -> Response {
        try await OperatorCall.$authorization.withValue(OperatorCall.authorization(metadata)) { try await body() }
    }

    func forward(request: ServerRequest<Neuroshard_ForwardRequest>, context: ServerContext) async throws
        -> ServerResponse<Neuroshard_ForwardResponse> {
        try await withMetadata(request.metadata) { ServerResponse(message: try await forward(request: request.message, context: context)) }
    }

    func backward(request: ServerRequest<Neuroshard_BackwardRequest>, context: ServerContext) async throws
        -> ServerResponse<Neuroshard_Ack> {
        try await withMetadata(request.metadata) { ServerResponse(message: try await backward(request: request.message, context: context)) }
    }

    func exchangeGradient(request: ServerRequest<Neuroshard_ExchangeGradientRequest>, context: ServerContext) async throws
        -> ServerResponse<Neuroshard_Ack> {
        try await withMetadata(request.metadata) {
            ServerResponse(message: try await exchangeGradient(request: request.message, context: context))
        }
    }

    func gossip(request: ServerRequest<Neuroshard_GossipRequest>, context: ServerContext) async throws
        -> ServerResponse<Neuroshard_Ack> {
        try await withMetadata(request.metadata) { ServerResponse(message: try await gossip(request: request.message, context: context)) }
    }

    func putCheckpoint(request: StreamingServerRequest<Neuroshard_CheckpointChunk>, context: ServerContext) async throws
        -> ServerResponse<Neuroshard_Ack> {
        try await withMetadata(request.metadata) {
            ServerResponse(message: try await putCheckpoint(request: request.messages, context: context))
        }
    }

    /// The chunks are written later, by the producer: the metadata goes with it.
    func getCheckpoint(request: ServerRequest<Neuroshard_GetCheckpointRequest>, context: ServerContext) async throws
        -> StreamingServerResponse<Neuroshard_CheckpointChunk> {
        StreamingServerResponse { writer in
            try await withMetadata(request.metadata) {
                try await getCheckpoint(request: request.message, response: writer, context: context)
            }
            return [:]
        }
    }
}
