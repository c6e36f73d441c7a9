import Deterministic
import Foundation
@testable import NeuroShardCore
import Testing
import Training

/// A real NodeCore answering `.api` inputs, read back from its `.respond` effect.
struct APIClient {
    static let token = "owner-token-6f1c2a9e"
    static let readKey = "read-only-key-42"
    static let ownerAuth = "Bearer " + token
    static let readAuth = "Bearer " + readKey

    var core: NodeCore
    var rng = DeterministicRNG(seed: 7)
    var nextID: UInt64 = 100

    init(seeds: [String] = [], startAt: Timestamp = .zero) {
        let config = NodeConfig(address: "node-a", token: Self.token, key: nodeKey(0xA11CE), apiKeys: [Self.readKey],
                                seedPeers: seeds)
        core = NodeCore(config: config, objective: NoisyQuadratic())
        _ = core.handle(.start, now: startAt, rng: &rng)
    }

    mutating func call(_ path: String, method: String = "GET", auth: String?, at now: Timestamp,
                       sourceLocation: SourceLocation = #_sourceLocation) -> APIResponse {
        nextID += 1
        let id = nextID
        let effects = core.handle(.api(APIRequest(id: id, method: method, path: path, authorization: auth)),
                                  now: now, rng: &rng)
        #expect(effects.count == 1, "an API call answers once and does nothing else", sourceLocation: sourceLocation)
        guard case .respond(let requestID, let response)? = effects.first else {
            Issue.record("no .respond effect for \(method) \(path): \(effects)", sourceLocation: sourceLocation)
            return APIResponse(status: 0, body: .null)
        }
        #expect(requestID == id, sourceLocation: sourceLocation)
        return response
    }

    mutating func handle(_ input: Input, at now: Timestamp) -> [Effect] {
        core.handle(input, now: now, rng: &rng)
    }
}

func keys(_ json: JSON?) -> [String] {
    if case .object(let members)? = json { return members.map(\.0) }
    return []
}

/// SPEC §4: every error is `{"error": {"code", "message", "details"}}` and nothing else.
func expectError(_ r: APIResponse, status: Int, code: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == status, "body: \(r.body.serialized)", sourceLocation: sourceLocation)
    #expect(keys(r.body) == ["error"], "body: \(r.body.serialized)", sourceLocation: sourceLocation)
    let error = r.body["error"]
    #expect(keys(error) == ["code", "message", "details"], "body: \(r.body.serialized)", sourceLocation: sourceLocation)
    #expect(error?["code"] == .string(code), sourceLocation: sourceLocation)
    let message = error?["message"]?.stringValue ?? ""
    #expect(!message.isEmpty, "message must be a non-empty string", sourceLocation: sourceLocation)
    if case .object? = error?["details"] {} else {
        Issue.record("details must be an object: \(r.body.serialized)", sourceLocation: sourceLocation)
    }
    // And it is valid JSON on the wire.
    #expect(parses(r.body.serialized), sourceLocation: sourceLocation)
}

func parses(_ text: String) -> Bool {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
}

let statusClassPaths = ["/api/v1/status", "/api/v1/metrics", "/api/v1/peers", "/api/v1/layers"]

@Suite struct APIAuthTests {
    @Test func healthNeedsNoAuthAndReportsChecks() {
        var api = APIClient()
        for auth in [nil, "Bearer nope", "Basic x", APIClient.ownerAuth] as [String?] {
            let r = api.call("/api/v1/health", auth: auth, at: at(1))
            #expect(r.status == 200)
            #expect(keys(r.body) == ["healthy", "checks"])
            #expect(keys(r.body["checks"]) == ["node", "network", "model"])
            #expect(r.body["checks"]?["node"] == .bool(true))
            // No layers yet: not healthy.
            #expect(r.body["checks"]?["model"] == .bool(false))
            #expect(r.body["healthy"] == .bool(false))
        }
        // The first heartbeat tick of a lone node takes the whole model: healthy.
        _ = api.handle(.timer(.heartbeat), at: at(2))
        let r = api.call("/api/v1/health", auth: nil, at: at(3))
        #expect(r.body["healthy"] == .bool(true))
        #expect(r.body["checks"]?["model"] == .bool(true))
        #expect(r.body["checks"]?["network"] == .bool(true))
    }

