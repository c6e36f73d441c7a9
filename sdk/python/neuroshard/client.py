"""NeuroNode (a node's HTTP API) and NEUROLedger (its wallet), on the standard library only."""
import http.client
import json
import random
import socket
import ssl
import time
import urllib.parse
import uuid
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from .errors import (CODES_BY_STATUS, NeuroShardError, NodeConnectionError, NodeTimeoutError, RateLimitedError,
                     UnavailableError, _retry_after, error_from_envelope)
from .models import (Balance, Health, InferenceResponse, LayerList, Metrics, PeerList, StakeReceipt, Status,
                     Transaction, TransactionList, UnstakeReceipt)

__all__ = ["NeuroNode", "NEUROLedger", "InferenceStream"]

API_BASE = "/api/v1"
SEND_PATH = API_BASE + "/wallet/send"


class NeuroNode:
    """A client of one node's HTTP API (`url` like "http://localhost:8000").

    `api_token` is sent as `Authorization: Bearer …` (the node's token, or a read-only API key).
    `timeout` is in seconds, per attempt (connecting, and each read). `retry_attempts` is how
    many times a failed call is retried: after a 429 it waits the node's Retry-After (at most
    `max_retry_wait` seconds; a longer wait is not attempted, the error is raised), after a 503
    or a connection failure it backs off exponentially (`backoff`, 2×backoff, …). Other errors
    are raised at once. A POST is retried only when repeating it cannot do the work twice: a
    wallet send always carries an Idempotency-Key (one per `send` call), an inference is
    retried only after a 429/503 refusal or a refused connection. `sleep` is injectable for tests.
    """

    def __init__(self, url: str, api_token: Optional[str] = None, timeout: float = 30.0, retry_attempts: int = 3,
                 *, max_retry_wait: float = 60.0, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep, user_agent: str = "neuroshard-python/0.1.0"):
        parsed = urllib.parse.urlsplit(url if "://" in url else "http://" + url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self.api_token = api_token
        self.timeout = timeout
        self.retry_attempts = max(0, int(retry_attempts))
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        self.sleep = sleep
        self.user_agent = user_agent
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port or (443 if parsed.scheme == "https" else 80)
        prefix = parsed.path.rstrip("/")
        if prefix.endswith(API_BASE):
            prefix = prefix[: -len(API_BASE)]
        self._prefix = prefix

    def __repr__(self) -> str:
        return f"NeuroNode({self.url!r})"

    # Endpoints

    def get_status(self) -> Status:
        """GET /api/v1/status."""
        return Status.from_dict(self.request("GET", "/status"))

    def get_metrics(self) -> Metrics:
        """GET /api/v1/metrics."""
        return Metrics.from_dict(self.request("GET", "/metrics"))

    def get_peers(self) -> PeerList:
        """GET /api/v1/peers: a list of Peer (with `.total`)."""
        return PeerList.from_dict(self.request("GET", "/peers"))

    def get_layers(self) -> LayerList:
        """GET /api/v1/layers: a list of Layer (with `.total_layers`, `.my_layer_count`)."""
        return LayerList.from_dict(self.request("GET", "/layers"))

    def health(self) -> Health:
        """GET /api/v1/health (needs no token)."""
        return Health.from_dict(self.request("GET", "/health"))

    def inference(self, prompt: str, max_tokens: int = 100, temperature: float = 1.0, top_p: float = 1.0,
                  top_k: int = 50, stop: Optional[Sequence[str]] = None) -> InferenceResponse:
        """POST /api/v1/inference: the whole generated text at once."""
        body = _inference_body(prompt, max_tokens, temperature, top_p, top_k, stop, stream=False)
        return InferenceResponse.from_dict(self.request("POST", "/inference", json_body=body))

    def inference_stream(self, prompt: str, max_tokens: int = 100, temperature: float = 1.0, top_p: float = 1.0,
                         top_k: int = 50, stop: Optional[Sequence[str]] = None) -> "InferenceStream":
        """POST /api/v1/inference with stream=true: an iterator of the generated pieces of text
        (str), one per token. Once exhausted, its `.response` is the final InferenceResponse
        (usage, cost, timing), also the StopIteration value (`yield from` returns it). Errors
        before the stream starts are raised here; an error event mid-stream is raised by the
        iteration."""
        body = _inference_body(prompt, max_tokens, temperature, top_p, top_k, stop, stream=True)
        return InferenceStream(self._call("POST", "/inference", json_body=body, stream=True))

    # The low-level call

    def request(self, method: str, path: str, *, params: Optional[Mapping[str, Any]] = None,
                json_body: Any = None, headers: Optional[Mapping[str, str]] = None) -> Any:
        """One API call with the SDK's auth, retries and errors; returns the decoded JSON.
        `path` is taken under /api/v1 ("/status") unless it already starts with "/api/"."""
        return self._call(method, path, params=params, json_body=json_body, headers=headers)

    def _url_path(self, path: str, params: Optional[Mapping[str, Any]]) -> str:
        if not path.startswith("/"):
            path = "/" + path
        if not path.startswith("/api/"):
            path = API_BASE + path
        full = self._prefix + path
        if params:
            query = urllib.parse.urlencode([(k, v) for k, v in params.items() if v is not None])
            if query:
                full += "?" + query
        return full

    @staticmethod
    def _has_idempotency_key(headers: Mapping[str, str]) -> bool:
        """Whether a POST carries an Idempotency-Key: then any failure of it may be retried."""
        return any(k.lower() == "idempotency-key" and v for k, v in headers.items())

    def _call(self, method: str, path: str, *, params=None, json_body=None, headers=None, stream=False):
        method = method.upper()
        target = self._url_path(path, params)
        sent_headers = {"Accept": "text/event-stream" if stream else "application/json",
                        "User-Agent": self.user_agent}
        if self.api_token is not None:
            sent_headers["Authorization"] = f"Bearer {self.api_token}"
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode("utf-8")
            sent_headers["Content-Type"] = "application/json"
        sent_headers.update(headers or {})
        safe = method in ("GET", "HEAD") or self._has_idempotency_key(sent_headers)
        # A send without a key is never retried, whatever the failure (it might be applied twice).
        never = (method == "POST" and target.split("?")[0].endswith(SEND_PATH)
                 and not self._has_idempotency_key(sent_headers))
        attempt = 0
        while True:
            try:
                return self._once(method, target, data, sent_headers, stream)
            except NeuroShardError as error:
                wait = None if never or attempt >= self.retry_attempts else self._retry_wait(error, attempt, safe)
                if wait is None:
                    raise
                attempt += 1
                self.sleep(wait)

    def _retry_wait(self, error: NeuroShardError, attempt: int, safe: bool) -> Optional[float]:
        """How long to wait before retrying after `error`, or None: do not retry."""
        backoff = min(self.max_retry_wait, self.backoff * (2 ** attempt)) * (1 + 0.1 * random.random())
        if isinstance(error, RateLimitedError):
            wait = error.retry_after
            if wait is None:
                return min(backoff, self.max_retry_wait)
            return wait if wait <= self.max_retry_wait else None
        if isinstance(error, UnavailableError):
            hinted = _retry_after(error.headers, error.details)
            if hinted is not None:
                return hinted if hinted <= self.max_retry_wait else None
            return min(backoff, self.max_retry_wait)
        if isinstance(error, NodeConnectionError):
            # A refused connection never reached the node: safe for any call. Anything else
            # (timeout, reset midway) might have been acted on: only safe calls are repeated.
            if safe or error.refused:
                return min(backoff, self.max_retry_wait)
        return None

    def _connection(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout,
                                               context=ssl.create_default_context())
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def _once(self, method: str, target: str, data: Optional[bytes], headers: Dict[str, str], stream: bool):
        """One attempt: the decoded JSON (or, streaming, the open response) or a NeuroShardError."""
        connection = self._connection()
        try:
            connection.request(method, target, body=data, headers=headers)
            response = connection.getresponse()
            content_type = response.getheader("Content-Type", "")
            if stream and response.status == 200 and content_type.startswith("text/event-stream"):
                return _OpenResponse(connection, response)
            raw = response.read()
            answer_headers = {k: v for k, v in response.getheaders()}
        except (socket.timeout, TimeoutError) as e:
            connection.close()
            raise NodeTimeoutError(f"{method} {target}: no answer within {self.timeout} s") from e
        except ConnectionRefusedError as e:
            connection.close()
            raise NodeConnectionError(f"{method} {target}: cannot connect to {self._host}:{self._port} ({e})",
                                      refused=True) from e
        except (OSError, http.client.HTTPException) as e:
            connection.close()
            raise NodeConnectionError(f"{method} {target}: {type(e).__name__}: {e}") from e
        connection.close()
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, ValueError):
            body = raw.decode("utf-8", "replace")
        if 200 <= response.status < 300:
            if isinstance(body, str):
                raise NodeConnectionError(f"{method} {target}: the answer is not JSON", code="BAD_RESPONSE")
            return body
        raise error_from_envelope(response.status, body, answer_headers)


