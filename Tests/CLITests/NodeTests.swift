import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A real node process on a free loopback port, as an operator starts it: the line it prints,
/// its HTTP API through real sockets, and a clean stop on SIGTERM.
@Suite(.serialized) struct NodeTests {
    /// A started `neuroshard --token … --port 0` and what it printed when it was ready.
    final class NodeProcess {
        let process = Process()
        let output = Pipe()
        let id: String
        let base: URL

        init(_ extra: [String] = []) throws {
            guard let binary = neuroshardBinary else { throw CLIError("neuroshard is not built") }
            process.executableURL = binary
            process.arguments = ["--token", "secret", "--port", "0", "--no-training"] + extra
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The ready line: node <id> role <role> layers <range> http <url> grpc <address>
            var line = ""
            let handle = output.fileHandleForReading
            while !line.hasPrefix("node ") || !line.hasSuffix("\n") {
                let byte = handle.readData(ofLength: 1)
                guard !byte.isEmpty else { throw CLIError("the node exited before it was ready: \(line)") }
                line += String(decoding: byte, as: UTF8.self)
                if line.hasSuffix("\n") && !line.hasPrefix("node ") { line = "" }
            }
            let words = line.split(separator: " ")
            guard words.count >= 10, let url = URL(string: String(words[7])) else { throw CLIError("ready line: \(line)") }
            id = String(words[1])
            base = url
        }

        func call(_ method: String, _ path: String, token: String? = "secret", body: Data? = nil) async throws
            -> (status: Int, json: [String: Any], headers: [AnyHashable: Any]) {
            var request = URLRequest(url: base.appendingPathComponent(path))
            request.httpMethod = method
            request.httpBody = body
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            return (http.statusCode, json, http.allHeaderFields)
        }

        /// SIGTERM, then the exit status and the rest of the output.
        func stop() -> (status: Int32, output: String) {
            process.terminate()
            let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, rest)
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    struct CLIError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private func errorCode(_ json: [String: Any]) -> String? {
        (json["error"] as? [String: Any])?["code"] as? String
    }

    @Test func servesTheAPIAndStopsCleanly() async throws {
        let node = try NodeProcess()
        let health = try await node.call("GET", "/api/v1/health", token: nil)
        #expect(health.status == 200)

        let anonymous = try await node.call("GET", "/api/v1/status", token: nil)
        #expect(anonymous.status == 401)
        #expect(errorCode(anonymous.json) == "UNAUTHORIZED")

        let status = try await node.call("GET", "/api/v1/status")
        #expect(status.status == 200)
        #expect(status.json["node_id"] as? String == node.id, "\(status.json)")

        let missing = try await node.call("GET", "/api/v1/nothing-here")
        #expect(missing.status == 404)
        #expect(errorCode(missing.json) == "NOT_FOUND")

        let wrongMethod = try await node.call("DELETE", "/api/v1/status")
        #expect(wrongMethod.status == 405)
        #expect(errorCode(wrongMethod.json) == "METHOD_NOT_ALLOWED")

        let huge = try await node.call("POST", "/api/v1/inference", body: Data(count: 2 << 20))
        #expect(huge.status == 400)
        #expect(errorCode(huge.json) == "INVALID_REQUEST")

        // Still serving after all that.
        #expect(try await node.call("GET", "/api/v1/health", token: nil).status == 200)

        let (exit, output) = node.stop()
        #expect(exit == 0)
        #expect(output.contains("node \(node.id) stopped"), "\(output)")
    }

    /// Over real sockets the status class allows exactly 100 calls a minute per token: the 101st
    /// gets 429 with `Retry-After`. (The window's end is tested on the core, in virtual time.)
    @Test func theHundredAndFirstStatusCallIsLimited() async throws {
        let node = try NodeProcess()
        for i in 1...100 {
            let r = try await node.call("GET", "/api/v1/status")
            if r.status != 200 { Issue.record("call \(i) got \(r.status)"); break }
        }
        let limited = try await node.call("GET", "/api/v1/status")
        #expect(limited.status == 429)
        #expect(errorCode(limited.json) == "RATE_LIMITED")
        #expect(limited.headers.keys.contains { ($0 as? String)?.lowercased() == "retry-after" })
        // Another class is not affected.
        #expect(try await node.call("GET", "/api/v1/health", token: nil).status == 200)
        #expect(node.stop().status == 0)
    }

    /// With `--data-dir` a restarted node is the same node: its id, its layers and their weights.
    @Test func aRestartKeepsIdentityAndState() async throws {
        let dir = try temporaryFolder("node")
        defer { cleanUp(dir) }
        let first = try NodeProcess(["--data-dir", dir.path])
        let before = try await first.call("GET", "/api/v1/status")
        #expect(first.stop().status == 0)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("state.bin").path))

        let second = try NodeProcess(["--data-dir", dir.path])
        #expect(second.id == first.id)
        let after = try await second.call("GET", "/api/v1/status")
        #expect(after.json["layers"] as? [Int] == before.json["layers"] as? [Int])
        #expect(second.stop().status == 0)

        // A damaged state file stops the start with one line, and is left for the operator.
        let file = dir.appendingPathComponent("state.bin")
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: file)
        let refused = try neuroshard(["--token", "t", "--port", "0", "--data-dir", dir.path])
        #expect(refused.status != 0)
        #expect(refused.stderrLines.count == 1 && refused.stderr.contains("corrupted"), "\(refused.stderr)")
        #expect(try Data(contentsOf: file) == bytes)
    }

    @Test func aBadFlagPrintsOneLineAndExitsTwo() throws {
        let run = try neuroshard(["--token", "t", "--port", "70000"])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "\(run.stderr)")
        #expect(run.stderr.contains("--port"))
        let missing = try neuroshard(["--port", "8000"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--token"))
    }
}
