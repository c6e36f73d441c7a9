import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A client of one NeuroShard node's HTTP API (SPEC §4, docs/openapi.yaml).
///
/// Ownership: `NeuroNode` owns no connections and needs no shutdown. It sends through an
/// `HTTPClient` it is given, by default `NeuroNode.sharedHTTPClient` — one process-wide client
/// that is never shut down (like AsyncHTTPClient's own `HTTPClient.shared`, whose connect
/// retries would turn a closed port into a 90-second wait) — so a node value can be copied,
/// shared across tasks and dropped freely. Pass your own `httpClient` to tune the pool or TLS;
/// then you shut it down (`try await client.shutdown()`) after the last call of every
/// `NeuroNode` using it.
///
/// Retries: a 429 is retried after the node's `Retry-After` (else `details.retry_after`, at
/// most `maxRetryWait`), a 503 or a transport failure after an exponential backoff
/// (0.25 s, 0.5 s, 1 s…), up to `retryAttempts` times; nothing else is retried, because any
/// other error will not change by asking again. A timeout is not retried either: `timeout`
/// bounds each attempt and the caller asked not to wait longer. After a broken connection
/// only reads and sends are retried: a send carries an `Idempotency-Key`, so retrying it never
/// pays twice, while an inference (or a raw POST without a key) might run and be paid twice.
public struct NeuroNode: Sendable {
    /// The node's base URL, e.g. `http://127.0.0.1:8000` (without a trailing slash).
    public let url: String
    public let apiToken: String?
    /// The most one attempt of a call may wait for the node's answer to begin (a stream's
    /// tokens then take as long as the generation does; a plain call's body comes at once).
    public let timeout: Duration
    /// How many times a retryable failure is tried again (0: never).
    public let retryAttempts: Int
    /// The longest wait between attempts, whatever `Retry-After` says: a client should fail
    /// rather than hang for an hour on a misconfigured limit.
    public var maxRetryWait: Duration = .seconds(60)
    public let httpClient: HTTPClient
    /// How the client waits between attempts (tests inject one that records the wait).
    var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