class _OpenResponse:
    def __init__(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse):
        self.connection, self.response = connection, response

    def close(self) -> None:
        self.response.close()
        self.connection.close()


class InferenceStream:
    """The tokens of a streamed inference, as an iterator of str. `.response` holds the final
    InferenceResponse once the stream is exhausted (None before); `.usage` its usage; `.tokens`
    the pieces received so far. Close it (or use `with`) to stop early."""

    def __init__(self, answer: Any):
        self.response: Optional[InferenceResponse] = None
        self.tokens: List[str] = []
        self._done = False
        if isinstance(answer, _OpenResponse):
            self._answer, self._events = answer, _server_sent_events(answer.response)
        else:  # answered in one piece (not as events): one "token", the whole text
            self._answer, self.response = None, InferenceResponse.from_dict(answer)
            self._events = iter([("message", json.dumps({"text": self.response.text or ""}))])

    @property
    def usage(self):
        return self.response.usage if self.response else None

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    def __iter__(self) -> "InferenceStream":
        return self

    def __next__(self) -> str:
        if self._done:
            raise StopIteration(self.response)
        try:
            for event, data in self._events:
                try:
                    payload = json.loads(data)
                except ValueError:
                    raise NodeConnectionError(f"a stream event is not JSON: {data[:200]!r}", code="BAD_RESPONSE")
                if event == "done":
                    self.response = InferenceResponse.from_dict(payload)
                    break
                if event == "error":
                    raise error_from_envelope(_status_of(payload), payload)
                if isinstance(payload, dict) and isinstance(payload.get("text"), str):
                    self.tokens.append(payload["text"])
                    return payload["text"]
            else:
                if self.response is None:
                    raise NodeConnectionError("the stream ended without its final event", code="BAD_RESPONSE")
        except NeuroShardError:
            self.close()
            raise
        except (socket.timeout, TimeoutError) as e:
            self.close()
            raise NodeTimeoutError("the stream stalled past the timeout") from e
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise NodeConnectionError(f"the stream broke: {type(e).__name__}: {e}") from e
        except BaseException:
            self.close()
            raise
        self.close()
        raise StopIteration(self.response)

    def close(self) -> None:
        if not self._done:
            self._done = True
            if self._answer is not None:
                self._answer.close()

    def __enter__(self) -> "InferenceStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _status_of(envelope: Any) -> int:
    """The HTTP status an error event's code stands for (an event has none of its own)."""
    error = envelope.get("error") if isinstance(envelope, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return {v: k for k, v in CODES_BY_STATUS.items()}.get(code, 500)


def _server_sent_events(response) -> Iterator[Tuple[str, str]]:
    """(event type, data) of each Server-Sent Event; the type is "message" when not named."""
    event, data = "message", []
    while True:
        line = response.readline()
        if not line:
            if data:
                yield event, "\n".join(data)
            return
        line = line.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)


