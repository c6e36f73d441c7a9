import Deterministic
import Identity
import Ledger
import Training

/// Everything that can happen to a node. A shell turns the world (sockets, clocks, threads, or
/// the simulator's event heap) into these.
public enum Input: Sendable {
    /// The node starts (or restarts from its durable state).
    case start
    case message(from: NodeID, PeerMessage)
    case timer(TimerKind)
    case api(APIRequest)
    case computeFinished(jobID: UInt64, ComputeOutput)
    /// The shell finished (or gave up on) the generation of an `infer` effect.
    case inferenceFinished(requestID: UInt64, Result<InferenceResult, InferenceFailure>)
    /// The last `persist` effect could not be written (for example, the disk is full).
    case persistFailed
    /// The last `commit` could not be written: none of its journal was kept, and its dependent
    /// effects did not happen. `restoring` is what the store holds, to fold the ledger from again.
    case commitFailed(restoring: [Record])
    /// Leave politely: tell the peers, stop training.
    case shutdown
}

public enum TimerKind: Hashable, Sendable {
    case heartbeat
    /// Re-check the layer assignment (set with a random delay so that nodes do not move at once).
    case rebalance
    /// Ends the exchange started as number `attempt` (a round may be restarted by a layer move).
    case syncTimeout(attempt: Int)
    case checkpointTimeout(attempt: Int)
    /// A rushing attacker stops waiting for the honest updates of exchange `attempt` and sends.
    case rush(attempt: Int)
    /// `DiLoCoSettings.startDelay` has passed: training may begin.
    case trainingStart
    /// The driver's pipeline step `number` has had its time (the sync timeout) to come back.
    case pipelineStep(number: UInt64)
    /// A later stage's step `number` (counted there) has had its time to come back.
    case stageStep(number: UInt64)
    /// Time to sign a Proof of Neural Work.
    case proof

    public var digest: UInt64 {
        switch self {
        case .heartbeat: 1
        case .rebalance: 2
        case .syncTimeout(let a): 3 | UInt64(truncatingIfNeeded: a) << 8
        case .checkpointTimeout(let a): 4 | UInt64(truncatingIfNeeded: a) << 8
        case .rush(let a): 5 | UInt64(truncatingIfNeeded: a) << 8
        case .trainingStart: 6
        case .pipelineStep(let n): 7 | n << 8
        case .stageStep(let n): 8 | n << 8
        case .proof: 9
        }
    }
}

/// What a node asks its shell to do.
public enum Effect: Sendable {
    case send(to: String, PeerMessage)
    case respond(requestID: UInt64, APIResponse)
    case setTimer(TimerKind, after: TimeSpan)
    case startCompute(ComputeJob)
    /// Generate text for API request `requestID` along the order's route, then report it with
    /// `inferenceFinished` (the core answers the request then).
    case infer(requestID: UInt64, InferenceOrder)
    case persist(DurableState)
    /// Write the ledger's journal (one transaction), then carry out `then`: the answers and
    /// broadcasts that must not go out unless the writes are kept. On failure the shell reports
    /// `commitFailed` instead.
    case commit([JournalEntry], then: [Effect])
    case note(NodeNote)
}

/// Work for a compute thread. `run` depends only on what it captured, so the simulator may run
/// it at once and deliver the result after `flops / speed` virtual seconds, while production runs
/// it on a worker thread.
public struct ComputeJob: Sendable {
    public var id: UInt64
    public var flops: Double
    public var run: @Sendable () -> ComputeOutput
}

public enum ComputeOutput: Sendable {
    /// DiLoCo: the weights and optimizer state after the inner steps.
    case innerPhase(params: LayerParameters, optimizer: AdamW, report: TrainingReport)
    /// Sync mode: one minibatch's gradients.
    case gradient(Gradients)
    /// A pipeline stage's forward pass.
    case activations([Float])
    /// A pipeline stage's backward pass.
    case stageGradients(StageGradients)
    /// A pipeline stage could not run (inputs that passed the checks and still did not fit).
    case failed(String)

    public func digest(into h: inout StableHasher) {
        switch self {
        case .innerPhase(let params, _, let report):
            params.digest(into: &h)
            h.combine(report.meanLoss)
        case .gradient(let g):
            for layer in g.layers { h.combine(layer) }
            h.combine(g.loss)
        case .activations(let a): h.combine(a)
        case .stageGradients(let g):
            for layer in g.layers { h.combine(layer) }
            h.combine(g.input ?? [])
            h.combine(g.loss ?? .nan)
        case .failed: h.combine(0xFA11)
        }
    }
}

