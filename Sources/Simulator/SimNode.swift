import Deterministic
import Ledger
import NeuroShardCore
import Scenario

/// One simulated machine: the node core plus what the simulator knows about its host (clock,
/// links, compute queue, disk) and its life (running, paused, crashed).
struct SimNode {
    enum State: Equatable { case notStarted, running, paused, crashed, stopped }

    let index: Int
    let group: Int
    let config: NodeConfig
    var core: NodeCore
    var state = State.notStarted
    /// Bumped on every crash, so that timers and compute of a dead incarnation are dropped.
    var incarnation: UInt32 = 0
    var rng: DeterministicRNG
    var durable: DurableState?
    /// What its ledger wrote: kept across crashes, as a production node's SQLite file is.
    var ledgerStore = SimLedgerStore()
    /// Writes fail while true: persisted state and ledger commits alike.
    var diskFull = false
    /// Local clock = true time · (1 + drift) + offset.
    var clockOffset: Int64 = 0
    var drift = 0.0
    /// Events that arrived while paused, in arrival order.
    var held: [SimEvent] = []
    /// Bumped on every pause, so that a timed resume ends only the pause that scheduled it.
    var pauses: UInt32 = 0
    var computeFreeAt: Int64 = 0
    var uplinkFreeAt: Int64 = 0
    var lastLayers: Range<Int> = 0..<0
    var crashedAt: Int64?

    var isUp: Bool { state == .running || state == .paused }

    func localTime(_ trueTime: Int64) -> Timestamp {
        Timestamp(nanos: trueTime + clockOffset + (drift == 0 ? 0 : Int64((Double(trueTime) * drift).rounded())))
    }

    /// A local-clock delay as true time.
    func trueDelay(_ local: TimeSpan) -> Int64 {
        drift == 0 ? local.nanos : Int64((Double(local.nanos) / (1 + drift)).rounded())
    }
}

/// A simulated node's ledger store: the records (and fork evidence) a restart folds again. The
/// balances follow from them, so the simulator keeps no mirror of those.
struct SimLedgerStore {
    private var records: [RecordID: Record] = [:]

    mutating func apply(_ journal: [JournalEntry]) {
        for entry in journal {
            switch entry {
            case .record(let r, _): records[r.id] = r
            case .drop(let id): records[id] = nil
            case .outcome, .account, .totals: break
            }
        }
    }

    /// In no particular order: `LedgerState(restoring:)` sorts them.
    var all: [Record] { Array(records.values) }
}

/// What the event heap holds. Bulky payloads live in side tables, so heap moves stay cheap.
enum SimEvent {
    case start(node: Int32)
    case deliver(slot: Int32)
    case timer(node: Int32, incarnation: UInt32, TimerKind)
    case computeDone(node: Int32, incarnation: UInt32, slot: Int32)
    case persistFailed(node: Int32, incarnation: UInt32)
    case fault(index: Int32)
    case resume(node: Int32, pause: UInt32)
    /// The load generator's schedule for one target.
    case load(spec: Int32, target: Int32)
    /// One client call reaching its target.
    case call(spec: Int32, target: Int32)
    case sample

    var node: Int32 {
        switch self {
        case .start(let n), .timer(let n, _, _), .computeDone(let n, _, _), .persistFailed(let n, _), .resume(let n, _),
             .call(_, let n): n
        case .deliver, .fault, .load, .sample: -1
        }
    }
}

/// A message on the wire.
struct Envelope {
    var from: Int32
    var to: Int32
    var toIncarnation: UInt32
    var message: PeerMessage
}

/// A free-list slab: stable indices for payloads referenced from the event heap.
struct Slab<T> {
    fileprivate(set) var items: [T?] = []
    private var free: [Int32] = []

    mutating func insert(_ item: T) -> Int32 {
        if let i = free.popLast() { items[Int(i)] = item; return i }
        items.append(item)
        return Int32(items.count - 1)
    }

    mutating func remove(_ i: Int32) -> T {
        let item = items[Int(i)]!
        items[Int(i)] = nil
        free.append(i)
        return item
    }
}
