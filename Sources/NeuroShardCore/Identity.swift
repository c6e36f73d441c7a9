/// A node's identity on the network: 32 lowercase hex characters (in production the first half
/// of SHA-256 of its compressed public key; the shell computes it, the core only compares it).
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    /// The first 8 characters, for logs and traces.
    public var short: String { String(rawValue.prefix(8)) }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.rawValue < b.rawValue }
}

/// What a node holds of the model, from its layer range (SPEC §6).
public enum Role: String, Sendable, CaseIterable {
    case full, driver, worker, validator
    /// A node that holds no layer yet (it has not chosen, or is fetching them).
    case idle

    public init(layers: Range<Int>, layerCount: Int) {
        if layers.isEmpty { self = .idle }
        else if layers.lowerBound == 0 && layers.upperBound == layerCount { self = .full }
        else if layers.lowerBound == 0 { self = .driver }
        else if layers.upperBound == layerCount { self = .validator }
        else { self = .worker }
    }
}