    @Test(arguments: statusClassPaths)
    func missingOrWrongCredentialsAre401(path: String) {
        var api = APIClient()
        let bad: [String?] = [nil, "Bearer wrong-token", "Basic x", "Basic " + APIClient.token, APIClient.token,
                              "Bearer ", "Bearer " + String(APIClient.token.dropLast()), APIClient.ownerAuth + "x",
                              "Bearer " + String(APIClient.readKey.dropLast())]
        for auth in bad {
            let r = api.call(path, auth: auth, at: at(1))
            expectError(r, status: 401, code: "UNAUTHORIZED")
        }
    }

    @Test func theSchemeNameIsCaseInsensitive() {
        var api = APIClient()
        for auth in ["bearer " + APIClient.token, "BEARER " + APIClient.token, "bEaReR " + APIClient.readKey] {
            #expect(api.call("/api/v1/status", auth: auth, at: at(1)).status == 200, "\(auth)")
        }
    }

    @Test(arguments: statusClassPaths)
    func ownerTokenAndReadOnlyKeyMayRead(path: String) {
        var api = APIClient()
        for auth in [APIClient.ownerAuth, APIClient.readAuth] {
            let r = api.call(path, auth: auth, at: at(1))
            #expect(r.status == 200, "\(path) with \(auth): \(r.body.serialized)")
            #expect(r.body["error"] == nil)
            #expect(parses(r.body.serialized))
        }
    }

    @Test func unknownPathIs404() {
        var api = APIClient()
        for path in ["/api/v1/nope", "/api/v2/status", "/", "/api/v1", "/api/v1/statuses"] {
            let r = api.call(path, auth: APIClient.ownerAuth, at: at(1))
            expectError(r, status: 404, code: "NOT_FOUND")
        }
    }

    @Test func wrongMethodIs405WithAllow() {
        var api = APIClient()
        for (method, path) in [("POST", "/api/v1/status"), ("DELETE", "/api/v1/peers"), ("PUT", "/api/v1/health")] {
            let r = api.call(path, method: method, auth: APIClient.ownerAuth, at: at(1))
            expectError(r, status: 405, code: "METHOD_NOT_ALLOWED")
            #expect(r.header("Allow") == "GET", "\(method) \(path)")
        }
    }
}

@Suite struct APIBodyTests {
    @Test func statusHasEverySpecKey() {
        var api = APIClient(startAt: at(5))
        let before = api.call("/api/v1/status", auth: APIClient.ownerAuth, at: at(7.5))
        #expect(before.status == 200)
        let body = before.body
        let specKeys = ["node_id", "version", "uptime_seconds", "status", "role", "layers", "peer_count",
                        "has_embedding", "has_lm_head", "training", "resources"]
        #expect(Set(keys(body)).isSuperset(of: specKeys), "got \(keys(body))")
        #expect(Set(keys(body["training"])).isSuperset(of: ["enabled", "epoch", "step", "loss"]))
        #expect(Set(keys(body["resources"])).isSuperset(of: ["ram_used", "ram_total", "cpu_percent"]))
        #expect(body["node_id"] == .string(nodeID(0xA11CE).hex))
        #expect(body["node_id"]?.stringValue?.count == 32)
        #expect(body["version"] == .string(NeuroShardVersion.current))
        #expect(body["uptime_seconds"]?.doubleValue == 2.5)
        #expect(body["peer_count"] == .int(0))
        #expect(body["layers"] == .array([]))
        #expect(body["training"]?["enabled"] == .bool(true))
        #expect(body["resources"]?["ram_total"] == .int(8192 * 1_048_576))

        // After the first tick the lone node holds all four layers.
        _ = api.handle(.timer(.heartbeat), at: at(8))
        let after = api.call("/api/v1/status", auth: APIClient.readAuth, at: at(9)).body
        #expect(after["role"] == .string("full"))
        #expect(after["status"] == .string("running"))
        #expect(after["layers"] == .array([.int(0), .int(1), .int(2), .int(3)]))
        #expect(after["has_embedding"] == .bool(true))
        #expect(after["has_lm_head"] == .bool(true))
        #expect(after["resources"]?["ram_used"] == .int(4 * 100 * 1_048_576))
        #expect(after["training"]?["epoch"] == .int(0))
        #expect(after["training"]?["step"] == .int(0))
    }

