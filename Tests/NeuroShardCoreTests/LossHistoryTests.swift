import Deterministic
@testable import NeuroShardCore
import Testing
import Training

/// The loss curve behind the dashboard: `metrics.training.loss_history` holds the node's own
/// reported losses, oldest first, at most `LossHistory.defaultCapacity` of them.
@Suite struct LossHistoryTests {
    /// A lone training node (so every round ends as soon as its compute does), run for `rounds`
    /// rounds one second apart; the losses its `roundCompleted` notes reported, in order.
    private func train(rounds: Int) -> (core: NodeCore, reported: [(seconds: Double, loss: Double)]) {
        var config = membershipConfig(1, "a", training: true)
        config.diloco = DiLoCoSettings(innerSteps: 3)
        var core = NodeCore(config: config, objective: NoisyQuadratic(layerCount: 2, dimension: 3))
        var rng = DeterministicRNG(seed: 7)
        var reported: [(seconds: Double, loss: Double)] = []
        var pending = core.handle(.start, now: at(10), rng: &rng) + core.handle(.timer(.heartbeat), now: at(11), rng: &rng)
        var now = 11.0
        for _ in 0..<rounds {
            guard let job = pending.compactMap({ if case .startCompute(let j) = $0 { j } else { nil } }).first else {
                Issue.record("no compute job after \(reported.count) rounds; layers \(core.layers)")
                break
            }
            now += 1
            pending = core.handle(.computeFinished(jobID: job.id, job.run()), now: at(now), rng: &rng)
            for case .roundCompleted(_, let loss?, _, _) in notes(pending) { reported.append((now - 10, loss)) }
        }
        return (core, reported)
    }

    @Test func itHoldsTheReportedLossesInOrder() {
        let (core, reported) = train(rounds: 20)
        let points = core.metrics.lossHistory.points
        #expect(reported.count == 20)
        #expect(points.map(\.loss) == reported.map(\.loss))
        #expect(points.map(\.seconds) == reported.map(\.seconds), "seconds since the node started")
        #expect(points.map(\.step) == (1...20).map { $0 * 3 }, "inner steps at each evaluation")
        #expect(points.allSatisfy { $0.loss.isFinite && $0.loss > 0 })
        #expect(Set(points.map(\.loss)).count > 1, "real, changing losses")
        #expect(points.last?.loss == core.lastLoss)

        // The same, in the API's JSON.
        guard case .array(let list)? = core.metricsBody(now: at(40))["training"]?["loss_history"] else {
            Issue.record("no loss_history"); return
        }
        #expect(list.count == 20)
        #expect(list.first?["loss"] == .double(points[0].loss))
        #expect(list.first?["step"] == .int(3))
        #expect(list.first?["t"] == .double(points[0].seconds))
    }

    @Test func itKeepsOnlyTheNewest() {
        let rounds = LossHistory.defaultCapacity + 44
        let (core, reported) = train(rounds: rounds)
        let points = core.metrics.lossHistory.points
        #expect(reported.count == rounds)
        #expect(points.count == LossHistory.defaultCapacity)
        #expect(points.map(\.loss) == reported.suffix(LossHistory.defaultCapacity).map(\.loss))
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.step < $1.step && $0.seconds < $1.seconds })
    }

    @Test func aRingBufferWrapsAndSkipsNonFiniteLosses() {
        var history = LossHistory(capacity: 3)
        #expect(history.points.isEmpty)
        for i in 1...5 { history.append(LossPoint(seconds: Double(i), step: i, loss: Double(10 - i))) }
        history.append(LossPoint(seconds: 6, step: 6, loss: .nan))
        history.append(LossPoint(seconds: 7, step: 7, loss: .infinity))
        #expect(history.points.map(\.step) == [3, 4, 5])
        history.append(LossPoint(seconds: 8, step: 8, loss: 1))
        #expect(history.points.map(\.step) == [4, 5, 8])
        #expect(history.count == 3)
    }
}
