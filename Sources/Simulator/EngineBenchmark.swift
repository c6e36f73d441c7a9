import Deterministic

/// The raw engine without node logic: `nodes` endpoints keep `inFlight` messages each in flight,
/// every delivery sends one on to a random node after an exponential latency, and each event is
/// folded into a trace hash like a real run's. Measures the heap, the RNG and the hashing, which
/// bound every simulation's speed.
public enum EngineBenchmark {
    public struct Result: Sendable {
        public var events: Int
        public var seconds: Double
        public var traceHash: UInt64
        public var eventsPerSecond: Double { Double(events) / seconds }
    }

    public static func run(nodes: Int, inFlight: Int = 8, events: Int, seed: UInt64 = 1) -> Result {
        struct Message { var from: Int32; var to: Int32 }
        var queue = EventQueue<Message>()
        var rng = DeterministicRNG(seed: seed)
        let meanLatency = 20e6
        for n in 0..<nodes {
            for _ in 0..<inFlight {
                queue.push(at: Int64(rng.nextExponential(mean: meanLatency)),
                           Message(from: Int32(n), to: Int32(rng.nextInt(below: nodes))))
            }
        }
        var hash = StableHasher()
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<events {
            let e = queue.pop()!
            hash.combine(e.time)
            hash.combine(Int(e.payload.to))
            let next = Message(from: e.payload.to, to: Int32(rng.nextInt(below: nodes)))
            queue.push(at: e.time + Int64(rng.nextExponential(mean: meanLatency)), next)
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Result(events: events, seconds: seconds, traceHash: hash.value)
    }
}
