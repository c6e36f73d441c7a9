import Foundation
import Testing

/// The Python environment scripts/setup.sh prepares in `.build/python` (the test packages and
/// the project's SDK installed).
func venvPython() throws -> URL {
    let python = packageRoot.appendingPathComponent(".build/python/bin/python3")
    try #require(FileManager.default.isExecutableFile(atPath: python.path), "\(python.path) is missing: run scripts/setup.sh")
    return python
}

/// Runs `Tests/python/<script>` with the built `neuroshard` as its argument, in the venv; its
/// exit status and output.
func runPythonScript(_ script: String, timeout: Double) async throws -> (status: Int32, output: String) {
    let binary = try #require(neuroshardBinary)
    return try await runCapturingOutput(try venvPython(), [packageRoot.appendingPathComponent("Tests/python/\(script)").path, binary.path],
                                  timeout: timeout)
}

/// Runs `executable arguments…` from the package root, its output and errors into one file (so
/// a chatty child never blocks on a full pipe), stopped after `timeout` seconds; its exit status
/// and output.
func runCapturingOutput(_ executable: URL, _ arguments: [String], timeout: Double) async throws -> (status: Int32, output: String) {
    let folder = try temporaryFolder("capture")
    defer { cleanUp(folder) }
    let output = folder.appendingPathComponent("output")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    let handle = try FileHandle(forWritingTo: output)
    defer { try? handle.close() }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    if !(await exited(process, within: timeout)) { process.terminate() }
    process.waitUntilExit()
    return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
}
