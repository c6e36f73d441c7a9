import HTTPTypes
import Hummingbird
import NeuroShardCore
import NIOCore

/// The HTTP API on Hummingbird. The core routes every request itself (404, 405, auth, rate
/// limits, the error envelope), so one responder takes any method and path and hands the call
/// over; the only answers made here are for a body over `maxBody` bytes and the dashboard page
/// (`GET /`, see Dashboard).
public enum HTTPFront {
    /// Bodies above this are refused before they reach the core (SPEC §4: 400).
    public static let maxBody = 1 << 20
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    /// The server on `host:port` (0: any free port) for whatever node `slot` holds; `onRunning`
    /// gets the bound port.
    public static func application(slot: HostSlot, address: String, port: Int,
                                   onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        Application(
            responder: CallbackResponder { (request: Request, _: BasicRequestContext) in
                // The dashboard page holds no data (its script calls the API with a token), so it
                // is served here, even while the node starts; other methods on / go to the core.
                if Dashboard.serves(request) { return Dashboard.response }
                guard let host = slot.host else {
                    return response(APIError(.unavailable, "the node is starting").response)
                }
                return await respond(to: request, host: host)
            },
            configuration: .init(address: .hostname(address, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) })
    }

    static func respond(to request: Request, host: NodeHost) async -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBody)
        } catch is NIOTooManyBytesError {
            return response(APIError(.invalidRequest, "the request body exceeds \(maxBody) bytes",
                                     details: [("limit_bytes", .int(maxBody))]).response)
        } catch {
            return response(APIError(.invalidRequest, "the request body could not be read: \(error)").response)
        }
        let answer = await host.call(method: request.method.rawValue, path: request.uri.path,
                                     query: request.uri.queryParameters.map { (String($0.key), String($0.value)) },
                                     authorization: request.headers[.authorization],
                                     idempotencyKey: request.headers[Self.idempotencyKey],
                                     body: Array(buffer: body))
        switch answer {
        case .response(let r): return response(r)
        case .events(let events):
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                for await event in events { try await writer.write(ByteBuffer(string: event)) }
                                try await writer.finish(nil)
                            })
        }
    }

    static func response(_ answer: APIResponse) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        for header in answer.headers {
            if let name = HTTPField.Name(header.name) { headers[name] = header.value }
        }
        if let text = answer.text { headers[.contentType] = text.contentType }
        let body = answer.text.map { ByteBuffer(string: $0.content) } ?? ByteBuffer(bytes: answer.body.serializedBytes)
        return Response(status: HTTPResponse.Status(code: answer.status), headers: headers, body: ResponseBody(byteBuffer: body))
    }
}
