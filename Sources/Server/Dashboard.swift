import HTTPTypes
import Hummingbird
import Ledger

/// The node's dashboard at `GET /` (and `/index.html`): one self-contained page — inline CSS and
/// script, no external resource of any kind. The page carries no data and needs no token; its
/// script reads the API (`/api/v1/...`) with the token the operator gives it in the URL fragment
/// (`/#token=…`, which browsers never send to the server) or in its form, and keeps the token in
/// the tab's sessionStorage only.
///
/// Refreshing: the status class (status, metrics, peers) every 5 s — 36 of its 100 calls a
/// minute; the wallet (balance, transactions) every 20 s — 6 of its 10 a minute, leaving room
/// for a send. A 429 pauses that group for its `retry_after`.
public enum Dashboard {
    /// What the HTTP front answers itself (the OpenAPI document names these with the core's).
    public static let endpoints = ["GET /"]
    static let paths: Set<String> = ["/", "/index.html"]

    static func serves(_ request: Request) -> Bool {
        request.method == .get && paths.contains(request.uri.path)
    }

    static var response: Response {
        Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: page))
    }

    private static let page = ByteBuffer(string: html)

    private static let headers: HTTPFields = {
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-cache",
        ]
        // Belt and braces for "no external requests": only this origin's API may be fetched,
        // and nobody may frame the page that takes a token.
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return headers
    }()

    public static let html = #"""
