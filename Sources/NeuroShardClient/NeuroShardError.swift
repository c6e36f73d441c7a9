/// Everything a call can fail with: one case per error code of the node's envelope
/// `{"error": {"code", "message", "details"}}` (SPEC §4), so callers can `switch` on what went
/// wrong, plus the failures that never reach the node or whose answer makes no sense.
public enum NeuroShardError: Error, Sendable, Equatable, CustomStringConvertible {
    public typealias Details = [String: JSONValue]

    /// 401: a missing or wrong token.
    case unauthorized(message: String, details: Details)
    /// 403: a read-only API key tried to spend NEURO.
    case forbidden(message: String, details: Details)
    /// 404: an unknown path or resource.
    case notFound(message: String, details: Details)
    /// 405: a path that exists, called with another method.
    case methodNotAllowed(message: String, details: Details)
    /// 429: over the token's limit; `retryAfter` is the seconds the node asked to wait
    /// (`Retry-After`, else `details.retry_after`).
    case rateLimited(message: String, details: Details, retryAfter: Double?)
    /// 402: the available balance does not cover the send (or paid inference).
    case insufficientBalance(message: String, details: Details)
    /// 400: malformed JSON, wrong types, values out of range, an unknown address.
    case invalidRequest(message: String, details: Details)
    /// 500: a bug in the node.
    case internalError(message: String, details: Details)
    /// 503: the node is starting, no node holds a layer, a generation failed, no ledger.
    case unavailable(message: String, details: Details)
    /// An envelope with a code this client does not know (a newer node).
    case other(status: Int, code: String, message: String, details: Details)
    /// The node could not be reached or the connection broke (refused, reset, DNS…).
    case transport(String)
    /// No complete answer within the node's `timeout`.
    case timeout
    /// An answer that is not what the API documents (not JSON, missing fields, no envelope).
    case undecodable(status: Int, reason: String)

    /// The envelope's code, e.g. `"RATE_LIMITED"` (nil for the client-side cases).
    public var code: String? {
        switch self {
        case .unauthorized: "UNAUTHORIZED"
        case .forbidden: "FORBIDDEN"
        case .notFound: "NOT_FOUND"
        case .methodNotAllowed: "METHOD_NOT_ALLOWED"
        case .rateLimited: "RATE_LIMITED"
        case .insufficientBalance: "INSUFFICIENT_BALANCE"
        case .invalidRequest: "INVALID_REQUEST"
        case .internalError: "INTERNAL_ERROR"
        case .unavailable: "UNAVAILABLE"
        case .other(_, let code, _, _): code
        case .transport, .timeout, .undecodable: nil
        }
    }

    public var message: String {
        switch self {
        case .unauthorized(let m, _), .forbidden(let m, _), .notFound(let m, _), .methodNotAllowed(let m, _),
             .rateLimited(let m, _, _), .insufficientBalance(let m, _), .invalidRequest(let m, _),
             .internalError(let m, _), .unavailable(let m, _), .other(_, _, let m, _):
            m
        case .transport(let m): m
        case .timeout: "no answer within the timeout"
        case .undecodable(_, let reason): reason
        }
    }

    public var details: Details {
        switch self {
        case .unauthorized(_, let d), .forbidden(_, let d), .notFound(_, let d), .methodNotAllowed(_, let d),
             .rateLimited(_, let d, _), .insufficientBalance(_, let d), .invalidRequest(_, let d),
             .internalError(_, let d), .unavailable(_, let d), .other(_, _, _, let d):
            d
        case .transport, .timeout, .undecodable: [:]
        }
    }

    /// Seconds to wait before trying again (429 only).
    public var retryAfter: Double? {
        if case .rateLimited(_, _, let seconds) = self { return seconds }
        return nil
    }

    public var description: String {
        if let code { return "\(code): \(message)" + (details.isEmpty ? "" : " \(JSONValue.object(details))") }
        switch self {
        case .timeout: return "timeout: \(message)"
        case .undecodable(let status, let reason): return "undecodable answer (HTTP \(status)): \(reason)"
        default: return "transport error: \(message)"
        }
    }

    /// The error an envelope names; `retryAfterHeader` is the 429's `Retry-After`.
    init(status: Int, code: String, message: String, details: Details, retryAfterHeader: Double?) {
        switch code {
        case "UNAUTHORIZED": self = .unauthorized(message: message, details: details)
        case "FORBIDDEN": self = .forbidden(message: message, details: details)
        case "NOT_FOUND": self = .notFound(message: message, details: details)
        case "METHOD_NOT_ALLOWED": self = .methodNotAllowed(message: message, details: details)
        case "RATE_LIMITED":
            self = .rateLimited(message: message, details: details,
                                retryAfter: retryAfterHeader ?? details["retry_after"]?.doubleValue)
        case "INSUFFICIENT_BALANCE": self = .insufficientBalance(message: message, details: details)
        case "INVALID_REQUEST": self = .invalidRequest(message: message, details: details)
        case "INTERNAL_ERROR": self = .internalError(message: message, details: details)
        case "UNAVAILABLE": self = .unavailable(message: message, details: details)
        default: self = .other(status: status, code: code, message: message, details: details)
        }
    }
}
