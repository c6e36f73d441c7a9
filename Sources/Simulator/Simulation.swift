import Deterministic
import Identity
import Ledger
import NeuroShardCore
import Scenario
import TensorMath
import Training

/// The simulator shell (DESIGN §1): many `NodeCore`s on one thread, one seeded event heap,
/// virtual time that jumps to the next event, virtual links and injected faults. Same scenario
/// and seed, same build: the same trace, byte for byte.
public final class Simulation {
    public let scenario: Scenario
    let objective: any Objective
    var nodes: [SimNode] = []
    var queue = EventQueue<SimEvent>()
    public private(set) var now: Int64 = 0
    public let end: Int64
    var messages = Slab<Envelope>()
    var computeResults = Slab<(jobID: UInt64, output: ComputeOutput)>()
    var addressIndex: [String: Int] = [:]
    var idIndex: [NodeID: Int] = [:]
    var netRNG: DeterministicRNG
    var loadRNG: DeterministicRNG
    var partitions: [Partition] = []
    public let trace: Trace
    var stats = RunStats()
    var coverage: Coverage
    var samples: [MetricsSample] = []
    /// Each timed fault as it fired, for the report's time axis.
    var firedFaults: [FiredFault] = []
    var curve = LossCurve()
    /// How long the live honest ledgers took to agree after the last disturbance (`ledger.convergence_seconds`).
    var ledgerWatch = LedgerWatch()
    /// When each node first started (true nanoseconds).
    var startTimes: [Int64?] = []
    var nextRequestID: UInt64 = 0
    /// Reused for every input's effects (inputs do not nest, so one buffer serves).
    var effectBuffer: [Effect] = []
    /// Called every 65,536 events with the simulation, for progress lines.
    public var progress: ((Simulation) -> Void)?

    struct Partition {
        var a: [Bool]
        var b: [Bool]
        var oneWay: Bool
    }

    /// `objective`: one already built for this scenario by `objective(for:)` (nil: build it).
    public init(scenario: Scenario, objective: (any Objective)? = nil, tracePath: String? = nil) throws {
        self.scenario = scenario
        self.objective = try objective ?? Self.objective(for: scenario)
        end = scenario.duration.nanos
        let root = DeterministicRNG(seed: scenario.seed)
        netRNG = root.split("network")
        loadRNG = root.split("load")
        trace = try Trace(level: scenario.trace, path: tracePath)
        coverage = Coverage(layerCount: self.objective.layerCount)
        buildNodes(root: root)
        startTimes = Array(repeating: nil, count: nodes.count)
        for (i, fault) in scenario.faults.enumerated() { queue.push(at: fault.at.nanos, .fault(index: Int32(i))) }
        for (s, load) in scenario.load.enumerated() {
            for t in scenario.nodes(load.targets) { queue.push(at: load.from.nanos, .load(spec: Int32(s), target: Int32(t))) }
        }
        queue.push(at: 0, .sample)
    }

    /// The objective the scenario's nodes train.
    public static func objective(for scenario: Scenario) throws -> any Objective {
        // One BLAS thread: a fixed summation order, so the same inputs give the same bits.
        BLAS.setThreads(1)
        return try scenario.model.objective(seed: scenario.seed, nodes: scenario.nodeCount)
    }

    private func buildNodes(root: DeterministicRNG) {
        let configs = Self.nodeConfigs(for: scenario, identities: root.split("identity"))
        var index = 0
        for (gi, g) in scenario.groups.enumerated() {
            for k in 0..<g.count {
                let config = configs[index]
                nodes.append(SimNode(index: index, group: gi, config: config,
                                     core: NodeCore(config: config, objective: objective),
                                     rng: root.split("node").split(UInt64(index))))
                addressIndex[config.address] = index
                idIndex[config.id] = index
                let offset = g.count > 1 ? g.joinSpread * (Double(k) / Double(g.count)) : .zero
                queue.push(at: (g.joinAt + offset).nanos, .start(node: Int32(index)))
                index += 1
            }
        }
    }

    /// Every node's settings, in scenario order: its address (`group-k`), token, read-only key
    /// and identity (the id is its key's, as in production), drawn from the seed; the first
    /// `bootstrap` nodes as everyone's seeds. `neuroshard simulate --real` starts real processes
    /// with the same tokens and settings.
    public static func nodeConfigs(for scenario: Scenario) -> [NodeConfig] {
        nodeConfigs(for: scenario, identities: DeterministicRNG(seed: scenario.seed).split("identity"))
    }

