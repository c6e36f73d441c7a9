import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The README's examples, run as written: its "Running a node" block starts the two-node test
/// network it describes (ports 8000/8001 and 9000/9001), then its curl calls, its Python SDK
/// and gRPC examples and its Swift client example run against that network. Serialized: the
/// seed's own example needs port 8000 too.
@Suite(.serialized) struct ReadmeExamplesTests {
    @Test func theReadmeExamplesRunAgainstTheNetworkItStarts() async throws {
        let nodes = try await startReadmeNodes()
        defer {
            // SIGTERM, as an operator stops a node: each leaves cleanly after the traffic above.
            for node in nodes {
                node.terminate()
                node.waitUntilExit()
                #expect(node.terminationReason == .exit && node.terminationStatus == 0,
                        "a README node exited with \(node.terminationStatus) (\(node.terminationReason == .exit ? "status" : "signal"))")
            }
        }

        let calls = try await shell(readmeBlock("http-calls"))
        #expect(calls.status == 0, "\(calls.output)")
        for field in ["\"node_id\"", "\"peer_count\"", "\"tokens_generated\"", "event: done", "\"transaction_id\"",
                      "\"balances\"", "\"healthy\"", "neuroshard_"] {
            #expect(calls.output.contains(field), "the curl examples' output lacks \(field): \(calls.output)")
        }

        let python = try await runPython(readmeBlock("python-sdk"))
        #expect(python.status == 0, "\(python.output)")
        #expect(python.output.contains("Node: 029bfa147a73077c62171fe9ee5ac8a4"), "\(python.output)")
        #expect(python.output.contains("refused: INSUFFICIENT_BALANCE"), "\(python.output)")

        let generate = try await shell(readmeBlock("grpc-generate"))
        #expect(generate.status == 0, "\(generate.output)")
        let ping = try await runPython(readmeBlock("grpc-ping"))
        #expect(ping.status == 0, "\(ping.output)")
        #expect(ping.output.hasPrefix("029bfa147a73077c62171fe9ee5ac8a4 full"), "\(ping.output)")

        let swift = try await clientExample(url: "http://localhost:8000", token: "T")
        #expect(swift.contains("Node: 029bfa147a73077c62171fe9ee5ac8a4"), "\(swift)")
        let quoted = try readmeBlock("swift-client")
        let source = try String(contentsOf: packageRoot.appendingPathComponent("Tests/CLITests/ClientExample.swift"), encoding: .utf8)
        #expect(source.contains(quoted), "the README's Swift example is not Tests/CLITests/ClientExample.swift's")
    }

    @Test func theSeedsPythonExampleRunsUnchanged() async throws {
        let (status, text) = try await runPythonScript("seed_example_test.py", timeout: 120)
        #expect(status == 0, "\(text)")
        #expect(text.contains("OK"), "\(text)")
    }
}

/// The fenced block after `<!-- example: NAME -->` in the README.
func readmeBlock(_ name: String) throws -> String {
    let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let marker = try #require(readme.range(of: "<!-- example: \(name) -->"), "the README has no example \(name)")
    let fence = try #require(readme.range(of: "```", range: marker.upperBound..<readme.endIndex))
    let bodyStart = try #require(readme.range(of: "\n", range: fence.upperBound..<readme.endIndex)).upperBound
    let end = try #require(readme.range(of: "\n```", range: bodyStart..<readme.endIndex))
    return String(readme[bodyStart..<end.lowerBound]) + "\n"
}

/// The `neuroshard` lines of the README's start block, run from the package root with the
/// built binary, once each has printed its ready line (it has its layers then).
private func startReadmeNodes() async throws -> [Process] {
    let binary = try #require(neuroshardBinary)
    let lines = try readmeBlock("start-nodes").split(separator: "\n").filter { $0.hasPrefix(".build/release/neuroshard ") }
    try #require(lines.count == 2, "the start block should start two nodes: \(lines)")
    let logs = try temporaryFolder("readme-nodes")
    var processes: [Process] = []
    for (index, line) in lines.enumerated() {
        let arguments = line.split(separator: " ").dropFirst().map(String.init)
        let log = logs.appendingPathComponent("\(index).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        processes.append(try startNeuroshard(binary, arguments, stdout: handle, stderr: handle))
        let deadline = Date().addingTimeInterval(60)
        var text = ""
        while Date() < deadline, processes.last!.isRunning {
            text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if text.split(separator: "\n").contains(where: { $0.hasPrefix("node ") && $0.contains(" grpc ") }) { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        guard text.contains(" grpc ") else {
            processes.forEach { $0.terminate(); $0.waitUntilExit() }
            cleanUp(logs)
            throw CLIError("the README's node \(line) was not ready (is its port taken?): \(text)")
        }
    }
    cleanUp(logs)
    return processes
}

/// Runs a shell example from the package root with bash (`set -e`; `curl` fails on an error
/// status and ends each answer with a newline); its exit status and output.
private func shell(_ script: String) async throws -> (status: Int32, output: String) {
    let prelude = """
        set -euo pipefail
        curl() { command curl -sS --fail-with-body --max-time 60 "$@"; echo; }
        PATH="\(packageRoot.path)/.build/python/bin:$PATH"

        """
    return try await runCapturingOutput(URL(fileURLWithPath: "/bin/bash"), ["-c", prelude + script], timeout: 120)
}

/// Runs a Python example from the package root in the venv (the SDK installed).
private func runPython(_ source: String) async throws -> (status: Int32, output: String) {
    try await runCapturingOutput(try venvPython(), ["-c", source], timeout: 120)
}
