import Deterministic

/// What a node does with the pseudo-gradient it shares. Honest nodes send it unchanged; the
/// others model the faulty and Byzantine peers that robust aggregation must survive (the
/// attacks' statistics are in Attacks.swift).
public enum Behaviour: Equatable, Sendable, CustomStringConvertible {
    case honest
    /// Trains but never shares (a crashed-looking peer that still heartbeats).
    case silent
    /// Shares zeros: takes part without doing the work.
    case freeRider
    /// Takes part without doing the work, but less visibly than zeros: re-sends a stale update
    /// (the first one it computed, kept by the caller and passed as `previous`), or zeros
    /// when it has none yet.
    case staleRider
    /// Sends −scale·Δ.
    case signFlip(scale: Float)
    /// Sends Δ plus N(0, σ²) noise per coordinate.
    case gaussian(sigma: Double)
    /// "A little is enough" (Baruch et al. 2019): μ − z·σ per coordinate over the honest updates
    /// it observed (its own included). z nil: derived from n and f (`Attacks.alieZ`), which is
    /// 0 (harmless) for n = 8, f = 2, so scenarios should usually give z (1 is typical).
    case alie(z: Double?)
    /// Inner-product manipulation (Xie et al. 2019): −ε · mean of the observed honest updates.
    case ipm(epsilon: Double)
    /// Sends its Δ with one coordinate NaN and another +∞: the norm of such an update is NaN,
    /// which slips past a check written as `norm > bound`; only a finiteness check stops it.
    case nonFinite

    /// Every name a scenario may use, in the order of the cases.
    public static let names = ["honest", "silent", "free_rider", "stale_rider", "sign_flip", "gaussian", "alie", "ipm", "non_finite"]

    public var description: String {
        switch self {
        case .honest: "honest"
        case .silent: "silent"
        case .freeRider: "free_rider"
        case .staleRider: "stale_rider"
        case .signFlip(let s): "sign_flip(\(s))"
        case .gaussian(let s): "gaussian(\(s))"
        case .alie(let z): "alie(\(z.map { "\($0)" } ?? "auto"))"
        case .ipm(let e): "ipm(\(e))"
        case .nonFinite: "non_finite"
        }
    }

    /// True for the "rushing" attackers (ALIE, IPM): they wait for the round's honest updates
    /// before sending theirs, so the caller must collect those first and pass them as `observed`.
    public var needsObservedUpdates: Bool {
        switch self {
        case .alie, .ipm: true
        default: false
        }
    }

    /// The update this node actually sends, or nil when it sends nothing.
    ///
    /// - own: this node's true Δ.
    /// - observed: the other honest updates it has seen this round (not including `own`; entries
    ///   of another size are ignored). Only ALIE and IPM read it.
    /// - n, f: the number of nodes aggregating and how many of them are Byzantine (ALIE's z).
    /// - previous: what a stale rider re-sends (its first Δ); ignored by the others.
    public func corrupt(_ own: [Float], observed: [[Float]], nodes n: Int, byzantine f: Int,
                        previous: [Float]?, rng: inout DeterministicRNG) -> [Float]? {
        switch self {
        case .honest: return own
        case .silent: return nil
        case .freeRider: return [Float](repeating: 0, count: own.count)
        case .staleRider:
            guard let previous, previous.count == own.count else { return [Float](repeating: 0, count: own.count) }
            return previous
        case .signFlip(let scale): return own.map { -scale * $0 }
        case .gaussian(let sigma): return own.map { $0 + Float(rng.nextGaussian() * sigma) }
        case .alie(let z):
            return Attacks.alie(Attacks.honestPool(own, observed), z: z ?? Attacks.alieZ(nodes: n, byzantine: f))
        case .ipm(let epsilon):
            return Attacks.ipm(Attacks.honestPool(own, observed), epsilon: epsilon)
        case .nonFinite:
            return Attacks.poisoned(own, rng: &rng)
        }
    }

    /// The same without any view of the round: ALIE and IPM see only their own Δ (ALIE then
    /// sends it unchanged, σ being 0; IPM sends −ε·Δ) and a stale rider sends zeros.
    public func corrupt(_ delta: [Float], rng: inout DeterministicRNG) -> [Float]? {
        corrupt(delta, observed: [], nodes: 1, byzantine: 0, previous: nil, rng: &rng)
    }
}
