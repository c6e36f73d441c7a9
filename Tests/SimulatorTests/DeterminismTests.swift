import Scenario
import Testing
@testable import Simulator

/// Runs of the same scenario in one process; `CLITests` compares separate processes.
@Suite struct DeterminismTests {
    @Test func anotherSeedGivesAnotherTrace() throws {
        var s = try ScenarioReader.load(path: shippedScenarios.first { $0.hasSuffix("quickstart.yaml") }!)
        let a = try Simulation(scenario: s).run().traceHash
        let again = try Simulation(scenario: s).run().traceHash
        s.seed += 1
        let b = try Simulation(scenario: s).run().traceHash
        #expect(a == again)
        #expect(a != b)
    }

    /// The trace hash covers message content: changing one number that only affects the floats
    /// nodes exchange (not the timing) changes it.
    @Test func hashCoversTheNumbers() throws {
        let base = "seed: 1\nduration: 2m\nnodes:\n  - group: n\n    count: 3\ndiloco: {inner_steps: 10, inner_lr: LR}"
        let a = try simulation(base.replacingOccurrences(of: "LR", with: "0.01")).run().traceHash
        let b = try simulation(base.replacingOccurrences(of: "LR", with: "0.0100001")).run().traceHash
        #expect(a != b)
    }
}
