"""NeuroShard Python SDK: a client of a node's HTTP API (standard library only).

    from neuroshard import NeuroNode, NEUROLedger
    node = NeuroNode("http://localhost:8000", api_token="YOUR_TOKEN")
    print(node.get_status().node_id)
"""
from .client import InferenceStream, NEUROLedger, NeuroNode
from .errors import (ForbiddenError, InsufficientBalanceError, InternalError, InvalidRequestError,
                     MethodNotAllowedError, NeuroShardError, NodeConnectionError, NodeTimeoutError, NotFoundError,
                     RateLimitedError, UnauthorizedError, UnavailableError)
from .models import (Balance, Cost, Health, HealthChecks, InferenceMetrics, InferenceResponse, Layer, LayerList,
                     Metrics, NetworkMetrics, Peer, PeerList, Resources, RewardMetrics, RouteHop, StakeReceipt, Status,
                     Timing, Training, TrainingMetrics, Transaction, TransactionList, UnstakeReceipt, Usage)

__version__ = "0.1.0"

__all__ = [
    "NeuroNode", "NEUROLedger", "InferenceStream",
    "NeuroShardError", "UnauthorizedError", "ForbiddenError", "NotFoundError", "MethodNotAllowedError",
    "InvalidRequestError", "InsufficientBalanceError", "RateLimitedError", "InternalError", "UnavailableError",
    "NodeConnectionError", "NodeTimeoutError",
    "Status", "Training", "Resources", "Metrics", "InferenceMetrics", "TrainingMetrics", "NetworkMetrics",
    "RewardMetrics", "InferenceResponse", "Usage", "Cost", "Timing", "RouteHop", "Peer", "PeerList", "Layer",
    "LayerList", "Health", "HealthChecks", "Balance", "Transaction", "TransactionList", "StakeReceipt", "UnstakeReceipt",
]
