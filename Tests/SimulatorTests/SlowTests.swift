import Foundation
import Testing
@testable import Simulator

/// Seed sweeps of the shipped scenarios through `neuroshard sweep`: every seed must pass.
/// Opt-in (`NEUROSHARD_SLOW=1`): a few minutes on two cores.
@Test(.enabled(if: ProcessInfo.processInfo.environment["NEUROSHARD_SLOW"] == "1"),
      arguments: shippedScenarios.filter { !$0.hasSuffix("scale-10k.yaml") })
func everySeedPasses(file: String) throws {
    let output = Pipe()
    let p = Process()
    p.executableURL = neuroshardBinary
    p.arguments = ["sweep", file, "--seeds", "1..100", "--jobs", "2", "--out", temporaryDirectory()]
    p.standardOutput = output
    try p.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(text.split(separator: "\n").filter { $0.hasPrefix("replay") })")
    #expect(text.contains("100 passed, 0 failed"))
}
