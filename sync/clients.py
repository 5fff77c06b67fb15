"""Build Vobiz clients for the portal: its cache, ApiCall log, breaker and tokens.

Secrets are decrypted here, at use, and only handed to the client. One client per
provider account and process keeps one pooled HTTP session per process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from sync.models import ApiCall, ProviderAccount
from vobiz.breaker import CircuitBreaker
from vobiz.client import VobizClient
from vobiz.interfaces import ApiAttempt, Tokens

logger = logging.getLogger("sync.clients")

_clients: dict[tuple[int, str, bool], VobizClient] = {}
_lock = threading.Lock()


def breaker_key(provider: ProviderAccount) -> str:
    """Return the cache key the breaker of one provider account lives under."""
    return f"vobiz:breaker:{provider.auth_id}"


def breaker_for(provider: ProviderAccount) -> CircuitBreaker:
    """Return the circuit breaker of a provider account, shared through the cache."""
    return CircuitBreaker(
        cache,
        key=breaker_key(provider),
        failure_threshold=settings.VOBIZ_BREAKER_FAILURES,
        open_seconds=settings.VOBIZ_BREAKER_OPEN_SECONDS,
    )


class ApiCallRecorder:
    """Record every attempt the client makes as an `ApiCall` row.

    Clients are called outside database transactions, so a row is committed even
    when the work that made the call later rolls back.
    """

    def __init__(self, provider_id: int) -> None:
        self.provider_id = provider_id
        self._sub_accounts: dict[str, int | None] = {}

    def __call__(self, attempt: ApiAttempt) -> None:
        from sync.models import ApiCall

        started = attempt.started_at or timezone.now().timestamp()
        ApiCall.objects.create(
            created_at=dt.datetime.fromtimestamp(started, tz=dt.UTC),
            provider_account_id=self.provider_id,
            sub_account_id=self._sub_account_id(attempt.sub_account),
            method=attempt.method,
            path_template=attempt.path_template[:120],
            url=attempt.url[:500],
            status=attempt.status,
            duration_ms=attempt.duration_ms,
            request_id=(attempt.request_id or "")[:80],
            attempt=attempt.attempt,
            outcome=attempt.outcome,
            error_code=(attempt.error_code or "")[:64],
        )

    def _sub_account_id(self, auth_id: str | None) -> int | None:
        if not auth_id:
            return None
        if auth_id not in self._sub_accounts:
            found = (
                _sub_account_model()
                .objects.filter(auth_id=auth_id)
                .values_list("pk", flat=True)
            )
            self._sub_accounts[auth_id] = next(iter(found), None)
        return self._sub_accounts[auth_id]


def _sub_account_model() -> Any:
    # Sub-accounts live in a domain app above this package: reach the model the
    # way ApiCall's foreign key names it, not by importing the app.
    return ApiCall._meta.get_field("sub_account").related_model


class ProviderTokenStore:
    """Keep the console JWT pair on the provider account row, encrypted."""

    def __init__(self, provider_id: int) -> None:
        self.provider_id = provider_id

    def load(self) -> Tokens | None:
        row = ProviderAccount.objects.filter(pk=self.provider_id).first()
        if row is None or not row.access_token or not row.refresh_token:
            return None
        expires = row.access_token_expires_at
        return Tokens(
            access_token=row.access_token.reveal(),
            refresh_token=row.refresh_token.reveal(),
            access_expires_at=expires.timestamp() if expires else 0.0,
        )

    def save(self, tokens: Tokens) -> None:
        now = timezone.now()
        ProviderAccount.objects.filter(pk=self.provider_id).update(
            access_token=tokens.access_token,
            access_token_expires_at=dt.datetime.fromtimestamp(
                tokens.access_expires_at, tz=dt.UTC
            ),
            refresh_token=tokens.refresh_token,
            # Vobiz refresh tokens live seven days from issue.
            refresh_token_expires_at=now + dt.timedelta(days=7),
            updated_at=now,
        )


def _reveal(value: Any) -> str | None:
    return value.reveal() if value else None


def _fingerprint(provider: ProviderAccount) -> str:
    token = getattr(provider.auth_token, "token", "")
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def client_for(provider: ProviderAccount, *, interactive: bool = False) -> VobizClient:
    """Return the process's client for a provider account.

    `interactive` clients serve web requests: they retry once instead of three
    times, so a person waits seconds, not the full backoff.
    """
    key = (provider.pk, _fingerprint(provider), interactive)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _build(provider, interactive=interactive)
            for stale in [
                k for k in _clients if k[0] == provider.pk and k[1] != key[1]
            ]:
                del _clients[stale]
            _clients[key] = client
    return client


def _build(provider: ProviderAccount, *, interactive: bool) -> VobizClient:
    return VobizClient(
        settings.VOBIZ_BASE_URL,
        provider.auth_id,
        provider.auth_token.reveal(),
        ca_bundle=settings.VOBIZ_CA_BUNDLE,
        timeout=(3.05, 10) if interactive else (3.05, 30),
        cache=cache,
        observer=ApiCallRecorder(provider.pk),
        breaker=breaker_for(provider),
        login_email=_reveal(provider.login_email),
        login_password=_reveal(provider.login_password),
        max_retries=1 if interactive else 3,
        token_store=ProviderTokenStore(provider.pk),
    )


class SubAccountLike(Protocol):
    """What a client needs of a sub-account: its id and its (encrypted) token."""

    auth_id: str | None
    auth_token: Any


def sub_account_client(
    provider: ProviderAccount, sub_account: SubAccountLike, *, interactive: bool = False
) -> VobizClient | None:
    """Return a client acting as a sub-account, or None when its token is unknown."""
    if not sub_account.auth_id or not sub_account.auth_token:
        return None
    parent = client_for(provider, interactive=interactive)
    return parent.for_sub_account(
        sub_account.auth_id,
        sub_account.auth_token.reveal(),
    )


def forget_clients() -> None:
    """Drop every cached client (tests; after a token rotation)."""
    with _lock:
        _clients.clear()