<!doctype html>
<html lang="en" data-state="starting">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>NeuroShard node</title>
<style>
  :root {
    --bg: #f5f6f8; --card: #ffffff; --line: #e2e5ea; --text: #1d2330; --muted: #687082;
    --accent: #2563c9; --accent-soft: rgba(37, 99, 201, 0.10); --good: #1a7f4b; --warn: #a86400;
    --bad: #b42318; --bad-soft: #fdf0ee;
    --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
    --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 var(--sans); }
  header { background: var(--card); border-bottom: 1px solid var(--line); }
  .bar { max-width: 1240px; margin: 0 auto; padding: 14px 24px; display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
  .brand { font-weight: 650; font-size: 17px; letter-spacing: -0.01em; }
  .brand span { color: var(--accent); }
  .ident { display: flex; align-items: center; gap: 10px; min-width: 0; }
  .mono { font-family: var(--mono); font-size: 12.5px; }
  .muted { color: var(--muted); }
  .pill { display: inline-block; padding: 2px 9px; border-radius: 999px; font-size: 12px; font-weight: 600;
          background: #eef0f3; color: var(--muted); }
  .pill.running { background: #e6f4ec; color: var(--good); }
  .pill.joining, .pill.assigning { background: #fdf3e3; color: var(--warn); }
  .pill.error { background: var(--bad-soft); color: var(--bad); }
  .spacer { flex: 1; }
  button { font: inherit; border: 1px solid var(--line); background: var(--card); color: var(--text);
           border-radius: 7px; padding: 5px 12px; cursor: pointer; }
  button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
  button:hover { filter: brightness(0.97); }
  main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 8px; }
  .alert { border: 1px solid #f2c4bd; background: var(--bad-soft); color: var(--bad); border-radius: 10px;
           padding: 10px 14px; margin-bottom: 16px; }
  .alert p { margin: 2px 0; }
  .grid { display: grid; grid-template-columns: repeat(12, minmax(0, 1fr)); gap: 16px; }
  .card { grid-column: span 4; background: var(--card); border: 1px solid var(--line); border-radius: 12px;
          padding: 16px 18px; min-width: 0; }
  .card.wide { grid-column: span 8; }
  .card.half { grid-column: span 6; }
  .card h2 { margin: 0 0 12px; font-size: 12px; font-weight: 650; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }
  .big { font-size: 26px; font-weight: 650; letter-spacing: -0.02em; font-variant-numeric: tabular-nums; }
  .big small { font-size: 13px; font-weight: 500; color: var(--muted); margin-left: 4px; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 6px 14px; margin: 12px 0 0; }
  dt { color: var(--muted); }
  dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  h3 { font-size: 12px; font-weight: 600; color: var(--muted); margin: 16px 0 0; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; table-layout: fixed; }
  th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; padding: 6px 8px; border-bottom: 1px solid var(--line); }
  td { padding: 7px 8px; border-bottom: 1px solid #f0f2f5; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  tr:last-child td { border-bottom: none; }
  td.num, th.num { text-align: right; }
  .in { color: var(--good); } .out { color: var(--bad); }
  .empty { color: var(--muted); padding: 14px 0 4px; }
  .chart-head { display: flex; align-items: baseline; justify-content: space-between; }
  svg { display: block; width: 100%; height: auto; }
  svg text { font: 11px var(--sans); fill: var(--muted); }
  .card-error { color: var(--bad); font-size: 12.5px; margin-top: 8px; }
  #prompt { max-width: 520px; margin: 40px auto; }
  #prompt .card { padding: 22px 24px; }
  #prompt h2 { font-size: 16px; text-transform: none; letter-spacing: 0; color: var(--text); }
  #prompt form { display: flex; gap: 8px; margin-top: 14px; }
  #prompt input { flex: 1; font: inherit; padding: 6px 10px; border: 1px solid var(--line); border-radius: 7px; }
  footer { max-width: 1240px; margin: 0 auto; padding: 12px 24px 24px; color: var(--muted); font-size: 12px; }
  [hidden] { display: none !important; }
  @media (max-width: 900px) { .card, .card.wide, .card.half { grid-column: span 12; } }
</style>
</head>
<body>
<header>
  <div class="bar">
    <div class="brand">Neuro<span>Shard</span></div>
    <div class="ident"><span class="muted">node</span> <span id="node-id" class="mono">—</span>
      <span id="node-status" class="pill">—</span></div>
    <div class="spacer"></div>
    <span id="updated" class="muted"></span>
    <button id="forget" type="button" hidden>Forget token</button>
  </div>
</header>
<main>
  <div id="alert" class="alert" role="alert" hidden></div>
  <section id="prompt" hidden>
    <div class="card">
      <h2>Connect to this node</h2>
      <div class="muted">The dashboard reads the node's API with its token (or a read-only API key).
        The token stays in this browser tab (sessionStorage). You can also open
        <span class="mono">/#token=…</span>; the part after # is never sent to the server.</div>
      <form id="token-form" autocomplete="off">
        <input id="token-input" type="password" placeholder="API token" aria-label="API token" required>
        <button class="primary" type="submit">Connect</button>
      </form>
    </div>
  </section>
  <section id="dash" class="grid" hidden>
    <div class="card">
      <h2>Node</h2>
      <div class="big" id="role">—</div>
      <dl>
        <dt>Layers</dt><dd id="layers">—</dd>
        <dt>Uptime</dt><dd id="uptime">—</dd>
        <dt>Peers</dt><dd id="peer-count">—</dd>
        <dt>Version</dt><dd id="version">—</dd>
        <dt>Memory</dt><dd id="memory">—</dd>
        <dt>CPU</dt><dd id="cpu">—</dd>
      </dl>
    </div>
    <div class="card">
      <h2>Training</h2>
      <div class="big"><span id="loss">—</span><small>loss</small></div>
      <dl>
        <dt>Step</dt><dd id="step">—</dd>
        <dt>Outer rounds</dt><dd id="outer-rounds">—</dd>
        <dt>Steps / hour</dt><dd id="steps-hour">—</dd>
        <dt>Updates sent</dt><dd id="grad-submitted">—</dd>
        <dt>Updates accepted / rejected</dt><dd id="grad-accepted">—</dd>
        <dt>Training</dt><dd id="training-enabled">—</dd>
      </dl>
    </div>
    <div class="card">
      <h2>Wallet</h2>
      <div class="big"><span id="balance-available">—</span><small>NEURO available</small></div>
      <dl>
        <dt>Staked</dt><dd id="balance-staked">—</dd>
        <dt>Pending</dt><dd id="balance-pending">—</dd>
        <dt>Total</dt><dd id="balance-total">—</dd>
        <dt>Earned today</dt><dd id="earned-today">—</dd>
        <dt>Earned in all</dt><dd id="earned-total">—</dd>
      </dl>
      <div id="wallet-error" class="card-error" hidden></div>
    </div>
    <div class="card wide">
      <div class="chart-head"><h2>Training loss</h2><span id="loss-range" class="muted"></span></div>
      <svg id="loss-chart" viewBox="0 0 760 250" role="img" aria-label="Training loss by step"></svg>
    </div>
    <div class="card">
      <h2>Inference</h2>
      <dl>
        <dt>Requests</dt><dd id="inf-requests">—</dd>
        <dt>Per minute</dt><dd id="inf-rpm">—</dd>
        <dt>Latency avg / p99</dt><dd id="inf-latency">—</dd>
        <dt>Tokens generated</dt><dd id="inf-tokens">—</dd>
      </dl>
      <h3>Network</h3>
      <dl>
        <dt>Sent / received</dt><dd id="net-bytes">—</dd>
        <dt>RPC calls</dt><dd id="net-rpc">—</dd>
        <dt>Connections</dt><dd id="net-conn">—</dd>
      </dl>
    </div>
    <div class="card half">
      <h2>Peers <span id="peers-total" class="muted"></span></h2>
      <table>
        <colgroup><col style="width:25%"><col style="width:29%"><col style="width:11%"><col style="width:10%"><col style="width:14%"><col style="width:11%"></colgroup>
        <thead><tr><th>Node</th><th>Address</th><th>Role</th><th>Layers</th><th class="num">Latency</th><th class="num">For</th></tr></thead>
        <tbody id="peers"></tbody>
      </table>
      <div id="peers-empty" class="empty" hidden>No peers yet.</div>
    </div>
    <div class="card half">
      <h2>Recent transactions</h2>
      <table>
        <colgroup><col style="width:15%"><col style="width:15%"><col style="width:17%"><col style="width:24%"><col style="width:29%"></colgroup>
        <thead><tr><th>Time</th><th>Type</th><th class="num">NEURO</th><th>Counterparty</th><th>Transaction</th></tr></thead>
        <tbody id="transactions"></tbody>
      </table>
      <div id="transactions-empty" class="empty" hidden>No transactions yet.</div>
    </div>
  </section>
</main>
<footer>
  Status, metrics and peers refresh every 5 s (36 of the status class's 100 calls a minute per token);
  balance and transactions every 20 s (6 of the wallet's 10 calls a minute per token, leaving room for sends).
  The token is kept in this tab only and sent to this node's API alone.
</footer>
<script>
"use strict";
(function () {
  var STATUS_EVERY = 5000, WALLET_EVERY = 20000, KEY = "neuroshard.token";
  var $ = function (id) { return document.getElementById(id); };
  var token = null, errors = {}, pausedUntil = {}, seen = {}, timers = [];
  // Bumped by every connect and prompt: answers to an older connection's calls are dropped,
  // so a late 401 for a token just replaced cannot sign the new one out.
  var generation = 0;

  // ---- token: from #token=… (then removed from the address bar), else sessionStorage, else the form
  function tokenInHash() {
    var m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (!m) return null;
    try { return decodeURIComponent(m[1]); } catch (e) { return m[1]; } // "+" stays "+"
  }

  function readToken() {
    var fromHash = tokenInHash();
    if (fromHash) {
      sessionStorage.setItem(KEY, fromHash);
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem(KEY);
  }

  // ---- formatting (every value ends up in textContent, never in markup)
  function num(x, digits) { return typeof x === "number" && isFinite(x) ? x.toFixed(digits) : "—"; }
  function count(x) { return typeof x === "number" ? String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : "—"; }
  function neuro(x) { return typeof x === "number" && isFinite(x) ? String(Number(x.toFixed(6))) : "—"; }
  function loss(x) { return typeof x === "number" && isFinite(x) ? x.toPrecision(5) : "—"; }
  function duration(s) {
    if (typeof s !== "number" || !isFinite(s) || s < 0) return "—";
    s = Math.floor(s);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    if (d > 0) return d + "d " + h + "h " + m + "m";
    if (h > 0) return h + "h " + m + "m " + sec + "s";
    if (m > 0) return m + "m " + sec + "s";
    return sec + "s";
  }
  function bytes(b) {
    if (typeof b !== "number") return "—";
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
    return (i === 0 ? String(b) : b.toFixed(1)) + " " + units[i];
  }
  function range(list) {
    if (!Array.isArray(list) || list.length === 0) return "none";
    var lo = Math.min.apply(null, list), hi = Math.max.apply(null, list);
    return lo === hi ? String(lo) : lo + "–" + hi;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // A Unix time as local date and time; `short`: the time alone when it is today.
  function clock(unixSeconds, short) {
    if (!(unixSeconds > 0)) return "—"; // genesis entries carry no time
    var d = new Date(unixSeconds * 1000), today = new Date().toDateString() === d.toDateString();
    var date = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
    var time = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    return short ? (today ? time : date) : date + " " + time;
  }
  function set(id, text) { $(id).textContent = text; }
  function cell(text, cls, title) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    if (title) td.title = title;
    return td;
  }
  function fill(tbodyId, emptyId, rows) {
    var body = $(tbodyId);
    body.replaceChildren.apply(body, rows);
    $(emptyId).hidden = rows.length > 0;
  }

  // ---- the API
  function call(path) {
    return fetch(path, { headers: { "Authorization": "Bearer " + token, "Accept": "application/json" }, cache: "no-store" })
      .then(function (r) {
        return r.json().catch(function () { return null; }).then(function (body) {
          if (r.ok) return body;
          var e = (body && body.error) || {};
          var err = new Error(e.message || ("HTTP " + r.status));
          err.status = r.status; err.code = e.code || "HTTP_" + r.status; err.details = e.details || {};
          throw err;
        });
      }, function (cause) {
        var err = new Error("the node did not answer (" + cause.message + ")");
        err.status = 0; err.code = "NETWORK";
        throw err;
      });
  }

  function describe(group, err) {
    if (err.status === 401) return "401 UNAUTHORIZED — the node refused this token (" + err.message + "). Enter the node's token or a read-only API key.";
    if (err.status === 429) return "429 RATE_LIMITED — " + err.message + "; " + group + " refresh paused for " + (err.details.retry_after || 60) + " s.";
    if (err.status === 0) return "The node did not answer: " + err.message + ".";
    return err.status + " " + err.code + " — " + err.message;
  }

  function showErrors() {
    var box = $("alert"), lines = [];
    Object.keys(errors).forEach(function (k) { if (errors[k]) lines.push(errors[k]); });
    box.replaceChildren.apply(box, lines.map(function (t) { var p = document.createElement("p"); p.textContent = t; return p; }));
    box.hidden = lines.length === 0;
  }

  function failed(group, err) {
    if (err.status === 401) { unauthorized(describe(group, err)); return; }
    if (err.status === 429) pausedUntil[group] = Date.now() + 1000 * (err.details.retry_after || 60);
    if (group === "wallet" && err.status === 503) {
      $("wallet-error").hidden = false;
      set("wallet-error", "No wallet here: " + err.message);
      errors.wallet = null;
    } else {
      errors[group] = describe(group, err);
    }
    showErrors();
  }

  function loaded(group) {
    seen[group] = true;
    if (seen.status && seen.wallet) document.documentElement.setAttribute("data-loaded", "true");
  }

  // ---- rendering
  function renderStatus(s, m, p) {
    set("node-id", s.node_id);
    var pill = $("node-status");
    pill.textContent = s.status; pill.className = "pill " + s.status;
    set("role", s.role);
    set("layers", range(s.layers) + (s.has_embedding ? " · embedding" : "") + (s.has_lm_head ? " · LM head" : ""));
    set("uptime", duration(s.uptime_seconds));
    set("peer-count", count(s.peer_count));
    set("version", s.version);
    set("memory", bytes(s.resources.ram_used) + " of " + bytes(s.resources.ram_total));
    set("cpu", num(s.resources.cpu_percent, 1) + " %");
    set("loss", loss(s.training.loss));
    set("step", count(s.training.step));
    set("training-enabled", s.training.enabled ? "on (round " + s.training.epoch + ")" : "off");

    var t = m.training, inf = m.inference, net = m.network, rw = m.rewards;
    set("outer-rounds", count(t.outer_rounds));
    set("steps-hour", count(t.steps_per_hour));
    set("grad-submitted", count(t.gradients_submitted));
    set("grad-accepted", count(t.gradients_accepted) + " / " + count(t.gradients_rejected));
    set("inf-requests", count(inf.requests_total));
    set("inf-rpm", num(inf.requests_per_minute, 2));
    set("inf-latency", num(inf.avg_latency_ms, 0) + " / " + num(inf.p99_latency_ms, 0) + " ms");
    set("inf-tokens", count(inf.tokens_generated));
    set("net-bytes", bytes(net.bytes_sent) + " / " + bytes(net.bytes_received));
    set("net-rpc", count(net.rpc_calls));
    set("net-conn", count(net.active_connections));
    set("earned-today", neuro(rw.earned_today) + " NEURO");
    set("earned-total", neuro(rw.earned_total) + " NEURO");
    drawLoss(t.loss_history || []);

    set("peers-total", "(" + p.total + ")");
    var now = Date.now() / 1000;
    fill("peers", "peers-empty", p.peers.map(function (peer) {
      var tr = document.createElement("tr");
      // connected_since: a Unix time on a real node (seconds on the simulator's clock otherwise).
      var since = peer.connected_since > 1e9 ? now - peer.connected_since : null;
      tr.append(cell(peer.id, "mono", peer.id), cell(peer.address, "mono", peer.address), cell(peer.role),
                cell(range(peer.layers)),
                cell(peer.latency_ms == null ? "—" : num(peer.latency_ms, peer.latency_ms < 10 ? 1 : 0) + " ms", "num"),
                cell(since == null ? "—" : duration(since), "num"));
      return tr;
    }));
  }

  function renderWallet(b, txs) {
    $("wallet-error").hidden = true;
    set("balance-available", neuro(b.balances.available));
    set("balance-staked", neuro(b.balances.staked) + " NEURO");
    set("balance-pending", neuro(b.balances.pending) + " NEURO");
    set("balance-total", neuro(b.balances.total) + " NEURO");
    fill("transactions", "transactions-empty", txs.transactions.map(function (tx) {
      var tr = document.createElement("tr");
      var outgoing = tx.type === "sent" || tx.type === "stake";
      var who = tx.to || tx.from || "";
      var amount = (outgoing ? "−" : "+") + neuro(tx.amount);
      var detail = neuro(tx.amount) + " NEURO" + (tx.fee > 0 ? ", and a fee of " + neuro(tx.fee) + " burned" : "");
      tr.append(cell(clock(tx.timestamp, true), null, clock(tx.timestamp, false)), cell(tx.type),
                cell(amount, "num " + (outgoing ? "out" : "in"), detail),
                cell(who || "—", "mono", who + (tx.memo ? " — " + tx.memo : "")),
                cell(tx.transaction_id || "—", "mono", tx.transaction_id || ""));
      return tr;
    }));
  }

  function svg(tag, attrs, text) {
    // The chart's own namespace (SVG's), so that the page names no URL at all.
    var e = document.createElementNS($("loss-chart").namespaceURI, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text != null) e.textContent = text;
    return e;
  }

  function drawLoss(points) {
    var chart = $("loss-chart"), W = 760, H = 250, L = 56, R = 16, T = 14, B = 30;
    var parts = [];
    if (points.length < 2) {
      parts.push(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle" },
        points.length === 0 ? "No loss reported yet: the node reports one after each training round."
                            : "One loss so far (" + loss(points[0].loss) + "); the curve starts with the next."));
      chart.replaceChildren.apply(chart, parts);
      set("loss-range", "");
      return;
    }
    var xs = points.map(function (p) { return p.step; }), ys = points.map(function (p) { return p.loss; });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    if (x1 === x0) x1 = x0 + 1;
    var padY = (y1 - y0) * 0.08 || Math.abs(y1) * 0.05 || 1;
    y0 -= padY; y1 += padY;
    var px = function (x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
    var py = function (y) { return T + (y1 - y) / (y1 - y0) * (H - T - B); };
    for (var i = 0; i <= 4; i++) {
      var v = y0 + (y1 - y0) * i / 4, y = py(v).toFixed(1);
      parts.push(svg("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#e2e5ea", "stroke-width": 1 }));
      parts.push(svg("text", { x: L - 8, y: Number(y) + 4, "text-anchor": "end" }, v.toPrecision(3)));
    }
    parts.push(svg("text", { x: L, y: H - 8, "text-anchor": "start" }, "step " + count(x0)));
    parts.push(svg("text", { x: W - R, y: H - 8, "text-anchor": "end" }, "step " + count(x1)));
    var coords = points.map(function (p) { return px(p.step).toFixed(1) + "," + py(p.loss).toFixed(1); });
    var base = py(y0).toFixed(1);
    parts.push(svg("polygon", { points: px(x0).toFixed(1) + "," + base + " " + coords.join(" ") + " " + px(xs[xs.length - 1]).toFixed(1) + "," + base,
                                fill: "rgba(37, 99, 201, 0.10)", stroke: "none" }));
    parts.push(svg("polyline", { id: "loss-line", points: coords.join(" "), fill: "none", stroke: "#2563c9",
                                 "stroke-width": 2, "stroke-linejoin": "round", "stroke-linecap": "round" }));
    var last = points[points.length - 1];
    parts.push(svg("circle", { cx: px(last.step).toFixed(1), cy: py(last.loss).toFixed(1), r: 3.5, fill: "#2563c9" }));
    chart.replaceChildren.apply(chart, parts);
    set("loss-range", points.length + " points · " + loss(points[0].loss) + " → " + loss(last.loss));
  }

  // ---- refresh loops
  function paused(group) { return pausedUntil[group] && Date.now() < pausedUntil[group]; }

  function refreshStatus() {
    if (!token || paused("status") || document.hidden) return;
    var g = generation;
    Promise.all([call("/api/v1/status"), call("/api/v1/metrics"), call("/api/v1/peers")]).then(function (r) {
      if (g !== generation) return;
      renderStatus(r[0], r[1], r[2]);
      errors.status = null; showErrors(); showDash();
      set("updated", "updated " + new Date().toLocaleTimeString());
      loaded("status");
    }).catch(function (err) { if (g === generation) { failed("status", err); loaded("status"); } });
  }

  function refreshWallet() {
    if (!token || paused("wallet") || document.hidden) return;
    var g = generation;
    Promise.all([call("/api/v1/wallet/balance"), call("/api/v1/wallet/transactions?limit=8")]).then(function (r) {
      if (g !== generation) return;
      renderWallet(r[0], r[1]);
      errors.wallet = null; showErrors();
      loaded("wallet");
    }).catch(function (err) { if (g === generation) { failed("wallet", err); loaded("wallet"); } });
  }

  function showDash() {
    $("prompt").hidden = true; $("dash").hidden = false; $("forget").hidden = false;
    document.documentElement.setAttribute("data-state", "connected");
  }

  function stop() { timers.forEach(clearInterval); timers = []; }

  function prompt(message) {
    stop();
    generation++;
    token = null;
    $("dash").hidden = true; $("forget").hidden = true; $("prompt").hidden = false;
    errors = message ? { auth: message } : {};
    showErrors();
    document.documentElement.setAttribute("data-state", message ? "unauthorized" : "prompt");
    $("token-input").focus();
  }

  function unauthorized(message) {
    sessionStorage.removeItem(KEY);
    prompt(message);
  }

  function connect(t) {
    stop();
    generation++;
    token = t; errors = {}; seen = {}; pausedUntil = {};
    document.documentElement.setAttribute("data-state", "loading");
    refreshStatus(); refreshWallet();
    timers.push(setInterval(refreshStatus, STATUS_EVERY), setInterval(refreshWallet, WALLET_EVERY));
  }

  $("token-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var t = $("token-input").value.trim();
    $("token-input").value = "";
    if (!t) return;
    sessionStorage.setItem(KEY, t);
    connect(t);
  });
  $("forget").addEventListener("click", function () { sessionStorage.removeItem(KEY); prompt(null); });
  window.addEventListener("hashchange", function () { if (tokenInHash()) connect(readToken()); });

  var initial = readToken();
  if (initial) connect(initial); else prompt(null);
})();
</script>
</body>
</html>
"""#
}
