import Deterministic
import Foundation
import NeuroShardCore
import Testing
import Training
@testable import Scenario
// Swift Testing has an `Expectation` type too; this one is the scenario file's.
import struct Scenario.Expectation

// MARK: - Helpers

/// The repository's `Scenarios/` folder, found from this file's place in `Tests/ScenarioTests/`.
private let scenariosFolder: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // ScenarioTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // package root
    .appendingPathComponent("Scenarios")

private func shipped(_ name: String) throws -> Scenario {
    try ScenarioReader.load(path: scenariosFolder.appendingPathComponent(name).path)
}

/// The 1-based line of `yaml` that carries the `# HERE` marker: where the mistake is.
private func markedLine(_ yaml: String) -> Int {
    let lines = yaml.components(separatedBy: "\n")
    let hits = lines.indices.filter { lines[$0].contains("# HERE") }
    precondition(hits.count == 1, "a test file must mark exactly one line with # HERE")
    return hits[0] + 1
}

/// Parses `yaml`, which must be rejected; returns the error after checking it has the one-line
/// `file:line:col: message` form and names `file`.
private func rejection(_ yaml: String, file: String = "mistake.yaml",
                       sourceLocation: SourceLocation = #_sourceLocation) -> ScenarioError? {
    do {
        let s = try ScenarioReader.parse(yaml, file: file)
        Issue.record("expected an error, but the file was accepted (scenario '\(s.name)')", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.file == file, sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), "error must be one line: \(error.description)",
                sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
        if error.line > 0 {
            #expect(error.description == "\(file):\(error.line):\(error.column): \(error.message)",
                    sourceLocation: sourceLocation)
        }
        return error
    }
}

/// `yaml` must be rejected with an error on the `# HERE` line whose message contains every phrase.
private func expectRejected(_ yaml: String, saying phrases: String...,
                            sourceLocation: SourceLocation = #_sourceLocation) {
    guard let error = rejection(yaml, sourceLocation: sourceLocation) else { return }
    #expect(error.line == markedLine(yaml), "wrong line for: \(error.description)", sourceLocation: sourceLocation)
    for phrase in phrases {
        #expect(error.message.contains(phrase), "'\(phrase)' missing from: \(error.description)",
                sourceLocation: sourceLocation)
    }
}

/// A valid scenario head: groups `full` (4 nodes) and `half` (2 nodes), 5 virtual minutes.
/// Occupies lines 1–8; cases append their own sections from line 9 on.
private let head = """
    name: t
    seed: 1
    duration: 5m
    nodes:
      - group: full
        count: 4
      - group: half
        count: 2

    """

// MARK: - Shipped scenarios

