import NeuroShardCore
import Scenario
import Testing
@testable import Simulator

/// Each fault kind fires and the network reacts as it should. Timings: heartbeat 1 s, failure
/// timeout 5 s, so a silent peer is dropped between 5 and 6 s after it was last heard.
@Suite struct FaultTests {
    static func yaml(nodes: String = "  - group: n\n    count: 3\n    memory: 1gb", faults: String = "",
                     extra: String = "", duration: String = "5m") -> String {
        """
        seed: 1
        duration: \(duration)
        model: {layers: 2, dim: 4, step_gflop: 1}
        nodes:
        \(nodes)
        network:
          latency: 10ms
        membership: {heartbeat: 1s, failure_timeout: 5s}
        diloco: {inner_steps: 10, inner_lr: 0.02, weight_decay: 0, sync_timeout: 4s}
        \(extra)
        faults:
        \(faults)
        """
    }

    @Test func crashIsDetectedWithinTimeoutPlusOneInterval() throws {
        let sim = try simulation(Self.yaml(faults: "  - at: 60s\n    crash: n[2]"))
        sim.advance(seconds: 60)
        #expect(sim.peerCounts() == [2, 2, 2])
        sim.advance(seconds: 63.95)
        // Not yet: it was last heard at most one heartbeat before the crash.
        #expect(sim.knows(0, 2) && sim.knows(1, 2))
        sim.advance(seconds: 66.01)
        #expect(!sim.knows(0, 2) && !sim.knows(1, 2))
        #expect(sim.nodes[2].state == .crashed)
        let detection = Double(sim.stats.maxDetection) / 1e9
        #expect(detection > 4 && detection <= 6)
    }

    @Test func restartResumesFromTheDurableStateAndRejoins() throws {
        let sim = try simulation(Self.yaml(faults: "  - at: 60s\n    crash: n[2]\n  - at: 90s\n    restart: n[2]"))
        sim.advance(seconds: 60)
        let roundsAtCrash = sim.nodes[2].core.completedRounds
        #expect(roundsAtCrash > 5)
        sim.advance(seconds: 89)
        #expect(sim.nodes[2].durable?.completedRounds == roundsAtCrash)
        sim.advance(seconds: 90.001)
        #expect(sim.nodes[2].state == .running)
        #expect(sim.nodes[2].core.completedRounds == roundsAtCrash) // restored, not from zero
        #expect(sim.nodes[2].core.layers == 0..<2)
        sim.advance(seconds: 100)
        #expect(sim.peerCounts() == [2, 2, 2])
        #expect(sim.nodes[2].core.completedRounds > roundsAtCrash)
    }

    @Test func pauseHoldsEventsAndPeersComeBack() throws {
        let sim = try simulation(Self.yaml(faults: "  - at: 60s\n    pause: n[1]\n    for: 20s"))
        sim.advance(seconds: 60)
        let received = sim.nodes[1].core.metrics.messagesReceived
        sim.advance(seconds: 75)
        #expect(sim.nodes[1].state == .paused)
        #expect(!sim.knows(0, 1) && !sim.knows(2, 1))
        #expect(sim.nodes[1].core.metrics.messagesReceived == received)
        #expect(!sim.nodes[1].held.isEmpty)
        sim.advance(seconds: 85)
        #expect(sim.nodes[1].state == .running && sim.nodes[1].held.isEmpty)
        #expect(sim.nodes[1].core.metrics.messagesReceived > received + 20) // the held ones, delivered
        #expect(sim.peerCounts() == [2, 2, 2])
    }

    @Test func symmetricPartitionSplitsAndHeals() throws {
        let sim = try simulation(Self.yaml(
            nodes: "  - group: a\n    count: 2\n    memory: 1gb\n  - group: b\n    count: 2\n    memory: 1gb",
            faults: "  - at: 60s\n    partition: [a, b]\n  - at: 120s\n    heal: true"))
        sim.advance(seconds: 60)
        #expect(sim.peerCounts() == [3, 3, 3, 3])
        sim.advance(seconds: 70)
        #expect(sim.peerCounts() == [1, 1, 1, 1])
        #expect(sim.knows(0, 1))
        #expect(!sim.knows(0, 2))
        #expect(sim.knows(2, 3))
        #expect(!sim.knows(3, 1))
        let dropped = sim.stats.dropped
        sim.advance(seconds: 119)
        #expect(sim.stats.dropped > dropped) // rediscovery joins still knock on the wall
        sim.advance(seconds: 130)
        #expect(sim.peerCounts() == [3, 3, 3, 3])
    }

    @Test func oneWayPartitionBlocksOneDirectionOnly() throws {
        let sim = try simulation(Self.yaml(
            nodes: "  - group: a\n    count: 1\n    memory: 1gb\n  - group: b\n    count: 1\n    memory: 1gb",
            faults: "  - at: 60s\n    partition: [a, b]\n    one_way: true"))
        sim.advance(seconds: 60)
        #expect(sim.knows(0, 1) && sim.knows(1, 0))
        sim.advance(seconds: 66.5)
        // b no longer hears a and dropped it; a still hears b's heartbeats, sent until b dropped it.
        #expect(!sim.knows(1, 0))
        #expect(sim.knows(0, 1))
        #expect(sim.isBlocked(from: 0, to: 1) && !sim.isBlocked(from: 1, to: 0))
    }

