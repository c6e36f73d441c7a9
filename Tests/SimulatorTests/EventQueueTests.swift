import Deterministic
import Testing
@testable import Simulator

@Suite struct EventQueueTests {
    @Test func popsInTimeThenInsertionOrder() {
        var q = EventQueue<Int>()
        var rng = DeterministicRNG(seed: 4)
        var expected: [(Int64, Int)] = []
        for i in 0..<5_000 {
            let t = Int64(rng.nextInt(below: 100)) // many ties
            q.push(at: t, i)
            expected.append((t, i))
        }
        expected.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var popped: [(Int64, Int)] = []
        while let e = q.pop() { popped.append((e.time, e.payload)) }
        #expect(popped.map(\.0) == expected.map(\.0))
        #expect(popped.map(\.1) == expected.map(\.1))
    }

    @Test func interleavedPushAndPop() {
        var q = EventQueue<Int>()
        q.push(at: 10, 1); q.push(at: 5, 2)
        #expect(q.pop()?.payload == 2)
        q.push(at: 7, 3); q.push(at: 10, 4)
        #expect(q.nextTime == 7)
        #expect([q.pop()!.payload, q.pop()!.payload, q.pop()!.payload] == [3, 1, 4])
        #expect(q.pop() == nil && q.isEmpty)
    }

    @Test func engineBenchmarkIsDeterministic() {
        let a = EngineBenchmark.run(nodes: 100, events: 50_000)
        let b = EngineBenchmark.run(nodes: 100, events: 50_000)
        #expect(a.traceHash == b.traceHash)
        #expect(a.traceHash != EngineBenchmark.run(nodes: 100, events: 50_000, seed: 2).traceHash)
    }
}
