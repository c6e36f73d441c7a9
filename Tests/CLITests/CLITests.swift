import Foundation
import Testing

// MARK: - simulate

@Suite struct SimulateTests {
    @Test func helpExitsZero() async throws {
        let run = try await neuroshard(["--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("simulate"))
        #expect(run.stdout.contains("sweep"))
    }

    @Test func quickstartWritesItsResults() async throws {
        let out = try temporaryFolder()
        defer { cleanUp(out) }
        let run = try await neuroshard(["simulate", "Scenarios/quickstart.yaml", "--out", out.path])
        #expect(run.status == 0, "stderr: \(run.stderr)")

        let folder = out.appendingPathComponent("quickstart/42")
        for file in ["summary.json", "metrics.csv", "trace.log"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "\(file) missing")
        }
        #expect(contents(of: out).filter { !$0.hasPrefix("quickstart") }.isEmpty, "stray files: \(contents(of: out))")

        // summary.json
        let summary = try readJSON(folder.appendingPathComponent("summary.json").path)
        for key in ["scenario", "seed", "trace_hash", "virtual_seconds", "wall_seconds", "events", "events_per_second",
                    "messages", "bytes", "peak_rss_bytes", "final_loss", "outer_rounds", "expectations", "passed"] {
            #expect(summary[key] != nil, "summary.json lacks '\(key)'")
        }
        #expect(summary["scenario"] as? String == "quickstart")
        #expect((summary["seed"] as? NSNumber)?.intValue == 42)
        #expect((summary["virtual_seconds"] as? NSNumber)?.doubleValue == 600)
        #expect(((summary["events"] as? NSNumber)?.intValue ?? 0) > 0)
        #expect(((summary["messages"] as? NSNumber)?.intValue ?? 0) > 0)
        #expect(((summary["bytes"] as? NSNumber)?.intValue ?? 0) > 0)
        #expect(((summary["peak_rss_bytes"] as? NSNumber)?.intValue ?? 0) > 1_000_000)
        #expect(((summary["wall_seconds"] as? NSNumber)?.doubleValue ?? -1) >= 0)
        #expect(((summary["outer_rounds"] as? NSNumber)?.intValue ?? 0) > 0)
        #expect(summary["passed"] as? Bool == true)
        let traceHash = try #require(summary["trace_hash"] as? String)
        #expect(!traceHash.isEmpty)
        let expectations = try #require(summary["expectations"] as? [[String: Any]])
        #expect(expectations.count >= 3)
        #expect(expectations.contains { $0["text"] as? String == "final_loss < 0.01" })
        #expect(expectations.contains { $0["text"] as? String == "all_layers_covered" })
        for e in expectations {
            #expect(e["text"] is String, "\(e)")
            #expect(e["value"] is NSNumber, "\(e)")
            #expect(e["passed"] as? Bool == true, "\(e)")
        }

        // metrics.csv: a header, then a row every 10 virtual seconds from 0 to the end.
        let csv = try String(contentsOfFile: folder.appendingPathComponent("metrics.csv").path, encoding: .utf8)
        let rows = csv.split(separator: "\n")
        let header = try #require(rows.first).split(separator: ",", omittingEmptySubsequences: false)
        #expect(header.first == "time_s")
        let times = rows.dropFirst().map { Double($0.split(separator: ",", omittingEmptySubsequences: false)[0]) }
        #expect(times == stride(from: 0.0, through: 600.0, by: 10.0).map { Optional($0) }, "\(times)")
        for row in rows.dropFirst() {
            #expect(row.split(separator: ",", omittingEmptySubsequences: false).count == header.count, "\(row)")
        }

        // trace.log is written.
        let trace = try #require(FileManager.default.contents(atPath: folder.appendingPathComponent("trace.log").path))
        #expect(!trace.isEmpty)

        // The printed summary.
        #expect(run.stdout.contains("trace hash"))
        #expect(run.stdout.contains(traceHash), "printed summary does not show the trace hash \(traceHash)")
        let printed = run.stdoutLines.map { String($0) }
        for text in expectations.compactMap({ $0["text"] as? String }) {
            #expect(printed.contains { $0.contains("pass") && $0.contains(text) }, "stdout does not list '\(text)' as passed")
        }
        #expect(run.stdout.contains("PASSED"))
    }

    @Test func anotherSeedGoesToItsOwnFolder() async throws {
        let out = try temporaryFolder()
        defer { cleanUp(out) }
        let a = try await neuroshard(["simulate", "Scenarios/quickstart.yaml", "--out", out.path])
        let b = try await neuroshard(["simulate", "Scenarios/quickstart.yaml", "--seed", "5", "--out", out.path])
        #expect(a.status == 0, "stderr: \(a.stderr)")
        #expect(b.status == 0 || b.status == 1, "stderr: \(b.stderr)")
        let first = try readJSON(out.appendingPathComponent("quickstart/42/summary.json").path)
        let second = try readJSON(out.appendingPathComponent("quickstart/5/summary.json").path)
        #expect((second["seed"] as? NSNumber)?.intValue == 5)
        let h42 = try #require(first["trace_hash"] as? String), h5 = try #require(second["trace_hash"] as? String)
        #expect(h42 != h5)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("quickstart/5/metrics.csv").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("quickstart/5/trace.log").path))
    }

    @Test func sameSeedSameTraceHash() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let file = try writeScenario(tinyScenario(name: "again", expect: passingExpectations), named: "again.yaml", in: work)
        let outA = work.appendingPathComponent("a"), outB = work.appendingPathComponent("b")
        #expect(try await neuroshard(["simulate", file, "--out", outA.path]).status == 0)
        #expect(try await neuroshard(["simulate", file, "--out", outB.path]).status == 0)
        let a = try readJSON(outA.appendingPathComponent("again/1/summary.json").path)
        let b = try readJSON(outB.appendingPathComponent("again/1/summary.json").path)
        #expect(a["trace_hash"] as? String != nil)
        #expect(a["trace_hash"] as? String == b["trace_hash"] as? String)
        let traceA = FileManager.default.contents(atPath: outA.appendingPathComponent("again/1/trace.log").path)
        let traceB = FileManager.default.contents(atPath: outB.appendingPathComponent("again/1/trace.log").path)
        #expect(traceA != nil && traceA == traceB)
    }