@Suite struct ShippedScenarioTests {
    @Test func everyShippedScenarioParses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: scenariosFolder.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
        #expect(files.count >= 5, "found only \(files) in \(scenariosFolder.path)")
        for file in files {
            let path = scenariosFolder.appendingPathComponent(file).path
            do {
                let s = try ScenarioReader.load(path: path)
                #expect(!s.name.isEmpty)
                #expect(s.duration > .zero, "\(file)")
                #expect(s.nodeCount > 0, "\(file)")
                #expect(!s.expectations.isEmpty, "\(file) has no expect lines, so it can never fail")
                #expect(s.sourceHash.count == 16, "\(file)")
                for fault in s.faults {
                    #expect(fault.at <= s.duration, "\(file): fault at line \(fault.line)")
                }
            } catch {
                Issue.record("\(file) does not parse: \(error)")
            }
        }
    }

    @Test func quickstartValuesReachTheStruct() throws {
        let s = try shipped("quickstart.yaml")
        #expect(s.name == "quickstart")
        #expect(s.seed == 42)
        #expect(s.duration == .seconds(600))
        #expect(s.nodeCount == 8)
        #expect(s.bootstrap == 1)
        #expect(s.metricsInterval == .seconds(10))
        #expect(s.trace == .full)

        guard case .quadratic(let objective) = s.model else { Issue.record("not the quadratic"); return }
        #expect(objective.layers == 4)
        #expect(objective.dimension == 16)
        #expect(objective.noise == 0.1)
        #expect(objective.skew == 0.1)
        #expect(objective.layerMemoryMB == 100)
        #expect(objective.stepGFLOP == 1)

        try #require(s.groups.count == 2)
        let full = s.groups[0], half = s.groups[1]
        #expect(full.name == "full")
        #expect(full.count == 4)
        #expect(full.memoryMB == 1024)
        #expect(full.flops == 50e9)
        #expect(full.link.upMbps == 100 && full.link.downMbps == 100)
        #expect(full.link.extraLatency == .zero)
        #expect(full.behaviour == .honest)
        #expect(full.training)
        #expect(full.joinSpread == .zero)
        #expect(half.name == "half")
        #expect(half.count == 4)
        #expect(half.memoryMB == 250)
        #expect(half.flops == 20e9)
        #expect(half.link.upMbps == 50 && half.link.downMbps == 50)
        #expect(half.link.extraLatency == .milliseconds(10))
        #expect(half.joinAt == .zero)
        #expect(half.joinSpread == .seconds(20))

        #expect(s.network.latency == .lognormal(median: .milliseconds(30), sigma: 0.4))
        #expect(s.network.loss == 0.001)
        #expect(s.network.duplicate == 0)
        #expect(s.membership.heartbeatInterval == .seconds(2))
        #expect(s.membership.failureTimeout == .seconds(10))

        #expect(s.diloco.innerSteps == 20)
        #expect(s.diloco.inner.learningRate == 0.02)
        #expect(s.diloco.inner.weightDecay == 0)
        #expect(s.diloco.outerLearningRate == 0.7)
        #expect(s.diloco.outerMomentum == 0.9)
        #expect(s.diloco.syncTimeout == .seconds(10))
        #expect(s.diloco.aggregator == .mean)

        #expect(s.faults.isEmpty)
        try #require(s.load.count == 2)
        let status = s.load[0], metrics = s.load[1]
        #expect(status.targets == NodeSelector(group: "full", indices: 0..<1))
        #expect(s.nodes(status.targets) == [0])
        #expect(status.method == "GET")
        #expect(status.path == "/api/v1/status")
        #expect(status.perMinute == 30)
        #expect(status.credential == .owner)
        #expect(status.from == .zero)
        #expect(status.until == nil)
        #expect(!status.poisson)
        #expect(metrics.targets == NodeSelector(group: "half", indices: nil))
        #expect(s.nodes(metrics.targets) == [4, 5, 6, 7])
        #expect(metrics.path == "/api/v1/metrics")
        #expect(metrics.perMinute == 6)
        #expect(metrics.credential == .apiKey)

        #expect(s.expectations.map(\.text) == [
            "final_loss < 0.01", "outer_rounds >= 50", "all_layers_covered", "http.5xx == 0", "http.200 > 0",
            "ledger.balances_agree",
        ])
        #expect(s.expectations[0] == Expectation(text: "final_loss < 0.01", metric: "final_loss", op: .less, value: 0.01))
        #expect(s.expectations[1].op == .greaterOrEqual && s.expectations[1].value == 50)
        #expect(s.expectations[2].op == nil && s.expectations[2].metric == "all_layers_covered")
        #expect(s.expectations[4].metric == "http.200" && s.expectations[4].op == .greater)
    }

    @Test func churnFaults() throws {
        let s = try shipped("churn.yaml")
        #expect(s.name == "churn")
        #expect(s.seed == 11)
        #expect(s.duration == .seconds(900))
        #expect(s.nodeCount == 10)
        #expect(s.groups.map(\.name) == ["stage", "late"])
        #expect(s.groups[0].joinSpread == .seconds(30))
        #expect(s.groups[1].joinAt == .seconds(360))
        #expect(s.network.latency == .lognormal(median: .milliseconds(40), sigma: 0.5))
        #expect(s.network.loss == 0.005)
        #expect(s.network.duplicate == 0.002)
        #expect(s.network.reorder == 0.01)
        #expect(s.membership.heartbeatInterval == .seconds(2))
        #expect(s.membership.failureTimeout == .seconds(8))

        try #require(s.faults.count == 5)
        #expect(s.faults.map(\.kind.name) == ["crash", "pause", "restart", "leave", "clock_skew"])
        #expect(s.faults.map(\.at) == [.seconds(180), .seconds(300), .seconds(480), .seconds(600), .seconds(660)])
        #expect(s.faults.map(\.line) == [44, 46, 49, 51, 53])
        guard case .crash(let crashed) = s.faults[0].kind else { Issue.record("fault 0 is not a crash"); return }
        #expect(crashed == NodeSelector(group: "stage", indices: 0..<5))
        #expect(s.nodes(crashed) == [0, 1, 2, 3, 4])
        guard case .pause(let paused, let pauseFor) = s.faults[1].kind else { Issue.record("fault 1 is not a pause"); return }
        #expect(paused == NodeSelector(group: "stage", indices: 5..<6))
        #expect(pauseFor == .seconds(30))
        guard case .restart(let restarted) = s.faults[2].kind else { Issue.record("fault 2 is not a restart"); return }
        #expect(restarted == crashed)
        guard case .leave(let left) = s.faults[3].kind else { Issue.record("fault 3 is not a leave"); return }
        #expect(s.nodes(left) == [7])
        guard case .clockSkew(let skewed, let offset, let drift) = s.faults[4].kind else {
            Issue.record("fault 4 is not a clock skew"); return
        }
        #expect(skewed == NodeSelector(group: "stage", indices: 4..<5))
        #expect(offset == .seconds(2))
        #expect(drift == 200)

        #expect(s.expectations.count == 9)
        #expect(s.expectations.first?.op == nil)
        #expect(s.expectations.contains { $0.metric == "detection_seconds.max" && $0.op == .lessOrEqual && $0.value == 10 })
    }

    @Test func partitionFaults() throws {
        let s = try shipped("partition.yaml")
        #expect(s.seed == 3)
        #expect(s.duration == .seconds(720))
        #expect(s.groups.map(\.count) == [4, 4])
        #expect(s.groups.map(\.memoryMB) == [1024, 1024])
        #expect(s.network.latency == .uniform(min: .milliseconds(20), max: .milliseconds(60)))
        try #require(s.faults.count == 2)
        guard case .partition(let a, let b, let oneWay) = s.faults[0].kind else {
            Issue.record("fault 0 is not a partition"); return
        }
        #expect(a == [NodeSelector(group: "east", indices: nil)])
        #expect(b == [NodeSelector(group: "west", indices: nil)])
        #expect(!oneWay)
        #expect(s.faults[0].at == .seconds(180))
        guard case .heal = s.faults[1].kind else { Issue.record("fault 1 is not a heal"); return }
        #expect(s.faults[1].at == .seconds(360))
        #expect(s.expectations.map(\.metric) == ["peers_dropped", "peers.min", "min_outer_rounds", "final_loss",
                                                  "all_layers_covered", "ledger.balances_agree"])
    }

    @Test func rateLimitLoads() throws {
        let s = try shipped("rate-limits.yaml")
        #expect(s.duration == .seconds(120))
        #expect(s.nodeCount == 2)
        // Defaults for a group that says nothing but its name and count.
        #expect(s.groups[0].memoryMB == 8192)
        #expect(s.groups[0].flops == 50e9)
        #expect(s.groups[0].link.upMbps == 100)
        #expect(s.load.count == 5)
        #expect(s.load.map(\.path) == ["/api/v1/status", "/api/v1/metrics", "/api/v1/peers", "/api/v1/health",
                                       "/api/v1/nope"])
        #expect(s.load.map(\.credential) == [LoadSpec.Credential.owner, .apiKey, .wrong, LoadSpec.Credential.none, .owner])
        #expect(s.load.map(\.perMinute) == [150, 120, 60, 600, 10])
        #expect(s.load.map { s.nodes($0.targets) } == [[0], [0], [1], [1], [1]])
        #expect(s.expectations.first == Expectation(text: "http.429 == 140", metric: "http.429", op: .equal, value: 140))
    }

    @Test func scaleScenarioSettings() throws {
        let s = try shipped("scale-10k.yaml")
        #expect(s.nodeCount == 10_000)
        #expect(s.duration == .seconds(3600))
        #expect(s.trace == .summary)
        #expect(s.metricsInterval == .seconds(60))
        #expect(s.bootstrap == 16)
        guard case .quadratic(let objective) = s.model else { Issue.record("not the quadratic"); return }
        #expect(objective.dimension == 8)
        #expect(objective.stepGFLOP == 10)
        #expect(s.network.latency == .exponential(mean: .milliseconds(60), min: .milliseconds(10)))
        #expect(s.membership.maxPeers == 8)
        #expect(s.membership.gossipSize == 2)
        #expect(s.membership.heartbeatInterval == .seconds(20))
        #expect(s.membership.failureTimeout == .seconds(70))
        #expect(s.diloco.fanout == 4)
        #expect(s.diloco.innerSteps == 50)
        #expect(s.diloco.syncTimeout == .seconds(20))
        try #require(s.faults.count == 1)
        guard case .crash(let crashed) = s.faults[0].kind else { Issue.record("not a crash"); return }
        #expect(s.nodes(crashed) == Array(0..<500))
        #expect(s.faults[0].at == .seconds(1800))
        #expect(s.expectations.contains { $0.metric == "live_nodes" && $0.op == .equal && $0.value == 9500 })
    }

    @Test func sourceHashFollowsTheText() throws {
        let a = try ScenarioReader.parse(head, file: "a.yaml")
        let b = try ScenarioReader.parse(head, file: "b.yaml")
        let c = try ScenarioReader.parse(head + "# a comment changes the file\n", file: "a.yaml")
        #expect(a.sourceHash == b.sourceHash)
        #expect(a.sourceHash != c.sourceHash)
    }
}

