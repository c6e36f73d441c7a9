import Deterministic
import Ledger

/// The HTTP API's logic (SPEC §4): routing, authentication, rate limits, the error envelope and
/// the bodies. The shells only move bytes; the simulator drives client load through this too.
extension NodeCore {
    struct Route: Sendable {
        var method: String
        var path: String
        /// nil: neither authenticated nor rate limited (health).
        var rateClass: RateClass?
        /// It costs NEURO: a read-only key may not call it.
        var spends = false
        /// The answer, or nil when it comes later (an `infer` effect was emitted).
        var handler: @Sendable (inout NodeCore, APIRequest, Timestamp, inout DeterministicRNG) throws(APIError) -> APIResponse?
    }

    static let routes: [Route] = [
        Route(method: "GET", path: "/api/v1/health", rateClass: nil) { core, _, now, _ in .ok(core.healthBody(now: now)) },
        Route(method: "GET", path: "/api/v1/status", rateClass: .status) { core, _, now, _ in .ok(core.statusBody(now: now)) },
        Route(method: "GET", path: "/api/v1/metrics", rateClass: .status) { core, _, now, _ in .ok(core.metricsBody(now: now)) },
        Route(method: "GET", path: "/api/v1/peers", rateClass: .status) { core, _, now, _ in .ok(core.peersBody(now: now)) },
        Route(method: "GET", path: "/api/v1/layers", rateClass: .status) { core, _, _, _ in .ok(core.layersBody()) },
        // For scrapers: open unless the node was given a metrics token.
        Route(method: "GET", path: "/metrics", rateClass: nil) { (core, request, now, _) throws(APIError) in
            if let token = core.config.metricsToken, !Authenticator.matches(request.authorization, token: token) {
                throw APIError(.unauthorized, "This node's /metrics needs Authorization: Bearer <metrics token>")
            }
            var response = APIResponse.ok(.null)
            response.text = ("text/plain; version=0.0.4", core.prometheusText(now: now))
            return response
        },
        Route(method: "GET", path: "/api/v1/wallet/balance", rateClass: .wallet) { (core, request, _, _) throws(APIError) in
            .ok(try core.balanceBody(request))
        },
        Route(method: "POST", path: "/api/v1/wallet/send", rateClass: .wallet, spends: true) { (core, request, now, _) throws(APIError) in
            try core.send(request, now: now)
        },
        Route(method: "GET", path: "/api/v1/wallet/transactions", rateClass: .wallet) { (core, request, _, _) throws(APIError) in
            .ok(try core.transactionsBody(request))
        },
        Route(method: "POST", path: "/api/v1/wallet/stake", rateClass: .wallet, spends: true) { (core, request, now, _) throws(APIError) in
            try core.stake(request, now: now)
        },
        Route(method: "POST", path: "/api/v1/wallet/unstake", rateClass: .wallet, spends: true) { (core, request, now, _) throws(APIError) in
            try core.unstake(request, now: now)
        },
        Route(method: "POST", path: "/api/v1/inference", rateClass: .inference, spends: true) { (core, request, now, rng) throws(APIError) in
            try core.startInference(request, now: now, rng: &rng)
            return nil
        },
    ]

    /// Every endpoint, as "METHOD /path" (the OpenAPI document must name exactly these).
    public static var endpoints: [String] { routes.map { "\($0.method) \($0.path)" } }

    /// The answer to `request`, or nil when it comes later (inference).
    mutating func respond(to request: APIRequest, now: Timestamp, rng: inout DeterministicRNG) -> APIResponse? {
        metrics.apiRequests += 1
        do {
            return try route(request, now: now, rng: &rng)
        } catch {
            return error.response
        }
    }

