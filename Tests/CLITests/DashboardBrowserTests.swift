import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The dashboard a node serves at `GET /`: a page without data that headless Chromium renders
/// into the node's own figures, read from the API with the token in the URL fragment.
@Suite(.serialized) struct DashboardBrowserTests {
    static let token = "dashboard-owner"
    static let recipient = "dashboard-recipient"

    /// `GET path` without any header: status, headers, body.
    private func fetch(_ node: NodeProcess, _ path: String, method: String = "GET") async throws
        -> (status: Int, headers: [AnyHashable: Any], body: String) {
        var components = URLComponents(url: node.base, resolvingAgainstBaseURL: false)!
        components.path = path
        var request = URLRequest(url: components.url!)
        request.httpMethod = method
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return (http.statusCode, http.allHeaderFields, String(decoding: data, as: UTF8.self))
    }

    private func header(_ name: String, _ headers: [AnyHashable: Any]) -> String? {
        headers.first { ($0.key as? String)?.lowercased() == name.lowercased() }?.value as? String
    }

    @Test func thePageIsServedWithoutAuthAndFetchesNothingElsewhere() async throws {
        let node = try await NodeProcess(token: Self.token, ["--no-training"])
        for path in ["/", "/index.html"] {
            let page = try await fetch(node, path)
            #expect(page.status == 200, "\(path)")
            #expect(header("Content-Type", page.headers) == "text/html; charset=utf-8")
            #expect(page.body.hasPrefix("<!doctype html>") && page.body.contains("</html>"))
            // Self-contained: no URL of any kind, so nothing is loaded from elsewhere.
            #expect(!page.body.contains("http://") && !page.body.contains("https://"))
            #expect(!page.body.contains("<link") && !page.body.contains(" src=") && !page.body.contains("@import"))
            #expect(header("Content-Security-Policy", page.headers)?.contains("connect-src 'self'") == true)
            // The page carries no data and no secret.
            #expect(!page.body.contains(node.id) && !page.body.contains(Self.token))
        }
        // Other methods on / are the core's: its error envelope.
        let post = try await node.call("POST", "/", anonymous: true)
        #expect(post.status == 404)
        #expect(errorCode(post.json) == "NOT_FOUND", "\(String(decoding: post.body, as: UTF8.self))")
        // The API still needs its token.
        #expect(try await node.call("GET", "/api/v1/status", anonymous: true).status == 401)
        #expect(node.stop().status == 0)
    }