// MARK: - Smaller accepted forms

@Suite struct AcceptedFormTests {
    @Test func defaultsWhenOptionalSectionsAreAbsent() throws {
        let s = try ScenarioReader.parse("seed: 0\nduration: 30\nnodes:\n  - group: a\n", file: "x.yaml", defaultName: "fallback")
        #expect(s.name == "fallback")
        #expect(s.seed == 0)
        #expect(s.duration == .seconds(30))
        #expect(s.nodeCount == 1)
        #expect(s.groups[0].count == 1)
        #expect(s.network.latency == .constant(.milliseconds(20)))
        #expect(s.membership == MembershipSettings())
        #expect(s.diloco == DiLoCoSettings())
        #expect(s.faults.isEmpty && s.load.isEmpty && s.expectations.isEmpty)
        #expect(s.trace == .full)
    }

    @Test func loadNamesAnUnnamedScenarioAfterTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("my-run.yaml").path
        try "seed: 9\nduration: 1m\nnodes: [{group: a, count: 2}]\n".write(toFile: path, atomically: true, encoding: .utf8)
        let s = try ScenarioReader.load(path: path)
        #expect(s.name == "my-run")
        #expect(s.nodeCount == 2)
    }

    @Test func largeScenariosDefaultToSummaryTraces() throws {
        let s = try ScenarioReader.parse("seed: 1\nduration: 1m\nnodes:\n  - group: a\n    count: 201\n", file: "x.yaml")
        #expect(s.trace == .summary)
    }

    @Test func behavioursAggregatorsAndFaultForms() throws {
        let yaml = head.replacingOccurrences(of: "    count: 2\n", with: """
                count: 2
                behaviour: {type: sign_flip, scale: 3}
                training: false
                link: {up: 10mbps, down: 1gbps, latency: 5ms}
              - group: noisy
                behaviour: {type: gaussian, sigma: 0.5}
              - group: lazy
                behaviour: free-rider

            """) + """
            diloco:
              aggregator: trimmed_mean
              trim: 0.2
            network:
              latency: 15ms
            faults:
              - at: 1m
                partition: [["full[0..1]", half], noisy]
                one_way: true
              - at: 2m
                clock_skew: {node: "full[3]", offset: -1.5s}
              - at: 3m
                disk_full: lazy
              - at: 4m
                disk_ok: lazy
              - at: 4m59s
                pause: half[1]
            load:
              - target: noisy
                endpoint: /custom
                method: post
                per_minute: 2
                from: 1m
                until: 2m
                poisson: yes
                auth: none
            """
        let s = try ScenarioReader.parse(yaml, file: "forms.yaml")
        #expect(s.groups.map(\.name) == ["full", "half", "noisy", "lazy"])
        #expect(s.groups[1].behaviour == .signFlip(scale: 3))
        #expect(!s.groups[1].training)
        #expect(s.groups[1].link.upMbps == 10)
        #expect(s.groups[1].link.downMbps == 1000)
        #expect(s.groups[1].link.extraLatency == .milliseconds(5))
        #expect(s.groups[2].behaviour == .gaussian(sigma: 0.5))
        #expect(s.groups[3].behaviour == .freeRider)
        #expect(s.diloco.aggregator == .trimmedMean(beta: 0.2))
        #expect(s.network.latency == .constant(.milliseconds(15)))
        try #require(s.faults.count == 5)
        guard case .partition(let a, let b, let oneWay) = s.faults[0].kind else { Issue.record("not a partition"); return }
        #expect(a == [NodeSelector(group: "full", indices: 0..<2), NodeSelector(group: "half", indices: nil)])
        #expect(b == [NodeSelector(group: "noisy", indices: nil)])
        #expect(oneWay)
        guard case .clockSkew(_, let offset, let drift) = s.faults[1].kind else { Issue.record("not a skew"); return }
        #expect(offset == .zero - .milliseconds(1500))
        #expect(drift == 0)
        #expect(s.faults[2].kind.name == "disk_full")
        #expect(s.faults[3].kind.name == "disk_ok")
        guard case .pause(_, let duration) = s.faults[4].kind else { Issue.record("not a pause"); return }
        #expect(duration == nil)
        #expect(s.faults[4].at == .seconds(299))
        let load = try #require(s.load.first)
        #expect(load.path == "/custom")
        #expect(load.method == "POST")
        #expect(load.from == .seconds(60))
        #expect(load.until == .seconds(120))
        #expect(load.poisson)
        #expect(load.credential == LoadSpec.Credential.none)
    }
}