    @Test func clockSkewMovesTheClockAndItsRate() throws {
        let sim = try simulation(Self.yaml(
            nodes: "  - group: n\n    count: 2\n    memory: 1gb\n    training: false",
            faults: "  - at: 60s\n    clock_skew:\n      node: n[1]\n      offset: 3s\n      drift_ppm: 250000"))
        sim.advance(seconds: 60)
        let sent = sim.nodes.map { $0.core.metrics.messagesSent }
        sim.advance(seconds: 60.001)
        let ahead = Double(sim.nodes[1].localTime(sim.now).nanos - sim.now) / 1e9
        #expect(abs(ahead - 3) < 0.01) // the jump; the new rate applies from here on
        sim.advance(seconds: 260)
        let normal = sim.nodes[0].core.metrics.messagesSent - sent[0]
        let fast = sim.nodes[1].core.metrics.messagesSent - sent[1]
        // Its heartbeat timer runs on its own clock: a quarter faster in true time.
        let ratio = Double(fast) / Double(normal)
        #expect(ratio > 1.2 && ratio < 1.3)
    }

    @Test func diskFullLosesWritesNotTheNode() throws {
        let sim = try simulation(Self.yaml(faults: """
              - at: 60s
                disk_full: n[0]
              - at: 100s
                crash: n[0]
              - at: 101s
                restart: n[0]
            """))
        sim.advance(seconds: 60)
        let persisted = sim.nodes[0].durable!.completedRounds
        sim.advance(seconds: 99)
        #expect(sim.nodes[0].core.metrics.persistFailures > 0)
        #expect(sim.nodes[0].core.completedRounds > persisted)
        #expect(sim.nodes[0].durable!.completedRounds == persisted)
        sim.advance(seconds: 101.001)
        #expect(sim.nodes[0].core.completedRounds == persisted) // back to what reached the disk
    }

    @Test func gracefulLeaveIsNoticedAtOnce() throws {
        let sim = try simulation(Self.yaml(faults: "  - at: 60s\n    leave: n[2]"))
        sim.advance(seconds: 60.5)
        #expect(!sim.knows(0, 2) && !sim.knows(1, 2))
        #expect(sim.nodes[2].state == .stopped)
        sim.advance(seconds: 70)
        #expect(!sim.knows(0, 2) && !sim.knows(1, 2)) // gossip did not bring it back
    }

    @Test func aFaultWithNothingToDoIsNotCounted() throws {
        let result = try simulation(Self.yaml(faults: "  - at: 60s\n    restart: n[0]", duration: "2m")).run()
        #expect(result.metrics["faults_fired"] == 0)
    }

    @Test func lostLayersAreTakenOver() throws {
        // Four nodes that each fit half the model: kill every holder of the upper half.
        let sim = try simulation(Self.yaml(nodes: "  - group: n\n    count: 4\n    memory: 250mb",
                                           extra: "model: {layers: 4, dim: 4, layer_memory: 100mb}")
            .replacingOccurrences(of: "model: {layers: 2, dim: 4, step_gflop: 1}\n", with: ""))
        sim.advance(seconds: 60)
        #expect(sim.coverage.allCovered)
        let doomed = sim.holders(of: 3)
        #expect(!doomed.isEmpty && doomed.count < 4)
        for i in doomed { sim.applyFault(FaultSpec(at: .seconds(60), kind: .crash(NodeSelector(group: "n", indices: i..<(i + 1))), line: 0)) }
        #expect(!sim.coverage.allCovered)
        sim.advance(seconds: 75)
        #expect(sim.coverage.allCovered)
        #expect(!sim.holders(of: 3).isEmpty)
        sim.coverage.finish(at: sim.now)
        // Detection (≤ 6 s) plus a rebalance delay (≤ 1 s) plus a round trip.
        #expect(Double(sim.coverage.uncoveredNanos) / 1e9 <= 7.5)
    }
}

@Suite struct FaultEdgeTests {
    @Test func aTimedResumeEndsOnlyItsOwnPause() throws {
        let sim = try simulation(FaultTests.yaml(faults: """
              - at: 60s
                pause: n[1]
                for: 60s
              - at: 70s
                resume: n[1]
              - at: 80s
                pause: n[1]
                for: 60s
            """))
        sim.advance(seconds: 125)
        #expect(sim.nodes[1].state == .paused) // the first pause's timer (120 s) did not end the second
        sim.advance(seconds: 141)
        #expect(sim.nodes[1].state == .running)
    }

    @Test func aCrashWhilePausedReleasesWhatWasHeld() throws {
        let sim = try simulation(FaultTests.yaml(faults: """
              - at: 60s
                pause: n[1]
              - at: 90s
                crash: n[1]
            """, extra: "load:\n  - {target: \"n[1]\", endpoint: health, per_minute: 60}"))
        sim.advance(seconds: 89)
        #expect(!sim.nodes[1].held.isEmpty)
        let answered = sim.stats.httpCount { _ in true }
        sim.advance(seconds: 91)
        #expect(sim.nodes[1].held.isEmpty)
        // The 29 calls it held were never answered: they count as unreachable, not lost.
        #expect(sim.stats.unreachable >= 29)
        #expect(sim.stats.httpCount { _ in true } == answered)
    }

    @Test func aTrainingNodeThatNeverFinishedARoundCountsAsZero() throws {
        let result = try simulation(FaultTests.yaml(
            nodes: "  - group: n\n    count: 2\n    memory: 1gb\n  - group: slow\n    memory: 1gb\n    speed: 1mflops")).run()
        #expect(result.metrics["min_outer_rounds"] == 0)
        #expect(result.metrics["outer_rounds"]! > 10)
    }
}
