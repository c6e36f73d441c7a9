/// Chooses which contiguous layers a node holds so that every layer stays covered as nodes join
/// and leave (SPEC §6). Pure: the same view gives the same answer.
public enum LayerPlanner {
    /// How many layers fit in `memoryMB` (at least one: a node always serves something).
    public static func capacity(memoryMB: Double, layerMemoryMB: Double, layerCount: Int) -> Int {
        guard layerMemoryMB > 0 else { return layerCount }
        return max(1, min(layerCount, Int((memoryMB / layerMemoryMB).rounded(.down))))
    }

    /// Coverage of each layer by the given ranges.
    public static func coverage(layerCount: Int, ranges: [Range<Int>]) -> [Int] {
        var counts = [Int](repeating: 0, count: layerCount)
        for r in ranges { for l in r where l >= 0 && l < layerCount { counts[l] += 1 } }
        return counts
    }

    /// The range this node should hold, or nil to keep what it has.
    ///
    /// A node that fits the whole model is a full replica. A node without layers takes the window
    /// that covers the most uncovered layers, then the least-covered one, then the lowest. A node
    /// that holds layers moves only when each of its own layers is also held by another peer, so a
    /// move never uncovers anything: to cover a layer nobody holds, or to even out the coverage
    /// (a pipeline runs at the pace of its least-held stage). An evening move goes to a window
    /// whose every new layer has fewer holders than any layer it leaves will keep, so each move
    /// lowers the sum of squared coverage and moves stop.
    public static func plan(layerCount: Int, capacity: Int, current: Range<Int>,
                            peerRanges: [Range<Int>]) -> Range<Int>? {
        let full = 0..<layerCount
        if capacity >= layerCount { return current == full ? nil : full }
        let counts = coverage(layerCount: layerCount, ranges: peerRanges)
        let windows = (0...(layerCount - capacity)).map { $0..<($0 + capacity) }
        if !current.isEmpty {
            guard current.allSatisfy({ counts[$0] > 0 }) else { return nil }
            let someUncovered = counts.indices.contains { counts[$0] == 0 && !current.contains($0) }
            if !someUncovered { return evening(counts: counts, current: current, windows: windows) }
        }
        var best: (uncovered: Int, load: Int, start: Int)? = nil
        for window in windows {
            let slice = counts[window]
            let uncovered = slice.filter { $0 == 0 }.count
            let load = slice.reduce(0, +)
            if let b = best, (uncovered, -load) <= (b.uncovered, -b.load) { continue }
            best = (uncovered, load, window.lowerBound)
        }
        let chosen = best!.start..<(best!.start + capacity)
        return chosen == current ? nil : chosen
    }

    /// Among the windows where every joined layer has fewer holders (`counts`, without this node)
    /// than every left one keeps: the fewest holders on the joined layers, then the least load,
    /// then the lowest.
    private static func evening(counts: [Int], current: Range<Int>, windows: [Range<Int>]) -> Range<Int>? {
        var best: (joined: Int, load: Int, window: Range<Int>)? = nil
        for window in windows where window != current {
            let left = current.filter { !window.contains($0) }.map { counts[$0] }
            let joined = window.filter { !current.contains($0) }.map { counts[$0] }
            guard let keep = left.min(), let most = joined.max(), most < keep else { continue }
            let load = counts[window].reduce(0, +)
            if let b = best, (most, load) >= (b.joined, b.load) { continue }
            best = (most, load, window)
        }
        return best?.window
    }
}