// MARK: - Mistakes: each names the file, the line and the problem

@Suite struct ScenarioMistakeTests {
    @Test func unknownTopLevelKey() {
        let yaml = head + "netwrok:  # HERE\n  loss: 0.1\n"
        expectRejected(yaml, saying: "unknown key 'netwrok'", "top level")
        #expect(rejection(yaml)?.column == 1)
    }

    @Test func unknownKeyInANodeGroup() {
        let yaml = """
            seed: 1
            duration: 5m
            nodes:
              - group: a
                count: 2
              - group: b
                cuont: 3  # HERE
            """
        expectRejected(yaml, saying: "unknown key 'cuont'", "nodes[1]")
        #expect(rejection(yaml)?.column == 5)
    }

    @Test func badDuration() {
        expectRejected("""
            seed: 1
            duration: 10 minutes  # HERE
            nodes: [{group: a}]
            """, saying: "10 minutes", "duration")
    }

    @Test func negativeAndZeroDurations() {
        expectRejected("seed: 1\nduration: -5m  # HERE\nnodes: [{group: a}]\n", saying: "duration")
        expectRejected("seed: 1\nduration: 0s  # HERE\nnodes: [{group: a}]\n", saying: "positive")
    }

    @Test func probabilityOutOfRange() {
        expectRejected(head + """
            network:
              latency: 20ms
              loss: 1.5  # HERE
            """, saying: "loss", "between 0", "1.5")
    }

    @Test func unknownGroupInAFaultSelector() {
        expectRejected(head + """
            faults:
              - at: 1m
                crash: fulll  # HERE
            """, saying: "no node group named 'fulll'", "full, half")
    }

    @Test func selectorIndexOutOfRange() {
        expectRejected(head + """
            faults:
              - at: 1m
                crash: full[0]
              - at: 2m
                crash: full[9]  # HERE
            """, saying: "full[9]", "out of range", "4 node")
    }

    @Test func selectorRangeOutOfRange() {
        expectRejected(head + """
            load:
              - target: half[1..2]  # HERE
                endpoint: status
                per_minute: 1
            """, saying: "out of range", "2 node")
    }

    @Test func malformedSelector() {
        expectRejected(head + """
            faults:
              - at: 1m
                crash: full[2..1]  # HERE
            """, saying: "not a node selector")
    }

    @Test func unknownBehaviour() {
        expectRejected("""
            seed: 1
            duration: 5m
            nodes:
              - group: a
                count: 2
                behaviour: evil  # HERE
            """, saying: "unknown behaviour 'evil'", "sign_flip")
    }

