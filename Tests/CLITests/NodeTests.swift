import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A real node process on a free loopback port, as an operator starts it: the line it prints,
/// its HTTP API through real sockets, and a clean stop on SIGTERM.
@Suite(.serialized) struct NodeTests {
    @Test func servesTheAPIAndStopsCleanly() async throws {
        let node = try await NodeProcess(["--no-training"])
        let health = try await node.call("GET", "/api/v1/health", anonymous: true)
        #expect(health.status == 200)

        let anonymous = try await node.call("GET", "/api/v1/status", anonymous: true)
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
        #expect(try await node.call("GET", "/api/v1/health", anonymous: true).status == 200)

        let (exit, output) = node.stop()
        #expect(exit == 0)
        #expect(output.contains("node \(node.id) stopped"), "\(output)")
    }

    /// Over real sockets the status class allows exactly 100 calls a minute per token: the 101st
    /// gets 429 with `Retry-After`, and after that many seconds the token passes again.
    @Test func theHundredAndFirstStatusCallIsLimited() async throws {
        let node = try await NodeProcess(["--no-training"])
        for i in 1...100 {
            let r = try await node.call("GET", "/api/v1/status")
            if r.status != 200 { Issue.record("call \(i) got \(r.status)"); break }
        }
        let limited = try await node.call("GET", "/api/v1/status")
        #expect(limited.status == 429)
        #expect(errorCode(limited.json) == "RATE_LIMITED")
        #expect(limited.headers.keys.contains { ($0 as? String)?.lowercased() == "retry-after" })
        // Another class is not affected.
        #expect(try await node.call("GET", "/api/v1/health", anonymous: true).status == 200)
        // Once the window has moved past the first call, the token may call again.
        let header = limited.headers.first { ($0.key as? String)?.lowercased() == "retry-after" }?.value as? String
        let wait = try #require(header.flatMap { Int($0) })
        #expect((1...60).contains(wait))
        try await Task.sleep(for: .seconds(wait) + .milliseconds(300))
        #expect(try await node.call("GET", "/api/v1/status").status == 200)
        #expect(node.stop().status == 0)
    }

    /// With `--data-dir` a restarted node is the same node: its id, its layers and their weights.
    @Test func aRestartKeepsIdentityAndState() async throws {
        let dir = try temporaryFolder("node")
        defer { cleanUp(dir) }
        let first = try await NodeProcess(["--no-training", "--data-dir", dir.path])
        let before = try await first.call("GET", "/api/v1/status")
        #expect(first.stop().status == 0)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("state.bin").path))

        let second = try await NodeProcess(["--no-training", "--data-dir", dir.path])
        #expect(second.id == first.id)
        let after = try await second.call("GET", "/api/v1/status")
        #expect(after.json["layers"] as? [Int] == before.json["layers"] as? [Int])
        #expect(second.stop().status == 0)

        // A damaged state file stops the start with one line, and is left for the operator.
        let file = dir.appendingPathComponent("state.bin")
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: file)
        let refused = try await neuroshard(["--token", "t", "--port", "0", "--data-dir", dir.path])
        #expect(refused.status != 0)
        #expect(refused.stderrLines.count == 1 && refused.stderr.contains("corrupted"), "\(refused.stderr)")
        #expect(try Data(contentsOf: file) == bytes)
    }

    @Test func aBadFlagPrintsOneLineAndExitsTwo() async throws {
        let run = try await neuroshard(["--token", "t", "--port", "70000"])
        #expect(run.status == 2)
        #expect(run.stderrLines.count == 1, "\(run.stderr)")
        #expect(run.stderr.contains("--port"))
        let missing = try await neuroshard(["--port", "8000"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--token"))
    }
}
