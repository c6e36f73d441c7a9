/// Who is calling the HTTP API.
public enum Principal: Equatable, Sendable {
    /// The node's own token: every right.
    case owner
    /// A read-only API key: may read, may not spend.
    case readOnly(keyIndex: Int)
}

/// Bearer-token authentication (SPEC §3). Every candidate is compared in full, in time that
/// depends only on the lengths, so a caller cannot learn a token a byte at a time.
public struct Authenticator: Sendable {
    private let owner: [UInt8]
    private let apiKeys: [[UInt8]]

    public init(token: String, apiKeys: [String]) {
        owner = Array(token.utf8)
        self.apiKeys = apiKeys.map { Array($0.utf8) }
    }

    public func authenticate(authorization: String?) -> Principal? {
        guard let presented = Self.bearer(authorization) else { return nil }
        var found: Principal? = nil
        if Self.constantTimeEquals(presented, owner) { found = .owner }
        for (i, key) in apiKeys.enumerated() where Self.constantTimeEquals(presented, key) && found == nil {
            found = .readOnly(keyIndex: i)
        }
        return found
    }

    /// Whether `authorization` presents exactly `token`.
    static func matches(_ authorization: String?, token: String) -> Bool {
        guard let presented = bearer(authorization) else { return false }
        return constantTimeEquals(presented, Array(token.utf8))
    }

    /// The token of a `Bearer` header (the scheme name is case-insensitive, RFC 9110 §11.1).
    private static func bearer(_ authorization: String?) -> [UInt8]? {
        guard let header = authorization else { return nil }
        let scheme = "bearer "
        guard header.utf8.count > scheme.utf8.count,
              String(decoding: header.utf8.prefix(scheme.utf8.count), as: UTF8.self).lowercased() == scheme else { return nil }
        return Array(header.utf8.dropFirst(scheme.utf8.count))
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff: UInt = a.count == b.count ? 0 : 1
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= UInt(x ^ y)
        }
        return diff == 0
    }
}

extension NodeCore {
    /// Whether `authorization` presents this node's own token (its operator: on a peer call it
    /// stands in for a signature, SPEC §5).
    public func isOwner(_ authorization: String?) -> Bool { authenticator.authenticate(authorization: authorization) == .owner }
}
