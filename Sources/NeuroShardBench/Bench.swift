import ArgumentParser
import Deterministic
import Foundation
import NeuroLLM
import Scenario
import Simulator
import TensorMath

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neuroshard-bench",
        abstract: "Benchmarks that print figures (see the README's Performance section).",
        subcommands: [Engine.self, Scenarios.self, Sgemm.self, ModelBench.self, HTTPBench.self, GRPCBench.self, LedgerBench.self])
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
            let gflops = sgemmRate(m: m, k: k, n: n, seconds: seconds)
            best = max(best, gflops)
            print("\("\(m) × \(k) · \(k) × \(n)".padding(toLength: 38, withPad: " ", startingAt: 0))\(String(format: "%.1f", gflops))")
        }
        print(String(format: "peak %.1f GFLOP/s", best))
    }
}

/// GFLOP/s of repeated m×k · k×n (optionally · (n×k)ᵀ) products on the current BLAS threads.
func sgemmRate(m: Int, k: Int, n: Int, transposeB: Bool = false, seconds: Double) -> Double {
    var rng = DeterministicRNG(seed: 1)
    let a = (0..<(m * k)).map { _ in Float(rng.nextDouble() - 0.5) }
    let b = (0..<(k * n)).map { _ in Float(rng.nextDouble() - 0.5) }
    let clock = ContinuousClock()
    let start = clock.now
    var runs = 0
    while clock.now - start < .seconds(seconds) {
        _ = BLAS.matmul(a, b, m: m, n: n, k: k, transposeB: transposeB)
        runs += 1
    }
    return 2 * Double(m * n * k) * Double(runs) / (clock.now - start).seconds / 1e9
}

private extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

struct ModelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "NeuroLLM training-step speed (forward + backward) against the single-thread sgemm peak and numpy.",
        discussion: """
            Per preset: tokens/s and model GFLOP/s of a full training step (ModelConfig.flops over \
            the step's time), the ratio to single-thread cblas_sgemm measured in the same run (512³ \
            and the step's largest product), then scripts/bench-reference.py (the same step in numpy, \
            as many BLAS threads) and the Swift/numpy ratio. Run from the repository root.
            """)

    @Option(help: "tiny, small, default or all.")
    var preset = "all"

    @Option(help: "Sequences per step (default: 1024 tokens per step, batch = 1024 / context length).")
    var batch: Int?

    @Option(help: "Timed steps per preset (default: about 3 s worth, at least 3), after one warm-up step.")
    var steps: Int?

    @Option(help: "Seconds per sgemm measurement.")
    var seconds = 1.0

    @Option(help: "BLAS threads for the model step and for numpy (the sgemm peak stays single-thread).")
    var cpuThreads = 1

    func validate() throws {
        guard cpuThreads > 0 else { throw ValidationError("--cpu-threads must be positive") }
        guard preset == "all" || ModelConfig.preset(preset) != nil else {
            throw ValidationError("unknown preset '\(preset)' (known: \(ModelConfig.presetNames.joined(separator: ", ")), all)")
        }
        guard (batch ?? 1) > 0, (steps ?? 1) > 0 else { throw ValidationError("--batch and --steps must be positive") }
    }

    func run() throws {
        BLAS.setThreads(1)
        let cube = sgemmRate(m: 512, k: 512, n: 512, seconds: seconds)
        print(String(format: "sgemm 512³, 1 thread: %.1f GFLOP/s; the model runs on %d BLAS thread%@", cube, cpuThreads,
                     cpuThreads == 1 ? "" : "s"))
        for name in preset == "all" ? ModelConfig.presetNames : [preset] {
            try measure(name, cube: cube)
        }
    }

    private func measure(_ name: String, cube: Double) throws {
        let config = ModelConfig.preset(name)!
        let sequence = config.contextLength
        let batch = batch ?? max(1, 1024 / sequence)
        let tokens = batch * sequence
        let model = try NeuroLLM(config: config)
        let params = model.initialParameters(seed: 1)
        var rng = DeterministicRNG(seed: 2)
        let inputs = (0..<tokens).map { _ in Int32(rng.nextInt(below: config.vocabularySize)) }
        let targets = (0..<tokens).map { _ in Int32(1 + rng.nextInt(below: config.vocabularySize - 1)) }
        let stage = try Stage(config: config, layers: model.allLayers, batch: batch, sequence: sequence)
        let clock = ContinuousClock()
        BLAS.setThreads(cpuThreads)
        func step() throws {
            _ = try stage.forward(params, input: .tokens(inputs), targets: targets)
            _ = try stage.backward(params)
        }
        let warmUp = try clock.measure(step).seconds
        let steps = steps ?? max(3, Int(3 / warmUp))
        let elapsed = try clock.measure { for _ in 0..<steps { try step() } }.seconds / Double(steps)
        BLAS.setThreads(1)
        let gflops = config.flops(layers: model.allLayers, tokens: tokens, sequence: sequence) / elapsed / 1e9
        // The step's largest product: the gate/up projection, rows × hidden · (2·ffn × hidden)ᵀ.
        let matched = sgemmRate(m: tokens, k: config.hidden, n: 2 * config.ffn, transposeB: true, seconds: seconds)
        print("")
        print("\(name): \(config.parameterCount) parameters, batch \(batch) × sequence \(sequence), \(steps) steps")
        print(String(format: "  swift   %8.1f ms/step  %9.0f tokens/s  %6.1f GFLOP/s  %3.0f%% of sgemm 512³, %3.0f%% of sgemm %d×%d·%d×%d (%.1f)",
                     elapsed * 1e3, Double(tokens) / elapsed, gflops, 100 * gflops / cube, 100 * gflops / matched,
                     tokens, config.hidden, config.hidden, 2 * config.ffn, matched))
        guard let reference = runReference(name, batch: batch, steps: steps) else { return }
        print(String(format: "  numpy   %8.1f ms/step  %9.0f tokens/s  %6.1f GFLOP/s  swift/numpy %.2f×",
                     reference.stepSeconds * 1e3, reference.tokensPerSecond, reference.gflops,
                     (Double(tokens) / elapsed) / reference.tokensPerSecond))
    }

    /// Runs scripts/bench-reference.py with `cpuThreads` BLAS threads; prints why and returns nil when it
    /// cannot (no python3, no numpy, no script).
    private func runReference(_ name: String, batch: Int, steps: Int)
        -> (stepSeconds: Double, tokensPerSecond: Double, gflops: Double)? {
        let script = "scripts/bench-reference.py"
        guard FileManager.default.fileExists(atPath: script) else {
            print("  numpy   not run: \(script) not found (run from the repository root)")
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--preset", name, "--batch", "\(batch)", "--steps", "\(steps)"]
        var environment = ProcessInfo.processInfo.environment
        for variable in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { environment[variable] = "\(cpuThreads)" }
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            print("  numpy   not run: cannot start python3 (\(error))")
            return nil
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let last = String(decoding: stdout, as: UTF8.self).split(separator: "\n").last,
              let json = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any],
              let stepSeconds = json["step_seconds"] as? Double, let tokensPerSecond = json["tokens_per_second"] as? Double,
              let gflops = json["gflops"] as? Double else {
            let reason = process.terminationStatus == 3 ? "numpy is not installed (Debian: apt-get install python3-numpy)"
                : "the script failed (status \(process.terminationStatus)): \(stderr.split(separator: "\n").last ?? "")"
            print("  numpy   not run: \(reason)")
            return nil
        }
        return (stepSeconds, tokensPerSecond, gflops)
    }
}
