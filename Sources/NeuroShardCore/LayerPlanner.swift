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
    /// that holds layers moves only when some layer is uncovered and each of its own layers is
    /// also held by another peer, so a move never uncovers anything.
    public static func plan(layerCount: Int, capacity: Int, current: Range<Int>,
                            peerRanges: [Range<Int>]) -> Range<Int>? {
        let full = 0..<layerCount
        if capacity >= layerCount { return current == full ? nil : full }
        let counts = coverage(layerCount: layerCount, ranges: peerRanges)
        if !current.isEmpty {
            let someUncovered = counts.indices.contains { counts[$0] == 0 && !current.contains($0) }
            let redundant = current.allSatisfy { counts[$0] > 0 }
            guard someUncovered && redundant else { return nil }
        }
        var best: (uncovered: Int, load: Int, start: Int)? = nil
        for start in 0...(layerCount - capacity) {
            let window = counts[start..<(start + capacity)]
            let uncovered = window.filter { $0 == 0 }.count
            let load = window.reduce(0, +)
            if let b = best, (uncovered, -load) <= (b.uncovered, -b.load) { continue }
            best = (uncovered, load, start)
        }
        let chosen = best!.start..<(best!.start + capacity)
        return chosen == current ? nil : chosen
    }
}
