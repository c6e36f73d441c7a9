import Deterministic
import Identity
import Training

/// Inner steps of a model split over nodes (SPEC §6). A node holding only some layers of a
/// `PipelineObjective` takes each step together with the holders of the other layers: the
/// driver (layer 0) draws a minibatch, runs its layers and sends the activations to a holder
/// of the next layers; each stage runs forward and passes on; the validator (last layer)
/// computes the loss and sends the gradient of its input back; each stage backpropagates,
/// steps AdamW on its own layers and passes its input's gradient on back. After H steps each
/// node ends the DiLoCo round for its layers with the peers holding the same ones.
///
/// A stage keeps only the step's input and recomputes its forward pass when the gradient comes
/// back (activation recomputation: one more forward pass for a node that stays a plain value).
/// It takes one step at a time, from the activations' arrival to its AdamW step, and queues the
/// others: a stage that serves two drivers (its partner crashed, say) then computes every
/// gradient on the very weights its forward pass used. Each stage clips the gradient norm of
/// its own layers.
struct PipelineState: Sendable {
    /// θ during the round's inner steps; θ₀ stays the round's start.
    var working = LayerParameters.empty
    var steps = 0
    var lossSum = 0.0
    var losses = 0
    /// The driver's minibatches for the round.
    var data = DeterministicRNG(seed: 0)
    var lastStep: UInt64 = 0
    /// The driver's step on its way through the pipeline.
    var inFlight: InFlight?
    /// The step in a later stage, from its activations' arrival to its AdamW step.
    var current: Current?
    var accepted: UInt64 = 0
    /// The steps this stage took last, so that a duplicated message is not taken twice.
    var recent: [StepID] = []
    /// Pipeline messages that arrived while the stage was busy or between rounds (syncing,
    /// fetching), taken in order when it is free.
    var queued: [(from: NodeID, message: PeerMessage)] = []
    var jobs: [UInt64: Job] = [:]

    struct InFlight {
        var step: StepID
        var tokens: [Int32]
        var next: NodeID?
    }

    struct Current {
        var step: StepID
        /// Numbers the stage's steps for their timers.
        var number: UInt64
        var upstream: String
        /// Where the activations went (nil until they are sent; the validator sends none).
        var downstream: NodeID?
        var input: [Float]
    }

    enum Job {
        /// The driver ran its layers on a fresh minibatch.
        case drive(StepID, targets: [Int32])
        /// A middle stage ran its layers on `message`'s activations.
        case pass(ActivationMessage)
        /// A stage computed its gradients; `upstream` gets its input's gradient (nil: the driver).
        case learn(StepID, upstream: String?)
    }

    static let maxQueued = 64
    static let maxRecent = 16
}

extension NodeCore {
    var pipelineObjective: (any PipelineObjective)? { objective as? any PipelineObjective }

    /// Whether this node's inner steps run through a pipeline: it holds part of a model that can
    /// be split. (A part of the analytic objective trains on its own: its layers are separable.)
    var trainsInPipeline: Bool {
        !layers.isEmpty && layers.count < objective.layerCount && pipelineObjective != nil
    }

    var isPipelining: Bool { if case .pipelining = phase { true } else { false } }

    private var roundComplete: Bool { pipeline.steps >= config.diloco.innerSteps || stepsLeft == 0 }

    mutating func startPipelineRound(rng: inout DeterministicRNG) {
        phase = .pipelining
        pipeline.working = theta0
        pipeline.steps = 0
        pipeline.lossSum = 0
        pipeline.losses = 0
        pipeline.data = DeterministicRNG(seed: rng.next())
        takeQueued()
        drive()
    }

    /// Takes queued messages, oldest first, until one occupies the stage.
    private mutating func takeQueued() {
        while isPipelining, pipeline.current == nil, !pipeline.queued.isEmpty {
            let (from, message) = pipeline.queued.removeFirst()
            receivePipeline(message, from: from)
        }
    }

    /// Forgets every step in progress (the node's layers changed). The step counters go on, so
    /// that no timer or message of an abandoned step can match a new one.
    mutating func abandonPipeline() {
        let (lastStep, accepted) = (pipeline.lastStep, pipeline.accepted)
        pipeline = PipelineState()
        pipeline.lastStep = lastStep
        pipeline.accepted = accepted
    }

