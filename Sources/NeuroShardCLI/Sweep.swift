import ArgumentParser
import Foundation
import Scenario
import Simulator

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario over many seeds in parallel processes; print each failing seed's replay command.",
        discussion: "--shard i/n keeps every n-th seed starting at the i-th (1-based), so n machines "
            + "(a CI matrix, a batch scheduler) can split one sweep.")

    @Argument(help: "The scenario file (YAML).")
    var file: String

    @Option(help: "Seeds to run, inclusive: A..B.")
    var seeds: String

    @Option(help: "Processes at once.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Run only part i of n: i/n.")
    var shard: String?

    @Option(help: "Results root (default: a temporary folder).")
    var out: String?

    func validate() throws {
        guard SeedRange(seeds) != nil else { throw ValidationError("--seeds must be A..B with A ≤ B, e.g. 1..100") }
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        if let shard, Shard(shard) == nil { throw ValidationError("--shard must be i/n with 1 ≤ i ≤ n, e.g. 2/4") }
    }

    func run() throws {
        let scenario: Scenario
        do { scenario = try ScenarioReader.load(path: file) } catch { throw fail(error.description) }
        var list = Array(SeedRange(seeds)!.range)
        if let shard = shard.flatMap(Shard.init) {
            list = list.enumerated().filter { $0.offset % shard.count == shard.index - 1 }.map(\.element)
        }
        let root = out ?? NSTemporaryDirectory() + "neuroshard-sweep-\(ProcessInfo.processInfo.processIdentifier)"
        let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
        print("sweep \(scenario.name): \(list.count) seeds, \(jobs) at a time, results in \(root)/")
        print("seed        result   trace hash         final loss   rounds   wall s")

        var pending = list[...]
        var running: [(seed: UInt64, process: Process)] = []
        var outcomes: [UInt64: Outcome] = [:]
        while !pending.isEmpty || !running.isEmpty {
            while running.count < jobs, let seed = pending.popFirst() {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: executable)
                p.arguments = ["simulate", file, "--seed", String(seed), "--out", root, "--quiet"]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                running.append((seed, p))
            }
            Thread.sleep(forTimeInterval: 0.02)
            running.removeAll { item in
                guard !item.process.isRunning else { return false }
                let outcome = Outcome(seed: item.seed, status: item.process.terminationStatus,
                                      summary: RunResult.directory(root: root, scenario: scenario.name, seed: item.seed) + "/summary.json")
                outcomes[item.seed] = outcome
                print(outcome.row)
                return true
            }
        }
        let failed = list.filter { outcomes[$0]?.status != 0 }
        print("\(list.count - failed.count) passed, \(failed.count) failed")
        for seed in failed {
            print("replay: neuroshard simulate \(file) --seed \(seed)")
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}

struct Outcome {
    var seed: UInt64
    var status: Int32
    var summary: [String: Any]

    init(seed: UInt64, status: Int32, summary path: String) {
        self.seed = seed
        self.status = status
        let data = FileManager.default.contents(atPath: path) ?? Data()
        summary = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    var row: String {
        let result = status == 0 ? "pass" : (status == 1 ? "FAIL" : "error(\(status))")
        let hash = summary["trace_hash"] as? String ?? "-"
        let loss = (summary["final_loss"] as? Double).map { String(format: "%.6g", $0) } ?? "-"
        let rounds = (summary["outer_rounds"] as? Int).map(String.init) ?? "-"
        let wall = (summary["wall_seconds"] as? Double).map { String(format: "%.2f", $0) } ?? "-"
        return [String(seed).padding(12), result.padding(9), hash.padding(19), loss.padding(13), rounds.padding(9), wall]
            .joined()
    }
}

struct SeedRange {
    var range: ClosedRange<UInt64>
    init?(_ text: String) {
        let parts = text.components(separatedBy: "..")
        guard parts.count == 2, let a = UInt64(parts[0]), let b = UInt64(parts[1]), a <= b, b <= UInt64(Int64.max) else {
            return nil
        }
        range = a...b
    }
}

struct Shard {
    var index: Int
    var count: Int
    init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(i) else { return nil }
        index = i
        count = n
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
