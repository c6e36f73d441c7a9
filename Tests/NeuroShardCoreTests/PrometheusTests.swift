import Deterministic
@testable import NeuroShardCore
import Testing
import Training

/// `GET /metrics`: the JSON metrics' figures as Prometheus text, open unless a token is set.
@Suite struct PrometheusTests {
    private func core(metricsToken: String?) -> NodeCore {
        var config = NodeConfig(address: "a", token: "owner", key: nodeKey(1))
        config.metricsToken = metricsToken
        return NodeCore(config: config, objective: NoisyQuadratic())
    }

    private func scrape(_ core: inout NodeCore, auth: String?) -> APIResponse {
        var rng = DeterministicRNG(seed: 1)
        let effects = core.handle(.api(APIRequest(id: 1, method: "GET", path: "/metrics", authorization: auth)), now: at(60), rng: &rng)
        guard case .respond(_, let r)? = effects.first else { return APIResponse(status: 0, body: .null) }
        return r
    }

    @Test func everyFigureIsALine() {
        var node = core(metricsToken: nil)
        let r = scrape(&node, auth: nil)
        #expect(r.status == 200)
        #expect(r.text?.contentType.hasPrefix("text/plain") == true)
        let lines = (r.text?.content ?? "").split(separator: "\n")
        #expect(lines.contains("# TYPE neuroshard_training_steps_total counter"))
        #expect(lines.contains("neuroshard_network_peer_count 0"))
        #expect(lines.contains("neuroshard_rewards_proofs_rejected{reason=\"stale\"} 0"))
        guard case .object(let sections) = node.metricsBody(now: at(60)) else { Issue.record("metrics"); return }
        // Each figure is a line; a count by reason (proofs_rejected) is a line per reason.
        // A list (the loss history) is no figure and has no line.
        func leaves(_ value: JSON) -> Int {
            if case .object(let members) = value { return members.reduce(0) { $0 + leaves($1.1) } }
            if case .array = value { return 0 }
            return 1
        }
        let figures = sections.reduce(0) { $0 + leaves($1.1) }
        #expect(lines.filter { !$0.hasPrefix("#") }.count == figures)
        #expect(lines.filter { !$0.hasPrefix("#") }.allSatisfy { $0.split(separator: " ").count == 2 && Double($0.split(separator: " ")[1]) != nil })
    }

    @Test func aMetricsTokenClosesIt() {
        var node = core(metricsToken: "scraper")
        expectError(scrape(&node, auth: nil), status: 401, code: "UNAUTHORIZED")
        expectError(scrape(&node, auth: "Bearer owner"), status: 401, code: "UNAUTHORIZED")
        #expect(scrape(&node, auth: "Bearer scraper").status == 200)
    }
}
