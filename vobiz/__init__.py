"""Plain-Python Vobiz API client (no Django): the portal's only way to Vobiz."""

from vobiz.breaker import CircuitBreaker, MemoryStore
from vobiz.client import VobizClient, redact_url
from vobiz.errors import (
    AuthError,
    CircuitOpen,
    ClientError,
    Conflict,
    InsufficientBalance,
    NotFound,
    RateLimited,
    ServerError,
    TokenExpired,
    TransportError,
    UnexpectedResponse,
    ValidationFailed,
    VobizError,
)
from vobiz.interfaces import (
    ApiAttempt,
    BreakerStore,
    Cache,
    Observer,
    SupportsAdd,
    Tokens,
    TokenStore,
)
from vobiz.typed import TypedClient

__all__ = [
    "ApiAttempt",
    "AuthError",
    "BreakerStore",
    "Cache",
    "CircuitBreaker",
    "CircuitOpen",
    "ClientError",
    "Conflict",
    "InsufficientBalance",
    "MemoryStore",
    "NotFound",
    "Observer",
    "RateLimited",
    "ServerError",
    "SupportsAdd",
    "TokenExpired",
    "TokenStore",
    "Tokens",
    "TransportError",
    "TypedClient",
    "UnexpectedResponse",
    "ValidationFailed",
    "VobizClient",
    "VobizError",
    "redact_url",
]