    private static func nodeConfigs(for scenario: Scenario, identities: DeterministicRNG) -> [NodeConfig] {
        var addresses: [String] = []
        for g in scenario.groups { for k in 0..<g.count { addresses.append("\(g.name)-\(k)") } }
        let seeds = Array(addresses.prefix(scenario.bootstrap))
        var configs: [NodeConfig] = []
        for g in scenario.groups {
            for _ in 0..<g.count {
                let index = configs.count
                var idRNG = identities.split(UInt64(index))
                let token = (0..<4).map { _ in idRNG.next().hex16 }.joined()
                var ledger = scenario.ledger
                ledger.conduct = g.conduct
                configs.append(NodeConfig(address: addresses[index], token: token,
                                          apiKeys: ["ro-" + idRNG.next().hex16], seedPeers: seeds, memoryMB: g.memoryMB,
                                          trainingEnabled: g.training, behaviour: g.behaviour, dataShard: UInt64(index),
                                          membership: scenario.membership, diloco: scenario.diloco, ledger: ledger))
            }
        }
        let genesis = zip(configs, scenario.groups.flatMap { g in Array(repeating: g.genesisNEURO, count: g.count) })
            .compactMap { config, amount in Micro(neuro: amount).flatMap { $0 > .zero ? GenesisAllocation(address: config.id, amount: $0) : nil } }
        for i in configs.indices { configs[i].ledger.genesis = genesis }
        return configs
    }

    /// Runs to the scenario's end and returns what happened.
    public func run() -> RunResult {
        let clock = ContinuousClock()
        let started = clock.now
        advance(to: end)
        now = end
        takeSample()
        coverage.finish(at: now)
        trace.close()
        let wall = clock.now - started
        let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18
        return RunResult(simulation: self, wallSeconds: wallSeconds)
    }

    /// Processes every event due before `time` (virtual nanoseconds). The run covers [0, end): an
    /// event due exactly at the end belongs to the next minute.
    func advance(to time: Int64) {
        let limit = min(time, end)
        while let next = queue.nextTime, next < limit {
            let event = queue.pop()!
            now = event.time
            process(event.payload)
            if trace.events & 0xFFFF == 0 { progress?(self) }
        }
    }

    public var eventsProcessed: UInt64 { trace.events }

    // MARK: - Events

    private func process(_ event: SimEvent) {
        let n = Int(event.node)
        if n >= 0, nodes[n].state == .paused, isAddressedToCurrentIncarnation(event) {
            nodes[n].held.append(event)
            return
        }
        switch event {
        case .start(let n):
            let i = Int(n)
            guard nodes[i].state == .notStarted else { return }
            nodes[i].state = .running
            record(i, kind: 1, digest: 0) { "start \(self.nodes[i].config.address)" }
            startTimes[i] = now
            input(.start, to: i)
            if now > 0 { ledgerWatch.disturbed(at: now, in: self) }
        case .deliver(let slot):
            deliver(slot)
        case .timer(let n, let inc, let kind):
            let i = Int(n)
            guard nodes[i].incarnation == inc, nodes[i].state == .running else { return }
            record(i, kind: 3, digest: kind.digest) { "timer \(kind)" }
            input(.timer(kind), to: i)
        case .computeDone(let n, let inc, let slot):
            let i = Int(n)
            let (jobID, output) = computeResults.remove(slot)
            guard nodes[i].incarnation == inc, nodes[i].state == .running else { return }
            var h = StableHasher()
            output.digest(into: &h)
            record(i, kind: 4, digest: h.value) { "compute_done job \(jobID)" }
            input(.computeFinished(jobID: jobID, output), to: i)
        case .persistFailed(let n, let inc):
            let i = Int(n)
            guard nodes[i].incarnation == inc, nodes[i].state == .running else { return }
            record(i, kind: 5, digest: 0) { "persist_failed" }
            input(.persistFailed, to: i)
        case .fault(let f):
            record(-1, kind: 6, digest: UInt64(f)) { "fault \(self.scenario.faults[Int(f)].kind.name)" }
            applyFault(scenario.faults[Int(f)])
        case .resume(let n, let pause):
            guard nodes[Int(n)].pauses == pause else { return } // resumed and paused again since
            record(Int(n), kind: 7, digest: 0) { "resume" }
            resume(Int(n))
        case .load(let s, let t):
            fireLoad(spec: Int(s), target: Int(t))
        case .call(let s, let t):
            call(spec: Int(s), target: Int(t))
        case .sample:
            record(-1, kind: 9, digest: 0) { "sample" }
            takeSample()
            queue.push(at: now + scenario.metricsInterval.nanos, .sample)
        }
    }

