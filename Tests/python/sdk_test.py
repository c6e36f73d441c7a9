#!/usr/bin/env python3
"""The Python SDK (sdk/python, package `neuroshard`) against a real node.

Starts `neuroshard` on a free port with a genesis file funding its wallet and two read-only
keys, then calls every SDK method and provokes every error code of SPEC §4 through the SDK;
the retry policy (503 and connection backoff, 429 Retry-After, idempotent sends) is checked
with a stub server and an injected sleep. Usage: sdk_test.py PATH_TO_NEUROSHARD, in the venv
that scripts/setup.sh prepares (CLITests/PythonSDKTests runs it).
"""
import hashlib
import http.server
import json
import os
import socket
import sys
import tempfile
import threading
import time
import unittest

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import neuroshard
from live_node import Node
from neuroshard import (NEUROLedger, NeuroNode, NeuroShardError, ForbiddenError, InsufficientBalanceError,
                        InternalError, InvalidRequestError, MethodNotAllowedError, NodeConnectionError,
                        NodeTimeoutError, NotFoundError, RateLimitedError, UnauthorizedError, UnavailableError)

BINARY = None
OWNER, READER, LIMITED = "sdk-owner-token", "sdk-reader", "sdk-limited"
RECIPIENT = "sdk-recipient"  # holds 1 NEURO from genesis, so the ledger knows its address


