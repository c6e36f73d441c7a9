/// Loss against DiLoCo rounds, inner steps and training bytes, averaged over the honest training
/// nodes that completed each round: the loss-vs-steps and loss-vs-bytes tables of a run.
struct LossCurve {
    struct Point {
        var nodes = 0
        var loss = 0.0
        var steps = 0.0
        var updateBytes = 0.0
    }

    private(set) var points: [Point] = []

    mutating func record(round: Int, loss: Double, innerSteps: Int, updateBytes: Int) {
        guard round >= 0, round < 10_000_000 else { return }
        if points.count <= round { points.append(contentsOf: repeatElement(Point(), count: round + 1 - points.count)) }
        points[round].nodes += 1
        points[round].loss += loss
        points[round].steps += Double(innerSteps)
        points[round].updateBytes += Double(updateBytes)
    }

    /// CSV rows `round,inner_steps,update_bytes_per_node,loss` (means over the nodes), at most
    /// `limit` of them, evenly spaced, always with the last round.
    func rows(limit: Int = 200) -> [String] {
        let filled = points.indices.filter { points[$0].nodes > 0 }
        guard !filled.isEmpty else { return [] }
        let stride = max(1, (filled.count + limit - 1) / limit)
        var picked = filled.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
        if picked.last != filled.last { picked.append(filled.last!) }
        return picked.map { r in
            let p = points[r], n = Double(p.nodes)
            return "\(r),\(Int((p.steps / n).rounded())),\(Int((p.updateBytes / n).rounded())),\(p.loss / n)"
        }
    }
}
