import NeuroShardCore
import Scenario

/// Timed faults from the scenario file. A fault that finds nothing to act on (restarting a node
/// that is running, say) is noted in the trace and not counted as fired.
extension Simulation {
    func applyFault(_ fault: FaultSpec) {
        var acted = false
        switch fault.kind {
        case .crash(let sel):
            for i in scenario.nodes(sel) where nodes[i].isUp {
                crash(i)
                acted = true
            }
        case .restart(let sel):
            for i in scenario.nodes(sel) where nodes[i].state == .crashed || nodes[i].state == .stopped {
                nodes[i].core = NodeCore(config: nodes[i].config, objective: objective, restoring: nodes[i].durable,
                                         ledgerRecords: nodes[i].ledgerStore.all)
                nodes[i].state = .running
                nodes[i].crashedAt = nil
                input(.start, to: i)
                acted = true
            }
        case .pause(let sel, let duration):
            for i in scenario.nodes(sel) where nodes[i].state == .running {
                nodes[i].state = .paused
                nodes[i].pauses &+= 1
                ledgerWatch.update(i, in: self)
                if let d = duration { queue.push(at: now + d.nanos, .resume(node: Int32(i), pause: nodes[i].pauses)) }
                acted = true
            }
        case .resume(let sel):
            for i in scenario.nodes(sel) where nodes[i].state == .paused {
                resume(i)
                acted = true
            }
        case .leave(let sel):
            for i in scenario.nodes(sel) where nodes[i].state == .running {
                input(.shutdown, to: i)
                stop(i, as: .stopped)
                acted = true
            }
        case .partition(let a, let b, let oneWay):
            var sideA = [Bool](repeating: false, count: nodes.count), sideB = sideA
            for sel in a { for i in scenario.nodes(sel) { sideA[i] = true } }
            for sel in b { for i in scenario.nodes(sel) { sideB[i] = true } }
            partitions.append(Partition(a: sideA, b: sideB, oneWay: oneWay))
            acted = true
        case .heal:
            acted = !partitions.isEmpty
            partitions.removeAll()
        case .clockSkew(let sel, let offset, let ppm):
            for i in scenario.nodes(sel) where nodes[i].state != .stopped {
                // Keep the clock continuous: it jumps by `offset` now and runs at the new rate after.
                let reading = nodes[i].localTime(now).nanos
                nodes[i].drift = ppm / 1e6
                nodes[i].clockOffset = reading + offset.nanos - now - Int64((Double(now) * nodes[i].drift).rounded())
                acted = true
            }
        case .diskFull(let sel, let full):
            for i in scenario.nodes(sel) { nodes[i].diskFull = full }
            acted = true
        }
        if acted {
            stats.faultsFired += 1
            ledgerWatch.disturbed(at: now, in: self)
        }
        firedFaults.append(FiredFault(seconds: Double(now) / 1e9, label: fault.kind.label, acted: acted))
        trace.note(time: now, node: -1, "fault \(fault.kind.name) (line \(fault.line))\(acted ? "" : " had nothing to act on")")
    }

    private func crash(_ i: Int) {
        stop(i, as: .crashed)
        nodes[i].crashedAt = now
    }

    /// Takes a node down: its pending timers, compute and held events die with this incarnation.
    private func stop(_ i: Int, as state: SimNode.State) {
        nodes[i].state = state
        nodes[i].incarnation &+= 1
        for event in nodes[i].held {
            switch event {
            case .deliver(let slot): _ = messages.remove(slot)
            case .computeDone(_, _, let slot): _ = computeResults.remove(slot)
            case .call: stats.unreachable += 1
            default: break
            }
        }
        nodes[i].held = []
        nodes[i].computeFreeAt = now
        nodes[i].uplinkFreeAt = now
        coverage.update(from: nodes[i].lastLayers, to: 0..<0, at: now)
        nodes[i].lastLayers = 0..<0
        ledgerWatch.update(i, in: self)
    }

    func resume(_ i: Int) {
        guard nodes[i].state == .paused else { return }
        nodes[i].state = .running
        ledgerWatch.update(i, in: self)
        let held = nodes[i].held
        nodes[i].held = []
        for event in held { queue.push(at: now, event) }
    }
}