    private mutating func route(_ request: APIRequest, now: Timestamp, rng: inout DeterministicRNG) throws(APIError) -> APIResponse? {
        let path = request.path.count > 1 && request.path.hasSuffix("/") ? String(request.path.dropLast()) : request.path
        let matching = Self.routes.filter { $0.path == path }
        guard !matching.isEmpty else { throw APIError(.notFound, "No endpoint at \(path)", details: [("path", .string(path))]) }
        guard let route = matching.first(where: { $0.method == request.method }) else {
            throw APIError(.methodNotAllowed, "\(request.method) is not allowed on \(path)",
                           details: [("allowed", .array(matching.map { .string($0.method) }))],
                           headers: [.init(name: "Allow", value: matching.map(\.method).joined(separator: ", "))])
        }
        if let rateClass = route.rateClass {
            guard let principal = authenticator.authenticate(authorization: request.authorization) else {
                throw APIError(.unauthorized, request.authorization == nil
                               ? "Missing Authorization: Bearer <token> header" : "Invalid API token")
            }
            let key: String
            switch principal {
            case .owner: key = "owner"
            case .readOnly(let i):
                key = "key\(i)"
                guard !route.spends else {
                    throw APIError(.forbidden, "A read-only API key cannot spend NEURO (\(request.method) \(path) costs it)")
                }
            }
            if case .limited(let retryAfter) = limiter.check(principal: key, rateClass: rateClass, now: now) {
                let seconds = max(1, Int((retryAfter.seconds).rounded(.up)))
                throw APIError(.rateLimited,
                               "Rate limit of \(limiter.limits.limit(for: rateClass)) \(rateClass.rawValue) requests per minute exceeded",
                               details: [("retry_after", .int(seconds)), ("limit", .int(limiter.limits.limit(for: rateClass))),
                                         ("class", .string(rateClass.rawValue))],
                               headers: [.init(name: "Retry-After", value: String(seconds))])
            }
        }
        return try route.handler(&self, request, now, &rng)
    }

    // MARK: - Bodies

    func healthBody(now: Timestamp) -> JSON {
        let network = joined || peers.count > 0 || config.seedPeers.isEmpty
        let model = !layers.isEmpty
        return ["healthy": .bool(network && model),
                "checks": ["node": true, "network": .bool(network), "model": .bool(model)]]
    }

    var layerIndices: JSON { .array(layers.map { .int($0) }) }

    func statusBody(now: Timestamp) -> JSON {
        let uptime = (now - startedAt).seconds
        let ramUsed = Double(layers.count) * objective.layerMemoryMB * 1_048_576
        let cpu = uptime > 0 ? min(100, 100 * currentBusy(now: now).seconds / uptime) : 0
        return [
            "node_id": .string(config.id.hex),
            "version": .string(config.version),
            "uptime_seconds": .double(uptime),
            "status": .string(joined ? (layers.isEmpty ? "assigning" : "running") : "joining"),
            "role": .string(role.rawValue),
            "layers": layerIndices,
            "peer_count": .int(peers.count),
            "has_embedding": .bool(layers.contains(0)),
            "has_lm_head": .bool(layers.contains(objective.layerCount - 1)),
            "training": [
                "enabled": .bool(config.trainingEnabled),
                "epoch": .int(round),
                "step": .int(metrics.innerSteps),
                "loss": lastLoss.map(JSON.double) ?? .null,
            ],
            "resources": [
                "ram_used": .int(Int(ramUsed)),
                "ram_total": .int(Int(config.memoryMB * 1_048_576)),
                "cpu_percent": .double(cpu),
            ],
            "ledger": ledgerStatusBody(),
        ]
    }

    func currentBusy(now: Timestamp) -> TimeSpan {
        metrics.computeBusy + (computeStartedAt.map { now - $0 } ?? .zero)
    }

