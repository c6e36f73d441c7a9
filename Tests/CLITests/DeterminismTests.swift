import Foundation
import Testing

/// Same scenario and seed: the same trace hash, for every shipped scenario, in two separate
/// processes (so per-process hash seeds and allocation addresses differ). When the hashes differ
/// the failure names the first differing trace line.
/// Scenarios too long for every test run (minutes each): checked with NEUROSHARD_SLOW=1.
let slowScenarios = ["byzantine.yaml"]
let runSlow = ProcessInfo.processInfo.environment["NEUROSHARD_SLOW"] == "1"

@Test(arguments: shippedScenarios.filter { file in runSlow || !slowScenarios.contains { file.hasSuffix($0) } })
func sameSeedSameTraceAcrossProcesses(file: String) async throws {
    let binary = try #require(neuroshardBinary)
    let outs = try [temporaryFolder("determinism"), temporaryFolder("determinism")]
    defer { for out in outs { cleanUp(out) } }
    let runs = try outs.map { try startNeuroshard(binary, ["simulate", file, "--out", $0.path, "--quiet"]) }
    for run in runs {
        _ = await exited(run, within: 1_800)
        run.waitUntilExit()
    }
    let folders = outs.map { out in
        contents(of: out).first { $0.hasSuffix("summary.json") }.map { out.appendingPathComponent($0).deletingLastPathComponent() }
    }
    let a = try #require(folders[0], "\(file): no summary written"), b = try #require(folders[1])
    let summaries = try [a, b].map { try readJSON($0.appendingPathComponent("summary.json").path) }
    let hashes = summaries.map { $0["trace_hash"] as? String }
    #expect(hashes[0] != nil)
    // A shipped scenario is also a regression test: its own expectations hold.
    #expect(summaries[0]["passed"] as? Bool == true, "\(file) failed its expectations")
    if hashes[0] != hashes[1] {
        let traces = contents(of: a).filter { $0.hasPrefix("trace") }.sorted()
        let report = traces.map { firstDifference(a.appendingPathComponent($0), b.appendingPathComponent($0)) }
        Issue.record("\(file): trace hashes differ; \(zip(traces, report).map { "\($0): \($1)" }.joined(separator: "; "))")
    }
}

/// The first line where two trace files part, for a failure message.
func firstDifference(_ a: URL, _ b: URL) -> String {
    let la = ((try? String(contentsOf: a, encoding: .utf8)) ?? "").split(separator: "\n")
    let lb = ((try? String(contentsOf: b, encoding: .utf8)) ?? "").split(separator: "\n")
    for i in 0..<min(la.count, lb.count) where la[i] != lb[i] {
        return "first difference at line \(i + 1):\n  \(la[i])\n  \(lb[i])"
    }
    return la.count == lb.count ? "the trace files are identical (an event's digest differs past them)"
        : "one trace ends at line \(min(la.count, lb.count))"
}

/// Seed sweeps of the shipped scenarios through `neuroshard sweep`: every seed must pass.
/// Opt-in (`NEUROSHARD_SLOW=1`): a few minutes on two cores.
@Test(.enabled(if: runSlow),
      arguments: shippedScenarios.filter { file in ["churn", "partition", "quickstart", "rate-limits"].contains { file.hasSuffix("/\($0).yaml") } })
func everySeedPasses(file: String) async throws {
    let out = try temporaryFolder("sweep")
    defer { cleanUp(out) }
    let run = try await neuroshard(["sweep", file, "--seeds", "1..100", "--jobs", "2", "--out", out.path], timeout: 1800)
    #expect(run.status == 0, "\(run.stdoutLines.filter { $0.hasPrefix("replay") })")
    #expect(run.stdout.contains("100 passed, 0 failed"))
}