    @Test func failingExpectationExitsOne() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let file = try writeScenario(tinyScenario(name: "tiny-fail", expect: failingExpectations),
                                     named: "tiny-fail.yaml", in: work)
        let out = work.appendingPathComponent("out")
        let run = try await neuroshard(["simulate", file, "--out", out.path])
        #expect(run.status == 1, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        let summary = try readJSON(out.appendingPathComponent("tiny-fail/1/summary.json").path)
        #expect(summary["passed"] as? Bool == false)
        let expectations = try #require(summary["expectations"] as? [[String: Any]])
        // The file's two, then the ledger's invariants, which every scenario with a ledger checks.
        try #require(expectations.count == 5)
        #expect(expectations[0]["passed"] as? Bool == true)
        #expect(expectations[1]["text"] as? String == "live_nodes == 4")
        #expect(expectations[1]["passed"] as? Bool == false)
        #expect((expectations[1]["value"] as? NSNumber)?.doubleValue == 3)
        #expect(expectations[2...].map { $0["text"] as? String } == ["ledger.conserved", "ledger.no_double_spend", "ledger.balances_agree"])
        #expect(expectations[2...].allSatisfy { $0["passed"] as? Bool == true })
        #expect(run.stdout.contains("FAIL"))
        #expect(run.stdout.contains("live_nodes == 4"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("tiny-fail/1/metrics.csv").path))
    }

    @Test func quietPrintsOneLine() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let file = try writeScenario(tinyScenario(name: "quiet", expect: passingExpectations), named: "q.yaml", in: work)
        let run = try await neuroshard(["simulate", file, "--quiet", "--seed", "8", "--out", work.appendingPathComponent("out").path])
        #expect(run.status == 0)
        #expect(run.stdoutLines.count == 1, "\(run.stdout)")
        #expect(run.stdout.contains("quiet seed 8"))
        #expect(run.stdout.contains("passed"))
    }

    @Test func badScenarioFileExitsTwoWithOneLine() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let file = try writeScenario("""
            name: broken
            seed: 1
            duration: 2m
            nodes:
              - group: n
                count: 3
                behaviour: evil
            """, named: "broken.yaml", in: work)
        let out = work.appendingPathComponent("out")
        let run = try await neuroshard(["simulate", file, "--out", out.path])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("\(file):7:"), "stderr does not name file:line: \(run.stderr)")
        #expect(run.stderr.contains("evil"))
        #expect(run.stdout.isEmpty, "stdout: \(run.stdout)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "a results folder was created: \(contents(of: out))")
    }

    /// A model that cannot be built (text too short for the shards, a text folder that is not
    /// there) is refused before anything is written.
    @Test(arguments: [("{data: {path: TINY}}", "variant a: the text in"),
                      ("{data: {path: /usr/share/common-licenses}}", "variant b: data.path")])
    func unbuildableModelExitsTwoWithOneLine(variant: String, message: String) async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let tiny = work.appendingPathComponent("tiny")
        try FileManager.default.createDirectory(at: tiny, withIntermediateDirectories: true)
        try "too short".write(to: tiny.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        let file = try writeScenario("""
            seed: 1
            duration: 2m
            model: {objective: transformer, preset: tiny}
            data: {source: text, path: \(work.path)/no-such-folder}
            nodes: [{group: n, count: 2, memory: 1gb}]
            variants:
              a: \(variant.replacingOccurrences(of: "TINY", with: tiny.path))
              b: {}
            """, named: "model.yaml", in: work)
        let out = work.appendingPathComponent("out")
        let run = try await neuroshard(["simulate", file, "--out", out.path])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func yamlSyntaxErrorExitsTwoWithOneLine() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let file = try writeScenario("seed: 1\nduration: 2m\nnodes: [{group: a}\n", named: "syntax.yaml", in: work)
        let out = work.appendingPathComponent("out")
        let run = try await neuroshard(["simulate", file, "--out", out.path])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(file))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func unknownFlagExitsTwoWithOneLine() async throws {
        let out = try temporaryFolder()
        defer { cleanUp(out) }
        let target = out.appendingPathComponent("results")
        let run = try await neuroshard(["simulate", "Scenarios/quickstart.yaml", "--frobnicate", "--out", target.path])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("frobnicate"))
        #expect(!FileManager.default.fileExists(atPath: target.path))
    }

    @Test func badSeedValueExitsTwo() async throws {
        let run = try await neuroshard(["simulate", "Scenarios/quickstart.yaml", "--seed", "-4", "--out", "/nonexistent/x"])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    }

    @Test func missingArgumentExitsTwo() async throws {
        let run = try await neuroshard(["simulate"])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    }

    @Test func unwritableOutExitsTwo() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let file = try writeScenario(tinyScenario(name: "blocked", expect: passingExpectations), named: "b.yaml", in: work)
        // --out names a regular file, so no folder can be made under it.
        let blocker = work.appendingPathComponent("not-a-folder")
        try "x".write(to: blocker, atomically: true, encoding: .utf8)
        let run = try await neuroshard(["simulate", file, "--out", blocker.path])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(blocker.path))
    }

    @Test func missingFileExitsTwo() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let missing = work.appendingPathComponent("no-such-scenario.yaml").path
        let out = work.appendingPathComponent("out")
        let run = try await neuroshard(["simulate", missing, "--out", out.path])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(missing))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}

