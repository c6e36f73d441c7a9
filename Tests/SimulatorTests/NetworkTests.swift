import Deterministic
import Foundation
import NeuroShardCore
import Scenario
import Testing
import Training
@testable import Simulator

/// The virtual network and compute model, observed on the event heap itself.
@Suite struct NetworkTests {
    static func twoNodes(network: String, link: String = "{bandwidth: 100mbps}") throws -> Simulation {
        try simulation("""
            seed: 1
            duration: 10m
            nodes:
              - group: n
                count: 2
                link: \(link)
                training: false
            network: \(network)
            """)
    }

    /// A message of `bytes` on the wire (an update carrying that many bytes of floats).
    static func message(bytes: Int) -> PeerMessage {
        .update(RoundUpdate(round: 0, weights: LayerParameters(range: 0..<1, layers: [[Float](repeating: 0, count: bytes / 4)])))
    }

    /// Delivery times of the queued messages of `kind`, in send order.
    static func deliveries(_ sim: Simulation, kind: String) -> [Int64] {
        var queue = sim.queue
        var found: [(time: Int64, slot: Int32)] = []
        while let e = queue.pop() {
            if case .deliver(let slot) = e.payload, sim.messages.peek(slot).message.kind == kind { found.append((e.time, slot)) }
        }
        return found.sorted { $0.slot < $1.slot }.map(\.time)
    }

    @Test func bandwidthSerialisesAndQueues() throws {
        let sim = try Self.twoNodes(network: "{latency: 10ms}")
        let big = Self.message(bytes: 100_000_000)
        sim.send(big, from: 0, toAddress: "n-1")
        sim.send(big, from: 0, toAddress: "n-1")
        let transmit = Double(big.wireSize) * 8 / 100e6
        let times = Self.deliveries(sim, kind: "update").map { Double($0) / 1e9 }
        #expect(times.count == 2)
        #expect(abs(times[0] - (transmit + 0.010)) < 1e-6)        // 100 MB at 100 Mbit/s: 8 s
        #expect(abs(times[1] - (2 * transmit + 0.010)) < 1e-6)    // waits for the first
        #expect(transmit > 8 && transmit < 8.001)
    }

    @Test func theSlowerEndSetsTheRate() throws {
        let sim = try simulation("""
            seed: 1
            duration: 1m
            nodes:
              - group: fast
                link: {bandwidth: 1gbps}
              - group: slow
                link: {up: 1gbps, down: 10mbps}
            network: {latency: 0s}
            """)
        let m = Self.message(bytes: 1_000_000)
        sim.send(m, from: 0, toAddress: "slow-0")
        let t = Double(Self.deliveries(sim, kind: "update")[0]) / 1e9
        #expect(abs(t - Double(m.wireSize) * 8 / 10e6) < 1e-6)
    }

    @Test func lossDropsEverything() throws {
        let sim = try Self.twoNodes(network: "{loss: 1}")
        for _ in 0..<10 { sim.send(Self.message(bytes: 100), from: 0, toAddress: "n-1") }
        #expect(Self.deliveries(sim, kind: "update").isEmpty)
        #expect(sim.stats.dropped == 10 && sim.stats.messages == 10)
        let result = sim.run()
        #expect(result.metrics["peers.min"] == 0) // not even heartbeats got through
    }

    @Test func duplicationDeliversTwice() throws {
        let sim = try Self.twoNodes(network: "{duplicate: 1, latency: 10ms}")
        sim.send(Self.message(bytes: 100), from: 0, toAddress: "n-1")
        #expect(Self.deliveries(sim, kind: "update").count == 2)
        #expect(sim.stats.duplicated == 1)
    }

    @Test func reorderingLetsLaterMessagesOvertake() throws {
        let sim = try Self.twoNodes(network: "{latency: 10ms, reorder: 1, reorder_window: 1s}", link: "{bandwidth: 100gbps}")
        for _ in 0..<50 { sim.send(Self.message(bytes: 100), from: 0, toAddress: "n-1") }
        let times = Self.deliveries(sim, kind: "update")
        #expect(times.allSatisfy { $0 >= 10_000_000 && $0 <= 1_010_000_000 })
        #expect(times != times.sorted())
    }

    @Test func messagesToUnknownAddressesAreDropped() throws {
        let sim = try Self.twoNodes(network: "{latency: 10ms}")
        sim.send(Self.message(bytes: 100), from: 0, toAddress: "nowhere")
        #expect(sim.stats.dropped == 1)
    }

    @Test func latencyModels() {
        var rng = DeterministicRNG(seed: 1)
        func stats(_ m: LatencyModel) -> (min: Double, mean: Double, median: Double) {
            let xs = (0..<20_000).map { _ in m.sample(&rng).milliseconds }.sorted()
            return (xs[0], xs.reduce(0, +) / Double(xs.count), xs[xs.count / 2])
        }
        #expect(stats(.constant(.milliseconds(20))) == (20, 20, 20))
        let u = stats(.uniform(min: .milliseconds(10), max: .milliseconds(30)))
        #expect(u.min >= 10 && abs(u.mean - 20) < 0.3)
        let e = stats(.exponential(mean: .milliseconds(60), min: .milliseconds(10)))
        #expect(e.min >= 10 && abs(e.mean - 60) < 1.5)
        let l = stats(.lognormal(median: .milliseconds(40), sigma: 0.5))
        #expect(abs(l.median - 40) < 1 && l.mean > l.median) // right-skewed
    }

    /// A job's virtual duration is its work over the node's speed: a lone node with 2 layers of
    /// 1 GFLOP per step, 10 steps a round, at 10 GFLOP/s, finishes a round every 2 s exactly.
    @Test func computeTakesWorkOverSpeed() throws {
        let dir = NSTemporaryDirectory() + "neuroshard-compute-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try simulation("""
            seed: 1
            duration: 1m
            model: {layers: 2, step_gflop: 1}
            nodes:
              - group: n
                speed: 10gflops
            diloco: {inner_steps: 10}
            """, trace: dir + "/trace.log").run()
        let log = try String(contentsOfFile: dir + "/trace.log", encoding: .utf8)
        let times = log.split(separator: "\n").filter { $0.contains(" compute_done ") }.map { Int64($0.split(separator: " ")[1])! }
        #expect(times.count >= 28)
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 == 2_000_000_000 })
    }

    @Test func poissonLoadAveragesItsRate() throws {
        let result = try simulation("""
            seed: 3
            duration: 10m
            nodes:
              - group: n
                training: false
            load:
              - target: n
                endpoint: health
                per_minute: 600
                poisson: true
            """).run()
        let calls = try #require(result.metrics["http.200"])
        #expect(abs(calls - 6000) < 4 * 6000.0.squareRoot())
        #expect(calls != 6000) // not evenly spaced
    }
}
