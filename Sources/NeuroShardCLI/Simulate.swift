import ArgumentParser
import Foundation
import NeuroShardCore
import Scenario
import Simulator
import Training

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one scenario deterministically and write its results.",
        discussion: "Results go to <out>/<scenario>/<seed>/: summary.json, metrics.csv, trace.log. "
            + "Exit status 0 when every expectation holds, 1 when one fails, 2 for a bad file or flag.")

    @Argument(help: "The scenario file (YAML).")
    var file: String

    @Option(help: "Seed to use instead of the file's.")
    var seed: UInt64?

    @Option(help: "Results root folder.")
    var out: String = "Results"

    @Flag(help: "Print only the final one-line result.")
    var quiet = false

    @Flag(help: "Run the scenario's nodes as real processes on loopback, for its duration in real time (small, fault-free scenarios); results in <out>/<scenario>/<seed>-real/.")
    var real = false

    func validate() throws {
        if let seed, seed > UInt64(Int64.max) { throw ValidationError("--seed must be at most \(Int64.max)") }
    }

    func run() throws {
        var scenario: Scenario
        do {
            scenario = try ScenarioReader.load(path: file)
        } catch {
            throw fail(error.description)
        }
        if let seed { scenario = scenario.reseeded(seed) }
        if real { return try runReal(scenario) }
        let objectives: [any Objective]
        do { objectives = try Experiment.prepare(scenario) } catch { throw fail("\(file): \(error)") }
        let directory = RunResult.directory(root: out, scenario: scenario.name, seed: scenario.seed)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw fail("cannot create \(directory): \(error.localizedDescription)")
        }
        let progress = ProgressLine(enabled: !quiet && isatty(STDERR_FILENO) == 1)
        let experiment: Experiment
        do {
            experiment = try Experiment.run(scenario, objectives: objectives, directory: directory) { progress.update($0, $1) }
        } catch {
            throw fail("cannot write the trace in \(directory): \(error.localizedDescription)")
        }
        progress.clear()
        do {
            try experiment.write(to: directory)
        } catch {
            throw fail("cannot write results to \(directory): \(error.localizedDescription)")
        }
        if quiet {
            print("\(scenario.name) seed \(scenario.seed): \(experiment.passed ? "passed" : "FAILED") trace \(experiment.traceHash)")
        } else {
            print(Report.summary(experiment, directory: directory))
        }
        if !experiment.passed { throw ExitCode(1) }
    }
}

extension Simulate {
    private func runReal(_ scenario: Scenario) throws {
        if let problem = RealRun.problem(scenario) { throw fail("\(file): \(problem)") }
        let directory = RunResult.directory(root: out, scenario: scenario.name, seed: scenario.seed) + "-real"
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw fail("cannot create \(directory): \(error.localizedDescription)")
        }
        if !quiet { print("\(scenario.name): \(scenario.nodeCount) real nodes on loopback for \(scenario.duration)") }
        let outcome: (summary: JSON, passed: Bool)
        do { outcome = try RealRun(scenario: scenario, file: file, directory: directory).run() } catch {
            throw fail("\(error)", status: 1)
        }
        print("\(scenario.name) seed \(scenario.seed) (real): \(outcome.passed ? "passed" : "FAILED"), results in \(directory)/")
        if !outcome.passed { throw ExitCode(1) }
    }
}

/// The live line on a terminal: virtual time, share done, events per second.
final class ProgressLine {
    private let enabled: Bool
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private var lastPrint: ContinuousClock.Instant

    init(enabled: Bool) {
        self.enabled = enabled
        started = clock.now
        lastPrint = started
    }

    func update(_ variant: String?, _ sim: Simulation) {
        guard enabled else { return }
        let now = clock.now
        guard now - lastPrint > .milliseconds(250) else { return }
        lastPrint = now
        let wall = Double((now - started).components.seconds) + Double((now - started).components.attoseconds) * 1e-18
        let share = 100 * Double(sim.now) / Double(max(sim.end, 1))
        let rate = wall > 0 ? Double(sim.eventsProcessed) / wall : 0
        let line = String(format: "\r  %@virtual %@  %5.1f%%  %@ events/s  ", variant.map { $0 + "  " } ?? "",
                          Format.duration(Double(sim.now) / 1e9), share, Format.si(rate))
        FileHandle.standardError.write(Data(line.utf8))
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
