import Foundation
import Scenario
import Testing
@testable import Simulator

@Suite struct DeterminismTests {
    /// Same scenario and seed: the same trace hash, for every shipped scenario, in two separate
    /// processes of the built binary (so per-process hash seeds and allocation addresses differ).
    /// When the hashes differ the failure names the first differing trace line.
    @Test(arguments: shippedScenarios)
    func sameSeedSameTraceAcrossProcesses(file: String) throws {
        let runs = try [temporaryDirectory(), temporaryDirectory()].map { out in
            try launch(["simulate", file, "--out", out, "--quiet"])
        }
        for run in runs { run.process.waitUntilExit() }
        let name = try ScenarioReader.load(path: file).name
        let seed = try ScenarioReader.load(path: file).seed
        let summaries = try runs.map { run in
            let dir = RunResult.directory(root: run.out, scenario: name, seed: seed)
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))
            return (dir, try #require(JSONSerialization.jsonObject(with: data) as? [String: Any]))
        }
        let hashes = summaries.map { $0.1["trace_hash"] as? String }
        #expect(hashes[0] != nil)
        if hashes[0] != hashes[1] {
            Issue.record("\(file): trace hashes differ, \(firstDifference(summaries[0].0 + "/trace.log", summaries[1].0 + "/trace.log"))")
        }
    }

    @Test func anotherSeedGivesAnotherTrace() throws {
        var s = try ScenarioReader.load(path: shippedScenarios.first { $0.hasSuffix("quickstart.yaml") }!)
        let a = try Simulation(scenario: s).run().traceHash
        let again = try Simulation(scenario: s).run().traceHash
        s.seed += 1
        let b = try Simulation(scenario: s).run().traceHash
        #expect(a == again)
        #expect(a != b)
    }

    /// The trace hash covers message content: changing one number that only affects the floats
    /// nodes exchange (not the timing) changes it.
    @Test func hashCoversTheNumbers() throws {
        let base = "seed: 1\nduration: 2m\nnodes:\n  - group: n\n    count: 3\ndiloco: {inner_steps: 10, inner_lr: LR}"
        let a = try simulation(base.replacingOccurrences(of: "LR", with: "0.01")).run().traceHash
        let b = try simulation(base.replacingOccurrences(of: "LR", with: "0.0100001")).run().traceHash
        #expect(a != b)
    }
}

struct Launched {
    var process: Process
    var out: String
}

/// Starts the built `neuroshard` binary, which sits beside the test bundle.
func launch(_ arguments: [String]) throws -> Launched {
    let p = Process()
    p.executableURL = neuroshardBinary
    p.arguments = arguments
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    let outIndex = arguments.firstIndex(of: "--out").map { $0 + 1 }
    return Launched(process: p, out: outIndex.map { arguments[$0] } ?? "Results")
}

let neuroshardBinary: URL = {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    // `swift test` runs <build>/release/<Package>PackageTests.xctest; on Darwin it is a bundle.
    while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("neuroshard").path),
          dir.path != "/" {
        dir = dir.deletingLastPathComponent()
    }
    return dir.appendingPathComponent("neuroshard")
}()

/// The first line where two trace files part, for a failure message.
func firstDifference(_ a: String, _ b: String) -> String {
    let la = ((try? String(contentsOfFile: a, encoding: .utf8)) ?? "").split(separator: "\n")
    let lb = ((try? String(contentsOfFile: b, encoding: .utf8)) ?? "").split(separator: "\n")
    for i in 0..<min(la.count, lb.count) where la[i] != lb[i] {
        return "first difference at line \(i + 1):\n  \(la[i])\n  \(lb[i])"
    }
    return la.count == lb.count ? "the trace files are identical (a final event differs)"
        : "one trace ends at line \(min(la.count, lb.count))"
}