    @Test func ledgerSectionAndProofAttacks() throws {
        let yaml = """
            seed: 1
            duration: 5m
            nodes:
              - group: honest
                count: 3
              - group: cheat
                behaviour: forged-proof
              - group: flood
                behaviour: flooding_proof
              - group: twofaced
                behaviour: equivocating-transfer
              - group: past
                behaviour: backdated-chain
            ledger:
              proof_interval: 30s
              settle: 45s
              genesis: {honest: 12.5}
            load:
              - target: honest[0]
                endpoint: wallet/send
                to: honest
                amount: 0.25
                per_minute: 4
            """
        let s = try ScenarioReader.parse(yaml, file: "ledger.yaml")
        #expect(s.ledger.enabled && s.ledger.rules.proofInterval == .seconds(30))
        #expect(s.ledgerSettle == .seconds(45))
        #expect(s.groups.map(\.genesisNEURO) == [12.5, 0, 0, 0, 0])
        #expect(s.groups.map(\.conduct) == [.honest, .forged, .flooding, .equivocating, .backdated])
        #expect(s.load[0].method == "POST" && s.load[0].path == "/api/v1/wallet/send")
        #expect(s.load[0].transfer?.to == NodeSelector(group: "honest") && s.load[0].transfer?.amountNEURO == 0.25)
        #expect(s.groups[1].behaviour == .honest, "a proof attack still shares honest updates")
        let off = try ScenarioReader.parse("seed: 1\nduration: 1m\nnodes:\n  - group: a\nledger: {enabled: false}\n", file: "x.yaml")
        #expect(!off.ledger.enabled)
    }

    @Test func badLedgerSections() {
        func scenario(_ tail: String) -> String { "seed: 1\nduration: 5m\nnodes:\n  - group: a\n" + tail }
        expectRejected(scenario("ledger:\n  genesis: {b: 5}  # HERE\n"), saying: "genesis names group 'b'")
        expectRejected(scenario("ledger:\n  proof_interval: 10ms  # HERE\n"), saying: "proof_interval must be at least 1s")
        expectRejected(scenario("ledger:\n  genesis: {a: -3}  # HERE\n"), saying: "a")
        expectRejected(scenario("    behaviour: lazy-proof  # HERE\n"), saying: "unknown behaviour 'lazy_proof'", "forged_proof",
                       "equivocating_transfer")
        expectRejected(scenario("ledger:\n  settle: 0s  # HERE\n"), saying: "settle must be positive")
        expectRejected(scenario("ledger:\n  settle: 6m  # HERE\n"), saying: "shorter than the run")
    }

    @Test func badWalletLoad() {
        func scenario(_ load: String) -> String { "seed: 1\nduration: 5m\nnodes:\n  - group: a\n    count: 2\nload:\n" + load }
        expectRejected(scenario("  - {target: a, endpoint: wallet/send, amount: 1, per_minute: 1}  # HERE\n"), saying: "to")
        expectRejected(scenario("  - {target: a, endpoint: wallet/send, to: a, per_minute: 1}  # HERE\n"), saying: "amount")
        expectRejected(scenario("  - {target: a, endpoint: wallet/send, to: b, amount: 1, per_minute: 1}  # HERE\n"), saying: "'b'")
        expectRejected(scenario("  - {target: a, endpoint: wallet/send, to: a, amount: -1, per_minute: 1}  # HERE\n"), saying: "amount")
        expectRejected(scenario("  - {target: a, endpoint: wallet/send, method: GET, to: a, amount: 1, per_minute: 1}  # HERE\n"),
                       saying: "POST")
        expectRejected(scenario("  - {target: a, endpoint: status, to: a, per_minute: 1}  # HERE\n"), saying: "wallet/send only")
    }

    @Test func unknownBehaviourParameter() {
        expectRejected("""
            seed: 1
            duration: 5m
            nodes:
              - group: a
                behaviour:
                  type: gaussian
                  sigmaa: 2  # HERE
            """, saying: "unknown key 'sigmaa'")
    }

    @Test func unknownAggregator() {
        expectRejected(head + """
            diloco:
              inner_steps: 10
              aggregator: average  # HERE
            """, saying: "unknown aggregator 'average'", "trimmed_mean")
    }

    @Test func unknownMetricSuggestsANearName() {
        expectRejected(head + """
            expect:
              - final_loss < 0.1
              - outer_round >= 3  # HERE
            """, saying: "unknown metric 'outer_round'", "did you mean 'outer_rounds'")
    }

    @Test func expectationThatIsNotANumber() {
        expectRejected(head + """
            expect:
              - final_loss < low  # HERE
            """, saying: "'low' is not a number")
    }

    @Test func bareNonBooleanMetric() {
        expectRejected(head + """
            expect:
              - all_layers_covered
              - final_loss  # HERE
            """, saying: "final_loss", "needs a comparison")
    }

    @Test func expectMustBeAList() {
        expectRejected(head + "expect: final_loss < 1  # HERE\n", saying: "expect must be a list")
    }

    @Test func yamlSyntaxErrorPointsAtTheBadToken() {
        let yaml = """
            seed: 1
            duration: 5m
            nodes:
              - group: a
                count: 2: 3  # HERE
            """
        expectRejected(yaml, saying: "YAML")
        #expect(rejection(yaml)?.column == 13, "the second ':' is at column 13")
    }

    @Test func yamlUnclosedQuote() {
        let yaml = """
            seed: 1
            duration: 5m
            name: "oops  # HERE
            nodes: [{group: a}]
            """
        guard let error = rejection(yaml) else { return }
        #expect(error.message.contains("YAML"))
        // libyaml notices the missing quote at the end of the file; the error must at least
        // point into the file, at or after the quote's line.
        #expect(error.line >= markedLine(yaml))
    }

