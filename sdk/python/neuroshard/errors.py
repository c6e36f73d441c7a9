"""The SDK's exceptions: one per error code of the node's envelope {"error": {code, message, details}}."""
import builtins
from typing import Any, Dict, Optional


class NeuroShardError(Exception):
    """Any error the SDK raises. `code` is the envelope's code (e.g. "NOT_FOUND"), `status` the HTTP
    status (None when no answer came), `details` the envelope's details dict."""

    def __init__(self, code: str, message: str, details: Optional[Dict[str, Any]] = None,
                 status: Optional[int] = None, headers: Optional[Dict[str, str]] = None):
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.status = status
        self.headers = dict(headers or {})

    def __str__(self) -> str:
        where = f"{self.status} " if self.status is not None else ""
        return f"{where}{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, status={self.status!r})"


class UnauthorizedError(NeuroShardError):
    """401: missing or wrong token."""


class ForbiddenError(NeuroShardError):
    """403: a read-only API key tried to spend."""


class NotFoundError(NeuroShardError):
    """404: unknown path or resource."""


class MethodNotAllowedError(NeuroShardError):
    """405: the path exists, not with this method."""


class InvalidRequestError(NeuroShardError):
    """400: malformed request (details.field names the culprit when there is one)."""


class InsufficientBalanceError(NeuroShardError):
    """402: the wallet cannot pay (details: balance, required)."""

    @property
    def balance(self) -> Optional[float]:
        return self.details.get("balance")

    @property
    def required(self) -> Optional[float]:
        return self.details.get("required")


class RateLimitedError(NeuroShardError):
    """429: over the rate limit; `retry_after` is the number of seconds to wait."""

    @property
    def retry_after(self) -> Optional[float]:
        return _retry_after(self.headers, self.details)


class InternalError(NeuroShardError):
    """500: a bug in the node."""


class UnavailableError(NeuroShardError):
    """503: the node is starting, or cannot serve this now (e.g. no peer holds a needed layer)."""


class NodeConnectionError(NeuroShardError, builtins.ConnectionError):
    """No answer from the node: refused, reset, unreachable, or a broken response. `refused`:
    the connection was refused, so the request never reached the node."""

    def __init__(self, message: str, code: str = "CONNECTION_ERROR", refused: bool = False):
        NeuroShardError.__init__(self, code, message)
        self.refused = refused


class NodeTimeoutError(NodeConnectionError, builtins.TimeoutError):
    """The node did not answer within `timeout` seconds."""

    def __init__(self, message: str):
        NodeConnectionError.__init__(self, message, code="TIMEOUT")


ERRORS_BY_CODE = {
    "UNAUTHORIZED": UnauthorizedError,
    "FORBIDDEN": ForbiddenError,
    "NOT_FOUND": NotFoundError,
    "METHOD_NOT_ALLOWED": MethodNotAllowedError,
    "INVALID_REQUEST": InvalidRequestError,
    "INSUFFICIENT_BALANCE": InsufficientBalanceError,
    "RATE_LIMITED": RateLimitedError,
    "INTERNAL_ERROR": InternalError,
    "UNAVAILABLE": UnavailableError,
}
CODES_BY_STATUS = {
    401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 400: "INVALID_REQUEST",
    402: "INSUFFICIENT_BALANCE", 429: "RATE_LIMITED", 500: "INTERNAL_ERROR", 503: "UNAVAILABLE",
}


def _retry_after(headers: Dict[str, str], details: Dict[str, Any]) -> Optional[float]:
    """Seconds to wait: the Retry-After header (delta-seconds), else details.retry_after."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                break
    value = details.get("retry_after")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(0.0, float(value))
    return None


def error_from_envelope(status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> NeuroShardError:
    """The exception for an error answer: its envelope's code picks the class; without an
    envelope (a proxy's page, say) the HTTP status does."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        code = error["code"]
        message = error.get("message") if isinstance(error.get("message"), str) else code
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
    else:
        code = CODES_BY_STATUS.get(status, f"HTTP_{status}")
        message = f"HTTP {status}" + (f": {body[:200]}" if isinstance(body, str) and body else "")
        details = {}
    cls = ERRORS_BY_CODE.get(code)
    if cls is None:
        cls = ERRORS_BY_CODE.get(CODES_BY_STATUS.get(status, ""), NeuroShardError)
    return cls(code, message, details, status, headers)
