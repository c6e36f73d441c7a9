import Foundation
import Testing

/// DESIGN §1: the core never reads a clock, draws system entropy, starts a thread or touches a
/// socket. This reads the core's sources and names every line that does.
enum SansIOScan {
    /// Plain substrings that have no place in the core.
    static let substrings = ["Date()", "UUID()", "SystemRandomNumberGenerator", "ContinuousClock", "DispatchTime",
                             "Task {", "Task.detached", "import Foundation", "import NIO", "socket(", "Thread"]
    /// Whole words (so that `asynchronous` or `awaiting` in prose do not count).
    static let words = ["async", "await"]

    /// "file:line: `pattern`: the line" for every offending line of `text`.
    static func violations(in text: String, file: String) -> [String] {
        var found: [String] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(line)
            var hits = substrings.filter { line.contains($0) }
            hits += words.filter { containsWord($0, in: line) }
            for hit in hits {
                found.append("\(file):\(index + 1): `\(hit)`: \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        return found
    }

    static func containsWord(_ word: String, in line: String) -> Bool {
        let chars = Array(line.unicodeScalars), w = Array(word.unicodeScalars)
        guard chars.count >= w.count else { return false }
        func isIdent(_ c: Unicode.Scalar) -> Bool { c == "_" || CharacterSet.alphanumerics.contains(c) }
        for start in 0...(chars.count - w.count) where Array(chars[start..<(start + w.count)]) == w {
            let before = start == 0 || !isIdent(chars[start - 1])
            let end = start + w.count
            let after = end == chars.count || !isIdent(chars[end])
            if before && after { return true }
        }
        return false
    }

    /// The modules the core may import: none of them reads a clock, draws entropy or does IO
    /// (Identity's keys and hashes are pure computation; the ledger is plain data).
    static let allowedImports: [String: Set<String>] = [
        "NeuroShardCore": ["Deterministic", "Identity", "Ledger", "Training"],
        "Ledger": ["Deterministic", "Identity"],
    ]

    /// "file:line: imports M" for every import of `text` outside `allowed`.
    static func foreignImports(in text: String, file: String, allowed: Set<String>) -> [String] {
        var found: [String] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var words = line.split(separator: " ").map(String.init)
            if words.first == "@testable" { words.removeFirst() }
            guard words.count >= 2, words[0] == "import" else { continue }
            if !allowed.contains(words[1]) { found.append("\(file):\(index + 1): imports \(words[1])") }
        }
        return found
    }

    /// Sources/<module>, found from this file: Tests/NeuroShardCoreTests/SansIOTests.swift.
    static func coreSourceDirectory(_ module: String = "NeuroShardCore", filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath)
            .deletingLastPathComponent() // NeuroShardCoreTests
            .deletingLastPathComponent() // Tests
            .deletingLastPathComponent() // package root
            .appendingPathComponent("Sources/\(module)")
    }

    static func swiftFiles(under directory: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
            .sorted { $0.path < $1.path }
    }
}

@Suite struct SansIOTests {
    /// The core and the ledger state it holds: neither reads a clock, draws entropy, starts a
    /// thread, touches a socket or imports a module that could (SQLite, Foundation, NIO, …).
    @Test(arguments: ["NeuroShardCore", "Ledger"])
    func coreSourcesUseNoClockEntropyThreadOrSocket(module: String) throws {
        let directory = SansIOScan.coreSourceDirectory(module)
        let files = SansIOScan.swiftFiles(under: directory)
        // The scan must actually see the module (its subfolders included), or it proves nothing.
        let names = Set(files.map(\.lastPathComponent))
        let expected: Set<String> = module == "Ledger"
            ? ["LedgerState.swift", "LedgerState+Fold.swift", "Record.swift", "ChainRules.swift"]
            : ["NodeCore.swift", "NodeCore+Membership.swift", "PeerTable.swift", "RateLimiter.swift", "NodeCore+API.swift",
               "NodeCore+Wallet.swift"]
        #expect(names.isSuperset(of: expected), "found only \(names.sorted()) under \(directory.path)")
        var violations: [String] = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            let relative = String(file.path.dropFirst(directory.deletingLastPathComponent()
                .deletingLastPathComponent().path.count + 1))
            violations += SansIOScan.violations(in: text, file: relative)
            violations += SansIOScan.foreignImports(in: text, file: relative, allowed: SansIOScan.allowedImports[module]!)
        }
        #expect(violations.isEmpty, "not sans-IO:\n\(violations.joined(separator: "\n"))")
    }

    @Test func importsOutsideTheAllowedModulesAreNamed() {
        let text = "import Deterministic\n@testable import Ledger\nimport LedgerStore\nimport CSQLite\n"
        #expect(SansIOScan.foreignImports(in: text, file: "F.swift", allowed: ["Deterministic", "Ledger"])
                == ["F.swift:3: imports LedgerStore", "F.swift:4: imports CSQLite"])
    }

    @Test func scanCatchesEachForbiddenPattern() {
        let offenders = [
            "let now = Date()", "let id = UUID()", "var g = SystemRandomNumberGenerator()",
            "let c = ContinuousClock()", "let t = DispatchTime.now()", "Task { work() }",
            "Task.detached { work() }", "func f() async {}", "let x = await f()", "import Foundation",
            "import NIOCore", "let fd = socket(AF_INET, 1, 0)", "Thread.sleep(forTimeInterval: 1)",
        ]
        for line in offenders {
            let text = "import Deterministic\n\nstruct S {}\n" + line + "\n"
            let found = SansIOScan.violations(in: text, file: "Fake.swift")
            #expect(found.count >= 1 && found.allSatisfy { $0.hasPrefix("Fake.swift:4: ") },
                    "`\(line)` gave \(found)")
        }
    }

    @Test func scanLeavesCleanCodeAndLookalikeWordsAlone() {
        let clean = """
            /// Runs asynchronously on a worker thread, awaiting nothing; a Taskmaster's dates.
            let asyncish = 1
            var awaiting: [Int] = []
            let date = Timestamp.zero
            """
        #expect(SansIOScan.violations(in: clean, file: "Clean.swift").isEmpty)
    }
}
