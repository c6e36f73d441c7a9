import Foundation

// Headless Chromium for the browser tests (report.html, the node dashboard). scripts/setup.sh
// installs it; a missing browser fails the test that asked for it, with the reason.

struct ChromiumError: Error, CustomStringConvertible {
    var description: String
}

/// The browser: `$CHROMIUM` when set, else the usual install places.
let chromiumBinary: URL? = {
    var candidates: [String] = []
    if let override = ProcessInfo.processInfo.environment["CHROMIUM"] { candidates.append(override) }
    candidates += ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable",
                   "/snap/bin/chromium"]
    return candidates.lazy.map { URL(fileURLWithPath: $0) }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}()

/// Runs headless Chromium with `arguments` plus the flags every run needs (its own throw-away
/// profile, no sandbox or GPU in containers); returns its standard output.
private func runChromium(_ arguments: [String], timeout: Double = 90) async throws -> String {
    guard let binary = chromiumBinary else {
        throw ChromiumError(description: "Chromium not found (looked at $CHROMIUM, /usr/bin/chromium, …): "
            + "run scripts/setup.sh, which installs it; the browser tests need it")
    }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("neuroshard-chromium-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    let process = Process()
    process.executableURL = binary
    process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--no-default-browser-check", "--user-data-dir=" + scratch.appendingPathComponent("profile").path]
        + arguments
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    if !(await exited(process, within: timeout)) {
        process.terminate()
        process.waitUntilExit()
        throw ChromiumError(description: "chromium \(arguments.joined(separator: " ")) ran longer than \(timeout) s")
    }
    try out.close()
    try err.close()
    let stdout = String(decoding: try Data(contentsOf: outURL), as: UTF8.self)
    guard process.terminationStatus == 0 else {
        let stderr = String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        throw ChromiumError(description: "chromium exited \(process.terminationStatus): \(stderr.suffix(2000))")
    }
    return stdout
}

/// The page at `url` as the browser holds it after loading and `budgetMs` of virtual time
/// (timers and scripts run): the serialized DOM.
func renderedDOM(url: URL, budgetMs: Int = 2000) async throws -> String {
    let dom = try await runChromium(["--virtual-time-budget=\(budgetMs)", "--dump-dom", url.absoluteString])
    guard dom.contains("<html") || dom.contains("<body") else {
        throw ChromiumError(description: "chromium dumped no DOM for \(url): \(dom.prefix(500))")
    }
    return dom
}

/// A PNG of the page at `url` in a `width`×`height` window.
func screenshot(url: URL, to file: URL, width: Int = 1200, height: Int = 900, budgetMs: Int = 2000) async throws {
    try? FileManager.default.removeItem(at: file)
    _ = try await runChromium(["--hide-scrollbars", "--window-size=\(width),\(height)", "--virtual-time-budget=\(budgetMs)",
                         "--screenshot=" + file.path, url.absoluteString])
    guard let size = try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int, size > 0 else {
        throw ChromiumError(description: "chromium wrote no screenshot to \(file.path)")
    }
}

/// The text a reader sees in serialized HTML: tags dropped, the common entities decoded,
/// white space collapsed.
func visibleText(_ html: String) -> String {
    var text = html.replacingOccurrences(of: "<style[^>]*>[\\s\\S]*?</style>", with: " ", options: .regularExpression)
    text = text.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
    for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&nbsp;", " "), ("&amp;", "&")] {
        text = text.replacingOccurrences(of: entity, with: character)
    }
    return text.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
}