    /// The driver starts its next step, if the round has one left.
    mutating func drive() {
        guard isPipelining, layers.lowerBound == 0, pipeline.inFlight == nil, !roundComplete,
              let objective = pipelineObjective else { return }
        let (inputs, targets) = objective.minibatch(shard: config.dataShard, rng: &pipeline.data)
        pipeline.lastStep += 1
        let step = StepID(driver: config.id, number: pipeline.lastStep)
        pipeline.inFlight = .init(step: step, tokens: inputs, next: nil)
        out.append(.setTimer(.pipelineStep(number: step.number), after: config.diloco.syncTimeout * 0.25))
        let params = pipeline.working
        startStageJob(.drive(step, targets: targets), flops: stageFlops(.forward)) {
            .activations(try objective.forward(params, input: .tokens(inputs)))
        }
    }

    /// A step did not come back within a quarter of the sync timeout (a stage died, moved or
    /// dropped it). The driver starts another; a later stage takes the next queued one.
    mutating func pipelineStepTimedOut(_ number: UInt64) {
        guard pipeline.inFlight?.step.number == number else { return }
        metrics.pipelineTimeouts += 1
        pipeline.inFlight = nil
        drive()
    }

    mutating func stageStepTimedOut(_ number: UInt64) {
        guard pipeline.current?.number == number else { return }
        metrics.pipelineTimeouts += 1
        pipeline.current = nil
        takeQueued()
    }

    mutating func receivePipeline(_ message: PeerMessage, from: NodeID) {
        guard trainsInPipeline else { metrics.staleUpdates += 1; return }
        if case .backward(let b) = message, isPipelining {
            receiveBackward(b, from: from)
        } else if case .forward(let f) = message, isPipelining, pipeline.current == nil {
            receiveForward(f, from: from)
        } else if pipeline.queued.count < PipelineState.maxQueued {
            // Busy, or between rounds: the step waits its turn.
            pipeline.queued.append((from, message))
        } else {
            metrics.staleUpdates += 1
        }
    }

    private mutating func receiveForward(_ f: ActivationMessage, from: NodeID) {
        guard let objective = pipelineObjective, f.layer == layers.lowerBound, f.layer > 0,
              let upstream = peers[from]?.info.address, !pipeline.recent.contains(f.step) else {
            // Meant for the layers this node held before it moved, from a stranger, or a copy.
            metrics.staleUpdates += 1; return
        }
        if pipeline.recent.count == PipelineState.maxRecent { pipeline.recent.removeFirst() }
        pipeline.recent.append(f.step)
        pipeline.accepted += 1
        pipeline.current = .init(step: f.step, number: pipeline.accepted, upstream: upstream, downstream: nil, input: f.activations)
        out.append(.setTimer(.stageStep(number: pipeline.accepted), after: config.diloco.syncTimeout * 0.25))
        let params = pipeline.working
        let input = PipelineInput.activations(f.activations)
        if layers.upperBound == objective.layerCount {
            let targets = f.targets
            startStageJob(.learn(f.step, upstream: upstream), flops: stageFlops(.forwardAndBackward)) {
                .stageGradients(try objective.backward(params, input: input, outputGradient: nil, targets: targets))
            }
        } else {
            startStageJob(.pass(f), flops: stageFlops(.forward)) {
                .activations(try objective.forward(params, input: input))
            }
        }
    }

    private mutating func receiveBackward(_ b: GradientMessage, from: NodeID) {
        guard let objective = pipelineObjective else { return }
        let input: PipelineInput, upstream: String?
        // A matched step forgets where its gradient comes from, so that a copy does not match.
        if let flight = pipeline.inFlight, flight.step == b.step, flight.next == from {
            input = .tokens(flight.tokens)
            upstream = nil
            pipeline.inFlight?.next = nil
        } else if let c = pipeline.current, c.step == b.step, c.downstream == from {
            input = .activations(c.input)
            upstream = c.upstream
            pipeline.current?.downstream = nil
        } else {
            metrics.staleUpdates += 1 // a step given up on, or one this node never saw
            return
        }
        let params = pipeline.working, gradient = b.gradient
        startStageJob(.learn(b.step, upstream: upstream), flops: stageFlops(.recomputeAndBackward)) {
            .stageGradients(try objective.backward(params, input: input, outputGradient: gradient, targets: nil))
        }
    }

    private enum StageWork { case forward, forwardAndBackward, recomputeAndBackward }

