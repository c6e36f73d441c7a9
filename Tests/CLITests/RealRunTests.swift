import Foundation
import Testing

/// `neuroshard simulate FILE --real`: the same scenario file on real sockets reports the same
/// summary keys, and in a fault-free run every node sends the kinds of messages it sends in the
/// simulation (counts differ: real clocks are not virtual ones).
@Suite struct RealRunTests {
    static let scenario = """
        name: both-worlds
        seed: 5
        duration: 15s
        model: {objective: quadratic, layers: 4, dim: 16, layer_memory: 100mb, step_gflop: 1}
        nodes:
          - group: seed
            memory: 1gb
          - group: joiner          # one: with two, which one serves the other's checkpoint is a race
            memory: 1gb
            join_at: 2s
        membership: {heartbeat: 1s, failure_timeout: 5s}
        diloco: {inner_steps: 20, inner_lr: 0.02, sync_timeout: 3s}
        ledger: {proof_interval: 4s}
        expect:
          - outer_rounds >= 2
        """

    @Test func theSameFileRunsInBothWorlds() async throws {
        let folder = try temporaryFolder("real")
        defer { cleanUp(folder) }
        let file = folder.appendingPathComponent("both.yaml")
        try Self.scenario.write(to: file, atomically: true, encoding: .utf8)
        let simulated = try await neuroshard(["simulate", file.path, "--out", folder.path, "--quiet"])
        let real = try await neuroshard(["simulate", file.path, "--out", folder.path, "--real", "--quiet"], timeout: 90)
        #expect(simulated.status == 0 && real.status == 0, "\(real.stderr)")
        let a = try readJSON(folder.appendingPathComponent("both-worlds/5/summary.json").path)
        let b = try readJSON(folder.appendingPathComponent("both-worlds/5-real/summary.json").path)
        #expect(Set(a.keys) == Set(b.keys))
        #expect(b["passed"] as? Bool == true, "\(b["expectations"] ?? "")")
        #expect((b["peak_rss_bytes"] as? Int ?? 0) > 1_000_000, "the largest node's resident set, measured")
        let sentA = try #require(a["sent_by_node"] as? [String: [String: Int]])
        let sentB = try #require(b["sent_by_node"] as? [String: [String: Int]])
        #expect(sentA.keys.sorted() == ["joiner-0", "seed-0"])
        for (node, kinds) in sentA {
            #expect(Set(kinds.keys) == Set(sentB[node]?.keys ?? [:].keys), "\(node): simulated \(kinds), real \(sentB[node] ?? [:])")
        }
        // The seed serves the weights, the joiners ask for them; everyone trains and proves.
        #expect((sentB["seed-0"]?["checkpoint"] ?? 0) >= 1 && (sentB["joiner-0"]?["checkpoint_request"] ?? 0) >= 1)
        #expect(sentB.values.allSatisfy { ($0["update"] ?? 0) > 0 && ($0["record"] ?? 0) > 0 })
    }

    @Test func faultsAndLoadStayInTheSimulator() async throws {
        let folder = try temporaryFolder("real")
        defer { cleanUp(folder) }
        let file = folder.appendingPathComponent("faulty.yaml")
        try (Self.scenario + "\nfaults:\n  - {at: 5s, crash: \"seed[0]\"}\n").write(to: file, atomically: true, encoding: .utf8)
        let run = try await neuroshard(["simulate", file.path, "--out", folder.path, "--real"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("--real runs fault-free scenarios"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("both-worlds").path), "nothing written")
    }
}
