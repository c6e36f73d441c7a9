import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import NeuroShardCore
import Server
import Testing
import Yams

/// `docs/openapi.yaml` is the HTTP API's contract: it names every endpoint the node routes, and
/// every response a real node gives — successes, each error, streamed events — fits its schema.
@Suite(.serialized) struct OpenAPITests {
    /// Parsed once; never written after, so sharing it between tests is safe.
    nonisolated(unsafe) static let document: [String: Any] = {
        let text = (try? String(contentsOf: packageRoot.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)) ?? ""
        return ((try? Yams.load(yaml: text)) as? [String: Any]) ?? [:]
    }()

    /// The schema the document gives `method path` for `status` (the `default` error otherwise).
    static func schema(_ method: String, _ path: String, status: Int, contentType: String = "application/json") -> [String: Any]? {
        let paths = document["paths"] as? [String: Any]
        guard let operation = (paths?[path] as? [String: Any])?[method.lowercased()] as? [String: Any],
              let responses = operation["responses"] as? [String: Any] else { return nil }
        var response = (responses[String(status)] ?? responses["default"]) as? [String: Any]
        if let ref = response?["$ref"] as? String { response = resolve(ref) }
        return ((response?["content"] as? [String: Any])?[contentType] as? [String: Any])?["schema"] as? [String: Any]
    }

    static func resolve(_ ref: String) -> [String: Any]? {
        var node: Any? = document
        for part in ref.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
        return node as? [String: Any]
    }

    /// Where `value` breaks `schema` (JSON Schema's type, enum, properties, required,
    /// additionalProperties (false, or a schema), items and $ref), or nil.
    static func violation(_ value: JSONValue, _ schema: [String: Any], at path: String = "$") -> String? {
        if let ref = schema["$ref"] as? String {
            guard let target = resolve(ref) else { return "\(path): unresolved \(ref)" }
            return violation(value, target, at: path)
        }
        if let type = schema["type"] {
            let types = (type as? [String]) ?? [type as? String ?? ""]
            guard types.contains(where: value.is) else { return "\(path): \(value) is not \(types)" }
        }
        if let options = schema["enum"] as? [Any], case .string(let s) = value, !options.contains(where: { "\($0)" == s }) {
            return "\(path): \(s) is not one of \(options)"
        }
        if case .object(let object) = value {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { return "\(path): \(key) is missing" }
            for (key, field) in object.sorted(by: { $0.key < $1.key }) {
                if let sub = properties[key] as? [String: Any] {
                    if let problem = violation(field, sub, at: "\(path).\(key)") { return problem }
                } else if let extra = schema["additionalProperties"] as? [String: Any] {
                    if let problem = violation(field, extra, at: "\(path).\(key)") { return problem }
                } else if schema["additionalProperties"] as? Bool == false {
                    return "\(path): \(key) is not in the document"
                }
            }
        }
        if case .array(let array) = value, let items = schema["items"] as? [String: Any] {
            for (i, item) in array.enumerated() {
                if let problem = violation(item, items, at: "\(path)[\(i)]") { return problem }
            }
        }
        return nil
    }

