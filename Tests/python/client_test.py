#!/usr/bin/env python3
"""A client that is not ours talks to a real node.

Generates gRPC stubs from Protos/neuroshard.proto with grpcio-tools at run time, starts
`neuroshard` on free ports, then calls every gRPC method and every HTTP endpoint, with their
error cases. Usage: client_test.py PATH_TO_NEUROSHARD (CLITests/PythonClientTests runs it).
"""
import hashlib
import json
import os
import struct
import sys
import tempfile
import time
import unittest

import grpc
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from grpc_tools import protoc

from live_node import Node

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = None
OWNER, READER, LIMITED = "python-owner-token", "python-reader", "python-limits"
RECIPIENT = "python-recipient"  # holds 1 NEURO from genesis, so the ledger knows its address


def generate_stubs():
    out = tempfile.mkdtemp(prefix="neuroshard-stubs-")
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    status = protoc.main(["protoc", f"-I{ROOT}/Protos", f"-I{include}", f"--python_out={out}",
                          f"--grpc_python_out={out}", "neuroshard.proto"])
    assert status == 0, "protoc failed on Protos/neuroshard.proto"
    sys.path.insert(0, out)


def key_from_token(token):
    """SPEC §3: the private key is SHA-256 of the token; the id starts SHA-256 of the compressed key."""
    key = ec.derive_private_key(int.from_bytes(hashlib.sha256(token.encode()).digest(), "big"), ec.SECP256K1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    return key, public, hashlib.sha256(public).hexdigest()[:32]


def sign(message, key, field="caller"):
    """Signs a peer call as SPEC §5 has it: ECDSA over SHA-256 of a domain tag, the message type and
    the request's bytes with the signature empty (this client's own implementation of it). A
    checkpoint stream is signed through its header, whose caller is `sender`."""
    getattr(message, field).signature = b""
    digest = hashlib.sha256(b"neuroshard/call/v1" + message.DESCRIPTOR.full_name.encode()
                            + message.SerializeToString(deterministic=True)).digest()
    r, s = utils.decode_dss_signature(key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256()))))
    getattr(message, field).signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")


class SigningStub:
    """The generated stub, calling as a peer does: every request but Ping signed (a PutCheckpoint
    stream through its header)."""

    def __init__(self, stub, key):
        self.stub, self.key = stub, key

    def __getattr__(self, name):
        method = getattr(self.stub, name)

        def call(request, *args, **kw):
            if name == "PutCheckpoint":
                chunks = list(request)
                if chunks and chunks[0].HasField("header"):
                    sign(chunks[0].header, self.key, field="sender")
                return method(iter(chunks), *args, **kw)
            if name != "Ping" and request.HasField("caller"):
                sign(request, self.key)
            return method(request, *args, **kw)
        return call


def floats(data):
    return list(struct.unpack(f"<{len(data) // 4}f", data))


