import Deterministic
import NeuroShardCore

/// Counters the simulator keeps about the whole network.
struct RunStats {
    var messages = 0
    var bytes = 0
    var dropped = 0
    var duplicated = 0
    var faultsFired = 0
    var http: [Int: Int] = [:]
    var unreachable = 0
    var maxDetection: Int64 = 0
    var rounds = 0
    var timedOutRounds = 0

    func httpCount(_ predicate: (Int) -> Bool) -> Int {
        http.reduce(0) { predicate($1.key) ? $0 + $1.value : $0 }
    }
}

/// How many live nodes hold each layer, and for how long some layer had none (counted from the
/// first moment every layer was covered, so start-up does not count).
struct Coverage {
    private(set) var holders: [Int]
    private var uncoveredLayers: Int
    private var everCovered = false
    private var uncoveredSince: Int64?
    private(set) var uncoveredNanos: Int64 = 0

    init(layerCount: Int) {
        holders = [Int](repeating: 0, count: layerCount)
        uncoveredLayers = layerCount
    }

    var allCovered: Bool { uncoveredLayers == 0 }

    mutating func update(from old: Range<Int>, to new: Range<Int>, at now: Int64) {
        for l in old where !new.contains(l) {
            holders[l] -= 1
            if holders[l] == 0 { uncoveredLayers += 1 }
        }
        for l in new where !old.contains(l) {
            if holders[l] == 0 { uncoveredLayers -= 1 }
            holders[l] += 1
        }
        if uncoveredLayers == 0 {
            everCovered = true
            if let since = uncoveredSince { uncoveredNanos += now - since; uncoveredSince = nil }
        } else if everCovered && uncoveredSince == nil {
            uncoveredSince = now
        }
    }

    mutating func finish(at now: Int64) {
        if let since = uncoveredSince { uncoveredNanos += now - since; uncoveredSince = now }
    }
}

/// One row of metrics.csv.
struct MetricsSample {
    static let header = "time_s,live_nodes,training_nodes,mean_loss,min_loss,max_loss,min_round,max_round,"
        + "mean_peers,all_layers_covered,messages,bytes,dropped,events,http_2xx,http_4xx,http_429,http_5xx"

    var time: Double
    var liveNodes: Int
    var trainingNodes: Int
    var meanLoss: Double
    var minLoss: Double
    var maxLoss: Double
    var minRound: Int
    var maxRound: Int
    var meanPeers: Double
    var covered: Bool
    var messages: Int
    var bytes: Int
    var dropped: Int
    var events: UInt64
    var http2xx: Int
    var http4xx: Int
    var http429: Int
    var http5xx: Int

    var csvRow: String {
        [fmt(time), "\(liveNodes)", "\(trainingNodes)", fmt(meanLoss), fmt(minLoss), fmt(maxLoss), "\(minRound)",
         "\(maxRound)", fmt(meanPeers), covered ? "1" : "0", "\(messages)", "\(bytes)", "\(dropped)", "\(events)",
         "\(http2xx)", "\(http4xx)", "\(http429)", "\(http5xx)"].joined(separator: ",")
    }

    private func fmt(_ x: Double) -> String { x.isFinite ? "\(x)" : "" }
}

extension Simulation {
    /// Live nodes' view of training right now.
    struct Snapshot {
        var live = 0
        var training = 0
        var lossSum = 0.0
        var minLoss = Double.infinity
        var maxLoss = -Double.infinity
        var minRound = Int.max
        var maxRound = 0
        var peerSum = 0
        var minPeers = Int.max

        var meanLoss: Double { training > 0 ? lossSum / Double(training) : .nan }
        /// Fewest rounds of a live training node (0 when there is none).
        var fewestRounds: Int { minRound == .max ? 0 : minRound }
    }

    func snapshot() -> Snapshot {
        var s = Snapshot()
        for node in nodes where node.isUp {
            s.live += 1
            s.peerSum += node.core.peers.count
            s.minPeers = min(s.minPeers, node.core.peers.count)
            s.maxRound = max(s.maxRound, node.core.completedRounds)
            guard node.config.trainingEnabled else { continue }
            // A training node that never finished a round still counts, with 0 rounds.
            s.minRound = min(s.minRound, node.core.completedRounds)
            // Attackers' own models are not what the network is judged by.
            guard node.config.behaviour == .honest, let loss = node.core.lastLoss else { continue }
            s.training += 1
            s.lossSum += loss
            s.minLoss = min(s.minLoss, loss)
            s.maxLoss = max(s.maxLoss, loss)
        }
        return s
    }

    func takeSample() {
        let s = snapshot()
        samples.append(MetricsSample(
            time: Double(now) / 1e9, liveNodes: s.live, trainingNodes: s.training, meanLoss: s.meanLoss,
            minLoss: s.training > 0 ? s.minLoss : .nan, maxLoss: s.training > 0 ? s.maxLoss : .nan,
            minRound: s.fewestRounds, maxRound: s.maxRound,
            meanPeers: s.live > 0 ? Double(s.peerSum) / Double(s.live) : 0, covered: coverage.allCovered,
            messages: stats.messages, bytes: stats.bytes, dropped: stats.dropped, events: trace.events,
            http2xx: stats.httpCount { (200..<300).contains($0) }, http4xx: stats.httpCount { (400..<500).contains($0) },
            http429: stats.http[429] ?? 0, http5xx: stats.httpCount { (500..<600).contains($0) }))
    }
}
