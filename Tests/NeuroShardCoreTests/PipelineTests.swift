import Deterministic
import NeuroLLM
@testable import NeuroShardCore
import Testing
import Training

// The tiny NeuroLLM split over three nodes (driver 0..<2, worker 2..<3, validator 3..<4) that
// pass activations and gradients as peer messages.

/// Random bytes after bos: the inputs are the targets shifted right, so a test can rebuild a
/// step's inputs from the targets the driver sent on.
private func randomBatch(batch: Int, sequence: Int, rng: inout DeterministicRNG) -> (inputs: [Int32], targets: [Int32]) {
    let targets = (0..<(batch * sequence)).map { _ in Int32(4 + rng.nextInt(below: 256)) }
    return (shiftedRight(targets, sequence: sequence), targets)
}

private func shiftedRight(_ targets: [Int32], sequence: Int) -> [Int32] {
    targets.indices.map { $0 % sequence == 0 ? 1 : targets[$0 - 1] }
}

private let batch = 2, sequence = 8

private func objective() throws -> TransformerObjective {
    var v = DeterministicRNG(seed: 99)
    return try TransformerObjective(model: NeuroLLM(config: ModelConfig.preset("tiny")!), batch: batch, sequence: sequence,
                                    seed: 5, validation: [randomBatch(batch: batch, sequence: sequence, rng: &v)]) { _, rng in
        randomBatch(batch: batch, sequence: sequence, rng: &rng)
    }
}

/// With ε = 1 AdamW's first step is −lr·g/(|g|+1): continuous in g, so float noise in a
/// gradient cannot flip a sign.
private let smoothAdam = AdamW(learningRate: 0.1, epsilon: 1, weightDecay: 0, clipNorm: 0)

private let stages: [(n: UInt64, address: String, layers: Range<Int>)] = [(1, "driver", 0..<2), (2, "worker", 2..<3), (3, "validator", 3..<4)]

/// The three stages, knowing each other, about to start training: one inner step per round,
/// an outer step that adopts the round's weights (lr 1, no momentum), one step in all.
private func pipeline(_ objective: TransformerObjective) -> Cluster {
    var cluster = Cluster()
    cluster.runsCompute = true
    for stage in stages {
        var config = membershipConfig(stage.n, stage.address, seeds: ["driver"], training: true)
        config.memoryMB = objective.layerMemoryMB * Double(stage.layers.count)
        config.diloco = DiLoCoSettings(innerSteps: 1, inner: smoothAdam, outerLearningRate: 1, outerMomentum: 0)
        config.diloco.stepBudget = 1
        config.diloco.startDelay = .seconds(100)
        let genesis = objective.initialParameters(range: stage.layers)
        cluster.add(NodeCore(config: config, objective: objective,
                             restoring: DurableState(round: 0, completedRounds: 0, theta0: genesis, outerVelocity: [], knownPeers: [])),
                    seed: stage.n)
    }
    for stage in stages { cluster.input(stage.address, .start, at: at(0)) }
    cluster.tickAll(at: at(1))
    cluster.tickAll(at: at(2))
    return cluster
}

private func sent(_ cluster: Cluster, _ address: String) -> [PeerMessage] {
    sends(cluster.effects[address] ?? []).map(\.message).filter { $0.kind == "forward" || $0.kind == "backward" }
}

@Suite struct PipelineTests {
    /// One step through three nodes gives every layer the weights (and the loss) one step of the
    /// whole model on one node gives.
    @Test func threeStagesTrainLikeTheWholeModel() throws {
        let objective = try objective()
        var cluster = pipeline(objective)
        for stage in stages.reversed() { cluster.input(stage.address, .timer(.trainingStart), at: at(100)) }

        #expect(sent(cluster, "driver").map(\.kind) == ["forward"])
        #expect(sent(cluster, "worker").map(\.kind) == ["forward", "backward"])
        #expect(sent(cluster, "validator").map(\.kind) == ["backward"])
        guard case .forward(let f) = sent(cluster, "driver").first else { Issue.record("no forward"); return }

        let whole = objective.initialParameters(range: 0..<4)
        let (loss, gradients) = try objective.model.lossAndGradients(
            whole, tokens: shiftedRight(f.targets, sequence: sequence), targets: f.targets, batch: batch, sequence: sequence)
        var expected = whole, optimizer = smoothAdam
        optimizer.step(&expected, gradients: gradients)

        for stage in stages {
            let node = cluster[stage.address]
            #expect(node.completedRounds == 1, "\(stage.address)")
            #expect(node.metrics.innerSteps == 1, "\(stage.address)")
            for layer in stage.layers {
                let gap = zip(node.parameters[layer], expected[layer]).map { abs($0 - $1) }.max()!
                #expect(gap < 1e-6, "layer \(layer) on the \(stage.address) is \(gap) off")
            }
        }
        let reported = cluster.notes(of: "validator").compactMap { note -> Double? in
            if case .roundCompleted(_, let loss, _, _) = note { loss } else { nil }
        }
        #expect(reported.count == 1)
        #expect(abs(reported[0] - loss) < 1e-6 * loss)
    }

