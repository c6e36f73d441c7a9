import ArgumentParser
import Foundation
import Hummingbird
import NeuroShardCore
import Server
import ServiceLifecycle
import Training

/// `neuroshard-bench http`: authenticated `GET /api/v1/status` through the node (Hummingbird →
/// actor → core → JSON) against a bare Hummingbird route answering the same bytes, both on
/// loopback in this process and loaded by `wrk` in the same run, so the ratio is what the node's
/// own path costs.
struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Requests/s and p50/p99 of authenticated GET /api/v1/status against a bare Hummingbird route (needs wrk).")

    @Option(help: "Seconds of load per server.")
    var seconds = 5

    @Option(help: "Open connections.")
    var connections = 16

    func run() async throws {
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile) else {
            print("wrk not found (Debian: apt-get install wrk)")
            throw ExitCode(1)
        }
        setenv("LOG_LEVEL", "warning", 1) // Hummingbird's own start-up lines
        // Limits no benchmark reaches: every call is answered 200, not 429.
        let config = NodeConfig(address: "127.0.0.1:0", token: "bench", trainingEnabled: false, rateLimits: .off)
        let node = NodeHost(core: NodeCore(config: config, objective: NoisyQuadratic()), seed: 1) { _ in }
        await node.start()
        guard case .response(let sample) = await node.call(method: "GET", path: "/api/v1/status", query: [],
                                                          authorization: "Bearer bench", body: []) else { throw ExitCode(1) }
        let body = sample.body.serialized

        let (ports, bound) = AsyncStream.makeStream(of: (String, Int).self)
        let slot = HostSlot()
        slot.fill(node)
        let front = HTTPFront.application(slot: slot, address: "127.0.0.1", port: 0) { bound.yield(("node", $0)) }
        let router = Router()
        router.get("/api/v1/status") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let bare = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
                               onServerRunning: { bound.yield(("bare", $0.localAddress?.port ?? 0)) })
        let group = ServiceGroup(services: [front, bare], gracefulShutdownSignals: [], logger: front.logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var port: [String: Int] = [:]
            for await (name, p) in ports {
                port[name] = p
                if port.count == 2 { break }
            }
            print("GET /api/v1/status, \(connections) connections, \(seconds) s each, wrk on the same machine")
            let bareRun = try load(wrk, url: "http://127.0.0.1:\(port["bare"]!)/api/v1/status")
            let nodeRun = try load(wrk, url: "http://127.0.0.1:\(port["node"]!)/api/v1/status")
            for (name, r) in [("bare route", bareRun), ("node", nodeRun)] {
                print("  " + name.padding(toLength: 11, withPad: " ", startingAt: 0)
                      + String(format: " %9.0f requests/s   p50 %7.3f ms   p99 %7.3f ms", r.rate, r.p50 * 1e3, r.p99 * 1e3))
            }
            print(String(format: "  node / bare route: %.0f%% of the throughput", 100 * nodeRun.rate / bareRun.rate))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    struct Load { var rate: Double; var p50: Double; var p99: Double }

    /// Runs wrk with the node's token and reads requests/s and the latency percentiles.
    private func load(_ wrk: String, url: String) throws -> Load {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        process.arguments = ["-t1", "-c\(connections)", "-d\(seconds)s", "--latency", "-H", "Authorization: Bearer bench", url]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard !text.contains("Non-2xx"), let rate = number(after: "Requests/sec:", in: text),
              let p50 = duration(after: " 50%", in: text), let p99 = duration(after: " 99%", in: text) else {
            throw ValidationError("wrk against \(url) gave no clean result:\n\(text)")
        }
        return Load(rate: rate, p50: p50, p99: p99)
    }

    private func field(after label: String, in text: String) -> Substring? {
        guard let line = text.split(separator: "\n").first(where: { $0.contains(label) }),
              let range = line.range(of: label) else { return nil }
        return line[range.upperBound...].split(separator: " ").first
    }

    private func number(after label: String, in text: String) -> Double? {
        field(after: label, in: text).flatMap { Double($0) }
    }

    /// wrk writes durations as 812.00us, 1.20ms or 2.00s.
    private func duration(after label: String, in text: String) -> Double? {
        guard let value = field(after: label, in: text) else { return nil }
        for (unit, scale) in [("us", 1e-6), ("ms", 1e-3), ("s", 1.0)] where value.hasSuffix(unit) {
            return Double(value.dropLast(unit.count)).map { $0 * scale }
        }
        return nil
    }
}