    @Test func duplicateGroupName() {
        expectRejected("""
            seed: 1
            duration: 5m
            nodes:
              - group: a
                count: 2
              - group: b
              - group: a  # HERE
                count: 3
            """, saying: "group 'a'", "twice")
    }

    @Test func duplicateYAMLKey() {
        guard let error = rejection("seed: 1\nduration: 5m\nseed: 2\nnodes: [{group: a}]\n") else { return }
        #expect(error.message.contains("duplicate"))
        #expect(error.message.contains("seed"))
        #expect(error.line == 3, "\(error.description)")
    }

    @Test func missingSeed() {
        expectRejected("""
            name: t  # HERE
            duration: 5m
            nodes: [{group: a}]
            """, saying: "needs 'seed'")
    }

    @Test func missingNodes() {
        expectRejected("""
            name: t  # HERE
            seed: 1
            duration: 5m
            """, saying: "needs 'nodes'")
    }

    @Test func emptyNodeList() {
        expectRejected("seed: 1\nduration: 5m\nnodes: []  # HERE\n", saying: "at least one group")
    }

    @Test func seedMustBeAWholeNumber() {
        expectRejected("seed: -3  # HERE\nduration: 5m\nnodes: [{group: a}]\n", saying: "seed")
        expectRejected("seed: many  # HERE\nduration: 5m\nnodes: [{group: a}]\n", saying: "seed")
    }

    @Test func countMustBeAWholeNumber() {
        expectRejected("""
            seed: 1
            duration: 5m
            nodes:
              - group: a
                count: 2.5  # HERE
            """, saying: "count", "whole number", "2.5")
    }

    @Test func faultAfterTheEnd() {
        expectRejected(head + """
            faults:
              - at: 1m
                heal: true
              - at: 6m  # HERE
                crash: full
            """, saying: "not before the end")
    }

    /// The run covers [0, duration): a fault due exactly at the end would never fire.
    @Test func faultAtTheEnd() {
        expectRejected(head + """
            faults:
              - at: 5m  # HERE
                crash: full
            """, saying: "not before the end")
    }

    @Test func faultNamingTwoKinds() {
        expectRejected(head + """
            faults:
              - at: 1m  # HERE
                crash: full[0]
                restart: full[1]
            """, saying: "exactly one of", "crash")
    }

    @Test func faultNamingNoKind() {
        expectRejected(head + """
            faults:
              - at: 1m  # HERE
                crsh: full[0]
            """, saying: "exactly one of")
    }

    @Test func failureTimeoutNotLongerThanHeartbeat() {
        expectRejected(head + "membership: {heartbeat: 5s, failure_timeout: 5s}  # HERE\n",
                       saying: "failure_timeout", "longer than the heartbeat")
    }

    /// In block form the mistake is on the `failure_timeout` line, not on the section's first key.
    @Test func failureTimeoutLineInBlockForm() {
        expectRejected(head + """
            membership:
              heartbeat: 5s
              failure_timeout: 3s  # HERE
            """, saying: "failure_timeout", "longer than the heartbeat")
    }

    @Test func loadUntilBeforeFrom() {
        expectRejected(head + """
            load:
              - target: full
                endpoint: status
                per_minute: 10
                from: 2m
                until: 1m  # HERE
            """, saying: "until", "from")
    }

    @Test func loadUntilBeforeFromInFlowForm() {
        expectRejected(head + """
            load:
              - {target: full, endpoint: status, per_minute: 10, from: 2m, until: 2m}  # HERE
            """, saying: "until", "from")
    }

    @Test func metricsIntervalMustBePositive() {
        expectRejected(head + "trace: full\nmetrics_interval: 0s  # HERE\n", saying: "metrics_interval", "positive")
    }

    @Test func nameMustBeUsableAsAFolder() {
        expectRejected("""
            seed: 1
            duration: 5m
            name: my run/1  # HERE
            nodes: [{group: a}]
            """, saying: "name")
    }

    @Test func unknownTraceLevel() {
        expectRejected(head + "trace: verbose  # HERE\n", saying: "trace", "summary")
    }

    /// `for:` means something only for a pause; on a crash it would be silently ignored.
    @Test func pauseDurationOnAnotherFault() {
        expectRejected(head + """
            faults:
              - at: 1m
                crash: full[0]
                for: 30s  # HERE
            """, saying: "for")
    }

    @Test func unknownAuth() {
        expectRejected(head + """
            load:
              - target: full
                endpoint: status
                per_minute: 10
                auth: root  # HERE
            """, saying: "auth", "api_key")
    }

    @Test func unknownLatencyDistribution() {
        expectRejected(head + """
            network:
              latency: {dist: pareto, mean: 5ms}  # HERE
            """, saying: "pareto")
    }

    @Test func unknownObjective() {
        expectRejected(head + """
            model:
              objective: gpt  # HERE
            """, saying: "gpt", "quadratic")
    }

    @Test func badBandwidthAndMemory() {
        expectRejected("""
            seed: 1
            duration: 5m
            nodes:
              - group: a
                link: {bandwidth: 100mb}  # HERE
            """, saying: "bandwidth", "100mb")
        expectRejected("""
            seed: 1
            duration: 5m
            nodes:
              - group: a
                memory: lots  # HERE
            """, saying: "memory", "lots")
    }