/// What survives a crash: written by `persist`, handed back at restart.
public struct DurableState: Equatable, Sendable {
    public var round: Int
    public var completedRounds: Int
    public var theta0: LayerParameters
    public var outerVelocity: [[Float]]
    public var knownPeers: [String]

    public init(round: Int, completedRounds: Int, theta0: LayerParameters, outerVelocity: [[Float]], knownPeers: [String]) {
        self.round = round; self.completedRounds = completedRounds; self.theta0 = theta0
        self.outerVelocity = outerVelocity; self.knownPeers = knownPeers
    }
}

/// Things worth telling an operator or a trace: the shells log them.
public enum NodeNote: Equatable, Sendable {
    case joined(via: NodeID)
    case peerAdded(NodeID)
    case peerDropped(NodeID, silentFor: TimeSpan)
    case peerLeft(NodeID)
    case layersChanged(from: Range<Int>, to: Range<Int>, role: Role)
    case checkpointInstalled(layers: Range<Int>, from: NodeID, round: Int)
    /// `loss` is nil when the round ended between two evaluations (`DiLoCoSettings.evaluateEvery`).
    case roundCompleted(round: Int, loss: Double?, contributors: Int, timedOut: Bool)
    case updateRejected(from: NodeID, reason: String)
    case messageRejected(from: NodeID, kind: String, reason: String)
    /// A pipeline stage's computation failed on inputs that passed the checks.
    case stageFailed(reason: String)
    /// A peer's record that this ledger refuses (its author's or, for a forgery, the sender's id).
    case recordRefused(author: NodeID, kind: RecordKind, reason: Refusal, String)
    /// This node's own record breaks a rule its peers apply (a bug for an honest node).
    case ownRecordRefused(kind: RecordKind, reason: Refusal)
    /// The author signed two histories: from `seq` on, none of its records counts.
    case forkDetected(author: NodeID, seq: UInt64)
    /// The ledger's storage failed (a full disk, say): the write did not happen.
    case ledgerFailed(String)

    public var kind: String {
        switch self {
        case .joined: "joined"
        case .peerAdded: "peer_added"
        case .peerDropped: "peer_dropped"
        case .peerLeft: "peer_left"
        case .layersChanged: "layers_changed"
        case .checkpointInstalled: "checkpoint_installed"
        case .roundCompleted: "round_completed"
        case .updateRejected: "update_rejected"
        case .messageRejected: "message_rejected"
        case .stageFailed: "stage_failed"
        case .recordRefused: "record_refused"
        case .ownRecordRefused: "own_record_refused"
        case .forkDetected: "fork_detected"
        case .ledgerFailed: "ledger_failed"
        }
    }

    public var text: String {
        switch self {
        case .joined(let via): "joined via \(via.short)"
        case .peerAdded(let id): "peer \(id.short) added"
        case .peerDropped(let id, let silent): "peer \(id.short) dropped after \(silent) silent"
        case .peerLeft(let id): "peer \(id.short) left"
        case .layersChanged(let from, let to, let role):
            "layers \(from.lowerBound)..<\(from.upperBound) -> \(to.lowerBound)..<\(to.upperBound) (\(role.rawValue))"
        case .checkpointInstalled(let layers, let from, let round):
            "checkpoint of layers \(layers.lowerBound)..<\(layers.upperBound) from \(from.short) at round \(round)"
        case .roundCompleted(let round, let loss, let n, let timedOut):
            "round \(round) done: \(loss.map { "loss \($0)" } ?? "not evaluated"), \(n) contributors\(timedOut ? ", timed out" : "")"
        case .updateRejected(let from, let reason): "update from \(from.short) rejected: \(reason)"
        case .messageRejected(let from, let kind, let reason): "\(kind) from \(from.short) rejected: \(reason)"
        case .stageFailed(let reason): "pipeline stage failed: \(reason)"
        case .recordRefused(let author, let kind, let reason, let text):
            "\(kind.rawValue) of \(author.short) refused (\(reason.rawValue))\(text.isEmpty ? "" : ": " + text)"
        case .ownRecordRefused(let kind, let reason): "this node's own \(kind.rawValue) breaks a ledger rule (\(reason.rawValue))"
        case .forkDetected(let author, let seq): "\(author.short) signed two histories at its record \(seq): none of it counts from there"
        case .ledgerFailed(let problem): "ledger write failed: \(problem)"
        }
    }
}
