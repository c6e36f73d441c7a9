import Foundation
import Testing

/// Runs `Tests/python/<script>` with the built `neuroshard` as its argument, in the Python
/// environment scripts/setup.sh prepares in `.build/python`; its exit status and output.
func runPythonScript(_ script: String, timeout: Double) throws -> (status: Int32, output: String) {
    let python = packageRoot.appendingPathComponent(".build/python/bin/python3")
    try #require(FileManager.default.isExecutableFile(atPath: python.path), "\(python.path) is missing: run scripts/setup.sh")
    let binary = try #require(neuroshardBinary)
    let folder = try temporaryFolder("python")
    defer { cleanUp(folder) }
    let output = folder.appendingPathComponent("output")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    let handle = try FileHandle(forWritingTo: output)
    let process = Process()
    process.executableURL = python
    process.arguments = [packageRoot.appendingPathComponent("Tests/python/\(script)").path, binary.path]
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
}
