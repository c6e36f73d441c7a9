"""Response objects: small dataclasses built from the node's JSON. Unknown fields are kept in
`.raw` (the JSON dict as received) and also readable as attributes."""
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Optional


class _Model:
    """Base of every response object: `from_dict` fills the declared fields it finds (missing
    ones stay None), and attributes not declared fall back to the raw JSON."""

    raw: Dict[str, Any]
    _nested: Dict[str, Any] = {}
    _renamed: Dict[str, str] = {}  # attribute -> JSON key

    @classmethod
    def from_dict(cls, data: Any):
        data = data if isinstance(data, dict) else {}
        values = {}
        for f in fields(cls):
            if f.name == "raw":
                continue
            key = cls._renamed.get(f.name, f.name)
            value = data.get(key)
            nested = cls._nested.get(f.name)
            if nested is not None:
                value = _build(nested, value)
            values[f.name] = value
        return cls(raw=data, **values)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "raw":
            raise AttributeError(name)
        raw = self.__dict__.get("raw") or {}
        if name in raw:
            return raw[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")


def _build(kind: Any, value: Any) -> Any:
    if isinstance(kind, list):  # [Model]: a list of them
        return [kind[0].from_dict(v) for v in value] if isinstance(value, list) else []
    return kind.from_dict(value) if value is not None else kind.from_dict({})


def _raw_field():
    return field(default_factory=dict, repr=False, compare=False)


# Status

@dataclass
class Training(_Model):
    enabled: Optional[bool] = None
    epoch: Optional[int] = None
    step: Optional[int] = None
    loss: Optional[float] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class Resources(_Model):
    ram_used: Optional[int] = None
    ram_total: Optional[int] = None
    cpu_percent: Optional[float] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class Status(_Model):
    """GET /status."""
    node_id: Optional[str] = None
    version: Optional[str] = None
    uptime_seconds: Optional[float] = None
    status: Optional[str] = None
    role: Optional[str] = None
    layers: Optional[List[int]] = None
    peer_count: Optional[int] = None
    has_embedding: Optional[bool] = None
    has_lm_head: Optional[bool] = None
    training: Optional[Training] = None
    resources: Optional[Resources] = None
    raw: Dict[str, Any] = _raw_field()
    _nested = {"training": Training, "resources": Resources}


# Metrics

@dataclass
class InferenceMetrics(_Model):
    requests_total: Optional[int] = None
    requests_per_minute: Optional[float] = None
    avg_latency_ms: Optional[float] = None
    p99_latency_ms: Optional[float] = None
    tokens_generated: Optional[int] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class TrainingMetrics(_Model):
    steps_total: Optional[int] = None
    steps_per_hour: Optional[float] = None
    gradients_submitted: Optional[int] = None
    gradients_accepted: Optional[int] = None
    outer_rounds: Optional[int] = None
    loss_history: Optional[List[Dict[str, float]]] = None  # [{t, step, loss}], oldest first
    raw: Dict[str, Any] = _raw_field()


@dataclass
class NetworkMetrics(_Model):
    bytes_sent: Optional[int] = None
    bytes_received: Optional[int] = None
    active_connections: Optional[int] = None
    rpc_calls: Optional[int] = None
    peer_count: Optional[int] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class RewardMetrics(_Model):
    earned_today: Optional[float] = None
    earned_total: Optional[float] = None
    pending: Optional[float] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class Metrics(_Model):
    """GET /metrics."""
    inference: Optional[InferenceMetrics] = None
    training: Optional[TrainingMetrics] = None
    network: Optional[NetworkMetrics] = None
    rewards: Optional[RewardMetrics] = None
    raw: Dict[str, Any] = _raw_field()
    _nested = {"inference": InferenceMetrics, "training": TrainingMetrics, "network": NetworkMetrics,
               "rewards": RewardMetrics}


# Inference

@dataclass
class Usage(_Model):
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    total_tokens: Optional[int] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class Cost(_Model):
    amount: Optional[float] = None
    currency: Optional[str] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class Timing(_Model):
    queue_ms: Optional[float] = None
    inference_ms: Optional[float] = None
    total_ms: Optional[float] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class RouteHop(_Model):
    node_id: Optional[str] = None
    layers: Optional[List[int]] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class InferenceResponse(_Model):
    """POST /inference (and the final event of a stream)."""
    id: Optional[str] = None
    text: Optional[str] = None
    tokens_generated: Optional[int] = None
    finish_reason: Optional[str] = None
    usage: Optional[Usage] = None
    cost: Optional[Cost] = None
    timing: Optional[Timing] = None
    route: Optional[List[RouteHop]] = None
    raw: Dict[str, Any] = _raw_field()
    _nested = {"usage": Usage, "cost": Cost, "timing": Timing, "route": [RouteHop]}


# Peers, layers, health

@dataclass
class Peer(_Model):
    id: Optional[str] = None
    address: Optional[str] = None
    role: Optional[str] = None
    layers: Optional[List[int]] = None
    latency_ms: Optional[float] = None
    connected_since: Optional[float] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class Layer(_Model):
    index: Optional[int] = None
    type: Optional[str] = None
    memory_mb: Optional[float] = None
    status: Optional[str] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class HealthChecks(_Model):
    node: Optional[bool] = None
    network: Optional[bool] = None
    model: Optional[bool] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class Health(_Model):
    """GET /health."""
    healthy: Optional[bool] = None
    checks: Optional[HealthChecks] = None
    raw: Dict[str, Any] = _raw_field()
    _nested = {"checks": HealthChecks}


# Wallet

@dataclass
class Balance(_Model):
    """GET /wallet/balance, flattened: `available`, `staked`, `pending`, `total` in NEURO, and the
    stake's `locked_until` (Unix seconds, None before any stake) and reward `multiplier`."""
    address: Optional[str] = None
    available: Optional[float] = None
    staked: Optional[float] = None
    pending: Optional[float] = None
    total: Optional[float] = None
    locked_until: Optional[float] = None
    multiplier: Optional[float] = None
    raw: Dict[str, Any] = _raw_field()

    @classmethod
    def from_dict(cls, data: Any):
        data = data if isinstance(data, dict) else {}
        money = data.get("balances") if isinstance(data.get("balances"), dict) else {}
        stake = data.get("stake") if isinstance(data.get("stake"), dict) else {}
        return cls(address=data.get("address"), available=money.get("available"), staked=money.get("staked"),
                   pending=money.get("pending"), total=money.get("total"), locked_until=stake.get("locked_until"),
                   multiplier=stake.get("multiplier"), raw=data)


@dataclass
class StakeReceipt(_Model):
    """POST /wallet/stake: the stake's id, what it moved, the whole stake now and its lock."""
    transaction_id: Optional[str] = None
    amount: Optional[float] = None
    duration_days: Optional[int] = None
    staked: Optional[float] = None
    locked_until: Optional[float] = None
    multiplier: Optional[float] = None
    status: Optional[str] = None
    timestamp: Optional[float] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class UnstakeReceipt(_Model):
    """POST /wallet/unstake: what came back, what stays staked, the available balance now."""
    transaction_id: Optional[str] = None
    amount: Optional[float] = None
    staked: Optional[float] = None
    available: Optional[float] = None
    status: Optional[str] = None
    timestamp: Optional[float] = None
    raw: Dict[str, Any] = _raw_field()


@dataclass
class Transaction(_Model):
    """A send's receipt, or an entry of the history. `from_` is the JSON's "from"; `type` is
    sent/received/genesis/reward/... in the history (None in a receipt), `status` the reverse."""
    transaction_id: Optional[str] = None
    type: Optional[str] = None
    amount: Optional[float] = None
    fee: Optional[float] = None
    memo: Optional[str] = None
    from_: Optional[str] = None
    to: Optional[str] = None
    status: Optional[str] = None
    timestamp: Optional[float] = None
    raw: Dict[str, Any] = _raw_field()
    _renamed = {"from_": "from"}


class _ListResult(list):
    """A list of response objects that also carries the answer's other fields and `.raw`."""

    def __init__(self, items, raw: Dict[str, Any]):
        super().__init__(items)
        self.raw = raw

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and name in self.__dict__.get("raw", {}):
            return self.raw[name]
        raise AttributeError(name)


class PeerList(_ListResult):
    """GET /peers: a list of Peer; `.total`."""

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "PeerList":
        return cls(_build([Peer], data.get("peers")), data)


class LayerList(_ListResult):
    """GET /layers: a list of Layer; `.total_layers`, `.my_layer_count`."""

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "LayerList":
        return cls(_build([Layer], data.get("layers")), data)


class TransactionList(_ListResult):
    """GET /wallet/transactions: a list of Transaction, newest first; `.limit`, `.offset`."""

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "TransactionList":
        return cls(_build([Transaction], data.get("transactions")), data)
