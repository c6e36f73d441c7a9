import Deterministic
import Ledger
@testable import NeuroShardCore
import Testing

@Suite struct LayerPlannerTests {
    @Test func capacityFromMemory() {
        #expect(LayerPlanner.capacity(memoryMB: 1000, layerMemoryMB: 100, layerCount: 32) == 10)
        #expect(LayerPlanner.capacity(memoryMB: 1099, layerMemoryMB: 100, layerCount: 32) == 10)
        #expect(LayerPlanner.capacity(memoryMB: 1100, layerMemoryMB: 100, layerCount: 32) == 11)
        // Always at least one layer, never more than the model.
        #expect(LayerPlanner.capacity(memoryMB: 50, layerMemoryMB: 100, layerCount: 32) == 1)
        #expect(LayerPlanner.capacity(memoryMB: 0, layerMemoryMB: 100, layerCount: 32) == 1)
        #expect(LayerPlanner.capacity(memoryMB: 1e9, layerMemoryMB: 100, layerCount: 32) == 32)
        #expect(LayerPlanner.capacity(memoryMB: 10, layerMemoryMB: 0, layerCount: 7) == 7)
    }

    @Test func aNodeThatFitsTheModelIsFull() {
        for capacity in [8, 9, 100] {
            #expect(LayerPlanner.plan(layerCount: 8, capacity: capacity, current: 0..<0, peerRanges: []) == 0..<8)
            #expect(LayerPlanner.plan(layerCount: 8, capacity: capacity, current: 0..<0,
                                      peerRanges: [0..<8, 0..<8]) == 0..<8)
            // A partial holder that now fits everything becomes full too.
            #expect(LayerPlanner.plan(layerCount: 8, capacity: capacity, current: 2..<5, peerRanges: [0..<8]) == 0..<8)
            // Already full: keep it.
            #expect(LayerPlanner.plan(layerCount: 8, capacity: capacity, current: 0..<8, peerRanges: []) == nil)
        }
    }

    @Test func newNodeTakesTheWindowWithMostUncoveredLayers() {
        // Layers 0..<3 covered: every window of 3 inside 3..<8 is all uncovered; lowest wins.
        #expect(LayerPlanner.plan(layerCount: 8, capacity: 3, current: 0..<0, peerRanges: [0..<3]) == 3..<6)
        // Only 5..<8 uncovered.
        #expect(LayerPlanner.plan(layerCount: 8, capacity: 3, current: 0..<0, peerRanges: [0..<5]) == 5..<8)
        // Most uncovered beats least load: counts [0,0,9,1,1,1] → 0..<3 (2 uncovered, load 9)
        // rather than 3..<6 (0 uncovered, load 3).
        let heavy = Array(repeating: 2..<3, count: 9) + [3..<6]
        #expect(LayerPlanner.plan(layerCount: 6, capacity: 3, current: 0..<0, peerRanges: heavy) == 0..<3)
        // Uncovered in the middle: counts [1,0,0,0,1] with capacity 2 → 1..<3 (2 uncovered, lowest).
        #expect(LayerPlanner.plan(layerCount: 5, capacity: 2, current: 0..<0, peerRanges: [0..<1, 4..<5]) == 1..<3)
        // Empty network: from layer 0.
        #expect(LayerPlanner.plan(layerCount: 8, capacity: 3, current: 0..<0, peerRanges: []) == 0..<3)
    }

    @Test func thenTheLeastLoadThenTheLowestIndex() {
        // Everything covered; counts [2,2,2,1,2,1] → window loads 4,4,3,3,3 → 2..<4 (lowest of the least).
        let peers = [0..<6, 0..<3, 4..<5]
        #expect(LayerPlanner.coverage(layerCount: 6, ranges: peers) == [2, 2, 2, 1, 2, 1])
        #expect(LayerPlanner.plan(layerCount: 6, capacity: 2, current: 0..<0, peerRanges: peers) == 2..<4)
        // Counts [3,3,1,1,1,1]: windows of 2 → loads 6,4,2,2,2 → 2..<4.
        #expect(LayerPlanner.plan(layerCount: 6, capacity: 2, current: 0..<0,
                                  peerRanges: [0..<6, 0..<2, 0..<2]) == 2..<4)
        // Counts [1,1,1,1,2,2]: equal uncovered (0), least load at 0..<2.
        #expect(LayerPlanner.plan(layerCount: 6, capacity: 2, current: 0..<0, peerRanges: [0..<6, 4..<6]) == 0..<2)
        // Ranges outside the model are ignored by coverage.
        #expect(LayerPlanner.coverage(layerCount: 3, ranges: [-2..<1, 2..<9]) == [1, 0, 1])
    }

    @Test func aHolderMovesOnlyWhenItsLayersAreRedundant() {
        // Its layers also held by another peer, and 2..<4 uncovered: it moves there.
        #expect(LayerPlanner.plan(layerCount: 4, capacity: 2, current: 0..<2, peerRanges: [0..<2]) == 2..<4)
        // Layer 0 is only its own: it stays although 2..<4 is uncovered.
        #expect(LayerPlanner.plan(layerCount: 4, capacity: 2, current: 0..<2, peerRanges: [1..<2]) == nil)
        #expect(LayerPlanner.plan(layerCount: 4, capacity: 2, current: 0..<2, peerRanges: []) == nil)
        // Nothing uncovered and the coverage even: it stays.
        #expect(LayerPlanner.plan(layerCount: 4, capacity: 2, current: 0..<2, peerRanges: [0..<2, 2..<4]) == nil)
        // Its own layers are not "uncovered" just because no peer holds them.
        #expect(LayerPlanner.plan(layerCount: 4, capacity: 2, current: 2..<4, peerRanges: [0..<2]) == nil)
    }

    /// Everything covered but unevenly: a holder of an over-held layer moves to the least-held
    /// window, and only when the layers it joins end with no more holders than those it leaves.
    @Test func aHolderEvensOutTheCoverage() {
        // Counts without it [3,2,1,1]: 2..<3 and 3..<4 have one holder each; the lowest wins.
        let drivers = Array(repeating: 0..<1, count: 3) + [1..<2, 1..<2, 2..<3, 3..<4]
        #expect(LayerPlanner.plan(layerCount: 4, capacity: 1, current: 0..<1, peerRanges: drivers) == 2..<3)
        // [3,3,1,1] with capacity 2: the whole window moves.
        #expect(LayerPlanner.plan(layerCount: 4, capacity: 2, current: 0..<2,
                                  peerRanges: [0..<2, 0..<2, 0..<2, 2..<4]) == 2..<4)
        // A holder of layer 1 with counts [2,1,1,1] without it: no layer has fewer holders than
        // its own would keep (1), so it stays.
        #expect(LayerPlanner.plan(layerCount: 4, capacity: 1, current: 1..<2,
                                  peerRanges: [0..<1, 0..<1, 1..<2, 2..<3, 3..<4]) == nil)
    }

    /// Nodes of one capacity planning one at a time, in any order, end evenly spread and stop.
    @Test func evenMovesSettle() {
        var rng = DeterministicRNG(seed: 7)
        for _ in 0..<200 {
            let layerCount = 2 + rng.nextInt(below: 7)
            var ranges = (0..<(layerCount + rng.nextInt(below: 3 * layerCount))).map { _ in 0..<1 }
            var moves = 0, settled = false
            while !settled && moves < 1000 {
                settled = true
                // A pass over the nodes in a random order; settled when nobody moves.
                for i in rng.sample(Array(ranges.indices), count: ranges.count) {
                    var others = ranges
                    others.remove(at: i)
                    guard let target = LayerPlanner.plan(layerCount: layerCount, capacity: 1, current: ranges[i],
                                                         peerRanges: others) else { continue }
                    ranges[i] = target
                    moves += 1
                    settled = false
                }
            }
            let counts = LayerPlanner.coverage(layerCount: layerCount, ranges: ranges)
            #expect(moves < 1000, "moves did not stop: \(counts)")
            #expect(counts.max()! - counts.min()! <= 1, "uneven after settling: \(counts)")
        }
    }

    /// Over many random views: a move never leaves uncovered a layer that was covered before it
    /// (the node's own layers included), happens only under the documented condition, and either
    /// covers a layer nobody covered or lowers the sum of squared coverage.
    @Test func aMoveNeverUncoversALayer() {
        var rng = DeterministicRNG(seed: 2024)
        var moves = 0
        var problems: [String] = []
        for _ in 0..<5000 {
            let layerCount = 2 + rng.nextInt(below: 10)
            let capacity = 1 + rng.nextInt(below: layerCount - 1)
            func randomRange() -> Range<Int> {
                let lo = rng.nextInt(below: layerCount - capacity + 1)
                return lo..<(lo + capacity)
            }
            let current = randomRange()
            let peers = (0..<rng.nextInt(below: 5)).map { _ in randomRange() }
            guard let target = LayerPlanner.plan(layerCount: layerCount, capacity: capacity, current: current,
                                                 peerRanges: peers) else { continue }
            moves += 1
            let view = "layers \(layerCount), capacity \(capacity), \(current) → \(target), peers \(peers)"
            if target.count != capacity || target.lowerBound < 0 || target.upperBound > layerCount || target == current {
                problems.append("bad target: \(view)")
            }
            let before = LayerPlanner.coverage(layerCount: layerCount, ranges: peers + [current])
            let after = LayerPlanner.coverage(layerCount: layerCount, ranges: peers + [target])
            if (0..<layerCount).contains(where: { before[$0] > 0 && after[$0] == 0 }) {
                problems.append("uncovers a layer: \(view)")
            }
            let coversMore = after.filter({ $0 == 0 }).count < before.filter({ $0 == 0 }).count
            let evens = after.reduce(0) { $0 + $1 * $1 } < before.reduce(0) { $0 + $1 * $1 }
            if !coversMore && !evens {
                problems.append("neither covers nor evens: \(view)")
            }
        }
        #expect(problems.isEmpty, "\(problems.count) bad moves, e.g. \(problems.prefix(3))")
        #expect(moves > 100, "the property was exercised only \(moves) times")
    }

    @Test func roleFromLayers() {
        #expect(Role(layers: 0..<0, layerCount: 8) == .idle)
        #expect(Role(layers: 3..<3, layerCount: 8) == .idle)
        #expect(Role(layers: 0..<8, layerCount: 8) == .full)
        #expect(Role(layers: 0..<1, layerCount: 1) == .full)
        #expect(Role(layers: 0..<3, layerCount: 8) == .driver)
        #expect(Role(layers: 5..<8, layerCount: 8) == .validator)
        #expect(Role(layers: 2..<6, layerCount: 8) == .worker)
        #expect(Role(layers: 7..<8, layerCount: 8) == .validator)
        #expect(Role(layers: 0..<1, layerCount: 8) == .driver)
        #expect(Role.allCases.map(\.rawValue) == ["full", "driver", "worker", "validator", "idle"])
    }
}
