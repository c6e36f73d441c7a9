import Deterministic

/// Counters behind `/api/v1/metrics`, `/metrics` and the simulator's results. Only ever
/// incremented by what happened; nothing here is a constant.
public struct NodeMetrics: Equatable, Sendable {
    public var messagesSent = 0
    /// Messages sent, by `PeerMessage.kindCode`.
    public var sentByKind = [Int](repeating: 0, count: PeerMessage.kindNames.count)
    public var messagesReceived = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    /// Bytes of DiLoCo updates (pseudo-gradients, or gradients in sync mode): the training traffic.
    public var updateBytesSent = 0
    public var innerSteps = 0
    public var samples = 0
    public var gradientsSubmitted = 0
    public var gradientsAccepted = 0
    public var gradientsRejected = 0
    /// Peer messages dropped as malformed or impersonating (see NodeCore+Validation).
    public var messagesRejected = 0
    public var staleUpdates = 0
    public var syncTimeouts = 0
    /// Pipeline steps a driver gave up on (their gradient did not come back in time).
    public var pipelineTimeouts = 0
    /// Pipeline stages that could not run or pass a step on.
    public var pipelineFailures = 0
    public var peersDropped = 0
    public var persistFailures = 0
    public var apiRequests = 0
    public var computeBusy = TimeSpan.zero
    public var inferenceRequests = 0
    public var tokensGenerated = 0
    /// The latest inference requests' latencies (arrival to answer).
    public var inferenceLatency = RecentDurations(capacity: 1000)
    /// This node's own records that broke a ledger rule (a bug for an honest node; see
    /// `LedgerState.counters` for what the ledger took in from peers).
    public var ownRecordsRefused = 0
    /// Anti-entropy: pulls sent, records received in answers, and the bytes it sent (heartbeat
    /// summaries, pulls and answers).
    public var ledgerPulls = 0
    public var recordsPulled = 0
    public var reconciliationBytesSent = 0
    /// Bytes of ledger records pushed by their author.
    public var recordBytesSent = 0
    /// Ledger commits the store could not keep.
    public var commitFailures = 0
    /// The latest reported training losses, oldest first: the dashboard's loss curve.
    public var lossHistory = LossHistory(capacity: LossHistory.defaultCapacity)

    public init() {}

    mutating func sent(_ m: PeerMessage) {
        messagesSent += 1
        sentByKind[Int(m.kindCode)] += 1
        let size = m.wireSize
        bytesSent += size
        switch m {
        case .update: updateBytesSent += size
        case .ledgerPull, .ledgerBatch: reconciliationBytesSent += size
        case .record: recordBytesSent += size
        case .heartbeat(let hb), .heartbeatAck(let hb): if hb.info.ledger != nil { reconciliationBytesSent += PeerMessage.summaryBytes }
        case .join(let info), .welcome(let info, _): if info.ledger != nil { reconciliationBytesSent += PeerMessage.summaryBytes }
        default: break
        }
    }

    mutating func recordInference(latency: TimeSpan) { inferenceLatency.add(latency) }

    /// The kinds this node has sent, with their counts (those it never sent left out).
    public var sentKinds: [(kind: String, count: Int)] {
        zip(PeerMessage.kindNames, sentByKind).filter { $0.1 > 0 }.map { ($0.0, $0.1) }
    }

    mutating func received(_ m: PeerMessage) {
        messagesReceived += 1
        bytesReceived += m.wireSize
    }
}

/// The last `capacity` durations, for means and percentiles over recent requests.
public struct RecentDurations: Equatable, Sendable {
    public let capacity: Int
    private var values: [TimeSpan] = []
    private var next = 0

    public init(capacity: Int) { self.capacity = capacity }

    mutating func add(_ d: TimeSpan) {
        if values.count < capacity { values.append(d) } else { values[next] = d }
        next = (next + 1) % capacity
    }

    /// Zero when empty.
    public var mean: TimeSpan {
        values.isEmpty ? .zero : TimeSpan(nanos: values.reduce(Int64(0)) { $0 + $1.nanos } / Int64(values.count))
    }

    /// The nearest-rank quantile `q` (zero when empty).
    public func quantile(_ q: Double) -> TimeSpan {
        guard !values.isEmpty else { return .zero }
        let sorted = values.sorted { $0.nanos < $1.nanos }
        return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
    }
}

/// One point of the training-loss curve: seconds since the node started, the inner steps taken
/// by then, and the loss the node reported.
public struct LossPoint: Equatable, Sendable {
    public var seconds: Double
    public var step: Int
    public var loss: Double

    public init(seconds: Double, step: Int, loss: Double) {
        self.seconds = seconds; self.step = step; self.loss = loss
    }
}

/// The last `capacity` reported losses (a ring buffer), so that a curve exists the moment a
/// dashboard opens without the node's memory growing with its age.
public struct LossHistory: Equatable, Sendable {
    public static let defaultCapacity = 256
    public let capacity: Int
    private var storage: [LossPoint] = []
    /// Where the next point goes once `storage` is full (its oldest point).
    private var next = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "a loss history holds at least one point")
        self.capacity = capacity
    }

    /// Adds `point`, dropping the oldest when full. A non-finite loss has no place on a curve
    /// (nor in JSON) and is left out.
    mutating func append(_ point: LossPoint) {
        guard point.loss.isFinite else { return }
        if storage.count < capacity { storage.append(point) } else { storage[next] = point }
        next = (next + 1) % capacity
    }

    /// Oldest first.
    public var points: [LossPoint] {
        storage.count < capacity ? storage : Array(storage[next...] + storage[..<next])
    }

    public var count: Int { storage.count }
}
