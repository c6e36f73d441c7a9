import Deterministic

/// What a node does with the pseudo-gradient it shares. Honest nodes send it unchanged; the
/// others model the faulty and Byzantine peers that robust aggregation must survive.
public enum Behaviour: Equatable, Sendable, CustomStringConvertible {
    case honest
    /// Trains but never shares (a crashed-looking peer that still heartbeats).
    case silent
    /// Shares zeros: takes part without doing the work.
    case freeRider
    /// Sends −scale·Δ.
    case signFlip(scale: Float)
    /// Sends Δ plus N(0, σ²) noise per coordinate.
    case gaussian(sigma: Double)

    public static let names = ["honest", "silent", "free_rider", "sign_flip", "gaussian"]

    public var description: String {
        switch self {
        case .honest: "honest"
        case .silent: "silent"
        case .freeRider: "free_rider"
        case .signFlip(let s): "sign_flip(\(s))"
        case .gaussian(let s): "gaussian(\(s))"
        }
    }

    /// The update this node actually sends, or nil when it sends nothing.
    public func corrupt(_ delta: [Float], rng: inout DeterministicRNG) -> [Float]? {
        switch self {
        case .honest: return delta
        case .silent: return nil
        case .freeRider: return [Float](repeating: 0, count: delta.count)
        case .signFlip(let scale): return delta.map { -scale * $0 }
        case .gaussian(let sigma): return delta.map { $0 + Float(rng.nextGaussian() * sigma) }
        }
    }
}
