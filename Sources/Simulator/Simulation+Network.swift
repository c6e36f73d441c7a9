import Deterministic
import NeuroShardCore

/// Virtual links: the sender's uplink serialises messages at the slower of its upload and the
/// receiver's download rate (a 100 MB message takes 8 s on 100 Mbit/s and delays what queues
/// behind it); then latency, loss, duplication, reordering and partitions apply.
extension Simulation {
    func send(_ message: PeerMessage, from i: Int, toAddress address: String) {
        let size = message.wireSize
        stats.messages += 1
        stats.bytes += size
        guard let j = addressIndex[address] else { stats.dropped += 1; return }
        let net = scenario.network
        // The sender's uplink carries the message whether or not it arrives.
        let src = scenario.groups[nodes[i].group].link, dst = scenario.groups[nodes[j].group].link
        let mbps = min(src.upMbps, dst.downMbps)
        let transmit = Int64((Double(size) * 8 / (mbps * 1e6) * 1e9).rounded())
        let start = max(now, nodes[i].uplinkFreeAt)
        nodes[i].uplinkFreeAt = start + transmit
        let sent = start + transmit
        if isBlocked(from: i, to: j) || netRNG.chance(net.loss) {
            stats.dropped += 1
            return
        }
        let extra = src.extraLatency.nanos + dst.extraLatency.nanos
        let envelope = Envelope(from: Int32(i), to: Int32(j), toIncarnation: nodes[j].incarnation, message: message)
        var latency = net.latency.sample(&netRNG).nanos + extra
        if netRNG.chance(net.reorder) { latency += (net.reorderWindow * netRNG.nextDouble()).nanos }
        queue.push(at: sent + latency, .deliver(slot: messages.insert(envelope)))
        if netRNG.chance(net.duplicate) {
            stats.duplicated += 1
            let again = net.latency.sample(&netRNG).nanos + extra
            queue.push(at: sent + again, .deliver(slot: messages.insert(envelope)))
        }
    }

    func deliver(_ slot: Int32) {
        let to = Int(messages.peek(slot).to)
        if nodes[to].state == .paused && nodes[to].incarnation == messages.peek(slot).toIncarnation {
            nodes[to].held.append(.deliver(slot: slot))
            return
        }
        let envelope = messages.remove(slot)
        let from = Int(envelope.from)
        // A receiver that crashed since (even if restarted) lost the connection with it.
        guard nodes[to].state == .running, nodes[to].incarnation == envelope.toIncarnation,
              !isBlocked(from: from, to: to) else {
            stats.dropped += 1
            return
        }
        var h = StableHasher()
        h.combine(from)
        envelope.message.digest(into: &h)
        record(to, kind: 2, digest: h.value) { "recv \(envelope.message.kind) from n\(from)" }
        input(.message(from: nodes[from].config.id, envelope.message), to: to)
    }

    func isBlocked(from i: Int, to j: Int) -> Bool {
        for p in partitions {
            if p.a[i] && p.b[j] { return true }
            if !p.oneWay && p.b[i] && p.a[j] { return true }
        }
        return false
    }
}

extension Slab {
    func peek(_ i: Int32) -> T { items[Int(i)]! }
}
