import NeuroShardCore
import Scenario

/// Client load: HTTP-style calls through the node core's API, evenly spaced (exact counts) or as
/// a Poisson process.
extension Simulation {
    func fireLoad(spec s: Int, target i: Int) {
        let load = scenario.load[s]
        if let until = load.until, now >= until.nanos { return }
        let interval = 60e9 / load.perMinute
        let gap = load.poisson ? loadRNG.nextExponential(mean: interval) : interval
        queue.push(at: now + Int64(gap.rounded()), .load(spec: Int32(s), target: Int32(i)))

        guard nodes[i].isUp else {
            record(i, kind: 8, digest: UInt64(s)) { "call \(load.method) \(load.path) unreachable" }
            stats.unreachable += 1
            return
        }
        if nodes[i].state == .paused {
            // The request waits in the socket until the process runs again.
            nodes[i].held.append(.call(spec: Int32(s), target: Int32(i)))
        } else {
            call(spec: s, target: i)
        }
    }

    func call(spec s: Int, target i: Int) {
        let load = scenario.load[s]
        record(i, kind: 8, digest: UInt64(s)) { "call \(load.method) \(load.path)" }
        nextRequestID += 1
        let request = APIRequest(id: nextRequestID, method: load.method, path: load.path,
                                 authorization: authorization(load.credential, node: i), body: body(of: load, caller: i))
        input(.api(request), to: i)
    }

    /// A wallet send's JSON: to a node of the selector other than the caller, drawn per call.
    private func body(of load: LoadSpec, caller i: Int) -> [UInt8] {
        guard let transfer = load.transfer else { return [] }
        let payees = scenario.nodes(transfer.to).filter { $0 != i }
        guard !payees.isEmpty else { return [] }
        let payee = nodes[payees[loadRNG.nextInt(below: payees.count)]].config.id
        return Array(#"{"to": "\#(payee.hex)", "amount": \#(transfer.amountNEURO)}"#.utf8)
    }

    private func authorization(_ credential: LoadSpec.Credential, node i: Int) -> String? {
        switch credential {
        case .owner: "Bearer \(nodes[i].config.token)"
        case .apiKey: "Bearer \(nodes[i].config.apiKeys[0])"
        case .wrong: "Bearer not-\(nodes[i].config.token)"
        case .none: nil
        }
    }
}