    /// Every activation and gradient delivered twice: each stage still takes the one step, on
    /// the weights one step of the whole model gives.
    @Test func duplicatedMessagesAreTakenOnce() throws {
        let objective = try objective()
        var once = pipeline(objective), twice = pipeline(objective)
        twice.duplicate = { _, _, message in message.kind == "forward" || message.kind == "backward" }
        for stage in stages.reversed() {
            once.input(stage.address, .timer(.trainingStart), at: at(100))
            twice.input(stage.address, .timer(.trainingStart), at: at(100))
        }
        for stage in stages {
            #expect(twice[stage.address].metrics.innerSteps == 1, "\(stage.address)")
            #expect(twice[stage.address].parameters == once[stage.address].parameters, "\(stage.address)")
        }
        #expect(twice["worker"].metrics.staleUpdates > 0)
    }

    /// A step lost on the way is given up on after a quarter of the sync timeout, by the driver
    /// (which starts another) and by the stage it was stuck in (which meanwhile queued the next).
    @Test func aLostStepIsRetried() throws {
        var cluster = pipeline(try objective())
        cluster.drop = { from, _, message in from == "worker" && message.kind == "forward" }
        for stage in stages.reversed() { cluster.input(stage.address, .timer(.trainingStart), at: at(100)) }
        #expect(cluster["driver"].metrics.innerSteps == 0)
        cluster.drop = { _, _, _ in false }
        cluster.input("driver", .timer(.pipelineStep(number: 1)), at: at(108))
        #expect(cluster["driver"].metrics.pipelineTimeouts == 1)
        #expect(cluster["worker"].metrics.innerSteps == 0, "the worker still waits for step 1")
        cluster.input("worker", .timer(.stageStep(number: 1)), at: at(108))
        for stage in stages {
            #expect(cluster[stage.address].metrics.innerSteps == 1, "\(stage.address)")
        }
        #expect(cluster["worker"].metrics.pipelineTimeouts == 1)
        // Late timers of steps that came back change nothing.
        cluster.input("driver", .timer(.pipelineStep(number: 2)), at: at(116))
        cluster.input("worker", .timer(.stageStep(number: 2)), at: at(116))
        #expect(cluster["driver"].metrics.pipelineTimeouts == 1)
        #expect(cluster["worker"].metrics.pipelineTimeouts == 1)
    }

    /// Activations and gradients that do not fit are refused before any computation, with a
    /// note saying why; the node goes on.
    @Test(arguments: [
        ("forward", "activations, expected"),
        ("nan", "non-finite activations"),
        ("targets", "target id 300 is outside"),
        ("layer", "no stage starts at layer 0"),
        ("backward", "gradient: 3 activations"),
    ])
    func malformedStageMessagesAreRejected(kind: String, reason: String) throws {
        let objective = try objective()
        var cluster = pipeline(objective)
        for stage in stages.reversed() { cluster.input(stage.address, .timer(.trainingStart), at: at(100)) }
        let n = objective.activationCount
        let good = ActivationMessage(step: StepID(driver: nodeID(1), number: 9), layer: 2,
                                     activations: [Float](repeating: 0.5, count: n), targets: [Int32](repeating: 5, count: batch * sequence))
        var bad = good
        let message: PeerMessage
        switch kind {
        case "forward": bad.activations.removeLast(); message = .forward(bad)
        case "nan": bad.activations[7] = .nan; message = .forward(bad)
        case "targets": bad.targets[3] = 300; message = .forward(bad)
        case "layer": bad.layer = 0; message = .forward(bad)
        default: message = .backward(GradientMessage(step: good.step, gradient: [1, 2, 3]))
        }
        let before = cluster["worker"]
        let effects = cluster.input("worker", .message(from: nodeID(1), message), at: at(101))
        #expect(!effects.contains { if case .startCompute = $0 { true } else { false } })
        #expect(cluster["worker"].metrics.messagesRejected == before.metrics.messagesRejected + 1)
        let notes = notes(effects).map(\.text)
        #expect(notes.count == 1 && notes[0].contains(reason), "\(notes)")
        // The same message, well formed, is taken.
        let taken = cluster.input("worker", .message(from: nodeID(1), .forward(good)), at: at(102))
        #expect(taken.contains { if case .startCompute = $0 { true } else { false } })
    }

    /// A gradient for a step this stage never passed on is counted and dropped.
    @Test func aGradientForAnUnknownStepIsDropped() throws {
        let objective = try objective()
        var cluster = pipeline(objective)
        for stage in stages.reversed() { cluster.input(stage.address, .timer(.trainingStart), at: at(100)) }
        let stale = cluster["worker"].metrics.staleUpdates
        let message = PeerMessage.backward(GradientMessage(step: StepID(driver: nodeID(1), number: 77),
                                                           gradient: [Float](repeating: 0, count: objective.activationCount)))
        let effects = cluster.input("worker", .message(from: nodeID(3), message), at: at(101))
        #expect(effects.isEmpty)
        #expect(cluster["worker"].metrics.staleUpdates == stale + 1)
    }
}