    @Test func metricsHasSpecGroupsAndRealNetworkFigures() {
        var api = APIClient(seeds: ["seed"])
        let body = api.call("/api/v1/metrics", auth: APIClient.ownerAuth, at: at(1)).body
        #expect(Set(keys(body)).isSuperset(of: ["inference", "training", "network", "rewards"]), "got \(keys(body))")
        #expect(Set(keys(body["inference"])).isSuperset(of: ["requests_total", "requests_per_minute", "avg_latency_ms",
                                                             "p99_latency_ms", "tokens_generated"]))
        #expect(Set(keys(body["training"])).isSuperset(of: ["steps_total", "steps_per_hour", "gradients_submitted",
                                                            "gradients_accepted", "outer_rounds"]))
        #expect(Set(keys(body["network"])).isSuperset(of: ["bytes_sent", "bytes_received", "active_connections",
                                                           "rpc_calls", "peer_count"]))
        #expect(Set(keys(body["rewards"])).isSuperset(of: ["earned_today", "earned_total", "pending"]))
        // `.start` sent one join to the seed; nothing came back yet.
        let join = PeerMessage.join(api.core.info)
        #expect(body["network"]?["bytes_sent"] == .int(join.wireSize))
        #expect(body["network"]?["bytes_received"] == .int(0))
        #expect(body["network"]?["rpc_calls"] == .int(1))
        #expect(body["network"]?["peer_count"] == .int(0))

        let seed = PeerInfo(id: nodeID(0x5EED), address: "seed", layers: 0..<4, capacity: 4, round: 0)
        let welcome = PeerMessage.welcome(seed, peers: [])
        _ = api.handle(.message(from: seed.id, welcome), at: at(2))
        let next = api.call("/api/v1/metrics", auth: APIClient.ownerAuth, at: at(3)).body
        #expect(next["network"]?["bytes_received"] == .int(welcome.wireSize))
        #expect(next["network"]?["rpc_calls"] == .int(2))
        #expect(next["network"]?["peer_count"] == .int(1))
        #expect(next["network"]?["active_connections"] == .int(1))
    }

    @Test func peersAndLayersBodies() {
        var api = APIClient()
        let peer = PeerInfo(id: nodeID(0xB0B), address: "node-b", layers: 0..<2, capacity: 2, round: 0)
        _ = api.handle(.message(from: peer.id, .join(peer)), at: at(4))
        let peers = api.call("/api/v1/peers", auth: APIClient.ownerAuth, at: at(5)).body
        #expect(peers["total"] == .int(1))
        guard case .array(let list)? = peers["peers"], let first = list.first else {
            Issue.record("no peers list: \(peers.serialized)"); return
        }
        #expect(Set(keys(first)).isSuperset(of: ["id", "address", "role", "layers", "latency_ms", "connected_since"]))
        #expect(first["id"] == .string(peer.id.hex))
        #expect(first["address"] == .string("node-b"))
        #expect(first["role"] == .string("driver"))
        #expect(first["layers"] == .array([.int(0), .int(1)]))
        #expect(first["connected_since"]?.doubleValue == 4)

        _ = api.handle(.timer(.heartbeat), at: at(6))
        let layers = api.call("/api/v1/layers", auth: APIClient.ownerAuth, at: at(7)).body
        #expect(layers["total_layers"] == .int(4))
        #expect(layers["my_layer_count"] == .int(api.core.layers.count))
        guard case .array(let items)? = layers["layers"] else { Issue.record("no layers list"); return }
        #expect(items.count == api.core.layers.count)
        for item in items {
            #expect(Set(keys(item)).isSuperset(of: ["index", "type", "memory_mb", "status"]))
            let index = item["index"]?.doubleValue.map { Int($0) } ?? -1
            let expected = index == 0 ? "embedding" : index == 3 ? "lm_head" : "transformer"
            #expect(item["type"] == .string(expected))
        }
    }
}

@Suite struct APIRateLimitTests {
    @Test func the101stStatusCallIs429UntilTheWindowPasses() {
        var api = APIClient()
        // 100 status-class calls from t = 10 s to t = 34.75 s, over all four endpoints.
        for i in 0..<100 {
            let r = api.call(statusClassPaths[i % 4], auth: APIClient.ownerAuth, at: at(10 + Double(i) * 0.25))
            #expect(r.status == 200, "call \(i + 1)")
        }
        let limited = api.call("/api/v1/status", auth: APIClient.ownerAuth, at: at(35))
        expectError(limited, status: 429, code: "RATE_LIMITED")
        // The first call (t = 10 s) leaves the window at t = 70 s.
        #expect(limited.body["error"]?["details"]?["retry_after"] == .int(35))
        #expect(limited.header("Retry-After") == "35")

        // A fraction of a second is rounded up: 34.75 s → 35.
        let fraction = api.call("/api/v1/layers", auth: APIClient.ownerAuth, at: at(35.25))
        #expect(fraction.body["error"]?["details"]?["retry_after"] == .int(35))
        #expect(fraction.header("Retry-After") == "35")

        // Other callers and health are not affected; a bad token is still 401, not 429.
        #expect(api.call("/api/v1/status", auth: APIClient.readAuth, at: at(35)).status == 200)
        #expect(api.call("/api/v1/health", auth: nil, at: at(35)).status == 200)
        expectError(api.call("/api/v1/status", auth: nil, at: at(35)), status: 401, code: "UNAUTHORIZED")

        // Half a second before: still limited; retry_after rounds up to whole seconds.
        let late = api.call("/api/v1/peers", auth: APIClient.ownerAuth, at: at(69.5))
        expectError(late, status: 429, code: "RATE_LIMITED")
        #expect(late.body["error"]?["details"]?["retry_after"] == .int(1))
        #expect(late.header("Retry-After") == "1")

        let back = api.call("/api/v1/status", auth: APIClient.ownerAuth, at: at(70))
        #expect(back.status == 200)
        #expect(back.body["error"] == nil)
    }