    /// A forward pass is about a third of a training step's work (the backward pass two thirds).
    private func stageFlops(_ work: StageWork) -> Double {
        let step = objective.flopsPerStep(layers: layers)
        switch work {
        case .forward: return step / 3
        case .forwardAndBackward: return step
        case .recomputeAndBackward: return step * 4 / 3
        }
    }

    private mutating func startStageJob(_ job: PipelineState.Job, flops: Double,
                                        _ work: @escaping @Sendable () throws -> ComputeOutput) {
        nextJobID += 1
        pipeline.jobs[nextJobID] = job
        out.append(.startCompute(ComputeJob(id: nextJobID, flops: flops) {
            do { return try work() } catch { return .failed("\(error)") }
        }))
    }

    /// A stage job is done: pass the activations on, or apply the gradients and send the input's
    /// gradient back.
    mutating func stageJobFinished(_ job: PipelineState.Job, _ output: ComputeOutput, now: Timestamp,
                                   rng: inout DeterministicRNG) {
        if case .failed(let reason) = output {
            metrics.pipelineFailures += 1
            out.append(.note(.stageFailed(reason: reason)))
            switch job {
            case .drive, .learn(_, upstream: nil):
                pipeline.inFlight = nil
                drive()
            case .pass, .learn:
                pipeline.current = nil
                takeQueued()
            }
            return
        }
        switch (job, output) {
        case (.drive(let step, let targets), .activations(let activations)):
            guard pipeline.inFlight?.step == step else { return } // timed out meanwhile
            guard let next = nextStage(for: step.driver) else {
                // Nobody holds the next layers yet: the step's timer retries.
                metrics.pipelineFailures += 1
                return
            }
            pipeline.inFlight?.next = next.id
            send(.forward(ActivationMessage(step: step, layer: layers.upperBound, activations: activations,
                                            targets: targets)), to: next.address)
        case (.pass(let f), .activations(let activations)):
            guard pipeline.current?.step == f.step else { return } // timed out meanwhile
            guard let next = nextStage(for: f.step.driver) else {
                // Nobody holds the next layers now: the step's timer frees the stage.
                metrics.pipelineFailures += 1
                return
            }
            pipeline.current?.downstream = next.id
            send(.forward(ActivationMessage(step: f.step, layer: layers.upperBound, activations: activations,
                                            targets: f.targets)), to: next.address)
        case (.learn(let step, let upstream), .stageGradients(let g)):
            if upstream != nil {
                guard pipeline.current?.step == step else { return } // timed out meanwhile
                pipeline.current = nil
            }
            inner.step(&pipeline.working, gradients: g.layers)
            pipeline.steps += 1
            metrics.innerSteps += 1
            if let loss = g.loss { pipeline.lossSum += loss; pipeline.losses += 1 }
            if let upstream, let input = g.input {
                send(.backward(GradientMessage(step: step, gradient: input)), to: upstream)
            } else if let objective = pipelineObjective {
                metrics.samples += objective.batch
                pipeline.inFlight = nil
            }
            if roundComplete {
                endInnerPhase(delta: theta0.minus(pipeline.working), now: now, rng: &rng)
            } else {
                takeQueued()
                drive()
            }
        default:
            preconditionFailure("a pipeline job returned the wrong kind of output")
        }
    }

    /// The holder of the layers after this node's for a step of `driver`. Each step follows its
    /// driver's lane: the k-th driver (by id) sends to the k-th holder of every later window, so
    /// equal stages pair up one to one, a stage that lost its partner serves both lanes, and the
    /// lanes part again after it.
    func nextStage(for driver: NodeID) -> (id: NodeID, address: String)? {
        let candidates = peers.entries.filter { $0.info.layers.lowerBound == layers.upperBound }
            .map(\.info).sorted { $0.id < $1.id }
        guard !candidates.isEmpty else { return nil }
        var drivers = peers.entries.filter { $0.info.layers.lowerBound == 0 }.map(\.info.id)
        if layers.lowerBound == 0 { drivers.append(config.id) }
        let lane = drivers.sorted().firstIndex(of: driver) ?? Int(driver.low % UInt64(candidates.count))
        let next = candidates[lane % candidates.count]
        return (next.id, next.address)
    }

    /// The mean training loss of the round's steps, on the stage that computes it.
    var pipelineLoss: Double? {
        pipeline.losses > 0 ? pipeline.lossSum / Double(pipeline.losses) : nil
    }
}
