"""The small interfaces the portal implements for the client, and their values.

Parameters are positional-only so that any object with the right methods fits,
whatever it names them; Django's cache framework satisfies ``Cache``,
``BreakerStore`` and ``SupportsAdd`` as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


class Cache(Protocol):
    """A key-value cache with per-entry expiry (Django's cache fits)."""

    def get(self, key: str, /) -> Any:
        """Return the cached value, or None when absent or expired."""

    def set(self, key: str, value: Any, ttl_seconds: float, /) -> object:
        """Store ``value`` for ``ttl_seconds``."""

    def delete(self, key: str, /) -> object:
        """Drop ``key`` if present."""


class BreakerStore(Protocol):
    """Where the circuit breaker keeps its small, serialisable state dict.

    Share one store (e.g. Redis through Django's cache) between processes and
    they all see the same breaker. A ``ttl_seconds`` of None means no expiry.
    """

    def get(self, key: str, /) -> Any:
        """Return the stored value, or None."""

    def set(self, key: str, value: Any, ttl_seconds: float | None, /) -> object:
        """Store ``value``."""


@runtime_checkable
class SupportsAdd(Protocol):
    """An optional atomic "set if absent" that makes the half-open trial unique."""

    def add(self, key: str, value: Any, ttl_seconds: float | None, /) -> bool:
        """Store ``value`` only if ``key`` is absent; return whether it was stored."""


class TokenStore(Protocol):
    """Persist console tokens (encrypted, by the portal) across processes."""

    def load(self) -> Tokens | None:
        """Return the last saved tokens, or None."""

    def save(self, tokens: Tokens, /) -> object:
        """Keep ``tokens``; called after every login and refresh."""


class Observer(Protocol):
    """Receive one ``ApiAttempt`` per HTTP attempt (the portal's ApiCall log)."""

    def __call__(self, attempt: ApiAttempt, /) -> object:
        """Record ``attempt``; exceptions are logged and otherwise ignored."""


@dataclass(frozen=True, slots=True)
class ApiAttempt:
    """One HTTP attempt, safe to store and show: it never holds a secret.

    ``outcome`` is one of ``ok``, ``retry``, ``error``, ``rate_limited``,
    ``circuit_open`` (refused by the breaker, nothing sent) or
    ``token_refresh`` (a 401 TOKEN_EXPIRED that the client refreshes and retries).
    """

    method: str
    path_template: str
    url: str
    status: int | None
    duration_ms: float
    request_id: str | None
    attempt: int
    outcome: str
    sub_account: str | None = None
    error_code: str | None = None
    started_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Tokens:
    """A console JWT pair; ``access_expires_at`` is on the client's clock."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: float

    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict for the portal to encrypt and persist."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "access_expires_at": self.access_expires_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tokens:
        """Rebuild tokens saved with ``to_dict``."""
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            access_expires_at=float(data["access_expires_at"]),
        )
