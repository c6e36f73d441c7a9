import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A started `neuroshard --token … --port 0`, as an operator runs it: what it printed when it
/// was ready, its HTTP API through real sockets, and its log (written to a file, so a chatty
/// node never blocks on a full pipe).
final class NodeProcess: @unchecked Sendable {
    let process = Process()
    let logFile: URL
    let token: String
    let id: String
    let base: URL
    /// host:port of its gRPC server, for other nodes' `--seed-peers`.
    let grpc: String

    init(token: String = "secret", _ extra: [String] = [], readyWithin timeout: Double = 30) async throws {
        guard let binary = neuroshardBinary else { throw CLIError("neuroshard is not built") }
        self.token = token
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("neuroshard-node-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = binary
        process.arguments = ["--token", token, "--port", "0"] + extra
        process.standardOutput = try FileHandle(forWritingTo: logFile)
        process.standardError = process.standardOutput
        try process.run()
        // The ready line: node <id> role <role> layers <range> http <url> grpc <address>
        let deadline = Date().addingTimeInterval(timeout)
        var ready: [Substring]?
        while ready == nil {
            ready = Self.readyLine(in: (try? String(contentsOf: logFile, encoding: .utf8)) ?? "")
            guard ready == nil else { break }
            guard process.isRunning, Date() < deadline else {
                process.terminate()
                throw CLIError("the node was not ready in \(timeout) s: \((try? String(contentsOf: logFile, encoding: .utf8)) ?? "")")
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard let words = ready, words.count >= 10, let url = URL(string: String(words[7])) else {
            throw CLIError("ready line: \(ready ?? [])")
        }
        id = String(words[1])
        base = url
        grpc = String(words[9])
    }

    private static func readyLine(in log: String) -> [Substring]? {
        log.split(separator: "\n").first { $0.hasPrefix("node ") && $0.contains(" grpc ") }.map { $0.split(separator: " ") }
    }

    /// Everything it printed so far.
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    func call(_ method: String, _ path: String, token: String? = nil, anonymous: Bool = false, body: Data? = nil) async throws
        -> (status: Int, json: [String: Any], headers: [AnyHashable: Any], body: Data) {
        // A query after "?" stays a query (appendingPathComponent would escape it into the path).
        let parts = path.split(separator: "?", maxSplits: 1)
        var url = URLComponents(url: base.appendingPathComponent(String(parts[0])), resolvingAgainstBaseURL: false)!
        if parts.count == 2 { url.percentEncodedQuery = String(parts[1]) }
        var request = URLRequest(url: url.url!)
        request.httpMethod = method
        request.httpBody = body
        if !anonymous { request.setValue("Bearer \(token ?? self.token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (http.statusCode, json, http.allHeaderFields, data)
    }

    /// A GET's JSON body (empty when the call fails).
    func get(_ path: String) async -> [String: Any] {
        (try? await call("GET", path).json) ?? [:]
    }

    /// SIGTERM, then the exit status and everything it printed.
    func stop() -> (status: Int32, output: String) {
        process.terminate()
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: logFile) }
        return (process.terminationStatus, log)
    }

    /// SIGKILL: a crash, no goodbye.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: logFile)
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func errorCode(_ json: [String: Any]) -> String? {
    (json["error"] as? [String: Any])?["code"] as? String
}

/// Polls `condition` every 200 ms for at most `seconds`; whether it came true.
func eventually(within seconds: Double, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(200))
    }
    return await condition()
}