// MARK: - sweep

@Suite struct SweepTests {
    /// The seed rows of a sweep's output: lines that start with a number.
    private func seedRows(_ run: Run) -> [UInt64: String] {
        var rows: [UInt64: String] = [:]
        for line in run.stdoutLines {
            let fields = line.split(separator: " ")
            // Skip the "N passed, M failed" line, which also starts with a number.
            if let first = fields.first, let seed = UInt64(first), !line.contains(" passed, ") { rows[seed] = String(line) }
        }
        return rows
    }

    @Test func sweepRunsEverySeed() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let file = try writeScenario(tinyScenario(name: "sweep-ok", expect: passingExpectations), named: "ok.yaml", in: work)
        let out = work.appendingPathComponent("out")
        let run = try await neuroshard(["sweep", file, "--seeds", "1..4", "--jobs", "2", "--out", out.path])
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        let rows = seedRows(run)
        #expect(rows.keys.sorted() == [1, 2, 3, 4], "\(run.stdout)")
        for (seed, row) in rows {
            #expect(row.split(separator: " ").dropFirst().first == "pass", "seed \(seed): \(row)")
        }
        #expect(run.stdout.contains("4 passed, 0 failed"))
        #expect(!run.stdout.contains("replay:"))
        // Each seed's results are where `simulate` puts them, and the hashes differ by seed.
        var hashes: Set<String> = []
        for seed in 1...4 {
            let summary = try readJSON(out.appendingPathComponent("sweep-ok/\(seed)/summary.json").path)
            #expect((summary["seed"] as? NSNumber)?.intValue == seed)
            if let h = summary["trace_hash"] as? String {
                hashes.insert(h)
                #expect(rows[UInt64(seed)]?.contains(h) == true, "row for seed \(seed) lacks its trace hash")
            }
        }
        #expect(hashes.count == 4)
    }

    @Test func shardRunsItsShareOfSeeds() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let file = try writeScenario(tinyScenario(name: "sweep-shard", expect: passingExpectations),
                                     named: "shard.yaml", in: work)
        let out = work.appendingPathComponent("out")
        let run = try await neuroshard(["sweep", file, "--seeds", "1..4", "--jobs", "2", "--shard", "2/2", "--out", out.path])
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        #expect(seedRows(run).keys.sorted() == [2, 4], "\(run.stdout)")
        #expect(run.stdout.contains("2 passed, 0 failed"))
        #expect(contents(of: out.appendingPathComponent("sweep-shard")).filter { !$0.contains("/") } == ["2", "4"])

        let other = try await neuroshard(["sweep", file, "--seeds", "1..4", "--jobs", "2", "--shard", "1/2", "--out", out.path])
        #expect(other.status == 0)
        #expect(seedRows(other).keys.sorted() == [1, 3], "\(other.stdout)")
    }

    @Test func failingSeedsPrintTheirReplayCommand() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let file = try writeScenario(tinyScenario(name: "sweep-fail", expect: failingExpectations),
                                     named: "fail.yaml", in: work)
        let out = work.appendingPathComponent("out")
        let run = try await neuroshard(["sweep", file, "--seeds", "3..5", "--jobs", "2", "--out", out.path])
        #expect(run.status == 1, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        #expect(run.stdout.contains("0 passed, 3 failed"))
        let replays = run.stdoutLines.filter { $0.hasPrefix("replay:") }.map(String.init)
        #expect(replays == (3...5).map { "replay: neuroshard simulate \(file) --seed \($0)" }, "\(run.stdout)")
        for (seed, row) in seedRows(run) {
            #expect(row.split(separator: " ").dropFirst().first == "FAIL", "seed \(seed): \(row)")
        }
        // The replay command reproduces the failure.
        let replay = try await neuroshard(["simulate", file, "--seed", "4", "--out", work.appendingPathComponent("replay").path])
        #expect(replay.status == 1)
        let swept = try readJSON(out.appendingPathComponent("sweep-fail/4/summary.json").path)
        let replayed = try readJSON(work.appendingPathComponent("replay/sweep-fail/4/summary.json").path)
        #expect(swept["trace_hash"] as? String != nil)
        #expect(swept["trace_hash"] as? String == replayed["trace_hash"] as? String)
    }

    @Test func reversedSeedRangeExitsTwo() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let out = work.appendingPathComponent("out")
        let run = try await neuroshard(["sweep", "Scenarios/quickstart.yaml", "--seeds", "5..1", "--out", out.path])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("--seeds"))
        #expect(run.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test(arguments: [["--shard", "3/2"], ["--shard", "0/2"], ["--shard", "x"], ["--jobs", "0"], ["--seeds", "1-4"]])
    func badSweepFlagsExitTwo(extra: [String]) async throws {
        var arguments = ["sweep", "Scenarios/quickstart.yaml", "--seeds", "1..2"]
        if extra.first == "--seeds" { arguments = ["sweep", "Scenarios/quickstart.yaml"] }
        let run = try await neuroshard(arguments + extra)
        #expect(run.status == 2, "\(extra): \(run.stdout)")
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
    }

    @Test func sweepOfABadFileExitsTwo() async throws {
        let work = try temporaryFolder()
        defer { cleanUp(work) }
        let file = try writeScenario("seed: 1\nduration: 2m\nnodes: [{group: a}]\ncolour: red\n", named: "bad.yaml", in: work)
        let out = work.appendingPathComponent("out")
        let run = try await neuroshard(["sweep", file, "--seeds", "1..2", "--out", out.path])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("\(file):4:"))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
