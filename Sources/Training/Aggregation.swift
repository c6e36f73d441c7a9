/// How a node combines the pseudo-gradients it holds for one layer (its own and its peers').
/// Inputs arrive sorted by sender, so the result is the same in every process.
public enum Aggregator: Equatable, Sendable, CustomStringConvertible {
    case mean
    case median
    /// Drop the ⌊β·n⌋ largest and smallest values of each coordinate, average the rest.
    case trimmedMean(beta: Double)

    public static let names = ["mean", "median", "trimmed_mean"]

    public var description: String {
        switch self {
        case .mean: "mean"
        case .median: "median"
        case .trimmedMean(let beta): "trimmed_mean(\(beta))"
        }
    }

    public func aggregate(_ updates: [[Float]]) -> [Float] {
        precondition(!updates.isEmpty, "nothing to aggregate")
        let n = updates.count, dim = updates[0].count
        precondition(updates.allSatisfy { $0.count == dim }, "updates differ in size")
        if n == 1 { return updates[0] }
        switch self {
        case .mean:
            var out = [Float](repeating: 0, count: dim)
            for u in updates { for j in 0..<dim { out[j] += u[j] } }
            let inv = 1 / Float(n)
            for j in 0..<dim { out[j] *= inv }
            return out
        case .median:
            return coordinateWise(updates) { column in
                let mid = column.count / 2
                return column.count % 2 == 1 ? column[mid] : (column[mid - 1] + column[mid]) / 2
            }
        case .trimmedMean(let beta):
            let trim = min(Int(Double(n) * beta), (n - 1) / 2)
            return coordinateWise(updates) { column in
                let kept = column[trim..<(column.count - trim)]
                return kept.reduce(0, +) / Float(kept.count)
            }
        }
    }

    private func coordinateWise(_ updates: [[Float]], _ reduce: (ArraySlice<Float>) -> Float) -> [Float] {
        let dim = updates[0].count
        var column = [Float](repeating: 0, count: updates.count)
        var out = [Float](repeating: 0, count: dim)
        for j in 0..<dim {
            for i in updates.indices { column[i] = updates[i][j] }
            column.sort()
            out[j] = reduce(column[...])
        }
        return out
    }
}
