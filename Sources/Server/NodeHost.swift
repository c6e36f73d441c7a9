import Deterministic
import Foundation
import Identity
import Ledger
import LedgerStore
import NeuroShardCore
import Training
import Wire

/// The production shell's owner of the node core (DESIGN §1): this actor turns the world into
/// inputs (API calls, peers' calls, the real clock's timers, finished compute jobs) and carries
/// out the core's effects. Compute jobs run off the actor, so the core keeps answering while a
/// step runs.
public actor NodeHost {
    private var core: NodeCore
    /// Where the ledger's journals go (nil: kept in memory only, `--ephemeral`).
    private let store: LedgerStore?
    private var rng: DeterministicRNG
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant
    private var effects: [Effect] = []
    private var pending: [UInt64: CheckedContinuation<Answer, Never>] = [:]
    /// Streamed inference requests' events, by API request.
    private var streams: [UInt64: AsyncStream<String>.Continuation] = [:]
    private var lastRequest: UInt64 = 0
    /// API calls waiting for the next group commit (see `commitCalls`).
    private var queuedCalls: [APIRequest] = []
    /// The last state the core asked to keep (written to disk by `persist`, when set).
    public private(set) var durable: DurableState?
    private let persist: @Sendable (DurableState) -> Bool
    private let log: @Sendable (String) -> Void
    private let links: PeerLinks
    private let computeSpeed: Double?
    /// Signs this node's peer calls with its key (SPEC §5).
    let signer: CallSigner
    /// Compute jobs and generations running off the actor, and who waits for them to end:
    /// the process must not exit under a thread still inside OpenBLAS, whose exit handlers free
    /// the buffers that thread is using (a SIGSEGV after "stopped").
    private var offActorWork = 0
    /// Set by `shutdown`: no compute job or generation starts after it.
    private var stopping = false
    /// The generations running, by API request: `shutdown` cancels them (a generation stops at
    /// its next token), so a long one does not hold the exit up.
    private var generations: [UInt64: Task<Void, Never>] = [:]
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    /// `seed` comes from the system's entropy: the core draws its randomness from it, never
    /// from the system itself. `persist` writes a durable state and says whether it could.
    /// `computeSpeed` (FLOP/s), when set, makes a compute job last at least its work divided by it,
    /// as the simulator times it: a node of a scenario run for real (`simulate --real`) then keeps
    /// the pace of its group's `speed` instead of finishing the analytic objective's steps at once.
    public init(core: NodeCore, store: LedgerStore? = nil, seed: UInt64, computeSpeed: Double? = nil,
                persist: @escaping @Sendable (DurableState) -> Bool = { _ in true },
                log: @escaping @Sendable (String) -> Void) {
        self.computeSpeed = computeSpeed
        self.core = core
        self.store = store
        rng = DeterministicRNG(seed: seed)
        origin = clock.now
        self.persist = persist
        self.log = log
        signer = CallSigner(key: core.config.key, address: core.config.address)
        links = PeerLinks(signer: signer, log: log)
    }

    /// The wall clock when the host started, in nanoseconds since the Unix epoch.
    private let epochAtOrigin = Int64(Date().timeIntervalSince1970 * 1e9)

    /// The node's time: Unix epoch time (proofs and ledger entries are compared across nodes),
    /// advanced by the monotonic clock so that a wall-clock step never runs timers backwards.
    private var now: Timestamp { Timestamp(nanos: epochAtOrigin + TimeSpan(clock.now - origin).nanos) }

    public var info: PeerInfo { core.info }
    public var role: Role { core.role }
    public var peerCount: Int { core.peers.count }
    /// Whether `authorization` (a call's metadata) carries this node's own token: its operator.
    func isOperator(_ authorization: String?) -> Bool { core.isOwner(authorization) }

    public func start() { handle(.start) }

    /// Leaves politely: the peers are told (their goodbyes sent before this returns) and the
    /// state is saved.
    public func shutdown() async {
        stopping = true
        handle(.shutdown)
        generations.values.forEach { $0.cancel() }
        await links.close()
        if offActorWork > 0 { await withCheckedContinuation { idleWaiters.append($0) } }
    }

    private func workStarted() { offActorWork += 1 }

    private func workEnded() {
        offActorWork -= 1
        if offActorWork == 0 {
            idleWaiters.forEach { $0.resume() }
            idleWaiters = []
        }
    }

    /// How an HTTP call is answered: one response, or Server-Sent Events (streamed inference).
    public enum Answer: Sendable {
        case response(APIResponse)
        /// Each element is one whole event (`data: …` and the blank line after it).
        case events(AsyncStream<String>)
    }

    /// One HTTP call, answered by the core.
    public func call(method: String, path: String, query: [(String, String)], authorization: String?,
                     idempotencyKey: String? = nil, body: [UInt8]) async -> Answer {
        lastRequest += 1
        let request = APIRequest(id: lastRequest, method: method, path: path, query: query,
                                 authorization: authorization, idempotencyKey: idempotencyKey, body: body)
        return await withCheckedContinuation { continuation in
            pending[request.id] = continuation
            // Reads write nothing: answered at once. The rest may write the ledger: group-committed.
            guard method != "GET" else {
                handle(.api(request))
                return
            }
            queuedCalls.append(request)
            if queuedCalls.count == 1 { Task { self.commitCalls() } }
        }
    }

    /// Answers the queued API calls with one ledger transaction for all of them: a durable
    /// commit costs an fsync (milliseconds), so concurrent sends share it (group commit). Their
    /// answers and broadcasts go out only once the commit is on disk; if it fails, none of its
    /// writes happened and every call of the group that wrote gets a 500.
    private func commitCalls() {
        let requests = queuedCalls
        queuedCalls = []
        var commits: [([JournalEntry], [Effect])] = []
        var rest: [Effect] = []
        for request in requests {
            core.handle(.api(request), now: now, rng: &rng, into: &effects)
            for effect in effects {
                if case .commit(let journal, let then) = effect { commits.append((journal, then)) } else { rest.append(effect) }
            }
        }
        for effect in rest { apply(effect) }
        commit(commits)
    }

    /// Writes the journals in one transaction, then carries out what waited for them. On failure
    /// their calls are answered 500, their broadcasts never leave, and the core folds its ledger
    /// again from what the store holds.
    private func commit(_ commits: [([JournalEntry], [Effect])]) {
        guard !commits.isEmpty else { return }
        do {
            try store?.apply(commits.flatMap(\.0))
        } catch {
            log("ledger commit failed, its \(commits.count) writes are lost: \(error)")
            let failure = APIError(.internalError, "The ledger could not commit this call").response
            for (_, then) in commits {
                for case .respond(let id, _) in then { apply(.respond(requestID: id, failure)) }
            }
            do { handle(.commitFailed(restoring: try store?.records() ?? [])) } catch {
                log("the ledger store cannot be read back either (\(error)); the node keeps its unwritten state")
            }
            return
        }
        for (_, then) in commits { for effect in then { apply(effect) } }
    }

    /// What became of a peer's message.
    public struct Delivery: Sendable {
        /// Why the core refused it as malformed, if it did.
        public var refusal: String?
        /// What the core said about it (an update judged and rejected, weights installed).
        public var notes: [NodeNote]
        public var round: Int
    }

    /// A peer's message, handed to the core.
    public func deliver(_ message: PeerMessage, from peer: NodeID) -> Delivery {
        let effects = handle(.message(from: peer, message))
        var delivery = Delivery(refusal: nil, notes: [], round: core.round)
        for case .note(let note) in effects {
            switch note {
            case .messageRejected(let from, _, let reason) where from == peer: delivery.refusal = reason
            case .updateRejected(let from, _) where from == peer: delivery.notes.append(note)
            case .checkpointInstalled(_, let from, _) where from == peer: delivery.notes.append(note)
            default: break
            }
        }
        return delivery
    }

    /// The weights of `layers` this node holds, for a peer's GetCheckpoint.
    public func checkpoint(layers: Range<Int>) -> CheckpointMessage? { core.serveCheckpoint(layers) }

    /// What a peer's inference Forward from `layer` runs here: the held layers from it on (a
    /// snapshot of their weights) and the model; nil when this node does not hold `layer`.
    func inferenceStage(from layer: Int) -> (LayerParameters, any PipelineObjective)? {
        guard let objective = core.objective as? any PipelineObjective, core.layers.contains(layer) else { return nil }
        return (core.parameters.restricted(to: layer..<core.layers.upperBound), objective)
    }

    /// Hands `input` to the core and carries out its effects; returns them. (An effect may
    /// raise an input of its own, a failed persist, which reuses the buffer: the batch is kept.)
    @discardableResult
    private func handle(_ input: Input) -> [Effect] {
        core.handle(input, now: now, rng: &rng, into: &effects)
        let batch = effects
        for effect in batch { apply(effect) }
        return batch
    }

    private func apply(_ effect: Effect) {
        switch effect {
        case .respond(let id, let response):
            // SPEC §4: a 500 is a bug, logged with its request id (the client sees no stack).
            if response.status == 500 { log("request \(id) answered 500: \(response.body["error"]?["message"]?.stringValue ?? "")") }
            if let events = streams.removeValue(forKey: id) {
                events.yield(ServerSentEvent.final(response))
                events.finish()
            } else {
                pending.removeValue(forKey: id)?.resume(returning: .response(response))
            }
        case .infer(let id, let order):
            infer(id, order)
        case .setTimer(let kind, let after):
            Task {
                try? await Task.sleep(for: .nanoseconds(max(0, after.nanos)))
                self.handle(.timer(kind))
            }
        case .startCompute(let job):
            guard !stopping else { return }
            let least = computeSpeed.map { Duration.seconds(job.flops / $0) } ?? .zero
            workStarted()
            Task.detached {
                let started = ContinuousClock.now
                let output = job.run()
                await self.workEnded()
                try? await Task.sleep(until: started + least)
                await self.computeFinished(job.id, output)
            }
        case .persist(let state):
            durable = state
            if !persist(state) { handle(.persistFailed) }
        case .send(let address, let message):
            links.send(message, to: address) { holder, checkpoint in
                _ = await self.deliver(.checkpoint(checkpoint), from: holder)
            }
        case .commit(let journal, let then):
            commit([(journal, then)])
        case .note(let note):
            log(note.text)
        }
    }

    /// Runs a generation off the actor; the core answers once it is reported finished.
    private func infer(_ id: UInt64, _ order: InferenceOrder) {
        guard !stopping else {
            handle(.inferenceFinished(requestID: id, .failure(InferenceFailure("the node is stopping"))))
            return
        }
        guard let objective = core.objective as? any PipelineObjective else {
            handle(.inferenceFinished(requestID: id, .failure(InferenceFailure("this node's model does not generate text"))))
            return
        }
        var events: AsyncStream<String>.Continuation?
        if order.stream {
            let (stream, continuation) = AsyncStream.makeStream(of: String.self)
            streams[id] = continuation
            events = continuation
            pending.removeValue(forKey: id)?.resume(returning: .events(stream))
        }
        let run = InferenceRun(order: order, objective: objective, links: links, signer: signer)
        workStarted()
        generations[id] = Task.detached { [events] in
            let outcome = await run.run { index, piece in events?.yield(ServerSentEvent.token(index: index, text: piece)) }
            await self.workEnded()
            await self.inferenceFinished(id, outcome)
        }
    }

    private func inferenceFinished(_ id: UInt64, _ outcome: Result<InferenceResult, InferenceFailure>) {
        generations[id] = nil
        handle(.inferenceFinished(requestID: id, outcome))
    }

    private func computeFinished(_ id: UInt64, _ output: ComputeOutput) {
        handle(.computeFinished(jobID: id, output))
    }
}

/// The events of a streamed inference (SSE): one per token, then the response body (or the
/// error envelope) as the final event.
enum ServerSentEvent {
    static func token(index: Int, text: String) -> String {
        "data: " + JSON.object([("index", .int(index)), ("text", .string(text))]).serialized + "\n\n"
    }

    static func final(_ response: APIResponse) -> String {
        "event: \(response.status == 200 ? "done" : "error")\ndata: \(response.body.serialized)\n\n"
    }
}

extension TimeSpan {
    /// A real clock's duration, to the nanosecond.
    init(_ d: Duration) {
        self.init(nanos: d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
    }
}