def address(token):
    """SPEC §3: the key is SHA-256 of the token; the address starts SHA-256 of the compressed key."""
    key = ec.derive_private_key(int.from_bytes(hashlib.sha256(token.encode()).digest(), "big"), ec.SECP256K1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    return hashlib.sha256(public).hexdigest()[:32]


def within(seconds, call, *args, **kw):
    """`call`'s exception (or None), failing if it takes more than `seconds` (a hang is a failure)."""
    outcome = []

    def run():
        try:
            call(*args, **kw)
            outcome.append(None)
        except BaseException as e:  # noqa: B902 - handed to the caller
            outcome.append(e)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"{getattr(call, '__name__', call)} did not return within {seconds} s"
    return outcome[0]


class StubServer:
    """A local HTTP server answering from a script of (status, body, headers), recording each
    request's (method, path, headers, body): to see what the SDK does on answers a healthy node
    rarely gives (503, 500)."""

    def __init__(self, script):
        self.script, self.requests = list(script), []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                stub.requests.append((self.command, self.path, dict(self.headers), self.rfile.read(length)))
                status, body, headers = stub.script.pop(0) if stub.script else (500, {"error": {
                    "code": "INTERNAL_ERROR", "message": "script exhausted", "details": {}}}, {})
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def envelope(code, message="stub", **details):
    return {"error": {"code": code, "message": message, "details": details}}


class FundedNode:
    """A node of OWNER's token whose genesis gives it 100 NEURO and RECIPIENT 1, with read-only keys."""

    def __init__(self, *api_keys):
        self.folder = tempfile.mkdtemp(prefix="neuroshard-sdk-")
        self.genesis = os.path.join(self.folder, "genesis.json")
        with open(self.genesis, "w") as f:
            json.dump({"allocations": {address(OWNER): 100, address(RECIPIENT): 1}}, f)
        keys = [flag for key in api_keys for flag in ("--api-key", key)]
        self.node = Node(BINARY, OWNER, "--no-training", *keys, "--genesis", self.genesis)

    def stop(self):
        assert self.node.stop() == 0
        os.remove(self.genesis)
        os.rmdir(self.folder)


class SDKTest(unittest.TestCase):
    """Wallet calls are limited to 10 a minute per token: the owner's 10 (the limit) are all in
    test_ledger_send_and_history, LIMITED's go to test_rate_limit, READER makes 2."""

    @classmethod
    def setUpClass(cls):
        cls.funded = FundedNode(READER, LIMITED)
        cls.node = cls.funded.node
        cls.owner = NeuroNode(cls.node.http, api_token=OWNER, timeout=30)
        cls.reader = NeuroNode(cls.node.http, api_token=READER, timeout=30)

    @classmethod
    def tearDownClass(cls):
        cls.funded.stop()

    def assertRaisesCode(self, cls, code, status, call, *args, **kw):
        """`call` raises `cls` with the envelope's code, the HTTP status, a message and details."""
        with self.assertRaises(cls) as raised:
            call(*args, **kw)
        error = raised.exception
        self.assertIsInstance(error, NeuroShardError)
        self.assertEqual((error.code, error.status), (code, status), repr(error))
        self.assertIsInstance(error.message, str)
        self.assertTrue(error.message)
        self.assertIsInstance(error.details, dict)
        return error

    # Every read

    def test_status_metrics_peers_layers_health(self):
        status = self.owner.get_status()
        self.assertIsInstance(status, neuroshard.Status)
        self.assertEqual(status.node_id, self.node.id)
        self.assertEqual(status.role, "full")
        self.assertEqual(status.layers, [0, 1, 2, 3])
        self.assertEqual(status.peer_count, 0)
        self.assertEqual(status.status, "running")
        self.assertTrue(status.has_embedding and status.has_lm_head)
        self.assertIs(status.training.enabled, False)
        self.assertIsNone(status.training.loss)  # no training: no loss yet
        self.assertEqual(status.training.step, 0)
        self.assertGreater(status.resources.ram_total, 0)
        self.assertEqual(status.raw["node_id"], self.node.id)
        self.assertEqual(status.version, status.raw["version"])

        before = self.owner.get_metrics()
        self.assertIsInstance(before, neuroshard.Metrics)
        self.owner.inference("count me", max_tokens=3)
        after = self.reader.get_metrics()  # a read-only key may read
        self.assertEqual(after.inference.requests_total, before.inference.requests_total + 1)
        self.assertGreaterEqual(after.inference.tokens_generated, before.inference.tokens_generated + 1)
        self.assertEqual(after.network.peer_count, 0)
        self.assertEqual(after.training.steps_total, 0)
        self.assertIsInstance(after.rewards.earned_total, float)
        self.assertIn("transfers_applied", after.rewards.raw)
        self.assertEqual(after.rewards.transfers_applied, after.rewards.raw["transfers_applied"])  # extra fields

        peers = self.owner.get_peers()
        self.assertIsInstance(peers, list)
        self.assertEqual((len(peers), peers.total), (0, 0))

        layers = self.owner.get_layers()
        self.assertEqual([layer.index for layer in layers], [0, 1, 2, 3])
        self.assertEqual([layer.type for layer in layers], ["embedding", "transformer", "transformer", "lm_head"])
        self.assertTrue(all(isinstance(layer, neuroshard.Layer) and layer.memory_mb > 0 for layer in layers))
        self.assertEqual((layers.total_layers, layers.my_layer_count), (4, 4))

        health = NeuroNode(self.node.http).health()  # no token needed
        self.assertIs(health.healthy, True)
        self.assertEqual((health.checks.node, health.checks.network, health.checks.model), (True, True, True))
        self.assertTrue(self.owner.health().healthy)

        raw = self.owner.request("GET", "/status")
        self.assertEqual(raw["node_id"], self.node.id)
        self.assertEqual(self.owner.request("GET", "/api/v1/layers")["total_layers"], 4)

    # Inference

    def test_inference(self):
        response = self.owner.inference("What is NeuroShard?", max_tokens=6, temperature=0.7, top_p=0.9, top_k=20)
        self.assertIsInstance(response, neuroshard.InferenceResponse)
        self.assertIsInstance(response.text, str)
        self.assertTrue(response.tokens_generated == 6 or response.finish_reason == "eos", response)
        self.assertEqual(response.usage.completion_tokens, response.tokens_generated)
        self.assertEqual(response.usage.prompt_tokens, len("What is NeuroShard?".encode()) + 1)
        self.assertEqual(response.usage.total_tokens, response.usage.prompt_tokens + response.usage.completion_tokens)
        self.assertEqual((response.cost.amount, response.cost.currency), (0.0, "NEURO"))  # a lone full node: free
        self.assertGreaterEqual(response.timing.total_ms, response.timing.inference_ms)
        self.assertEqual(response.route[0].node_id, self.node.id)
        self.assertTrue(response.id.startswith("inf-"))
        greedy = [self.owner.inference("Hello", max_tokens=5, temperature=0).text for _ in range(2)]
        self.assertEqual(greedy[0], greedy[1])  # temperature reaches the node: greedy is deterministic
        first = greedy[0][:1]
        if first and first != "\ufffd":  # stop reaches the node: the text ends before the stop string
            stopped = self.owner.inference("Hello", max_tokens=5, temperature=0, stop=[first])
            self.assertEqual((stopped.text, stopped.finish_reason), ("", "stop"))

    def test_inference_stream(self):
        stream = self.owner.inference_stream("Stream me", max_tokens=8)
        tokens = list(stream)
        self.assertTrue(tokens)
        self.assertTrue(all(isinstance(t, str) for t in tokens))
        final = stream.response
        self.assertIsInstance(final, neuroshard.InferenceResponse)
        self.assertEqual("".join(tokens), final.text)
        self.assertEqual(len(tokens), final.tokens_generated)
        self.assertEqual(stream.usage.completion_tokens, len(tokens))
        self.assertEqual(stream.usage.prompt_tokens, len("Stream me".encode()) + 1)
        self.assertEqual(list(stream), [])  # exhausted

        def delegate():
            return (yield from self.owner.inference_stream("Again", max_tokens=3))
        outer = delegate()
        pieces = []
        try:
            while True:
                pieces.append(next(outer))
        except StopIteration as done:
            self.assertEqual(done.value.text, "".join(pieces))  # the generator's return value
            self.assertEqual(done.value.usage.completion_tokens, len(pieces))

        with self.owner.inference_stream("Early", max_tokens=50) as early:
            self.assertIsInstance(next(early), str)
        self.assertEqual(list(early), [])  # closed after one token
        # Refused before streaming: raised by the call itself.
        self.assertRaisesCode(InvalidRequestError, "INVALID_REQUEST", 400, self.owner.inference_stream, "x",
                              temperature=-1)
        self.assertRaisesCode(ForbiddenError, "FORBIDDEN", 403, self.reader.inference_stream, "x")

    # Wallet

    def test_ledger_send_and_history(self):
        ledger, to = NEUROLedger(self.owner), address(RECIPIENT)
        before = ledger.get_balance()
        self.assertIsInstance(before, neuroshard.Balance)
        self.assertEqual(before.address, self.node.id)
        self.assertAlmostEqual(before.available, 100.0, places=6)
        self.assertAlmostEqual(before.total, before.available + before.staked + before.pending, places=6)
        self.assertEqual(before.raw["balances"]["available"], before.available)

        receipt = ledger.send(to, 12.5, memo="from the sdk")
        self.assertIsInstance(receipt, neuroshard.Transaction)
        self.assertRegex(receipt.transaction_id, r"^[0-9a-f]{64}$")
        self.assertEqual((receipt.from_, receipt.to, receipt.memo, receipt.status),
                         (self.node.id, to, "from the sdk", "confirmed"))
        self.assertAlmostEqual(receipt.amount, 12.5, places=6)
        self.assertAlmostEqual(receipt.fee, 0.625, places=6)
        self.assertLess(abs(receipt.timestamp - time.time()), 60)

        # The same idempotency key twice: one transfer, one charge.
        key = "sdk-test-" + os.urandom(8).hex()
        first = ledger.send(to, 2.0, idempotency_key=key)
        again = ledger.send(to, 2.0, idempotency_key=key)
        self.assertEqual(first.transaction_id, again.transaction_id)
        after = ledger.get_balance()
        self.assertAlmostEqual(after.available, 100 - 12.5 - 0.625 - 2 - 0.1, places=6)

        history = ledger.get_transactions(limit=2, offset=0)
        self.assertEqual((history.limit, history.offset), (2, 0))
        self.assertTrue(all(isinstance(t, neuroshard.Transaction) for t in history))
        self.assertEqual([(t.type, t.transaction_id) for t in history],
                         [("sent", first.transaction_id), ("sent", receipt.transaction_id)])
        self.assertEqual((history[1].to, history[1].memo), (to, "from the sdk"))
        self.assertAlmostEqual(history[1].amount, 12.5, places=6)
        self.assertAlmostEqual(history[1].fee, 0.625, places=6)
        older = ledger.get_transactions(limit=10, offset=2)
        self.assertEqual([(t.type, t.transaction_id, t.amount) for t in older], [("genesis", None, 100)])

        # 402: more than the balance (amount + 5 % fee).
        poor = self.assertRaisesCode(InsufficientBalanceError, "INSUFFICIENT_BALANCE", 402, ledger.send, to, 1000)
        self.assertAlmostEqual(poor.balance, after.available, places=6)
        self.assertAlmostEqual(poor.required, 1050.0, places=6)
        # 400: not an address; a negative amount.
        bad = self.assertRaisesCode(InvalidRequestError, "INVALID_REQUEST", 400, ledger.send, "not-an-address", 1)
        self.assertEqual(bad.details.get("field"), "to")
        negative = self.assertRaisesCode(InvalidRequestError, "INVALID_REQUEST", 400, ledger.send, to, -1)
        self.assertEqual(negative.details.get("field"), "amount")

        # A read-only key may read, not spend (403 is not counted by the rate limiter).
        reading = NEUROLedger(self.reader)
        self.assertEqual(reading.get_balance().available, after.available)
        self.assertRaisesCode(ForbiddenError, "FORBIDDEN", 403, reading.send, to, 1)
        limit = self.assertRaisesCode(InvalidRequestError, "INVALID_REQUEST", 400, reading.get_transactions, limit=0)
        self.assertEqual(limit.details.get("field"), "limit")

    # Errors

    def test_unauthorized_not_found_method_not_allowed(self):
        wrong = NeuroNode(self.node.http, api_token="not-the-token", retry_attempts=3, sleep=self.fail)
        self.assertRaisesCode(UnauthorizedError, "UNAUTHORIZED", 401, wrong.get_status)  # never retried
        self.assertRaisesCode(UnauthorizedError, "UNAUTHORIZED", 401, NEUROLedger(wrong).get_balance)
        self.assertRaisesCode(UnauthorizedError, "UNAUTHORIZED", 401, NeuroNode(self.node.http).get_metrics)
        missing = self.assertRaisesCode(NotFoundError, "NOT_FOUND", 404, self.owner.request, "GET", "/nowhere")
        self.assertEqual(missing.details.get("path"), "/api/v1/nowhere")
        method = self.assertRaisesCode(MethodNotAllowedError, "METHOD_NOT_ALLOWED", 405,
                                       self.owner.request, "DELETE", "/status")
        self.assertEqual(method.details.get("allowed"), ["GET"])
        self.assertRaisesCode(InvalidRequestError, "INVALID_REQUEST", 400, self.owner.inference, ["not", "text"])
        self.assertRaisesCode(InvalidRequestError, "INVALID_REQUEST", 400, self.owner.inference, "x", max_tokens=0)

    def test_rate_limit(self):
        ledger = NEUROLedger(NeuroNode(self.node.http, api_token=LIMITED, retry_attempts=0))
        for i in range(10):
            ledger.get_balance()
        limited = self.assertRaisesCode(RateLimitedError, "RATE_LIMITED", 429, ledger.get_balance)
        self.assertTrue(1 <= limited.retry_after <= 60, limited.retry_after)
        self.assertEqual(limited.retry_after, limited.details["retry_after"])
        self.assertEqual(limited.details["limit"], 10)

        # With retries, the SDK waits what Retry-After says before each (a recorded sleep here).
        waits = []
        patient = NEUROLedger(NeuroNode(self.node.http, api_token=LIMITED, retry_attempts=2, sleep=waits.append))
        last = self.assertRaisesCode(RateLimitedError, "RATE_LIMITED", 429, patient.get_balance)
        self.assertEqual(len(waits), 2, waits)
        for wait in waits:
            self.assertTrue(1 <= wait <= 60, waits)
            self.assertLessEqual(abs(wait - last.retry_after), 1, (waits, last.retry_after))
        # A wait longer than max_retry_wait is not attempted.
        hasty = NeuroNode(self.node.http, api_token=LIMITED, retry_attempts=3, sleep=self.fail, max_retry_wait=0.5)
        self.assertRaisesCode(RateLimitedError, "RATE_LIMITED", 429, NEUROLedger(hasty).get_balance)

    def test_connection_refused_and_timeout(self):
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        waits = []
        node = NeuroNode(f"http://127.0.0.1:{closed}", api_token=OWNER, retry_attempts=3, sleep=waits.append,
                         backoff=0.25)
        with self.assertRaises(NodeConnectionError) as raised:
            node.get_status()
        self.assertIsInstance(raised.exception, ConnectionError)
        self.assertEqual((raised.exception.code, raised.exception.status), ("CONNECTION_ERROR", None))
        self.assertEqual(len(waits), 3)
        self.assertTrue(0.25 <= waits[0] < waits[1] < waits[2] <= 1.1, waits)  # exponential backoff

        with socket.socket() as silent:  # accepts connections (the backlog), never answers
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            url = f"http://127.0.0.1:{silent.getsockname()[1]}"
            error = within(5, NeuroNode(url, api_token=OWNER, timeout=0.5, retry_attempts=0).get_status)
            self.assertIsInstance(error, NodeTimeoutError)
            self.assertEqual(error.code, "TIMEOUT")
            self.assertIsInstance(error, TimeoutError)
            self.assertIsInstance(error, NodeConnectionError)
            # A GET that timed out is retried; an inference that timed out may have run: it is not.
            waits = []
            error = within(5, NeuroNode(url, timeout=0.3, retry_attempts=2, sleep=waits.append).get_status)
            self.assertIsInstance(error, NodeTimeoutError)
            self.assertEqual(len(waits), 2)
            waits = []
            error = within(5, NeuroNode(url, timeout=0.3, retry_attempts=3, sleep=waits.append).inference, "x")
            self.assertIsInstance(error, NodeTimeoutError)
            self.assertEqual(waits, [])

    def test_unavailable_and_internal_error_retries(self):
        status = {"node_id": "ab" * 16, "role": "full", "layers": [0], "peer_count": 0, "future_field": 7}
        stub = StubServer([(503, envelope("UNAVAILABLE", "the node is starting"), {})] * 2 + [(200, status, {})])
        try:
            waits = []
            node = NeuroNode(stub.url, api_token="t", retry_attempts=3, sleep=waits.append, backoff=0.1)
            answer = node.get_status()
            self.assertEqual((answer.node_id, answer.future_field), ("ab" * 16, 7))  # extra fields kept
            self.assertEqual(len(stub.requests), 3)
            self.assertEqual(len(waits), 2)
            self.assertTrue(waits[0] < waits[1], waits)
            self.assertEqual(stub.requests[0][2].get("Authorization"), "Bearer t")

            stub.script = [(503, envelope("UNAVAILABLE"), {})] * 5
            stub.requests.clear()
            self.assertRaisesCode(UnavailableError, "UNAVAILABLE", 503,
                                  NeuroNode(stub.url, retry_attempts=2, sleep=lambda s: None).get_status)
            self.assertEqual(len(stub.requests), 3)  # the call and two retries

            stub.script = [(500, envelope("INTERNAL_ERROR", "a bug"), {})]
            stub.requests.clear()
            self.assertRaisesCode(InternalError, "INTERNAL_ERROR", 500,
                                  NeuroNode(stub.url, retry_attempts=3, sleep=self.fail).get_status)
            self.assertEqual(len(stub.requests), 1)  # a bug is not retried

            # A send is retried with one Idempotency-Key for all its attempts...
            receipt = {"transaction_id": "f" * 64, "from": "a" * 32, "to": "b" * 32, "amount": 1.0, "fee": 0.05,
                       "memo": "", "status": "confirmed", "timestamp": time.time()}
            stub.script = [(503, envelope("UNAVAILABLE"), {}), (429, envelope("RATE_LIMITED", retry_after=3),
                                                                  {"Retry-After": "2"}), (200, receipt, {})]
            stub.requests.clear()
            waits = []
            sent = NEUROLedger(NeuroNode(stub.url, retry_attempts=3, sleep=waits.append)).send("b" * 32, 1.0)
            self.assertEqual(sent.transaction_id, "f" * 64)
            keys = [r[2].get("Idempotency-Key") for r in stub.requests]
            self.assertEqual(len(keys), 3)
            self.assertTrue(keys[0] and len(set(keys)) == 1, keys)
            self.assertEqual(waits[1], 2.0)  # the header wins over details.retry_after
            self.assertEqual(json.loads(stub.requests[0][3]), {"to": "b" * 32, "amount": 1.0, "memo": ""})
            # ...a second send gets a key of its own...
            stub.script = [(200, receipt, {})]
            NEUROLedger(NeuroNode(stub.url)).send("b" * 32, 1.0)
            self.assertNotEqual(stub.requests[-1][2].get("Idempotency-Key"), keys[0])
            # ...and a send without one is never retried.
            stub.script = [(503, envelope("UNAVAILABLE"), {})] * 3
            stub.requests.clear()
            self.assertRaisesCode(UnavailableError, "UNAVAILABLE", 503,
                                  NeuroNode(stub.url, retry_attempts=3, sleep=self.fail).request,
                                  "POST", "/wallet/send", json_body={"to": "b" * 32, "amount": 1})
            self.assertEqual(len(stub.requests), 1)
            # Without details.retry_after nor the header, a 429 backs off; an unknown body is mapped by status.
            stub.script = [(429, {"oops": 1}, {}), (402, "not json", {})]
            stub.requests.clear()
            waits = []
            poor = self.assertRaisesCode(InsufficientBalanceError, "INSUFFICIENT_BALANCE", 402,
                                         NeuroNode(stub.url, sleep=waits.append, backoff=0.1).get_status)
            self.assertEqual(len(waits), 1)
            self.assertIsNone(poor.balance)
            # Each balance figure from its own field (a lone node's are mostly equal or zero).
            stub.script = [(200, {"address": "c" * 32, "balances": {"available": 1.5, "staked": 2.0, "pending": 0.25,
                                                                     "total": 3.5}}, {})]
            money = NEUROLedger(NeuroNode(stub.url)).get_balance()
            self.assertEqual((money.address, money.available, money.staked, money.pending, money.total),
                             ("c" * 32, 1.5, 2.0, 0.25, 3.5))
            # A stream that fails midway raises the error event's error; one cut short says so.
            sse = {"Content-Type": "text/event-stream"}
            stub.script = [(200, b'data: {"index":0,"text":"a"}\n\nevent: error\ndata: '
                            + json.dumps(envelope("UNAVAILABLE", "Inference failed: a hop died")).encode() + b"\n\n", sse),
                           (200, b'data: {"index":0,"text":"a"}\n\n', sse)]
            stream = NeuroNode(stub.url).inference_stream("x")
            self.assertEqual(next(stream), "a")
            self.assertRaisesCode(UnavailableError, "UNAVAILABLE", 503, next, stream)
            self.assertEqual(json.loads(stub.requests[-1][3])["stream"], True)
            cut = NeuroNode(stub.url).inference_stream("x")
            with self.assertRaises(NodeConnectionError) as raised:
                list(cut)
            self.assertEqual(raised.exception.code, "BAD_RESPONSE")
        finally:
            stub.close()


class SDKStakeTest(unittest.TestCase):
    """Staking and reading another account, on a node of its own (the wallet rate limit of 10 a
    minute per token leaves SDKTest's owner no room)."""

    @classmethod
    def setUpClass(cls):
        cls.funded = FundedNode(READER)
        cls.owner = NEUROLedger(NeuroNode(cls.funded.node.http, api_token=OWNER, timeout=30))
        cls.reader = NEUROLedger(NeuroNode(cls.funded.node.http, api_token=READER, timeout=30))

    @classmethod
    def tearDownClass(cls):
        cls.funded.stop()

    assertRaisesCode = SDKTest.assertRaisesCode

    def test_stake_lock_and_errors(self):
        receipt = self.owner.stake(40, duration_days=7)
        self.assertIsInstance(receipt, neuroshard.StakeReceipt)
        self.assertRegex(receipt.transaction_id, r"^[0-9a-f]{64}$")
        self.assertEqual((receipt.amount, receipt.duration_days, receipt.staked, receipt.status), (40, 7, 40, "confirmed"))
        self.assertAlmostEqual(receipt.locked_until - receipt.timestamp, 7 * 86400, places=3)
        self.assertAlmostEqual(receipt.multiplier, 1 + 0.1 * __import__("math").log2(1.04), places=6)

        balance = self.owner.get_balance()
        self.assertEqual((balance.available, balance.staked, balance.total), (60, 40, 100))
        self.assertEqual(balance.locked_until, receipt.locked_until)
        self.assertEqual(balance.multiplier, receipt.multiplier)
        # Locked: 400 with the unlock time.
        locked = self.assertRaisesCode(InvalidRequestError, "INVALID_REQUEST", 400, self.owner.unstake)
        self.assertEqual(locked.details["locked_until"], receipt.locked_until)
        # Bad durations and amounts name their field; beyond the balance is 402; a reader may not stake.
        days = self.assertRaisesCode(InvalidRequestError, "INVALID_REQUEST", 400, self.owner.stake, 1, duration_days=400)
        self.assertEqual(days.details.get("field"), "duration_days")
        poor = self.assertRaisesCode(InsufficientBalanceError, "INSUFFICIENT_BALANCE", 402, self.owner.stake, 61, 1)
        self.assertEqual(poor.required, 61)
        self.assertRaisesCode(ForbiddenError, "FORBIDDEN", 403, self.reader.stake, 1, 1)
        self.assertRaisesCode(ForbiddenError, "FORBIDDEN", 403, self.reader.unstake)
        history = self.owner.get_transactions(limit=5)
        self.assertEqual([(t.type, t.transaction_id) for t in history][:1], [("stake", receipt.transaction_id)])

    def test_another_accounts_balance_and_history(self):
        other = self.reader.get_balance(address=address(RECIPIENT))
        self.assertEqual((other.address, other.available, other.pending), (address(RECIPIENT), 1, 0))
        self.assertEqual([t.type for t in self.reader.get_transactions(address=address(RECIPIENT))], ["genesis"])
        bad = self.assertRaisesCode(InvalidRequestError, "INVALID_REQUEST", 400, self.reader.get_balance, address="nope")
        self.assertEqual(bad.details.get("field"), "address")

    def test_an_unstake_receipt_is_read_field_by_field(self):
        stub = StubServer([(200, {"transaction_id": "e" * 64, "amount": 5.0, "staked": 35.0, "available": 65.0,
                                  "status": "confirmed", "timestamp": 1.5e9}, {})])
        try:
            back = NEUROLedger(NeuroNode(stub.url, api_token="t")).unstake(5)
            self.assertIsInstance(back, neuroshard.UnstakeReceipt)
            self.assertEqual((back.transaction_id, back.amount, back.staked, back.available), ("e" * 64, 5, 35, 65))
            method, path, _, body = stub.requests[0]
            self.assertEqual((method, path, json.loads(body)), ("POST", "/api/v1/wallet/unstake", {"amount": 5}))
        finally:
            stub.close()


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
