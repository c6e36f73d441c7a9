import Foundation
import Testing

// Runs the built `neuroshard` executable as a user would: real processes, real exit statuses,
// real files. Every run writes into its own temporary folder.

// MARK: - Finding the binary

/// The package root, from this file's place in `Tests/CLITests/`.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `neuroshard`, built next to the test bundle. Under `swift test` on Linux the test runner is
/// `<scratch>/<triple>/<config>/<Package>PackageTests.xctest`, an executable, so
/// `CommandLine.arguments[0]` lies in the same folder as `neuroshard`. On macOS the runner is
/// the `xctest` tool and the bundle is a folder, hence the fall-backs.
let neuroshardBinary: URL? = {
    var folders: [URL] = []
    if let override = ProcessInfo.processInfo.environment["NEUROSHARD_BINARY"] {
        return URL(fileURLWithPath: override)
    }
    let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    folders.append(argument0.deletingLastPathComponent())
    folders.append(argument0.resolvingSymlinksInPath().deletingLastPathComponent())
    if let executable = Bundle.main.executableURL { folders.append(executable.deletingLastPathComponent()) }
    for bundle in Bundle.allBundles where bundle.bundleURL.pathExtension == "xctest" {
        folders.append(bundle.bundleURL.deletingLastPathComponent())
    }
    for config in ["release", "debug"] {
        folders.append(packageRoot.appendingPathComponent(".build/\(config)"))
    }
    return folders.lazy.map { $0.appendingPathComponent("neuroshard") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
}()

// MARK: - Running it

struct Run {
    var status: Int32
    var stdout: String
    var stderr: String

    var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: true) }
    var stdoutLines: [Substring] { stdout.split(separator: "\n", omittingEmptySubsequences: true) }
}

/// A fresh temporary folder, removed by `cleanUp`.
func temporaryFolder(_ label: String = "cli") throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("neuroshard-\(label)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func cleanUp(_ urls: URL...) {
    for url in urls { try? FileManager.default.removeItem(at: url) }
}

/// Waits until `process` exits or `timeout` seconds pass, without blocking a thread of the test
/// runner's pool: a blocked one stalls every other async test (on 2 cores, two such waits froze
/// the live-node tests for minutes while their nodes went on signing proofs). Whether it exited.
func exited(_ process: Process, within timeout: Double) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    return !process.isRunning
}

/// Runs `neuroshard arguments…` in `directory` (default: the package root) and waits for it,
/// at most `timeout` seconds. Output goes through files, so a chatty child cannot block on a
/// full pipe.
func neuroshard(_ arguments: [String], in directory: URL = packageRoot, timeout: Double = 120,
                        sourceLocation: SourceLocation = #_sourceLocation) async throws -> Run {
    let binary = try #require(neuroshardBinary, "neuroshard binary not found next to \(CommandLine.arguments[0])",
                              sourceLocation: sourceLocation)
    let capture = try temporaryFolder("output")
    defer { cleanUp(capture) }
    let outURL = capture.appendingPathComponent("stdout"), errURL = capture.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)

    let process = try startNeuroshard(binary, arguments, in: directory, stdout: out, stderr: err)
    if !(await exited(process, within: timeout)) {
        process.terminate()
        process.waitUntilExit()
        Issue.record("neuroshard \(arguments.joined(separator: " ")) ran longer than \(timeout) s",
                     sourceLocation: sourceLocation)
    }
    process.waitUntilExit()
    try out.close()
    try err.close()
    let stdout = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
    let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
    #expect(process.terminationReason == .exit, "neuroshard died of a signal: \(stderr)", sourceLocation: sourceLocation)
    return Run(status: process.terminationStatus, stdout: stdout, stderr: stderr)
}

/// Writes a scenario file into `folder` and returns its absolute path.
func writeScenario(_ text: String, named name: String, in folder: URL) throws -> String {
    let path = folder.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func readJSON(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let data = try #require(FileManager.default.contents(atPath: path), "\(path) missing", sourceLocation: sourceLocation)
    let object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    return try #require(object as? [String: Any], "\(path) is not a JSON object", sourceLocation: sourceLocation)
}

/// Everything under `folder`, as paths relative to it.
func contents(of folder: URL) -> [String] {
    (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []).sorted()
}

/// Three nodes for two virtual minutes: runs in a fraction of a second.
func tinyScenario(name: String, expect: [String]) -> String {
    """
    name: \(name)
    seed: 1
    duration: 2m
    nodes:
      - group: n
        count: 3
        memory: 1gb
    membership: {heartbeat: 2s, failure_timeout: 10s}
    diloco: {inner_steps: 20, sync_timeout: 10s}
    expect:
    \(expect.map { "  - \($0)" }.joined(separator: "\n"))

    """
}

let passingExpectations = ["nodes == 3", "live_nodes == 3", "virtual_seconds == 120"]
/// Fails for every seed: the scenario has three nodes.
let failingExpectations = ["nodes == 3", "live_nodes == 4"]

/// Starts `neuroshard arguments…` without waiting for it.
func startNeuroshard(_ binary: URL, _ arguments: [String], in directory: URL = packageRoot,
                     stdout: FileHandle = .nullDevice, stderr: FileHandle = .nullDevice) throws -> Process {
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
}

/// The shipped scenario files.
let shippedScenarios: [String] = {
    let dir = packageRoot.appendingPathComponent("Scenarios")
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted().map { dir.appendingPathComponent($0).path }
}()
