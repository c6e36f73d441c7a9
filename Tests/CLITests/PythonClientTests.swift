import Foundation
import Testing

/// A client that is not ours: `Tests/python/client_test.py` (grpcio stubs generated from the
/// proto at run time, `requests` for HTTP) against a real node. scripts/setup.sh prepares its
/// Python environment in `.build/python`.
@Suite struct PythonClientTests {
    @Test func aPythonClientCallsEveryMethodAndEndpoint() throws {
        let python = packageRoot.appendingPathComponent(".build/python/bin/python3")
        try #require(FileManager.default.isExecutableFile(atPath: python.path), "\(python.path) is missing: run scripts/setup.sh")
        let binary = try #require(neuroshardBinary)
        let log = try temporaryFolder("python")
        defer { cleanUp(log) }
        let output = log.appendingPathComponent("output")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        let process = try launch(python, [packageRoot.appendingPathComponent("Tests/python/client_test.py").path, binary.path],
                                              output: handle)
        let deadline = Date().addingTimeInterval(180)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("OK"), "\(text)")
    }

    private func launch(_ executable: URL, _ arguments: [String], output: FileHandle) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
    }
}
