import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import NeuroShardClient
import Synchronization
import Testing

/// The Swift SDK (`NeuroShardClient`) against real nodes: every method, every error code of
/// the envelope, the retry policy and the transport failures. One node per test, so the
/// tests' rate limits do not collide and they can run side by side.
@Suite struct SwiftClientTests {
    /// The waits a client asked for, instead of sleeping them.
    final class Waits: Sendable {
        let list = Mutex<[Duration]>([])
        var all: [Duration] { list.withLock { $0 } }
        func install(on node: inout NeuroNode) {
            node.sleep = { duration in self.list.withLock { $0.append(duration) } }
        }
    }

    @Test func everyNodeMethodAnswers() async throws {
        let process = try await NodeProcess(token: "swift-client-read", ["--no-training"])
        let node = NeuroNode(url: process.base, apiToken: "swift-client-read")

        let status = try await node.getStatus()
        #expect(status.nodeID == process.id)
        #expect(status.role == "full" && !status.layers.isEmpty && status.hasEmbedding && status.hasLmHead, "\(status)")
        #expect(status.peerCount == 0 && !status.version.isEmpty && status.training.enabled == false)

        let answer = try await node.inference("Hello", maxTokens: 6, temperature: 0.8, topP: 0.9, topK: 20)
        #expect(answer.tokensGenerated >= 1 && answer.tokensGenerated <= 6 && answer.usage.completionTokens == answer.tokensGenerated)
        #expect(answer.usage.totalTokens == answer.usage.promptTokens + answer.usage.completionTokens && answer.usage.promptTokens > 0)
        #expect(answer.cost.currency == "NEURO" && answer.timing.totalMs >= answer.timing.inferenceMs)
        #expect(answer.route?.first?.nodeID == process.id && ["stop", "length", "eos"].contains(answer.finishReason))

        let stream = try await node.inferenceStream("Once upon a time", maxTokens: 8)
        var tokens: [String] = []
        for try await token in stream { tokens.append(token) }
        let final = try #require(stream.response, "the final event")
        #expect(!tokens.isEmpty && tokens.joined() == final.text, "\(tokens) vs \(final.text)")
        #expect(final.tokensGenerated == tokens.count && final.usage.completionTokens == tokens.count)

        let metrics = try await node.getMetrics()
        #expect(metrics.inference.requestsTotal == 2 && metrics.inference.tokensGenerated == answer.tokensGenerated + tokens.count)
        #expect(metrics.inference.avgLatencyMs > 0 && metrics.network.peerCount == 0)

        let peers = try await node.getPeers()
        #expect(peers.total == 0 && peers.peers.isEmpty)
        let layers = try await node.getLayers()
        #expect(layers.myLayerCount == status.layers.count && layers.layers.map(\.index) == status.layers)
        #expect(layers.layers.first?.type == "embedding" && layers.layers.allSatisfy { $0.memoryMB > 0 })
        // Health needs no token.
        let health = try await NeuroNode(url: process.base.absoluteString).health()
        #expect(health.healthy && health.checks.node && health.checks.model)

        // 401: a wrong token and none; a stream's refusal comes before any token.
        let stranger = NeuroNode(url: process.base, apiToken: "not-the-token", retryAttempts: 0)
        await #expect { try await stranger.getStatus() } throws: { error in
            guard case NeuroShardError.unauthorized(let message, _) = error else { return false }
            return message == "Invalid API token"
        }
        await #expect { try await NeuroNode(url: process.base).getMetrics() } throws: {
            ($0 as? NeuroShardError)?.code == "UNAUTHORIZED"
        }
        await #expect { _ = try await stranger.inferenceStream("Hi") } throws: {
            if case NeuroShardError.unauthorized = $0 { true } else { false }
        }
        // 404 and 405: only the escape hatch reaches them.
        await #expect { try await node.request(method: "GET", path: "/api/v1/nowhere") } throws: { error in
            guard case NeuroShardError.notFound(_, let details) = error else { return false }
            return details["path"] == .string("/api/v1/nowhere")
        }
        await #expect { try await node.request(method: "DELETE", path: "/api/v1/status") } throws: {
            if case NeuroShardError.methodNotAllowed = $0 { true } else { false }
        }
        let raw = try await node.request(method: "GET", path: "/api/v1/status")
        #expect(String(decoding: raw, as: UTF8.self).contains("\"node_id\""))
        // 400: an argument the node refuses names its field.
        await #expect { try await node.inference("Hi", maxTokens: 0) } throws: { error in
            guard case NeuroShardError.invalidRequest(_, let details) = error else { return false }
            return details["field"] == .string("max_tokens")
        }
        #expect(process.stop().status == 0, "the node did not stop cleanly on SIGTERM")
    }

    @Test func theLedgerSendsListsAndRefuses() async throws {
        let genesis = try genesisFile(funding: ["swift-client-wallet", "swift-client-peer"])
        let process = try await NodeProcess(token: "swift-client-wallet", ["--no-training", "--api-key", "reader", "--genesis", genesis])
        let node = NeuroNode(url: process.base, apiToken: "swift-client-wallet", retryAttempts: 0)
        let ledger = NEUROLedger(node)
        let peer = address(of: "swift-client-peer")

        let before = try await ledger.getBalance()
        #expect(before.address == process.id && before.available == 100 && before.total == 100 && before.staked == 0)

        let receipt = try await ledger.send(to: peer, amount: 2.5, memo: "thanks", idempotencyKey: "swift-sdk-1")
        #expect(receipt.from == process.id && receipt.to == peer && receipt.amount == 2.5 && receipt.fee == 0.125)
        #expect(receipt.memo == "thanks" && receipt.status == "confirmed" && receipt.transactionID.count == 64)
        // The same key again: the first receipt, nothing paid twice.
        let again = try await ledger.send(to: peer, amount: 2.5, memo: "thanks", idempotencyKey: "swift-sdk-1")
        #expect(again.transactionID == receipt.transactionID)

        let newest = try await ledger.transactions(limit: 1)
        #expect(newest.limit == 1 && newest.offset == 0 && newest.transactions.count == 1)
        let sent = try #require(newest.transactions.first)
        #expect(sent.type == "sent" && sent.transactionID == receipt.transactionID && sent.to == peer && sent.amount == 2.5)
        let older = try await ledger.transactions(limit: 1, offset: 1)
        #expect(older.offset == 1 && older.transactions.first?.type == "genesis" && older.transactions.first?.amount == 100)

        // 400: an address that is not one, a negative amount.
        await #expect { try await ledger.send(to: "nobody", amount: 1) } throws: { error in
            guard case NeuroShardError.invalidRequest(_, let details) = error else { return false }
            return details["field"] == .string("to")
        }
        await #expect { try await ledger.send(to: peer, amount: -1) } throws: { error in
            guard case NeuroShardError.invalidRequest(_, let details) = error else { return false }
            return details["field"] == .string("amount")
        }
        // 402: beyond the balance; the details carry both figures.
        await #expect { try await ledger.send(to: peer, amount: 1_000) } throws: { error in
            guard case NeuroShardError.insufficientBalance(_, let details) = error else { return false }
            return details["required"]?.doubleValue == 1_050 && details["balance"]?.doubleValue == 100 - 2.625
        }
        // 403: a read-only key may read the wallet but not spend it.
        let reader = NEUROLedger(NeuroNode(url: process.base, apiToken: "reader", retryAttempts: 0))
        #expect(try await reader.getBalance().available == 100 - 2.625)
        await #expect { try await reader.send(to: peer, amount: 1) } throws: {
            if case NeuroShardError.forbidden = $0 { true } else { false }
        }
        #expect(process.stop().status == 0, "the node did not stop cleanly on SIGTERM")
    }

    @Test func theLedgerStakesAndReadsOtherAccounts() async throws {
        let genesis = try genesisFile(funding: ["swift-client-staker", "swift-client-other"])
        let process = try await NodeProcess(token: "swift-client-staker", ["--no-training", "--api-key", "reader", "--genesis", genesis])
        let ledger = NEUROLedger(NeuroNode(url: process.base, apiToken: "swift-client-staker", retryAttempts: 0))
        let other = address(of: "swift-client-other")

        let receipt = try await ledger.stake(amount: 30, durationDays: 2)
        #expect(receipt.amount == 30 && receipt.durationDays == 2 && receipt.staked == 30 && receipt.status == "confirmed")
        #expect(abs(receipt.lockedUntil - receipt.timestamp - 2 * 86_400) < 1e-3 && receipt.transactionID.count == 64)
        let balance = try await ledger.getBalance()
        #expect(balance.available == 70 && balance.staked == 30 && balance.total == 100)
        #expect(balance.lockedUntil == receipt.lockedUntil && balance.multiplier == receipt.multiplier && balance.multiplier > 1)
        // Locked for two days: refused, with the unlock time.
        await #expect { try await ledger.unstake() } throws: { error in
            guard case NeuroShardError.invalidRequest(_, let details) = error else { return false }
            return details["locked_until"]?.doubleValue == receipt.lockedUntil
        }
        await #expect { try await ledger.stake(amount: 1, durationDays: 0) } throws: { error in
            guard case NeuroShardError.invalidRequest(_, let details) = error else { return false }
            return details["field"] == .string("duration_days")
        }
        await #expect { try await ledger.stake(amount: 71, durationDays: 1) } throws: { error in
            if case NeuroShardError.insufficientBalance = error { true } else { false }
        }
        let reader = NEUROLedger(NeuroNode(url: process.base, apiToken: "reader", retryAttempts: 0))
        await #expect { try await reader.stake(amount: 1, durationDays: 1) } throws: {
            if case NeuroShardError.forbidden = $0 { true } else { false }
        }
        // Another account, as this node's ledger holds it.
        let theirs = try await reader.getBalance(address: other)
        #expect(theirs.address == other && theirs.available == 100 && theirs.lockedUntil == nil && theirs.multiplier == 1)
        #expect(try await reader.transactions(address: other).transactions.map(\.type) == ["genesis"])
        #expect(try await ledger.transactions(limit: 1).transactions.first?.transactionID == receipt.transactionID)
        #expect(process.stop().status == 0, "the node did not stop cleanly on SIGTERM")
    }

    @Test func aRateLimitIsReportedAndRetriedAfterRetryAfter() async throws {
        let process = try await NodeProcess(token: "swift-client-limit", ["--no-training"])
        let ledger = NEUROLedger(NeuroNode(url: process.base, apiToken: "swift-client-limit", retryAttempts: 0))
        for _ in 0..<10 { _ = try await ledger.transactions(limit: 1) }
        var retryAfter = 0.0
        await #expect { try await ledger.getBalance() } throws: { error in
            guard case NeuroShardError.rateLimited(_, let details, let seconds?) = error else { return false }
            retryAfter = seconds
            return seconds > 0 && details["retry_after"]?.doubleValue == seconds
        }
        #expect(retryAfter > 0 && retryAfter <= 60)

        // With retries: the client waits what the node asks, then asks again.
        var patient = NeuroNode(url: process.base, apiToken: "swift-client-limit", retryAttempts: 2)
        let waits = Waits()
        waits.install(on: &patient)
        await #expect { try await NEUROLedger(patient).getBalance() } throws: {
            ($0 as? NeuroShardError)?.retryAfter != nil
        }
        #expect(waits.all.count == 2, "two retries: \(waits.all)")
        #expect(waits.all.allSatisfy { abs(Double($0.components.seconds) - retryAfter) <= 1 }, "\(waits.all) vs \(retryAfter)")
        // However long the node asks, the wait is capped.
        var capped = NeuroNode(url: process.base, apiToken: "swift-client-limit", retryAttempts: 1)
        capped.maxRetryWait = .seconds(5)
        let cappedWaits = Waits()
        cappedWaits.install(on: &capped)
        await #expect(throws: NeuroShardError.self) { try await NEUROLedger(capped).getBalance() }
        #expect(cappedWaits.all == [.seconds(5)])
        #expect(process.stop().status == 0, "the node did not stop cleanly on SIGTERM")
    }

    @Test func aClosedPortIsATransportErrorAndSilenceATimeout() async throws {
        // A closed port: refused at once, retried with backoff, then reported.
        let closed = listeningSocket()
        close(closed.fd)
        var refused = NeuroNode(url: "http://127.0.0.1:\(closed.port)", apiToken: "t", retryAttempts: 2)
        let waits = Waits()
        waits.install(on: &refused)
        await #expect { try await refused.getStatus() } throws: {
            if case NeuroShardError.transport = $0 { true } else { false }
        }
        #expect(waits.all == [.milliseconds(250), .milliseconds(500)])

        // A server that takes the connection and never answers: a timeout, not retried.
        let silent = listeningSocket()
        defer { close(silent.fd) }
        var waiting = NeuroNode(url: "http://127.0.0.1:\(silent.port)", apiToken: "t", timeout: .milliseconds(300), retryAttempts: 3)
        let timeoutWaits = Waits()
        timeoutWaits.install(on: &waiting)
        let started = ContinuousClock.now
        await #expect(throws: NeuroShardError.timeout) { try await waiting.getStatus() }
        #expect(ContinuousClock.now - started < .seconds(15) && timeoutWaits.all.isEmpty)
    }

    @Test func theReadmeExampleRunsAgainstALiveNode() async throws {
        let token = "swift-client-example"
        let process = try await NodeProcess(token: token, ["--no-training", "--genesis", try genesisFile(funding: [token])])
        let report = try await clientExample(url: process.base.absoluteString, token: token)
        let lines = report.split(separator: "\n").map(String.init)
        #expect(lines.first == "Node: \(process.id)", "\(report)")
        #expect(lines.contains("Role: full") && lines.contains("Peers: 0"), "\(report)")
        #expect(lines.contains { $0.hasPrefix("Layers: [0, 1") }, "\(report)")
        #expect(lines.contains { $0.hasPrefix("Inference: ") && !$0.hasPrefix("Inference: 0 tokens") }, "\(report)")
        #expect(lines.last == "Balance: 100.0 NEURO", "\(report)")
        #expect(process.stop().status == 0, "the node did not stop cleanly on SIGTERM")
    }

    /// A TCP socket listening on a free port of 127.0.0.1 that never accepts: the kernel
    /// completes connections to it, nobody answers.
    private func listeningSocket() -> (fd: Int32, port: Int) {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = listen(fd, 16)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