    private func check(_ node: NodeProcess, _ method: String, _ path: String, undocumented: Bool = false, token: String? = nil,
                       anonymous: Bool = false, body: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Int {
        let r = try await node.call(method, path, token: token, anonymous: anonymous, body: body.map { Data($0.utf8) })
        // A call that is no operation of the document (unknown path, wrong method) gets the error envelope.
        let operation = String(path.prefix { $0 != "?" })
        let schema = try #require(Self.schema(method, operation, status: r.status) ?? (undocumented ? Self.resolve("#/components/schemas/Error") : nil),
                                  "no schema for \(method) \(path) \(r.status)", sourceLocation: sourceLocation)
        let json = try JSONDecoder().decode(JSONValue.self, from: r.body)
        #expect(Self.violation(json, schema) == nil, "\(method) \(path) \(r.status): \(Self.violation(json, schema) ?? "")",
                sourceLocation: sourceLocation)
        return r.status
    }

    @Test func theDocumentNamesEveryEndpoint() {
        let documented = (Self.document["paths"] as? [String: Any] ?? [:]).flatMap { path, ops in
            ((ops as? [String: Any]) ?? [:]).keys.map { "\($0.uppercased()) \(path)" }
        }
        // The core's routes, and the dashboard page the HTTP front serves itself.
        let served = NodeCore.endpoints + Dashboard.endpoints
        #expect(Set(documented) == Set(served), "\(documented.sorted()) vs \(served.sorted())")
    }

    @Test func everyResponseFitsTheDocument() async throws {
        let genesis = ["--genesis", try genesisFile(funding: ["token-a", "token-b"])]
        let a = try await NodeProcess(token: "token-a", ["--no-training", "--api-key", "reader"] + genesis)
        let b = try await NodeProcess(token: "token-b", ["--no-training", "--seed-peers", a.grpc] + genesis)
        #expect(await eventually(within: 15) { await a.get("/api/v1/status")["peer_count"] as? Int == 1 }, "\(b.log)")

        for path in ["/api/v1/status", "/api/v1/metrics", "/api/v1/peers", "/api/v1/layers"] {
            #expect(try await check(a, "GET", path) == 200)
            #expect(try await check(a, "GET", path, token: "reader") == 200)
            #expect(try await check(a, "GET", path, anonymous: true) == 401)
            #expect(try await check(a, "GET", path, token: "wrong") == 401)
        }
        #expect(try await check(a, "GET", "/api/v1/health", anonymous: true) == 200)
        let page = try await a.call("GET", "/", anonymous: true)
        #expect(page.status == 200 && Self.schema("GET", "/", status: 200, contentType: "text/html") != nil)
        #expect(try await check(a, "POST", "/", undocumented: true, anonymous: true) == 404)
        // The wallet: 10 calls a minute, so a few of each answer.
        let to = address(of: "token-b")
        #expect(try await check(a, "GET", "/api/v1/wallet/balance") == 200)
        #expect(try await check(a, "GET", "/api/v1/wallet/balance", token: "reader") == 200)
        #expect(try await check(a, "POST", "/api/v1/wallet/send", body: #"{"to": "\#(to)", "amount": 1.5, "request_id": "r1"}"#) == 200)
        #expect(try await check(a, "POST", "/api/v1/wallet/send", body: #"{"to": "\#(to)", "amount": 1.5, "request_id": "r1"}"#) == 200)
        #expect(try await check(a, "POST", "/api/v1/wallet/send", body: #"{"to": "\#(to)", "amount": 1000000}"#) == 402)
        #expect(try await check(a, "POST", "/api/v1/wallet/send", body: #"{"to": "nobody", "amount": 1}"#) == 400)
        #expect(try await check(a, "POST", "/api/v1/wallet/send", token: "reader", body: #"{"to": "\#(to)", "amount": 1}"#) == 403)
        #expect(try await check(a, "GET", "/api/v1/wallet/transactions") == 200)
        #expect(try await check(b, "GET", "/api/v1/wallet/transactions") == 200, "the receiver's history lists what it got")
        #expect(try await check(a, "GET", "/api/v1/wallet/balance?address=\(to)") == 200)
        // Staking, with b's token (its own wallet limit).
        #expect(try await check(b, "POST", "/api/v1/wallet/stake", body: #"{"amount": 2, "duration_days": 3}"#) == 200)
        #expect(try await check(b, "POST", "/api/v1/wallet/unstake", body: "{}") == 400, "locked for 3 days")
        #expect(try await check(b, "POST", "/api/v1/wallet/stake", body: #"{"amount": 2, "duration_days": 0}"#) == 400)
        #expect(try await check(b, "POST", "/api/v1/wallet/stake", body: #"{"amount": 1000000, "duration_days": 1}"#) == 402)
        #expect(try await check(b, "GET", "/api/v1/wallet/balance") == 200)
        #expect(try await check(b, "GET", "/api/v1/wallet/transactions") == 200, "with the stake")
        let scrape = try await a.call("GET", "/metrics", anonymous: true)
        #expect(scrape.status == 200 && Self.schema("GET", "/metrics", status: 200, contentType: "text/plain") != nil)
        #expect(String(decoding: scrape.body, as: UTF8.self).contains("\nneuroshard_inference_requests_total "))
        #expect(try await check(a, "POST", "/api/v1/inference", body: #"{"prompt": "Hi", "max_tokens": 4}"#) == 200)
        #expect(try await check(a, "POST", "/api/v1/inference", body: #"{"prompt": 4}"#) == 400)
        #expect(try await check(a, "POST", "/api/v1/inference", body: "{not json") == 400)
        #expect(try await check(a, "POST", "/api/v1/inference", body: String(repeating: "x", count: 2 << 20)) == 400)
        #expect(try await check(a, "GET", "/api/v1/inference", undocumented: true) == 405)
        #expect(try await check(a, "GET", "/api/v1/nowhere", undocumented: true) == 404)
        for _ in 0..<100 { _ = try await a.call("GET", "/api/v1/layers", token: "reader") }
        #expect(try await check(a, "GET", "/api/v1/layers", token: "reader") == 429)

        // A streamed answer: each token event and the final body fit their schemas.
        var request = URLRequest(url: a.base.appendingPathComponent("/api/v1/inference"))
        request.httpMethod = "POST"
        request.setValue("Bearer token-a", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(#"{"prompt": "Hi", "max_tokens": 3, "stream": true}"#.utf8)
        let (data, _) = try await URLSession.shared.data(for: request)
        let events = String(decoding: data, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect((2...4).contains(events.count), "\(events)") // 3 tokens, fewer if the model ends first
        for event in events {
            let final = event.hasPrefix("event: done\n")
            let json = try JSONDecoder().decode(JSONValue.self, from: Data(event.components(separatedBy: "data: ").last!.utf8))
            let schema = try #require(Self.resolve("#/components/schemas/\(final ? "Inference" : "TokenEvent")"))
            #expect(Self.violation(json, schema) == nil, "\(event): \(Self.violation(json, schema) ?? "")")
        }
        for node in [a, b] { #expect(node.stop().status == 0) }
    }

    @Test func theCheckerCatchesWhatBreaksASchema() throws {
        func json(_ text: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
        let health = try #require(Self.resolve("#/components/schemas/Health"))
        let checks = #""checks": {"node": true, "network": true, "model": true}"#
        #expect(Self.violation(try json(#"{"healthy": true, \#(checks)}"#), health) == nil)
        #expect(Self.violation(try json(#"{"healthy": true}"#), health)?.contains("checks is missing") == true)
        #expect(Self.violation(try json(#"{"healthy": 1, \#(checks)}"#), health)?.contains("is not") == true)
        #expect(Self.violation(try json(#"{"healthy": true, "extra": 1, \#(checks)}"#), health)?.contains("extra") == true)
        let layers = try #require(Self.resolve("#/components/schemas/Layers"))
        let layer = #""total_layers": 4, "my_layer_count": 1, "layers": [{"index": %@, "type": "%@", "memory_mb": 1, "status": "ready"}]"#
        #expect(Self.violation(try json("{" + String(format: layer, "1", "embedding") + "}"), layers) == nil)
        #expect(Self.violation(try json("{" + String(format: layer, "1.5", "embedding") + "}"), layers) != nil)
        #expect(Self.violation(try json("{" + String(format: layer, "true", "embedding") + "}"), layers) != nil)
        #expect(Self.violation(try json("{" + String(format: layer, "1", "head") + "}"), layers) != nil)
    }
}

/// JSON as parsed, keeping what Foundation's `Any` loses: a boolean is not a number, 1 is not 1.5.
indirect enum JSONValue: Decodable, CustomStringConvertible {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Whether this is of JSON Schema type `type`.
    func `is`(_ type: String) -> Bool {
        switch (self, type) {
        case (.null, "null"), (.bool, "boolean"), (.number, "number"), (.string, "string"), (.array, "array"), (.object, "object"): true
        case (.number(let d), "integer"): d.rounded() == d
        default: false
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let d): "\(d)"
        case .string(let s): "\"\(s)\""
        case .array(let a): "[\(a.count) items]"
        case .object(let o): "{\(o.keys.sorted().joined(separator: ", "))}"
        }
    }
}