def _inference_body(prompt, max_tokens, temperature, top_p, top_k, stop, stream) -> Dict[str, Any]:
    return {"prompt": prompt, "max_tokens": max_tokens, "temperature": temperature, "top_p": top_p,
            "top_k": top_k, "stop": list(stop or []), "stream": stream}


class NEUROLedger:
    """The wallet of the node `node` connects to (its operator's token can spend; a read-only key
    can only read)."""

    def __init__(self, node: NeuroNode):
        self.node = node

    def get_balance(self, address: Optional[str] = None) -> Balance:
        """GET /api/v1/wallet/balance: `available`, `staked`, `pending`, `total` (NEURO), `address`,
        and the stake's `locked_until` and `multiplier`. With `address`, that account as the
        node's ledger holds it."""
        return Balance.from_dict(self.node.request("GET", "/wallet/balance", params={"address": address}))

    def send(self, to: str, amount: float, memo: str = "", idempotency_key: Optional[str] = None) -> Transaction:
        """POST /api/v1/wallet/send: sends `amount` NEURO to address `to` (the 5% fee is paid on
        top). Every call carries an Idempotency-Key (a fresh one unless given), so the SDK's
        retries never send twice; pass your own key to make retries of your own safe too."""
        key = idempotency_key or "sdk-" + uuid.uuid4().hex
        body = {"to": to, "amount": amount, "memo": memo}
        return Transaction.from_dict(self.node.request("POST", "/wallet/send", json_body=body,
                                                       headers={"Idempotency-Key": key}))

    def get_transactions(self, limit: int = 20, offset: int = 0, address: Optional[str] = None) -> TransactionList:
        """GET /api/v1/wallet/transactions: transfers, rewards and stake moves, newest first (limit
        1...100); with `address`, that account's, as the node's ledger holds it."""
        return TransactionList.from_dict(self.node.request("GET", "/wallet/transactions",
                                                           params={"limit": limit, "offset": offset, "address": address}))

    def stake(self, amount: float, duration_days: int) -> StakeReceipt:
        """POST /api/v1/wallet/stake: locks `amount` NEURO for `duration_days` (1...365); the stake
        raises the node's proof rewards by 1 + 0.1·log2(1 + stake/1000). Retried only when the
        node refused it (429, 503) or the connection was refused: a stake has no idempotency key."""
        return StakeReceipt.from_dict(self.node.request("POST", "/wallet/stake",
                                                        json_body={"amount": amount, "duration_days": duration_days}))

    def unstake(self, amount: Optional[float] = None) -> UnstakeReceipt:
        """POST /api/v1/wallet/unstake: takes `amount` NEURO (the whole stake when None) back once
        the lock has passed; a locked stake raises InvalidRequestError with `details["locked_until"]`."""
        body = {} if amount is None else {"amount": amount}
        return UnstakeReceipt.from_dict(self.node.request("POST", "/wallet/unstake", json_body=body))
