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

extension Role {
    /// The LM head's holders compute the training loss.
    public var holdsHead: Bool { self == .full || self == .validator }

    /// The reward bonus of SPEC §7, in percent: +20 driver, +30 validator; a full replica holds
    /// the embedding and the head, so it gets both.
    var bonusPercent: Int64 {
        switch self {
        case .driver: 20
        case .validator: 30
        case .full: 50
        case .worker, .idle: 0
        }
    }
}
