import Deterministic

/// Chooses the next token from a model's logits: temperature, then top-k, then top-p
/// (nucleus), the order most serving stacks use, so the knobs mean what users expect.
///
/// pad, bos and unk are never chosen: they mark structure, not text. A NaN logit counts as −∞
/// (a broken score must not win); +∞ logits share all the probability equally; when no token
/// has a finite or +∞ score the answer is eos, which ends generation cleanly.
public enum Sampler {
    /// The law the next token is drawn from: ids with positive probability, most probable
    /// first (ties: lower id first), probabilities summing to 1.
    ///
    /// - temperature: 0 (or any value that is not > 0) means greedy: the single best id.
    /// - topK: keep the k best ids (ties at the boundary keep the lower ids); nil or 0: off.
    /// - topP: keep the smallest set of best ids whose probability reaches p (at least one);
    ///   nil or ≥ 1: off.
    public static func distribution(logits: [Float], temperature: Double, topK: Int? = nil,
                                    topP: Double? = nil) -> [(id: Int32, probability: Double)] {
        var candidates: [(id: Int32, score: Double)] = []
        candidates.reserveCapacity(logits.count)
        for (i, logit) in logits.enumerated() {
            let id = Int32(i)
            guard id != ByteTokenizer.pad && id != ByteTokenizer.bos && id != ByteTokenizer.unk else { continue }
            let score = Double(logit)
            if score.isNaN || score == -.infinity { continue }
            candidates.append((id, score))
        }
        if candidates.contains(where: { $0.score == .infinity }) {
            candidates = candidates.filter { $0.score == .infinity }.map { ($0.id, 0) }
        }
        guard !candidates.isEmpty else { return [(ByteTokenizer.eos, 1)] }
        candidates.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        guard temperature > 0 else { return [(candidates[0].id, 1)] }

        if let k = topK, k > 0, k < candidates.count { candidates.removeLast(candidates.count - k) }
        let top = candidates[0].score
        var weights = candidates.map { _exp(($0.score - top) / temperature) }
        var total = weights.reduce(0, +)
        if let p = topP, p < 1 {
            var kept = 0, mass = 0.0
            while kept < weights.count && (kept == 0 || mass < p * total) {
                mass += weights[kept]
                kept += 1
            }
            weights.removeLast(weights.count - kept)
            total = mass
        }
        return zip(candidates, weights).compactMap { candidate, w in
            w > 0 ? (candidate.id, w / total) : nil
        }
    }

    /// Draws the next token from `distribution(…)`. A greedy or single-candidate choice takes
    /// no number from `rng`.
    public static func choose(logits: [Float], temperature: Double, topK: Int? = nil, topP: Double? = nil,
                              rng: inout DeterministicRNG) -> Int32 {
        let law = distribution(logits: logits, temperature: temperature, topK: topK, topP: topP)
        guard law.count > 1 else { return law[0].id }
        let u = rng.nextDouble()
        var cumulative = 0.0
        for entry in law {
            cumulative += entry.probability
            if u < cumulative { return entry.id }
        }
        return law[law.count - 1].id  // u landed in the rounding gap below 1
    }
}