    func metricsBody(now: Timestamp) -> JSON {
        let hours = max((now - startedAt).seconds / 3600, 1e-9)
        return [
            "inference": [
                "requests_total": .int(metrics.inferenceRequests),
                "requests_per_minute": .double(Double(metrics.inferenceRequests) / (hours * 60)),
                "avg_latency_ms": .double(metrics.inferenceLatency.mean.milliseconds),
                "p99_latency_ms": .double(metrics.inferenceLatency.quantile(0.99).milliseconds),
                "tokens_generated": .int(metrics.tokensGenerated),
            ],
            "training": [
                "steps_total": .int(metrics.innerSteps),
                "steps_per_hour": .double(Double(metrics.innerSteps) / hours),
                "gradients_submitted": .int(metrics.gradientsSubmitted),
                "gradients_accepted": .int(metrics.gradientsAccepted),
                "gradients_rejected": .int(metrics.gradientsRejected),
                "outer_rounds": .int(completedRounds),
                "loss_history": .array(metrics.lossHistory.points.map { p in
                    ["t": .double(p.seconds), "step": .int(p.step), "loss": .double(p.loss)]
                }),
            ],
            "network": [
                "bytes_sent": .int(metrics.bytesSent),
                "bytes_received": .int(metrics.bytesReceived),
                "active_connections": .int(peers.count),
                "rpc_calls": .int(metrics.messagesSent + metrics.messagesReceived),
                "messages_sent_by_kind": .object(metrics.sentKinds.map { ($0.kind, .int($0.count)) }),
                "peer_count": .int(peers.count),
            ],
            "rewards": rewardsBody(now: now),
        ]
    }

    /// The metrics in Prometheus's text format: `neuroshard_<section>_<figure>`, counters for the
    /// `_total`-style running counts, gauges for the rest.
    func prometheusText(now: Timestamp) -> String {
        let counters: Set<String> = ["requests_total", "tokens_generated", "steps_total", "gradients_submitted",
                                     "gradients_accepted", "gradients_rejected", "outer_rounds", "bytes_sent",
                                     "bytes_received", "rpc_calls", "earned_total", "proofs_accepted",
                                     "transfers_applied", "transfers_refused"]
        var out = ""
        guard case .object(let sections) = metricsBody(now: now) else { return out }
        for (section, figures) in sections {
            guard case .object(let members) = figures else { continue }
            for (name, value) in members {
                let metric = "neuroshard_\(section)_\(name)"
                if value.doubleValue != nil {
                    out += "# TYPE \(metric) \(counters.contains(name) ? "counter" : "gauge")\n"
                    out += "\(metric) \(value.serialized)\n"
                } else if case .object(let labelled) = value {
                    // A count by reason or kind, e.g. proofs_rejected {stale: 2}: one labelled counter.
                    let label = name == "proofs_rejected" ? "reason" : "kind"
                    out += "# TYPE \(metric) counter\n"
                    for (key, v) in labelled where v.doubleValue != nil { out += "\(metric){\(label)=\"\(key)\"} \(v.serialized)\n" }
                }
            }
        }
        return out
    }

    func peersBody(now: Timestamp) -> JSON {
        let list: [JSON] = peers.entries.map { e in
            [
                "id": .string(e.info.id.hex),
                "address": .string(e.info.address),
                "role": .string(Role(layers: e.info.layers, layerCount: objective.layerCount).rawValue),
                "layers": .array(e.info.layers.map { .int($0) }),
                "latency_ms": e.roundTrip.map { .double($0.milliseconds) } ?? .null,
                "connected_since": .double(e.connectedSince.seconds),
            ]
        }
        return ["peers": .array(list), "total": .int(list.count)]
    }

    func layersBody() -> JSON {
        let count = objective.layerCount
        let list: [JSON] = layers.map { index in
            let type = index == 0 ? "embedding" : (index == count - 1 ? "lm_head" : "transformer")
            return [
                "index": .int(index),
                "type": .string(type),
                "memory_mb": .double(objective.layerMemoryMB),
                "status": .string(isFetching ? "loading" : (isTraining ? "training" : "ready")),
            ]
        }
        return ["layers": .array(list), "total_layers": .int(count), "my_layer_count": .int(layers.count)]
    }
}
