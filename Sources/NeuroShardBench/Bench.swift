import ArgumentParser
import Deterministic
import Foundation
import Scenario
import Simulator
import TensorMath

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neuroshard-bench",
        abstract: "Benchmarks that print figures (see the README's Performance section).",
        subcommands: [Engine.self, Scenarios.self, Sgemm.self])
}

struct Engine: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Raw event-engine throughput: heap, RNG and trace hashing, no node logic.")

    @Option(help: "Events per measurement.")
    var events = 5_000_000

    @Option(help: "Repeats per size (the best is reported: the machine is shared).")
    var repeats = 3

    func run() {
        print("engine: events/s on one core (8 messages in flight per node, exponential latency)")
        print("nodes      best events/s   median     trace hash")
        for nodes in [100, 1_000, 10_000, 100_000] {
            let runs = (0..<repeats).map { _ in EngineBenchmark.run(nodes: nodes, events: events) }
            let rates = runs.map(\.eventsPerSecond).sorted()
            print(String(format: "%-10d %-15.0f %-10.0f %@", nodes, rates.last!, rates[rates.count / 2],
                         runs[0].traceHash.hex16))
        }
    }
}

struct Scenarios: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wall time, events/s, speed-up and peak memory of scenario files (no results written).")

    @Argument(help: "Scenario files.")
    var files: [String] = ["Scenarios/quickstart.yaml", "Scenarios/scale-10k.yaml"]

    func run() throws {
        print("scenario              nodes   virtual s   wall s    events/s    speed-up   trace hash")
        for file in files {
            let scenario = try ScenarioReader.load(path: file)
            let result = try Simulation(scenario: scenario).run()
            let name = scenario.name.padding(toLength: 21, withPad: " ", startingAt: 0)
            print(name + String(format: " %-7d %-11.0f %-9.2f %-11.0f %-10.0f ", result.nodes, result.virtualSeconds,
                                result.wallSeconds, result.eventsPerSecond, result.speedup) + result.traceHash)
        }
        print("peak RSS \(peakResidentBytes() / 1_048_576) MB")
    }
}

struct Sgemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Single-thread cblas_sgemm GFLOP/s on a few shapes: the machine's dense-math peak.")

    @Option(help: "Seconds per shape.")
    var seconds = 1.0

    func run() {
        BLAS.setThreads(1)
        print("sgemm, 1 thread (m × k · k × n)        GFLOP/s")
        var best = 0.0
        for (m, k, n) in [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (128, 512, 2048), (2048, 512, 128)] {
            var rng = DeterministicRNG(seed: 1)
            let a = (0..<(m * k)).map { _ in Float(rng.nextDouble() - 0.5) }
            let b = (0..<(k * n)).map { _ in Float(rng.nextDouble() - 0.5) }
            let clock = ContinuousClock()
            let start = clock.now
            var runs = 0
            while clock.now - start < .seconds(seconds) {
                _ = BLAS.matmul(a, b, m: m, n: n, k: k)
                runs += 1
            }
            let elapsed = clock.now - start
            let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let gflops = 2 * Double(m * n * k) * Double(runs) / wall / 1e9
            best = max(best, gflops)
            print("\("\(m) × \(k) · \(k) × \(n)".padding(toLength: 38, withPad: " ", startingAt: 0))\(String(format: "%.1f", gflops))")
        }
        print(String(format: "peak %.1f GFLOP/s", best))
    }
}