    @Test func healthIsNeverLimited() {
        var api = APIClient()
        for i in 0..<300 {
            let r = api.call("/api/v1/health", auth: nil, at: at(1 + Double(i) * 0.01))
            #expect(r.status == 200)
        }
    }
}

@Suite struct JSONSerializationTests {
    @Test func stringsAreEscaped() {
        let s = JSON.string("say \"hi\"\n\tback\\slash\r/")
        #expect(s.serialized == #""say \"hi\"\n\tback\\slash\r/""#)
        #expect(parses(s.serialized))
        let control = JSON.string("a\u{0}b\u{1}c\u{8}d\u{C}e\u{1F}f")
        let text = control.serialized
        // \b and \f may be written short or as \u escapes; the others must be \u00XX.
        let accepted = [#""a\u0000b\u0001c\u0008d\u000ce\u001ff""#, #""a\u0000b\u0001c\bd\fe\u001ff""#]
        #expect(accepted.contains(text.lowercased()), "got \(text)")
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 }, "raw control character in \(text)")
        #expect(parses(text))
        // Round trip through a real JSON parser gives the original string back.
        let decoded = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? String
        #expect(decoded == "a\u{0}b\u{1}c\u{8}d\u{C}e\u{1F}f")
        let unicode = JSON.string("é → 😀")
        #expect(unicode.serialized == "\"é → 😀\"")
    }

    @Test func numbers() {
        #expect(JSON.int(3).serialized == "3")
        #expect(JSON.int(-42).serialized == "-42")
        #expect(JSON.int(Int64.max).serialized == "9223372036854775807")
        #expect(JSON.double(3).serialized == "3.0")
        #expect(JSON.double(-2).serialized == "-2.0")
        #expect(JSON.double(0.25).serialized == "0.25")
        #expect(JSON.double(.nan).serialized == "null")
        #expect(JSON.double(.infinity).serialized == "null")
        #expect(JSON.double(-.infinity).serialized == "null")
        for v in [1e20, 1e-7, 123456.789, -0.0, 1e15, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude] {
            let text = JSON.double(v).serialized
            #expect(parses(text), "\(v) → \(text)")
            #expect(Double(text) == v, "\(v) → \(text)")
        }
        // An int and a double of the same value are distinct.
        #expect(JSON.int(1) != JSON.double(1))
    }

    @Test func objectsKeepKeyOrder() {
        let o: JSON = ["zeta": 1, "alpha": 2.5, "mid": ["b": true, "a": .null], "list": [1, "x", [], [:]]]
        #expect(o.serialized == #"{"zeta":1,"alpha":2.5,"mid":{"b":true,"a":null},"list":[1,"x",[],{}]}"#)
        #expect(parses(o.serialized))
        let weird: JSON = ["k\"ey\n": .double(.nan)]
        #expect(weird.serialized == #"{"k\"ey\n":null}"#)
    }

    @Test func errorEnvelopeFromAPIError() {
        let e = APIError(.insufficientBalance, "Wallet balance 50.0 NEURO is less than required 100.0 NEURO",
                         details: [("balance", 50.0), ("required", 100.0)])
        #expect(e.response.status == 402)
        #expect(e.response.body.serialized == #"{"error":{"code":"INSUFFICIENT_BALANCE","message":"Wallet balance 50.0 NEURO is less than required 100.0 NEURO","details":{"balance":50.0,"required":100.0}}}"#)
        for code in APIErrorCode.allCases {
            expectError(APIError(code, "m").response, status: code.httpStatus, code: code.rawValue)
        }
    }
}
