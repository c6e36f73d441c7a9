import Deterministic
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NeuroShardCore
import Scenario
import Simulator

/// `neuroshard simulate FILE --real`: the scenario's nodes as real `neuroshard` processes on
/// loopback (the same tokens, model and settings as in the simulation, real sockets and clocks),
/// for the scenario's duration in real time. It writes `summary.json` with the simulator's keys
/// to `<out>/<scenario>/<seed>-real/`, so the same file runs in both worlds and the two can be
/// compared. Small, fault-free scenarios only: faults and client load are the simulator's.
struct RealRun {
    let scenario: Scenario
    let file: String
    let directory: String
    static let maxNodes = 12

    /// Why the scenario cannot run on real sockets, or nil.
    static func problem(_ scenario: Scenario) -> String? {
        if scenario.nodeCount > maxNodes { return "--real runs at most \(maxNodes) nodes (this scenario has \(scenario.nodeCount))" }
        if !scenario.faults.isEmpty { return "--real runs fault-free scenarios (this one has faults:)" }
        if !scenario.load.isEmpty { return "--real runs scenarios without client load (this one has load:)" }
        if !scenario.variants.isEmpty { return "--real runs scenarios without variants" }
        return nil
    }

    /// Starts the nodes (the bootstrap ones first, the rest joining through them), lets them run,
    /// reads every node's figures over HTTP, stops them, and writes the summary.
    func run() throws -> (summary: JSON, passed: Bool) {
        let configs = Simulation.nodeConfigs(for: scenario)
        // Each node starts when the scenario starts it (`join_at`, `join_over`), the bootstrap
        // nodes first: the others join through their addresses.
        var starts: [(index: Int, at: TimeSpan)] = []
        for g in scenario.groups {
            for k in 0..<g.count {
                starts.append((starts.count, g.joinAt + (g.count > 1 ? g.joinSpread * (Double(k) / Double(g.count)) : .zero)))
            }
        }
        let bootstrap = scenario.bootstrap
        starts.sort { a, b in
            let first = (a.index < bootstrap ? 0 : 1, a.at.nanos, a.index), second = (b.index < bootstrap ? 0 : 1, b.at.nanos, b.index)
            return first < second
        }
        let started = Date()
        var nodes: [Int: RealNode] = [:]
        defer { for node in nodes.values { node.stop() } }
        var seeds: [String] = []
        for (i, at) in starts {
            Thread.sleep(until: started.addingTimeInterval(at.seconds))
            let node = try RealNode(index: i, token: configs[i].token, scenario: file, seeds: i < scenario.bootstrap ? [] : seeds,
                                    log: "\(directory)/node-\(i).log")
            nodes[i] = node
            if i < scenario.bootstrap { seeds.append(try node.waitReady()) }
        }
        for node in nodes.values { _ = try node.waitReady() }
        Thread.sleep(until: started.addingTimeInterval(scenario.duration.seconds))
        let figures = configs.indices.map { nodes[$0]!.figures() }
        let peakRSS = nodes.values.compactMap { $0.peakResidentBytes() }.max() ?? 0
        let wall = Date().timeIntervalSince(started)
        for node in nodes.values { node.stop() }

        var metrics: [String: Double] = ["nodes": Double(configs.count), "live_nodes": Double(figures.compactMap { $0 }.count),
                                         "virtual_seconds": wall, "faults_fired": 0]
        let live = figures.compactMap { $0 }
        metrics["messages"] = Double(live.reduce(0) { $0 + $1.messages })
        metrics["bytes"] = Double(live.reduce(0) { $0 + $1.bytes })
        metrics["outer_rounds"] = Double(live.map(\.rounds).max() ?? 0)
        let trainers = zip(configs, figures).compactMap { c, f in c.trainingEnabled && c.behaviour == .honest ? f : nil }
        let losses = trainers.compactMap(\.loss)
        metrics["final_loss"] = losses.isEmpty ? .nan : losses.reduce(0, +) / Double(losses.count)
        metrics["inner_steps"] = trainers.isEmpty ? 0 : Double(trainers.reduce(0) { $0 + $1.steps }) / Double(trainers.count)
        let expectations = scenario.expectations.map { e in
            let value = metrics[e.metric] ?? .nan
            return (e, value, e.holds(value))
        }
        let passed = expectations.allSatisfy(\.2)
        let sent = zip(configs, figures).map { c, f in (node: c.address, kinds: f?.sent ?? []) }
        let summary: JSON = [
            "scenario": .string(scenario.name), "seed": .int(Int64(bitPattern: scenario.seed)),
            "scenario_hash": .string(scenario.sourceHash), "trace_hash": .string(""), "passed": .bool(passed),
            "virtual_seconds": .double(wall), "wall_seconds": .double(wall), "speedup": .double(1),
            // Real processes have no event heap to count.
            "events": .null, "events_per_second": .null, "messages": .int(Int(metrics["messages"]!)), "bytes": .int(Int(metrics["bytes"]!)),
            "faults_fired": .int(0), "peak_rss_bytes": .int(peakRSS), "nodes": .int(configs.count),
            "final_loss": .double(metrics["final_loss"]!), "outer_rounds": .int(Int(metrics["outer_rounds"]!)),
            "sample_text": .null,
            "expectations": .array(expectations.map { ["text": .string($0.0.text), "value": .double($0.1), "passed": .bool($0.2)] }),
            "metrics": .object(metrics.keys.sorted().map { ($0, .double(metrics[$0]!)) }),
            "sent_by_node": RunResult.sentJSON(sent),
            "version": .string(NeuroShardVersion.current),
        ]
        try Data((summary.serialized + "\n").utf8).write(to: URL(fileURLWithPath: "\(directory)/summary.json"))
        return (summary, passed)
    }
}