def tensor(pb, values, shape=None):
    return pb.Tensor(data=struct.pack(f"<{len(values)}f", *values), shape=shape or [len(values)])


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        generate_stubs()
        import neuroshard_pb2
        import neuroshard_pb2_grpc
        cls.pb = neuroshard_pb2
        # A test network's starting balances (SPEC §7): 100 NEURO to this node, 1 to a recipient.
        cls.genesis = os.path.join(tempfile.mkdtemp(prefix="neuroshard-genesis-"), "genesis.json")
        with open(cls.genesis, "w") as f:
            json.dump({"allocations": {key_from_token(OWNER)[2]: 100, key_from_token(RECIPIENT)[2]: 1}}, f)
        cls.node = Node(BINARY, OWNER, "--no-training", "--api-key", READER, "--api-key", LIMITED, "--genesis", cls.genesis)
        cls.channel = grpc.insecure_channel(cls.node.grpc)
        cls.raw = neuroshard_pb2_grpc.NeuroShardStub(cls.channel)
        cls.key, cls.public, cls.me = key_from_token("python-peer-" + os.urandom(8).hex())
        cls.stub = SigningStub(cls.raw, cls.key)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        assert cls.node.stop() == 0
        os.remove(cls.genesis)
        os.rmdir(os.path.dirname(cls.genesis))

    def caller(self, **override):
        fields = dict(node_id=self.me, address="127.0.0.1:1", timestamp_ms=int(time.time() * 1000), public_key=self.public)
        fields.update(override)
        return self.pb.Caller(**fields)

    def assertStatus(self, code, call, *args, contains=""):
        with self.assertRaises(grpc.RpcError) as raised:
            call(*args, timeout=10)
        self.assertEqual(raised.exception.code(), code, raised.exception.details())
        self.assertIn(contains, raised.exception.details())

    def get(self, path, token=OWNER, **kw):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(self.node.http + path, headers=headers, timeout=10, **kw)

    def post(self, path, token=OWNER, headers=None, **kw):
        headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        return requests.post(self.node.http + path, headers=headers, timeout=30, **kw)

    def assertError(self, response, status, code):
        """An error has exactly the envelope {"error": {code, message, details}} (SPEC §4); returns its body."""
        self.assertEqual(response.status_code, status, response.text)
        body = response.json()
        self.assertEqual(set(body), {"error"}, body)
        self.assertEqual(set(body["error"]), {"code", "message", "details"}, body)
        self.assertEqual(body["error"]["code"], code, body)
        self.assertIsInstance(body["error"]["message"], str)
        self.assertIsInstance(body["error"]["details"], dict)
        return body["error"]

    def checkpoint(self, start=0, end=4):
        return list(self.stub.GetCheckpoint(self.pb.GetCheckpointRequest(caller=self.caller(), layer_start=start,
                                                                         layer_end=end), timeout=10))

    # gRPC

    def test_ping(self):
        pong = self.stub.Ping(self.pb.PingRequest(), timeout=10)
        status = self.get("/api/v1/status").json()
        self.assertEqual(pong.node_id, status["node_id"])
        self.assertEqual(pong.role, status["role"])
        self.assertEqual(list(range(pong.layer_start, pong.layer_end)), status["layers"])
        self.assertEqual(pong.version, status["version"])

    def test_get_checkpoint(self):
        chunks = self.checkpoint()
        header = chunks[0].header
        data = b"".join(c.data for c in chunks)
        self.assertEqual(header.sender.node_id, self.node.id)
        self.assertEqual(len(header.layer_sizes), 4)
        self.assertEqual(header.total_bytes, len(data))
        self.assertEqual(len(data), 4 * sum(header.layer_sizes) * (2 if header.has_velocity else 1))
        self.assertEqual(header.sha256, hashlib.sha256(data).digest())
        self.assertTrue(all(not c.HasField("header") for c in chunks[1:]))
        self.assertStatus(grpc.StatusCode.NOT_FOUND, lambda **kw: self.checkpoint(7, 9))
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, lambda **kw: self.checkpoint(3, 1))
        for when in (1, -2**63, 2**63 - 1):  # stale, and the extremes (no overflow on the node)
            stale = self.pb.GetCheckpointRequest(caller=self.caller(timestamp_ms=when), layer_start=0, layer_end=1)
            self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, lambda **kw: list(self.stub.GetCheckpoint(stale, **kw)))
        anonymous = self.pb.GetCheckpointRequest(layer_start=0, layer_end=1)
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, lambda **kw: list(self.stub.GetCheckpoint(anonymous, **kw)))

    def test_calls_must_be_signed_by_their_callers_key(self):
        request = lambda: self.pb.GetCheckpointRequest(caller=self.caller(), layer_start=0, layer_end=1)
        unsigned = request()
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, lambda **kw: list(self.raw.GetCheckpoint(unsigned, **kw)),
                          contains="signature does not verify")
        forged = request()
        sign(forged, key_from_token("someone else")[0])
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, lambda **kw: list(self.raw.GetCheckpoint(forged, **kw)))
        borrowed = request()
        borrowed.caller.public_key = key_from_token("someone else")[1]
        sign(borrowed, key_from_token("someone else")[0])
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, lambda **kw: list(self.raw.GetCheckpoint(borrowed, **kw)),
                          contains="does not belong")
        tampered = request()
        sign(tampered, self.key)
        tampered.layer_end = 2
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, lambda **kw: list(self.raw.GetCheckpoint(tampered, **kw)))
        # The node's operator may call unsigned, with the node's own token.
        chunks = list(self.raw.GetCheckpoint(request(), metadata=[("authorization", f"Bearer {OWNER}")], timeout=10))
        self.assertEqual(len(chunks[0].header.layer_sizes), 1)
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED,
                          lambda **kw: list(self.raw.GetCheckpoint(request(), metadata=[("authorization", "Bearer nope")], **kw)))
        # What the node signs, this client verifies: the key in its checkpoint header is its id's.
        self.assertEqual(hashlib.sha256(chunks[0].header.sender.public_key).hexdigest()[:32], self.node.id)

    def test_put_checkpoint(self):
        chunks = self.checkpoint(0, 1)
        chunks[0].header.sender.CopyFrom(self.caller())
        # Well-formed, but this node asked nobody for weights.
        self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION, self.stub.PutCheckpoint, iter(chunks), contains="did not ask")
        truncated = [self.pb.CheckpointChunk(header=chunks[0].header, data=chunks[0].data[:-4])] + chunks[1:]
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.PutCheckpoint, iter(truncated), contains="truncated")
        flipped = bytearray(chunks[0].data)
        flipped[0] ^= 1
        damaged = [self.pb.CheckpointChunk(header=chunks[0].header, data=bytes(flipped))] + chunks[1:]
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.PutCheckpoint, iter(damaged), contains="sha256")
        headless = [self.pb.CheckpointChunk(data=b"\x00" * 8)]
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.PutCheckpoint, iter(headless), contains="header")

    def test_forward_inference(self):
        request = self.pb.ForwardRequest(caller=self.caller(), session_id="py-1", layer=0, tokens=[1, 72, 105])
        answer = self.stub.Forward(request, timeout=10)
        logits = floats(answer.output.data)
        self.assertEqual(answer.next_layer, 4)
        self.assertEqual(len(logits), answer.output.shape[0])
        self.assertTrue(all(abs(x) < 1e6 for x in logits))
        garbage = self.pb.ForwardRequest(caller=self.caller(), session_id="py-2", layer=1,
                                         activations=self.pb.Tensor(data=b"\x01\x02\x03", shape=[1]))
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.Forward, garbage, contains="float32")
        shape = self.pb.ForwardRequest(caller=self.caller(), session_id="py-3", layer=1, activations=tensor(self.pb, [0.5] * 6, [4]))
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.Forward, shape, contains="shape")
        positions = self.pb.ForwardRequest(caller=self.caller(), session_id="py-4", layer=1, activations=tensor(self.pb, [0.5] * 7))
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.Forward, positions)
        token = self.pb.ForwardRequest(caller=self.caller(), session_id="py-5", layer=0, tokens=[1, 99999])
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.Forward, token)

    def test_forward_and_backward_training_refuse_bad_shapes(self):
        step = self.pb.StepId(driver=self.me, number=1)
        forward = self.pb.ForwardRequest(caller=self.caller(), step=step, layer=1, activations=tensor(self.pb, [0.1] * 10))
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.Forward, forward, contains="activations")
        nan = self.pb.ForwardRequest(caller=self.caller(), step=step, layer=1, activations=tensor(self.pb, [float("nan")] * 3))
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.Forward, nan)
        backward = self.pb.BackwardRequest(caller=self.caller(), step=step, gradient=tensor(self.pb, [0.1] * 10))
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.Backward, backward, contains="gradient")
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.Backward, self.pb.BackwardRequest(caller=self.caller()))

    def test_exchange_gradient(self):
        sizes = self.checkpoint(0, 1)[0].header.layer_sizes
        zeros = self.pb.LayerTensors(first_layer=0, layers=[tensor(self.pb, [0.0] * sizes[0])])
        ack = self.stub.ExchangeGradient(self.pb.ExchangeGradientRequest(caller=self.caller(), round=0, deltas=zeros), timeout=10)
        self.assertTrue(ack.accepted, ack.reason)
        poisoned = self.pb.LayerTensors(first_layer=0, layers=[tensor(self.pb, [float("nan")] * sizes[0])])
        key, public, other = key_from_token("python-other-peer")
        request = self.pb.ExchangeGradientRequest(caller=self.caller(node_id=other, public_key=public), round=0, deltas=poisoned)
        sign(request, key)
        ack = self.raw.ExchangeGradient(request, timeout=10)
        self.assertFalse(ack.accepted)
        self.assertIn("finite", ack.reason)
        garbage = self.pb.CompressedLayers(first_layer=0, layers=[b"\x07\x07"])
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.ExchangeGradient,
                          self.pb.ExchangeGradientRequest(caller=self.caller(), round=0, compressed=garbage))
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.ExchangeGradient,
                          self.pb.ExchangeGradientRequest(caller=self.caller(), round=0))

    def test_gossip(self):
        me = self.pb.PeerInfo(node_id=self.me, address="127.0.0.1:1", layer_start=0, layer_end=0, capacity=1)
        ack = self.stub.Gossip(self.pb.GossipRequest(caller=self.caller(), join=me), timeout=10)
        self.assertTrue(ack.accepted)
        impostor = self.pb.PeerInfo(node_id=os.urandom(16).hex(), address="127.0.0.1:2")
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.Gossip,
                          self.pb.GossipRequest(caller=self.caller(), join=impostor), contains="speaks for")
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.stub.Gossip, self.pb.GossipRequest(caller=self.caller()))
        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, self.stub.Gossip,
                          self.pb.GossipRequest(caller=self.caller(node_id="nope"), leave=self.pb.Leave()))

    # HTTP

    def test_http_endpoints(self):
        self.assertEqual(requests.get(self.node.http + "/api/v1/health", timeout=10).json()["checks"]["node"], True)
        status = self.get("/api/v1/status").json()
        self.assertEqual(status["node_id"], self.node.id)
        self.assertEqual(status["layers"], [0, 1, 2, 3])
        self.assertIn("inference", self.get("/api/v1/metrics", token=READER).json())
        self.assertIn("peers", self.get("/api/v1/peers").json())
        self.assertEqual(self.get("/api/v1/layers").json()["total_layers"], 4)
        answer = self.post("/api/v1/inference", json={"prompt": "Hello", "max_tokens": 5})
        self.assertEqual(answer.status_code, 200, answer.text)
        body = answer.json()
        # 5 tokens, fewer only if the (untrained) model chose to end
        self.assertTrue(body["tokens_generated"] == 5 or body["finish_reason"] == "eos", body)
        self.assertEqual(body["usage"]["prompt_tokens"], 6)
        self.assertEqual(body["cost"]["currency"], "NEURO")
        stream = self.post("/api/v1/inference", json={"prompt": "Hi", "max_tokens": 4, "stream": True}, stream=True)
        self.assertEqual(stream.headers["Content-Type"], "text/event-stream")
        events = [e for e in stream.text.split("\n\n") if e]
        self.assertTrue(events[-1].startswith("event: done\ndata: {"))
        final = json.loads(events[-1].split("data: ", 1)[1])
        self.assertEqual(len(events), final["tokens_generated"] + 1)

    def test_http_errors(self):
        def code(response, status):
            self.assertEqual(response.status_code, status, response.text)
            self.assertEqual(set(response.json()), {"error"})
            self.assertEqual(set(response.json()["error"]), {"code", "message", "details"}, response.text)
            return response.json()["error"]["code"]
        self.assertEqual(code(self.get("/api/v1/status", token=None), 401), "UNAUTHORIZED")
        self.assertEqual(code(self.get("/api/v1/status", token="wrong"), 401), "UNAUTHORIZED")
        self.assertEqual(code(self.post("/api/v1/inference", token=READER, json={"prompt": "x"}), 403), "FORBIDDEN")
        self.assertEqual(code(self.get("/api/v1/nowhere"), 404), "NOT_FOUND")
        self.assertEqual(code(requests.delete(self.node.http + "/api/v1/status", timeout=10), 405), "METHOD_NOT_ALLOWED")
        self.assertEqual(code(self.post("/api/v1/inference", data="{not json"), 400), "INVALID_REQUEST")
        self.assertEqual(code(self.post("/api/v1/inference", json={"prompt": ["x"]}), 400), "INVALID_REQUEST")
        self.assertEqual(code(self.post("/api/v1/inference", json={"prompt": "x", "temperature": -1}), 400), "INVALID_REQUEST")
        self.assertEqual(code(self.post("/api/v1/inference", data=b"x" * (2 << 20)), 400), "INVALID_REQUEST")
        self.assertEqual(self.get("/api/v1/health", token=None).status_code, 200)

    # Wallet. Its rate class allows 10 calls a minute per token, counted once a call is authorised
    # (401s and the read-only key's 403 are not): the owner's 10 go to test_wallet_send, reads are
    # made with READER (7 of its 10).

    def test_wallet_balance(self):
        balance = self.get("/api/v1/wallet/balance", token=READER)
        self.assertEqual(balance.status_code, 200, balance.text)
        body = balance.json()
        self.assertEqual(set(body), {"address", "balances", "stake"})
        self.assertEqual(set(body["balances"]), {"available", "staked", "pending", "total"})
        self.assertEqual(body["address"], self.get("/api/v1/status").json()["node_id"])
        self.assertEqual(body["address"], key_from_token(OWNER)[2])
        money = body["balances"]
        self.assertTrue(all(isinstance(v, (int, float)) and v >= 0 for v in money.values()), money)
        self.assertGreater(money["available"], 0)  # genesis, less any send of test_wallet_send
        self.assertAlmostEqual(money["total"], money["available"] + money["pending"] + money["staked"], places=6)
        self.assertIn("Authorization", self.assertError(self.get("/api/v1/wallet/balance", token=None), 401,
                                                        "UNAUTHORIZED")["message"])
        self.assertError(self.get("/api/v1/wallet/balance", token="wrong"), 401, "UNAUTHORIZED")

    def test_wallet_send(self):
        to = key_from_token(RECIPIENT)[2]
        available = lambda: self.get("/api/v1/wallet/balance", token=READER).json()["balances"]["available"]
        send = lambda body, **kw: self.post("/api/v1/wallet/send", json=body, **kw)
        before = available()

        # Sent once, retried with the same Idempotency-Key: one transfer, one charge.
        key = "python-send-" + os.urandom(8).hex()
        first = self.post("/api/v1/wallet/send", json={"to": to, "amount": 12.5, "memo": "from python"},
                          headers={"Idempotency-Key": key})
        self.assertEqual(first.status_code, 200, first.text)
        receipt = first.json()
        self.assertEqual(set(receipt), {"transaction_id", "from", "to", "amount", "fee", "memo", "status", "timestamp"})
        self.assertRegex(receipt["transaction_id"], r"^[0-9a-f]{64}$")
        self.assertEqual((receipt["from"], receipt["to"], receipt["memo"], receipt["status"]),
                         (self.node.id, to, "from python", "confirmed"))
        self.assertAlmostEqual(receipt["amount"], 12.5, places=6)
        self.assertAlmostEqual(receipt["fee"], 0.625, places=6)  # 5 % of the amount, on top
        self.assertLess(abs(receipt["timestamp"] - time.time()), 60)
        again = self.post("/api/v1/wallet/send", json={"to": to, "amount": 12.5, "memo": "from python"},
                          headers={"Idempotency-Key": key})
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["transaction_id"], receipt["transaction_id"])
        after = available()
        self.assertAlmostEqual(after, round(before - 12.5 - 0.625, 6), places=6)

        # More than the balance: 402 with the balance and amount + fee.
        poor = self.assertError(send({"to": to, "amount": 1000}), 402, "INSUFFICIENT_BALANCE")
        self.assertEqual(set(poor["details"]), {"balance", "required"})
        self.assertAlmostEqual(poor["details"]["balance"], after, places=6)
        self.assertAlmostEqual(poor["details"]["required"], 1050.0, places=6)
        self.assertEqual(poor["message"], f"Wallet balance {round(after, 6)!r} NEURO is less than required 1050.0 NEURO")

        # Malformed requests: 400, the field named where there is one.
        nan = self.post("/api/v1/wallet/send", data=f'{{"to": "{to}", "amount": NaN}}',
                        headers={"Content-Type": "application/json"})
        self.assertError(nan, 400, "INVALID_REQUEST")
        for body, field in (({"to": to, "amount": -1}, "amount"), ({"to": to, "amount": 0}, "amount"),
                            ({"to": to, "amount": "1"}, "amount"),
                            ({"to": to.upper(), "amount": 1}, "to"),  # an address is lowercase hex
                            ({"to": os.urandom(16).hex(), "amount": 1}, "to")):  # well-formed, unknown
            self.assertEqual(self.assertError(send(body), 400, "INVALID_REQUEST")["details"].get("field"), field, body)
        self.assertError(send([to, 1]), 400, "INVALID_REQUEST")
        # A read-only key may not spend (refused before the limiter counts it).
        self.assertError(send({"to": to, "amount": 1}, token=READER), 403, "FORBIDDEN")
        self.assertEqual(available(), after)  # nothing refused was charged

        # History, newest first: the send, then the genesis allocation.
        page = self.get("/api/v1/wallet/transactions", token=READER, params={"limit": 1, "offset": 0})
        self.assertEqual(page.status_code, 200, page.text)
        self.assertEqual((page.json()["limit"], page.json()["offset"]), (1, 0))
        [sent] = page.json()["transactions"]
        self.assertEqual((sent["type"], sent["transaction_id"], sent["to"], sent["memo"]),
                         ("sent", receipt["transaction_id"], to, "from python"))
        self.assertAlmostEqual(sent["amount"], 12.5, places=6)
        self.assertAlmostEqual(sent["fee"], 0.625, places=6)
        older = self.get("/api/v1/wallet/transactions", token=READER, params={"limit": 10, "offset": 1}).json()
        self.assertEqual([(t["type"], t["transaction_id"], t["amount"]) for t in older["transactions"]],
                         [("genesis", None, 100)])
        bad = self.assertError(self.get("/api/v1/wallet/transactions", token=READER, params={"limit": 0}),
                               400, "INVALID_REQUEST")
        self.assertEqual(bad["details"]["field"], "limit")

    def test_rate_limit(self):
        for i in range(100):
            self.assertEqual(self.get("/api/v1/layers", token=LIMITED).status_code, 200, f"call {i + 1}")
        limited = self.get("/api/v1/status", token=LIMITED)
        self.assertEqual(limited.status_code, 429)
        self.assertEqual(limited.json()["error"]["code"], "RATE_LIMITED")
        self.assertGreaterEqual(int(limited.headers["Retry-After"]), 1)
        self.assertEqual(limited.json()["error"]["details"]["retry_after"], int(limited.headers["Retry-After"]))


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
