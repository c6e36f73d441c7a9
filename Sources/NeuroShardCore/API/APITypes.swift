/// An HTTP request as the core sees it: the shell has already parsed the socket's bytes.
public struct APIRequest: Sendable {
    public var id: UInt64
    public var method: String
    /// Path without the query string, e.g. `/api/v1/status`.
    public var path: String
    public var query: [(String, String)]
    /// The `Authorization` header's value, if any.
    public var authorization: String?
    /// The `Idempotency-Key` header's value: a client's name for a send it may retry.
    public var idempotencyKey: String?
    public var body: [UInt8]

    public init(id: UInt64, method: String, path: String, query: [(String, String)] = [],
                authorization: String? = nil, idempotencyKey: String? = nil, body: [UInt8] = []) {
        self.id = id; self.method = method; self.path = path; self.query = query
        self.authorization = authorization; self.idempotencyKey = idempotencyKey; self.body = body
    }
}

public struct APIResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [Header]
    public var body: JSON
    /// A body that is not JSON (the Prometheus text of `/metrics`), served instead of `body`
    /// with its own content type.
    public var text: (contentType: String, content: String)?

    public static func == (a: APIResponse, b: APIResponse) -> Bool {
        a.status == b.status && a.headers == b.headers && a.body == b.body
            && a.text?.contentType == b.text?.contentType && a.text?.content == b.text?.content
    }

    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    public init(status: Int, headers: [Header] = [], body: JSON) {
        self.status = status; self.headers = headers; self.body = body
    }

    public static func ok(_ body: JSON) -> APIResponse { APIResponse(status: 200, body: body) }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// The error codes of SPEC §4, each with its HTTP status.
public enum APIErrorCode: String, Sendable, CaseIterable {
    case unauthorized = "UNAUTHORIZED"
    case forbidden = "FORBIDDEN"
    case notFound = "NOT_FOUND"
    case methodNotAllowed = "METHOD_NOT_ALLOWED"
    case rateLimited = "RATE_LIMITED"
    case insufficientBalance = "INSUFFICIENT_BALANCE"
    case invalidRequest = "INVALID_REQUEST"
    case internalError = "INTERNAL_ERROR"
    /// The node is starting (its servers are up, the node not yet).
    case unavailable = "UNAVAILABLE"

    public var httpStatus: Int {
        switch self {
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .rateLimited: 429
        case .insufficientBalance: 402
        case .invalidRequest: 400
        case .internalError: 500
        case .unavailable: 503
        }
    }
}

public struct APIError: Error, Sendable, Equatable {
    public var code: APIErrorCode
    public var message: String
    public var details: [(String, JSON)]
    public var headers: [APIResponse.Header]

    public init(_ code: APIErrorCode, _ message: String, details: [(String, JSON)] = [],
                headers: [APIResponse.Header] = []) {
        self.code = code; self.message = message; self.details = details; self.headers = headers
    }

    public static func == (a: APIError, b: APIError) -> Bool {
        a.code == b.code && a.message == b.message && JSON.object(a.details) == JSON.object(b.details)
    }

    /// The one error body of SPEC §4: `{"error": {"code", "message", "details"}}`.
    public var response: APIResponse {
        APIResponse(status: code.httpStatus, headers: headers, body: [
            "error": ["code": .string(code.rawValue), "message": .string(message), "details": .object(details)],
        ])
    }
}
