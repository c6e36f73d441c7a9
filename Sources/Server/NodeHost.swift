import Deterministic
import Foundation
import NeuroShardCore
import Wire

/// The production shell's owner of the node core (DESIGN §1): this actor turns the world into
/// inputs (API calls, peers' calls, the real clock's timers, finished compute jobs) and carries
/// out the core's effects. Compute jobs run off the actor, so the core keeps answering while a
/// step runs.
public actor NodeHost {
    private var core: NodeCore
    private var rng: DeterministicRNG
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant
    private var effects: [Effect] = []
    private var pending: [UInt64: CheckedContinuation<APIResponse, Never>] = [:]
    private var lastRequest: UInt64 = 0
    /// The last state the core asked to keep (written to disk by `persist`, when set).
    public private(set) var durable: DurableState?
    private let persist: @Sendable (DurableState) -> Bool
    private let log: @Sendable (String) -> Void
    private let links: PeerLinks
    private let me: Neuroshard_Caller

    /// `seed` comes from the system's entropy: the core draws its randomness from it, never
    /// from the system itself. `persist` writes a durable state and says whether it could.
    public init(core: NodeCore, seed: UInt64, persist: @escaping @Sendable (DurableState) -> Bool = { _ in true },
                log: @escaping @Sendable (String) -> Void) {
        self.core = core
        rng = DeterministicRNG(seed: seed)
        origin = clock.now
        self.persist = persist
        self.log = log
        let me = Neuroshard_Caller.with { $0.nodeID = core.config.id.hex; $0.address = core.config.address }
        self.me = me
        links = PeerLinks(caller: { me.stamped() }, log: log)
    }

    /// The node's time: the real clock's, since the host started.
    private var now: Timestamp {
        let elapsed = clock.now - origin
        return Timestamp(nanos: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    public var info: PeerInfo { core.info }
    public var role: Role { core.role }
    public var peerCount: Int { core.peers.count }
    /// This node as the caller of a peer call, stamped now.
    var caller: Neuroshard_Caller { me.stamped() }

    public func start() { handle(.start) }

    /// Leaves politely: the peers are told (their goodbyes sent before this returns) and the
    /// state is saved.
    public func shutdown() async {
        handle(.shutdown)
        await links.close()
    }

    /// One HTTP call, answered by the core.
    public func call(method: String, path: String, query: [(String, String)], authorization: String?,
                     body: [UInt8]) async -> APIResponse {
        lastRequest += 1
        let request = APIRequest(id: lastRequest, method: method, path: path, query: query,
                                 authorization: authorization, body: body)
        return await withCheckedContinuation { continuation in
            pending[request.id] = continuation
            handle(.api(request))
        }
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
        handle(.message(from: peer, message))
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
    public func checkpoint(layers: Range<Int>) -> CheckpointMessage? { core.checkpoint(of: layers) }

    private func handle(_ input: Input) {
        core.handle(input, now: now, rng: &rng, into: &effects)
        for effect in effects { apply(effect) }
    }

    private func apply(_ effect: Effect) {
        switch effect {
        case .respond(let id, let response):
            pending.removeValue(forKey: id)?.resume(returning: response)
        case .setTimer(let kind, let after):
            Task {
                try? await Task.sleep(for: .nanoseconds(max(0, after.nanos)))
                self.handle(.timer(kind))
            }
        case .startCompute(let job):
            Task.detached {
                let output = job.run()
                await self.computeFinished(job.id, output)
            }
        case .persist(let state):
            durable = state
            if !persist(state) { handle(.persistFailed) }
        case .send(let address, let message):
            links.send(message, to: address) { holder, checkpoint in
                _ = await self.deliver(.checkpoint(checkpoint), from: holder)
            }
        case .note(let note):
            log(note.text)
        }
    }

    private func computeFinished(_ id: UInt64, _ output: ComputeOutput) {
        handle(.computeFinished(jobID: id, output))
    }
}

extension Neuroshard_Caller {
    /// This caller at the current wall-clock time (receivers refuse calls older than a minute).
    func stamped() -> Neuroshard_Caller {
        var c = self
        c.timestampMs = Int64(Date().timeIntervalSince1970 * 1000)
        return c
    }
}