    @Test func emptyFile() {
        for text in ["", "\n\n", "# only a comment\n"] {
            guard let error = rejection(text, file: "empty.yaml") else { continue }
            #expect(error.line == 0, "no line to name in an empty file")
            #expect(error.message.contains("empty"), "\(error.description)")
            #expect(error.description == "empty.yaml: \(error.message)")
        }
    }

    @Test func topLevelList() {
        let yaml = "- seed: 1  # HERE\n- duration: 5m\n"
        expectRejected(yaml, saying: "mapping")
        if let error = rejection(yaml) {
            #expect(!error.message.hasPrefix(" "), "message starts with a blank: '\(error.message)'")
            #expect(!error.description.contains(":  "), "double blank in: '\(error.description)'")
        }
    }

    @Test func topLevelScalar() {
        expectRejected("just some words  # HERE\n", saying: "mapping")
    }

    @Test func loadReportsTheFilePath() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.yaml").path
        try "seed: 1\nduration: 5m\nnodes: [{group: a}]\ncolour: red\n".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try ScenarioReader.load(path: path)
            Issue.record("accepted a file with an unknown key")
        } catch {
            #expect(error.file == path)
            #expect(error.line == 4)
            #expect(error.description.hasPrefix("\(path):4:1: "))
            #expect(error.message.contains("colour"))
        }
        let missing = dir.appendingPathComponent("absent.yaml").path
        do {
            _ = try ScenarioReader.load(path: missing)
            Issue.record("loaded a file that does not exist")
        } catch {
            #expect(error.file == missing)
            #expect(error.description.hasPrefix(missing))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func descriptionIsOneLine() {
        let e = ScenarioError(file: "Scenarios/x.yaml", line: 12, column: 5, message: "unknown key 'foo' at the top level")
        #expect(e.description == "Scenarios/x.yaml:12:5: unknown key 'foo' at the top level")
        let noLine = ScenarioError(file: "x.yaml", line: 0, column: 0, message: "cannot read the file")
        #expect(noLine.description == "x.yaml: cannot read the file")
    }
}

// MARK: - Quantities

@Suite struct QuantityTests {
    @Test(arguments: [
        ("250ms", 0.25), ("30s", 30), ("10m", 600), ("1h", 3600), ("1.5s", 1.5), ("45", 45), ("0", 0),
        ("2d", 172_800), ("500us", 0.0005), ("1 m", 60), ("10M", 600), ("0.5h", 1800), ("1e3", 1000),
        ("1h30m", 5400), ("4m59s", 299), ("1m30s", 90), ("1h 30m", 5400), ("1d2h", 93_600), ("1.5m", 90), ("2s500ms", 2.5),
    ] as [(String, Double)])
    func durations(text: String, seconds: Double) {
        #expect(Quantity.duration(text) == TimeSpan.seconds(seconds), "\(text)")
    }

    @Test(arguments: ["-5s", "-1", "ten", "", "10 minutes", "5x", "ms", "nan", "inf", "s5", "5e", "1m30", "m5",
                      "1.5.5s", "1m-30s", "1h30x", "30s-"])
    func badDurations(text: String) {
        #expect(Quantity.duration(text) == nil, "'\(text)' should be rejected")
    }

    @Test(arguments: [
        ("100mbps", 100), ("1gbps", 1000), ("500kbps", 0.5), ("50", 50), ("10 Mbit", 10), ("2.5gbit", 2500),
        ("1_000kbps", 1),
    ] as [(String, Double)])
    func bandwidths(text: String, mbps: Double) {
        #expect(Quantity.bandwidthMbps(text) == mbps, "\(text)")
    }

    @Test(arguments: ["0", "-10mbps", "fast", "100mb", "10 tbps", ""])
    func badBandwidths(text: String) {
        #expect(Quantity.bandwidthMbps(text) == nil, "'\(text)' should be rejected")
    }

    @Test(arguments: [
        ("512mb", 512), ("8gb", 8192), ("1tb", 1_048_576), ("1024kb", 1), ("12.5 GB", 12_800), ("256", 256),
    ] as [(String, Double)])
    func memorySizes(text: String, mb: Double) {
        #expect(Quantity.memoryMB(text) == mb, "\(text)")
    }

    @Test(arguments: ["0", "0gb", "-1gb", "lots", "8gib", "8 gbps"])
    func badMemorySizes(text: String) {
        #expect(Quantity.memoryMB(text) == nil, "'\(text)' should be rejected")
    }

    @Test(arguments: [
        ("50gflops", 50e9), ("1tflops", 1e12), ("200mflops", 2e8), ("2", 2e9), ("5 GFLOPS", 5e9), ("0.5tflops", 5e11),
    ] as [(String, Double)])
    func speeds(text: String, flops: Double) {
        #expect(Quantity.flops(text) == flops, "\(text)")
    }

    @Test(arguments: ["0", "-1gflops", "fast", "50gflop", "1pflops"])
    func badSpeeds(text: String) {
        #expect(Quantity.flops(text) == nil, "'\(text)' should be rejected")
    }
}

// MARK: - Expectations