    @Test func itShowsTheNodesTrainingAndWallet() async throws {
        let dir = try temporaryFolder("dashboard")
        defer { cleanUp(dir) }
        let genesis = try genesisFile(funding: [Self.token, Self.recipient])
        let node = try await NodeProcess(token: Self.token, ["--genesis", genesis, "--data-dir", dir.path])

        // A lone node ends a DiLoCo round about every second: wait for a few losses (polling
        // gently: the status class allows 100 calls a minute, and the page needs some).
        var history: [[String: Any]] = []
        for _ in 0..<60 where history.count < 3 {
            try await Task.sleep(for: .seconds(1))
            history = ((await node.get("/api/v1/metrics"))["training"] as? [String: Any])?["loss_history"] as? [[String: Any]] ?? []
        }
        #expect(history.count >= 3, "loss history: \(history)\n\(node.log)")

        // One transfer, so the table has a row (wallet calls: 10 a minute, this test makes 7).
        let sent = try await node.call("POST", "api/v1/wallet/send",
                                       body: Data(#"{"to": "\#(address(of: Self.recipient))", "amount": 1.5, "memo": "dashboard"}"#.utf8))
        #expect(sent.status == 200, "\(sent.json)")
        let transaction = try #require(sent.json["transaction_id"] as? String)
        let before = try await balances(node)

        let url = URL(string: "\(node.base.absoluteString)/#token=\(Self.token)")!
        let dom = try await loadedDOM(url)
        let after = try await balances(node)
        let status = await node.get("/api/v1/status")
        let metrics = await node.get("/api/v1/metrics")

        #expect(dom.contains(#"data-state="connected""#))
        #expect(text(of: "node-id", in: dom) == node.id)
        #expect(text(of: "role", in: dom) == status["role"] as? String)
        let layers = try #require(status["layers"] as? [Int])
        let range = layers.count == 1 ? "\(layers[0])" : "\(layers.min()!)–\(layers.max()!)"
        #expect(text(of: "layers", in: dom)?.hasPrefix(range) == true, "layers \(layers): \(text(of: "layers", in: dom) ?? "-")")
        #expect(text(of: "node-status", in: dom) == status["status"] as? String)

        // The balance as /wallet/balance reports it (rewards may have landed between two calls).
        let shown = text(of: "balance-available", in: dom)
        #expect([before, after].contains { neuro($0["available"]) == shown }, "shown \(shown ?? "-"), API \(before) then \(after)")
        let total = text(of: "balance-total", in: dom)
        #expect([before, after].contains { "\(neuro($0["total"])) NEURO" == total }, "total \(total ?? "-")")

        // The transfer: its id and amount.
        let transactions = try #require(text(of: "transactions", in: dom))
        #expect(transactions.contains(transaction), "\(transactions)")
        #expect(transactions.contains("sent") && transactions.contains("−1.5"), "\(transactions)")
        #expect(transactions.contains(address(of: Self.recipient)))

        // A loss figure the node reported, and the curve of its history.
        let loss = try #require(text(of: "loss", in: dom).flatMap(Double.init), "loss: \(text(of: "loss", in: dom) ?? "-")")
        let losses = (((metrics["training"] as? [String: Any])?["loss_history"] as? [[String: Any]]) ?? []).compactMap { $0["loss"] as? Double }
        #expect(losses.contains { abs($0 - loss) <= 1e-4 * $0 }, "shown loss \(loss) is none of \(losses)")
        let line = try #require(dom.components(separatedBy: #"<polyline id="loss-line""#).dropFirst().first, "no loss curve")
        let points = line.components(separatedBy: #"points=""#).dropFirst().first?.prefix { $0 != "\"" }.split(separator: " ") ?? []
        #expect(points.count >= 2, "curve points: \(points)")
        #expect(points.allSatisfy { $0.split(separator: ",").compactMap { Double($0) }.count == 2 })
        #expect(text(of: "loss-range", in: dom)?.contains("points") == true)

        // Nothing went wrong on the way, and the prompt is put away.
        #expect(dom.contains(#"<div id="alert" class="alert" role="alert" hidden="">"#), "\(text(of: "alert", in: dom) ?? "")")
        #expect(dom.contains(#"<section id="prompt" hidden="">"#))

        // The docs' picture of it: NEURODOCS_SCREENSHOT=1 writes docs/images/dashboard.png, after
        // a longer curve and with a peer in the table.
        let forDocs = ProcessInfo.processInfo.environment["NEURODOCS_SCREENSHOT"] == "1"
        var peer: NodeProcess?
        if forDocs {
            for _ in 0..<60 where history.count < 30 {
                try await Task.sleep(for: .seconds(1))
                history = ((await node.get("/api/v1/metrics"))["training"] as? [String: Any])?["loss_history"] as? [[String: Any]] ?? []
            }
            peer = try await NodeProcess(token: "dashboard-peer", ["--no-training", "--seed-peers", node.grpc, "--data-dir", dir.appendingPathComponent("peer").path])
            for _ in 0..<20 where (await node.get("/api/v1/status"))["peer_count"] as? Int != 1 { try await Task.sleep(for: .seconds(1)) }
        }
        let shot = dir.appendingPathComponent("dashboard.png")
        try await screenshot(url: url, to: shot, width: 1200, height: 900, budgetMs: 3000)
        #expect(try Data(contentsOf: shot).prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        if forDocs {
            _ = peer?.stop()
            let target = packageRoot.appendingPathComponent("docs/images/dashboard.png")
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: shot, to: target)
        }
        #expect(node.stop().status == 0)
    }

    @Test func withoutATokenItAsksForOneAndWithAWrongOneItSays401() async throws {
        let node = try await NodeProcess(token: Self.token, ["--no-training"])
        let bare = try await renderedDOM(url: URL(string: node.base.absoluteString + "/")!, budgetMs: 1500)
        #expect(bare.contains(#"data-state="prompt""#), "\(bare.prefix(300))")
        #expect(bare.contains(#"<section id="prompt">"#), "the prompt is shown")
        #expect(bare.contains(#"<section id="dash" class="grid" hidden="">"#), "the figures are not")
        #expect(text(of: "node-id", in: bare) == "—")
        #expect(!bare.contains(node.id))
        #expect(text(of: "alert", in: bare) == "")

        let wrong = try await loadedDOM(URL(string: "\(node.base.absoluteString)/#token=not-the-token")!, state: "unauthorized")
        #expect(wrong.contains(#"<section id="prompt">"#))
        let alert = try #require(text(of: "alert", in: wrong))
        #expect(alert.contains("401 UNAUTHORIZED") && alert.contains("Invalid API token"), "\(alert)")
        #expect(!wrong.contains(node.id))
        #expect(text(of: "node-id", in: wrong) == "—")
        #expect(node.stop().status == 0)
    }

    // MARK: - Helpers

    /// The DOM once the page's first fetches are in (`data-loaded`), or in `state`: virtual time
    /// pauses for network fetches, so one dump normally has it; a few tries for a slow machine.
    private func loadedDOM(_ url: URL, state: String? = nil) async throws -> String {
        var dom = ""
        for attempt in 1...3 {
            dom = try await renderedDOM(url: url, budgetMs: 1500 * attempt)
            let done = state.map { dom.contains(#"data-state="\#($0)""#) } ?? dom.contains(#"data-loaded="true""#)
            if done { return dom }
        }
        Issue.record("the page never loaded: \(visibleText(dom).prefix(1000))")
        return dom
    }

    private func balances(_ node: NodeProcess) async throws -> [String: Double] {
        let r = try await node.call("GET", "api/v1/wallet/balance")
        #expect(r.status == 200, "\(r.json)")
        return (r.json["balances"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Double }
    }

    /// NEURO as the page writes it: rounded to 6 decimals, shortest form, no ".0".
    private func neuro(_ value: Double?) -> String {
        guard let value else { return "—" }
        let rounded = (value * 1e6).rounded() / 1e6
        return rounded == rounded.rounded() ? String(Int(rounded)) : "\(rounded)"
    }

    /// The text of the element with `id` in serialized HTML: up to its tag's first closing tag,
    /// tags dropped, white space collapsed and trimmed.
    private func text(of id: String, in html: String) -> String? {
        guard let start = html.range(of: #"id="\#(id)""#),
              let open = html[..<start.lowerBound].range(of: "<", options: .backwards) else { return nil }
        let tag = html[open.upperBound...].prefix { $0.isLetter || $0.isNumber }
        guard let body = html[start.upperBound...].range(of: ">"),
              let close = html[body.upperBound...].range(of: "</\(tag)>") else { return nil }
        return visibleText(String(html[body.upperBound..<close.lowerBound])).trimmingCharacters(in: .whitespaces)
    }
}