/// One node process of a real run.
final class RealNode {
    let index: Int
    let token: String
    let process = Process()
    let log: String
    private(set) var http: String?

    init(index: Int, token: String, scenario: String, seeds: [String], log: String) throws {
        self.index = index
        self.token = token
        self.log = log
        FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments = ["--token", token, "--port", "0", "--scenario", scenario, "--index", String(index)]
            + (seeds.isEmpty ? [] : ["--seed-peers", seeds.joined(separator: ",")])
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = process.standardOutput
        try process.run()
    }

    /// Waits for the ready line; the node's gRPC address.
    func waitReady(within seconds: Double = 30) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("node ") && $0.contains(" grpc ") }) {
                let words = line.split(separator: " ")
                if let h = words.firstIndex(of: "http"), let g = words.firstIndex(of: "grpc"), g + 1 < words.count {
                    http = String(words[h + 1])
                    return String(words[g + 1])
                }
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw RealRunError("node \(index) did not start (see \(log))")
    }

    struct Figures {
        var messages = 0, bytes = 0, rounds = 0, steps = 0
        var loss: Double?
        var sent: [(kind: String, count: Int)] = []
    }

    /// Its figures from `/api/v1/metrics` and `/api/v1/status`; nil when it does not answer.
    func figures() -> Figures? {
        guard let metrics = get("/api/v1/metrics"), let status = get("/api/v1/status"),
              let network = metrics["network"] as? [String: Any], let training = metrics["training"] as? [String: Any] else { return nil }
        var f = Figures()
        let kinds = (network["messages_sent_by_kind"] as? [String: Int]) ?? [:]
        f.sent = PeerMessage.kindNames.compactMap { name in kinds[name].map { (name, $0) } }
        f.messages = kinds.values.reduce(0, +)
        f.bytes = network["bytes_sent"] as? Int ?? 0
        f.rounds = training["outer_rounds"] as? Int ?? 0
        f.steps = training["steps_total"] as? Int ?? 0
        f.loss = (status["training"] as? [String: Any])?["loss"] as? Double
        return f
    }

    private func get(_ path: String) -> [String: Any]? {
        guard let http, let url = URL(string: http + path) else { return nil }
        var request = URLRequest(url: url, timeoutInterval: 10)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var body: Data?
        URLSession.shared.dataTask(with: request) { data, _, _ in
            body = data
            done.signal()
        }.resume()
        done.wait()
        return body.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
    }

    /// The largest resident set the process has had (Linux's VmHWM), while it runs.
    func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kB = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kB * 1024
    }

    /// SIGTERM (the node says goodbye and saves), then waits for it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

struct RealRunError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