@Suite struct ExpectationTests {
    private func parsed(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Expectation? {
        do { return try Expectation.parse(text) } catch {
            Issue.record("'\(text)' rejected: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    private func failure(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        do {
            let e = try Expectation.parse(text)
            Issue.record("'\(text)' accepted as \(e)", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
            return error.description
        }
    }

    @Test(arguments: [
        ("events <= 5", Expectation.Op.lessOrEqual), ("events >= 5", .greaterOrEqual), ("events == 5", .equal),
        ("events != 5", .notEqual), ("events < 5", .less), ("events > 5", .greater),
        ("events<=5", .lessOrEqual), ("events>=5", .greaterOrEqual), ("events<5", .less), ("events>5", .greater),
    ] as [(String, Expectation.Op)])
    func everyOperatorParses(text: String, op: Expectation.Op) {
        guard let e = parsed(text) else { return }
        #expect(e.metric == "events")
        #expect(e.op == op)
        #expect(e.value == 5)
        #expect(e.text == text)
    }

    @Test func operatorsHold() {
        let cases: [(Expectation.Op, [(Double, Bool)])] = [
            (.less, [(4, true), (5, false), (6, false)]),
            (.lessOrEqual, [(4, true), (5, true), (5.000001, false)]),
            (.greater, [(4, false), (5, false), (6, true)]),
            (.greaterOrEqual, [(4.999999, false), (5, true), (6, true)]),
            (.equal, [(5, true), (5.0000001, false), (-5, false)]),
            (.notEqual, [(5, false), (4, true), (6, true)]),
        ]
        for (op, checks) in cases {
            let e = Expectation(text: "events \(op.rawValue) 5", metric: "events", op: op, value: 5)
            for (actual, expected) in checks {
                #expect(e.holds(actual) == expected, "\(actual) \(op.rawValue) 5")
                #expect(op.holds(actual, 5) == expected, "\(actual) \(op.rawValue) 5")
            }
        }
    }

    @Test func parsedExpectationsHold() throws {
        let e = try Expectation.parse("  final_loss   <   0.01  ")
        #expect(e.text == "final_loss   <   0.01")
        #expect(e.metric == "final_loss")
        #expect(e.value == 0.01)
        #expect(e.holds(0.005))
        #expect(!e.holds(0.01))
        let neg = try Expectation.parse("peers.mean >= -1.5e1")
        #expect(neg.value == -15)
        #expect(neg.holds(-15) && !neg.holds(-15.5))
    }

    @Test(arguments: ["http.429 == 140", "http.200 > 0", "http.5xx == 0", "http.2xx >= 1", "http.unreachable == 0",
                      "http.total > 10", "http.100 == 0", "http.599 == 0"])
    func httpMetrics(text: String) {
        guard let e = parsed(text) else { return }
        #expect(e.metric == String(text.prefix { $0 != " " }))
    }

    @Test(arguments: ["http.600 == 0", "http.99 == 0", "http.abc == 0", "http. == 0", "http.6xx == 0",
                      // Never produced (the run reports `http.200`), so they would hold or fail vacuously.
                      "http.0200 == 0", "http.+200 == 0"])
    func badHttpMetrics(text: String) {
        guard let message = failure(text) else { return }
        #expect(message.contains("unknown metric"))
    }

    @Test func booleanMetric() throws {
        let e = try Expectation.parse("all_layers_covered")
        #expect(e.op == nil)
        #expect(e.metric == "all_layers_covered")
        #expect(e.holds(1))
        #expect(!e.holds(0))
        let compared = try Expectation.parse("all_layers_covered == 0")
        #expect(compared.op == .equal)
        #expect(compared.holds(0))
    }

    @Test func bareMetricNeedsAComparison() {
        guard let message = failure("final_loss") else { return }
        #expect(message.contains("needs a comparison"))
        #expect(message.contains("all_layers_covered"))
    }

    @Test func unknownMetricSuggestsANearName() {
        #expect(failure("final_los < 1")?.contains("did you mean 'final_loss'") == true)
        #expect(failure("peers.mni >= 1")?.contains("did you mean 'peers.min'") == true)
        #expect(failure("all_layers_coverd")?.contains("did you mean 'all_layers_covered'") == true)
    }

    @Test(arguments: ["final_loss < low", "final_loss <", "final_loss < nan", "final_loss < inf", "final_loss < 1 2",
                      "final_loss < 0.1s"])
    func valueMustBeAFiniteNumber(text: String) {
        guard let message = failure(text) else { return }
        #expect(message.contains("is not a number"), "\(message)")
    }

    @Test func emptyExpectation() {
        #expect(failure("")?.contains("empty") == true)
        #expect(failure("   ")?.contains("empty") == true)
    }

    @Test func nanAndInfinityNeverPass() throws {
        for op in Expectation.Op.allCases {
            let e = Expectation(text: "events \(op.rawValue) 5", metric: "events", op: op, value: 5)
            #expect(!e.holds(.nan), "NaN \(op.rawValue) 5 passed")
            #expect(!e.holds(.infinity), "inf \(op.rawValue) 5 passed")
            #expect(!e.holds(-.infinity), "-inf \(op.rawValue) 5 passed")
        }
        // A metric with no value (NaN) cannot satisfy a bare boolean expectation either.
        let covered = try Expectation.parse("all_layers_covered")
        #expect(!covered.holds(.nan), "NaN counted as true for a bare boolean expectation")
    }

    @Test func everyCatalogMetricIsAccepted() {
        for name in MetricCatalog.names.keys {
            #expect(parsed("\(name) >= 0")?.metric == name)
        }
        for name in MetricCatalog.booleans {
            #expect(parsed(name)?.op == nil)
        }
    }
}