    private func isAddressedToCurrentIncarnation(_ event: SimEvent) -> Bool {
        switch event {
        case .timer(let n, let inc, _), .computeDone(let n, let inc, _), .persistFailed(let n, let inc):
            nodes[Int(n)].incarnation == inc
        case .resume: false
        default: true
        }
    }

    @inline(__always)
    func record(_ node: Int, kind: UInt64, digest: UInt64, _ detail: () -> String) {
        trace.record(time: now, node: node, kind: kind, digest: digest, detail: detail)
    }

    /// Hands one input to a node's core and carries out the effects.
    func input(_ input: Input, to i: Int) {
        var rng = nodes[i].rng
        var effects = effectBuffer
        nodes[i].core.handle(input, now: nodes[i].localTime(now), rng: &rng, into: &effects)
        nodes[i].rng = rng
        effectBuffer = []
        apply(effects, from: i)
        effectBuffer = effects
        ledgerWatch.update(i, in: self)
        let layers = nodes[i].core.layers
        if layers != nodes[i].lastLayers {
            coverage.update(from: nodes[i].lastLayers, to: layers, at: now)
            nodes[i].lastLayers = layers
        }
    }

    private func apply(_ effects: [Effect], from i: Int) {
        for effect in effects {
            switch effect {
            case .send(let address, let message):
                send(message, from: i, toAddress: address)
            case .respond(_, let response):
                stats.http[response.status, default: 0] += 1
            case .infer(let id, _):
                // Generation runs in the production shell; scenarios load the API without it. The
                // core hears it failed, so it answers (503) and releases what it held back.
                input(.inferenceFinished(requestID: id, .failure(InferenceFailure("the simulator does not generate text"))), to: i)
            case .setTimer(let kind, let after):
                queue.push(at: now + nodes[i].trueDelay(after), .timer(node: Int32(i), incarnation: nodes[i].incarnation, kind))
            case .startCompute(let job):
                let output = job.run()
                let duration = Int64((job.flops / scenario.groups[nodes[i].group].flops * 1e9).rounded())
                let start = max(now, nodes[i].computeFreeAt)
                nodes[i].computeFreeAt = start + duration
                let slot = computeResults.insert((job.id, output))
                queue.push(at: start + duration, .computeDone(node: Int32(i), incarnation: nodes[i].incarnation, slot: slot))
            case .persist(let state):
                if nodes[i].diskFull {
                    queue.push(at: now, .persistFailed(node: Int32(i), incarnation: nodes[i].incarnation))
                } else {
                    nodes[i].durable = state
                }
            case .commit(let journal, let then):
                if nodes[i].diskFull {
                    // None of it is kept: its answers fail, its new records never leave.
                    for case .respond in then { stats.http[500, default: 0] += 1 }
                    input(.commitFailed(restoring: nodes[i].ledgerStore.all), to: i)
                } else {
                    nodes[i].ledgerStore.apply(journal)
                    apply(then, from: i)
                }
            case .note(let note):
                observe(note, from: i)
            }
        }
    }

    private func observe(_ note: NodeNote, from i: Int) {
        trace.note(time: now, node: i, note.text)
        switch note {
        case .peerDropped(let id, _):
            if let j = idIndex[id], let crashed = nodes[j].crashedAt {
                stats.maxDetection = max(stats.maxDetection, now - crashed)
            }
        case .roundCompleted(let round, let loss, _, let timedOut):
            stats.rounds += 1
            if timedOut { stats.timedOutRounds += 1 }
            if let loss, nodes[i].config.behaviour == .honest {
                let m = nodes[i].core.metrics
                curve.record(round: round, loss: loss, innerSteps: m.innerSteps, updateBytes: m.updateBytesSent)
            }
        default: break
        }
    }
}