    /// The default transport: AsyncHTTPClient on NIO's shared event loops, failing a refused
    /// connection at once (this client's own retries, which the caller bounds, take over) and
    /// giving up a connect after 10 s. A global, never shut down.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(10))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(url: String, apiToken: String? = nil, timeout: Duration = .seconds(30), retryAttempts: Int = 3,
                httpClient: HTTPClient = NeuroNode.sharedHTTPClient) {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        self.url = base
        self.apiToken = apiToken
        self.timeout = timeout
        self.retryAttempts = max(0, retryAttempts)
        self.httpClient = httpClient
    }

    public init(url: URL, apiToken: String? = nil, timeout: Duration = .seconds(30), retryAttempts: Int = 3,
                httpClient: HTTPClient = NeuroNode.sharedHTTPClient) {
        self.init(url: url.absoluteString, apiToken: apiToken, timeout: timeout, retryAttempts: retryAttempts,
                  httpClient: httpClient)
    }

    // MARK: - Endpoints

    public func getStatus() async throws -> Status { try await get("/api/v1/status") }

    public func getMetrics() async throws -> Metrics { try await get("/api/v1/metrics") }

    public func getPeers() async throws -> Peers { try await get("/api/v1/peers") }

    public func getLayers() async throws -> Layers { try await get("/api/v1/layers") }

    /// Needs no token: meant for load balancers and readiness probes.
    public func health() async throws -> Health { try await get("/api/v1/health") }

    /// Generates text through the network's pipeline; the answer comes when it is all done.
    public func inference(_ prompt: String, maxTokens: Int = 100, temperature: Double = 1.0, topP: Double = 1.0,
                          topK: Int = 50, stop: [String] = []) async throws -> InferenceResponse {
        let body = InferenceRequest(prompt: prompt, maxTokens: maxTokens, temperature: temperature, topP: topP,
                                    topK: topK, stop: stop, stream: false)
        return try decode(try await call(.POST, "/api/v1/inference", body: try Self.encode(body)))
    }

    /// Generates text as `inference` does, handing over each token as the node produces it
    /// (Server-Sent Events). Errors before the first token (auth, limits, bad arguments) are
    /// thrown here; a failure midway is thrown by the iteration. The final event's body —
    /// usage, cost, timing — is the stream's `response` once the tokens are read.
    public func inferenceStream(_ prompt: String, maxTokens: Int = 100, temperature: Double = 1.0, topP: Double = 1.0,
                                topK: Int = 50, stop: [String] = []) async throws -> InferenceStream {
        let body = InferenceRequest(prompt: prompt, maxTokens: maxTokens, temperature: temperature, topP: topP,
                                    topK: topK, stop: stop, stream: true)
        let response = try await execute(.POST, "/api/v1/inference", body: try Self.encode(body),
                                         accept: "text/event-stream")
        return InferenceStream(body: response.body, decoder: Self.decoder)
    }

    /// Any call of the API, for what the typed methods do not cover (a new endpoint, a raw
    /// body): the answer's bytes on a 2xx, a `NeuroShardError` otherwise. `path` may carry a
    /// query string. Retried like every call (a POST after a broken connection only with an
    /// `Idempotency-Key` among `headers`).
    public func request(method: String, path: String, body: Data? = nil,
                        headers: [(String, String)] = []) async throws -> Data {
        try await call(HTTPMethod(rawValue: method.uppercased()), path, body: body, headers: headers)
    }

    // MARK: - Transport

    struct InferenceRequest: Encodable {
        var prompt: String, maxTokens: Int, temperature: Double, topP: Double, topK: Int, stop: [String], stream: Bool
    }

    /// The largest answer body read into memory (a transactions page is far smaller).
    static let maxBody = 16 << 20

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    static func encode(_ value: some Encodable) throws -> Data {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        return try e.encode(value)
    }

    func get<T: Decodable>(_ path: String) async throws -> T {
        try decode(try await call(.GET, path))
    }

    func decode<T: Decodable>(_ data: Data, status: Int = 200) throws -> T {
        do {
            return try Self.decoder.decode(T.self, from: data)
        } catch {
            throw NeuroShardError.undecodable(status: status, reason: "\(T.self): \(error)")
        }
    }

    /// A call whose whole answer is read within the attempt's deadline.
    func call(_ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [(String, String)] = []) async throws -> Data {
        try await withRetries(repeatable: Self.repeatable(method, headers)) { deadline in
            let response = try await attempt(method, path, body: body, headers: headers, accept: "application/json",
                                             deadline: deadline)
            // AsyncHTTPClient's deadline ends at the answer's head; the body is held to it here.
            let body = response.body
            return try await withThrowingTaskGroup(of: Data?.self) { group in
                group.addTask {
                    let bytes = try await Self.transport { try await body.collect(upTo: Self.maxBody) }
                    return Data(bytes.readableBytesView)
                }
                group.addTask {
                    try await Task.sleep(for: .nanoseconds(max(0, (deadline - .now()).nanoseconds)))
                    return nil
                }
                defer { group.cancelAll() }
                guard let data = try await group.next()! else { throw NeuroShardError.timeout }
                return data
            }
        }
    }

    /// A call whose 2xx answer is handed over unread (a stream).
    func execute(_ method: HTTPMethod, _ path: String, body: Data? = nil, headers: [(String, String)] = [],
                 accept: String) async throws -> HTTPClientResponse {
        try await withRetries(repeatable: Self.repeatable(method, headers)) { deadline in
            try await attempt(method, path, body: body, headers: headers, accept: accept, deadline: deadline)
        }
    }

    /// Whether a call may be sent again after its connection broke, when the node may have
    /// acted on it: a read, or a write the node recognises as a repeat (an Idempotency-Key). A
    /// paid inference is not repeated then; it could be charged twice.
    static func repeatable(_ method: HTTPMethod, _ headers: [(String, String)]) -> Bool {
        method == .GET || headers.contains { $0.0.lowercased() == "idempotency-key" }
    }

    /// Runs `operation` until it succeeds, fails for good, or the attempts are spent. A 429 or
    /// 503 is a refusal (the node did nothing), so any call is retried after one; a transport
    /// failure only when the call is `repeatable`.
    func withRetries<T>(repeatable: Bool, _ operation: (NIODeadline) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await operation(.now() + TimeAmount(timeout))
            } catch let error as NeuroShardError {
                if case .transport = error, !repeatable { throw error }
                guard attempt < retryAttempts, let wait = retryWait(after: error, attempt: attempt) else { throw error }
                attempt += 1
                try await sleep(min(wait, maxRetryWait))
            }
        }
    }

    /// How long to wait before retrying after `error`, or nil when retrying is pointless.
    func retryWait(after error: NeuroShardError, attempt: Int) -> Duration? {
        let backoff = Duration.milliseconds(250) * (1 << min(attempt, 16))
        switch error {
        case .rateLimited(_, _, let retryAfter): return retryAfter.map { .milliseconds(Int64(($0 * 1000).rounded(.up))) } ?? backoff
        case .unavailable, .transport: return backoff
        default: return nil
        }
    }

    /// One request: the response on a 2xx (its body not yet read), the node's error otherwise.
    func attempt(_ method: HTTPMethod, _ path: String, body: Data?, headers: [(String, String)], accept: String,
                 deadline: NIODeadline) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url + (path.hasPrefix("/") ? path : "/" + path))
        request.method = method
        request.headers.add(name: "Accept", value: accept)
        request.headers.add(name: "User-Agent", value: "neuroshard-swift-client")
        if let apiToken { request.headers.add(name: "Authorization", value: "Bearer \(apiToken)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await Self.transport { try await httpClient.execute(request, deadline: deadline) }
        guard (200..<300).contains(response.status.code) else {
            let bytes = try await Self.transport { try await response.body.collect(upTo: Self.maxBody) }
            throw Self.error(status: Int(response.status.code), body: Data(bytes.readableBytesView),
                             retryAfter: response.headers.first(name: "Retry-After").flatMap { Double($0) })
        }
        return response
    }

    /// The error a non-2xx answer carries in its envelope.
    static func error(status: Int, body: Data, retryAfter: Double?) -> NeuroShardError {
        struct Envelope: Decodable {
            struct Body: Decodable { var code: String; var message: String; var details: [String: JSONValue]? }
            var error: Body
        }
        // No key conversion: `details` keys stay as the node spells them (`retry_after`).
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: body) else {
            return .undecodable(status: status, reason: "no error envelope: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        return NeuroShardError(status: status, code: envelope.error.code, message: envelope.error.message,
                               details: envelope.error.details ?? [:], retryAfterHeader: retryAfter)
    }

    /// Runs an AsyncHTTPClient operation, its failures turned into `NeuroShardError`.
    static func transport<T>(_ operation: () async throws -> T) async throws -> T {
        do { return try await operation() } catch { throw mapped(error) }
    }

    /// A failure as this client reports it: timeouts as `.timeout`, other socket and protocol
    /// failures as `.transport`; cancellation stays cancellation.
    static func mapped(_ error: any Error) -> any Error {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .connectTimeout, .readTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
                return NeuroShardError.timeout
            case .cancelled where Task.isCancelled:
                return CancellationError()
            default:
                return NeuroShardError.transport(String(describing: error))
            }
        case is NeuroShardError, is CancellationError:
            return error
        case is NIOTooManyBytesError:
            return NeuroShardError.undecodable(status: 200, reason: "the answer exceeds \(maxBody) bytes")
        default:
            return NeuroShardError.transport(String(describing: error))
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
