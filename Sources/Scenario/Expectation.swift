import NeuroShardCore

/// One `expect:` line: `metric op number`, or a bare metric that must be true (non-zero).
public struct Expectation: Sendable, Equatable {
    public enum Op: String, Sendable, CaseIterable {
        case lessOrEqual = "<=", greaterOrEqual = ">=", equal = "==", notEqual = "!=", less = "<", greater = ">"

        public func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .less: a < b
            case .lessOrEqual: a <= b
            case .greater: a > b
            case .greaterOrEqual: a >= b
            case .equal: a == b
            case .notEqual: a != b
            }
        }
    }

    public var text: String
    public var metric: String
    /// nil for a bare boolean metric.
    public var op: Op?
    public var value: Double

    public func holds(_ actual: Double) -> Bool {
        guard actual.isFinite else { return false }
        guard let op else { return actual != 0 }
        return op.holds(actual, value)
    }

    /// Parses one line; the error says what is wrong with it.
    public static func parse(_ text: String) throws(ExpectationError) -> Expectation {
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty else { throw ExpectationError("empty expectation") }
        for op in Op.allCases {
            guard let r = trimmed.range(of: op.rawValue) else { continue }
            let metric = String(trimmed[..<r.lowerBound]).trimmingSpaces
            let number = String(trimmed[r.upperBound...]).trimmingSpaces
            try MetricCatalog.validate(metric)
            guard let value = Double(number), value.isFinite else {
                throw ExpectationError("'\(number)' is not a number (in '\(trimmed)')")
            }
            return Expectation(text: trimmed, metric: metric, op: op, value: value)
        }
        try MetricCatalog.validate(trimmed)
        guard MetricCatalog.booleans.contains(trimmed) else {
            throw ExpectationError("'\(trimmed)' needs a comparison, e.g. '\(trimmed) >= 1' (only \(MetricCatalog.booleans.joined(separator: ", ")) stand alone)")
        }
        return Expectation(text: trimmed, metric: trimmed, op: nil, value: 1)
    }
}

public struct ExpectationError: Error, Equatable, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// The metrics a run reports and expectations may name.
public enum MetricCatalog {
    public static let names: [String: String] = [
        "final_loss": "mean loss of the live honest training nodes at the end (a model split into stages: the assembled model's)",
        "initial_loss": "loss of the genesis weights",
        "loss_floor": "the best loss any model can reach on the data (the entropy of a Markov source; NaN when unknown)",
        "loss_gap_bits": "final_loss above loss_floor, in bits per byte",
        "outer_rounds": "most DiLoCo rounds completed by a live node",
        "min_outer_rounds": "fewest DiLoCo rounds completed by a live training node (0 if one never finished a round)",
        "all_layers_covered": "1 when every layer is held by a live node at the end",
        "uncovered_seconds": "virtual seconds some layer had no live holder, after first full coverage",
        "live_nodes": "nodes running at the end",
        "nodes": "nodes in the scenario",
        "events": "events processed",
        "messages": "messages sent",
        "bytes": "bytes sent",
        "update_bytes": "bytes of DiLoCo updates sent (pseudo-gradients; gradients in sync mode): the training traffic",
        "inner_steps": "inner optimizer steps per honest training node, on average",
        "messages_dropped": "messages lost to loss, partitions or dead receivers",
        "messages_duplicated": "messages delivered twice",
        "faults_fired": "faults applied",
        "peers.min": "smallest peer table of a live node at the end",
        "peers.mean": "mean peer table size of live nodes at the end",
        "peers_dropped": "peers dropped by failure detection, summed over nodes",
        "detection_seconds.max": "longest time from a crash until the last peer dropped that node",
        "sync_timeouts": "DiLoCo rounds that ended on the timeout",
        "gradients_rejected": "peer updates rejected as malformed",
        "stale_updates": "peer updates that arrived too late",
        "persist_failures": "durable writes that failed",
        "pipeline_timeouts": "pipeline steps a driver gave up on (the gradient did not come back in time)",
        "pipeline_failures": "pipeline steps a stage could not run or pass on (no holder of the next layers)",
        "virtual_seconds": "virtual time simulated",
        "http.total": "client calls answered",
        "http.2xx": "client calls answered 2xx",
        "http.4xx": "client calls answered 4xx",
        "http.5xx": "client calls answered 5xx",
        "http.unreachable": "client calls that found their node down",
        "ledger.conserved": "1 when every ledger holds minted = available + staked + burned, exactly",
        "ledger.no_double_spend": "1 when every live honest ledger, folded again from scratch, gives the same balances (no spend applied twice or past its balance)",
        "ledger.balances_agree": "1 when the live honest ledgers hold one state for the records stamped up to the settle time before the end (ledger.settle)",
        "ledger.digests_agree": "1 when the live honest ledgers hold one state at the very end (records still in flight count against it)",
        "ledger.convergence_seconds": "seconds from the last disturbance (fault, late start) until every live honest ledger held the same records",
        "ledger.equivocations": "authors a live honest ledger holds proof of signing two histories (the fewest any such ledger holds)",
        "ledger.minted": "NEURO minted, in the honest ledger that saw the most",
        "ledger.records": "records counted, in the honest ledger that holds the most",
        "ledger.attacker_rewards": "NEURO the honest ledgers credited to nodes whose every proof is invalid (forged, replayed, inflated, stale, future)",
        "ledger.backdated_rewards": "NEURO a backdated-chain node earned for the time before it started (the most in any honest ledger)",
        "ledger.backdated_excess": "NEURO a backdated-chain node earned for the time before it started beyond what the chain rules allow (the most in any honest ledger)",
        "honest_proofs_refused": "proofs of honest nodes that live honest ledgers refuse",
        "ledger.reconciliation_bytes": "bytes anti-entropy sent (heartbeat summaries, pulls and their answers), summed over nodes",
        "ledger.record_bytes": "bytes of ledger records their authors pushed, summed over nodes",
        "proofs.accepted": "peers' proofs the live honest nodes credited",
    ].merging(["signature", "replay", "stale", "future", "rate", "implausible"].map {
        ("proofs_rejected.\($0)", "peers' proofs the live honest nodes refused as \($0)")
    }) { a, _ in a }
    public static let booleans = ["all_layers_covered", "ledger.conserved", "ledger.no_double_spend", "ledger.balances_agree",
                                  "ledger.digests_agree"]

    /// `http.NNN` names any status code; `messages_by_kind.K` the messages of a kind, summed over nodes.
    public static func validate(_ metric: String) throws(ExpectationError) {
        if names[metric] != nil { return }
        if metric.hasPrefix("messages_by_kind."), PeerMessage.kindNames.contains(String(metric.dropFirst(17))) { return }
        let code = metric.dropFirst(5)
        if metric.hasPrefix("http."), code.count == 3, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber),
           let n = Int(code), (100...599).contains(n) { return }
        let suggestion = names.keys.sorted().min { editDistance($0, metric) < editDistance($1, metric) }
        throw ExpectationError("unknown metric '\(metric)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? ""))
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var prev = row[0]
        row[0] = i
        for j in 1...max(b.count, 1) where !b.isEmpty {
            let cur = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
            prev = cur
        }
    }
    return row[b.count]
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
