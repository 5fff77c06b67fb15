"""What every group of resource methods stands on: build, send, page, cache.

``BaseClient`` turns a path template and its values into a ``Request`` for the
shared ``Transport``, hands out page fetchers for the pagination iterators and
keeps cached reads per host and account. ``VobizClient`` supplies the
credentials (``_auth_headers``, ``_known_secrets``) and the construction.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from vobiz.interfaces import Cache
from vobiz.pagination import FetchPage, patient
from vobiz.transport import Auth, JSONDict, Replay, Reply, Request, Transport

T = TypeVar("T")

# Page-level waits continue the transport's backoff but never exceed a minute.
PAGE_BACKOFF_CAP = 60.0


class BaseClient:
    """Send calls as one account through a shared transport and cache."""

    _transport: Transport
    _cache: Cache | None
    _auth_id: str
    _patience_seconds: float

    @abstractmethod
    def _auth_headers(self, auth: Auth) -> dict[str, str]:
        """Return the headers that carry the credentials ``auth`` names."""

    @abstractmethod
    def _known_secrets(
        self, json: Mapping[str, Any] | None, headers: Mapping[str, str]
    ) -> tuple[str, ...]:
        """Return every secret an error message might echo back."""

    @abstractmethod
    def _console_enabled(self) -> bool:
        """Return whether console (Bearer) calls are possible for this client."""

    @abstractmethod
    def refresh(self) -> object:
        """Renew the console tokens (called once on a 401 TOKEN_EXPIRED)."""

    def _call(
        self,
        method: str,
        template: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Auth = Auth.REST,
        replay: Replay = Replay.ALWAYS,
        first_attempt: int = 1,
        **path: str,
    ) -> JSONDict:
        """Send one call to ``template`` filled with ``path``; return its body."""
        req = self._request(
            method,
            template,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
            replay=replay,
            first_attempt=first_attempt,
            path=path,
        )
        return self._send(req).body

    def _request(
        self,
        method: str,
        template: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Auth = Auth.REST,
        replay: Replay = Replay.ALWAYS,
        stream: bool = False,
        first_attempt: int = 1,
        path: Mapping[str, str] | None = None,
    ) -> Request:
        """Build the request; headers and secrets are read again per attempt."""
        extra = dict(headers or {})
        return Request(
            method=method,
            template=template,
            path=fill(template, auth_id=self._auth_id, **(path or {})),
            params=params,
            json=json,
            headers=lambda: {**self._auth_headers(auth), **extra},
            known_secrets=lambda: self._known_secrets(json, extra),
            replay=replay,
            stream=stream,
            on_token_expired=self.refresh if auth is Auth.BEARER else None,
            first_attempt=first_attempt,
        )

    def _send(self, req: Request) -> Reply:
        """Send ``req`` through the shared transport as this account."""
        return self._transport.send(req, sub_account=self._sub_account())

    def _sub_account(self) -> str | None:
        """Return this client's auth id when it acts as a sub-account."""
        return self._auth_id if self._auth_id.startswith("SA_") else None

    def _pages(
        self, template: str, filters: Mapping[str, Any] | None = None
    ) -> FetchPage:
        """Return a page fetcher for ``template``, patient if so configured."""

        def fetch(page: dict[str, int]) -> JSONDict:
            return self._call("GET", template, params={**(filters or {}), **page})

        return patient(
            fetch,
            patience_seconds=self._patience_seconds,
            sleep=self._transport.sleep,
            backoff=self._page_backoff,
        )

    def _page_backoff(self, failures: int) -> float:
        """Return the wait after a page failed ``failures`` times at page level."""
        # The transport has already backed off max_retries times for this page.
        retries = self._transport.max_retries + failures
        return min(PAGE_BACKOFF_CAP, self._transport.backoff_seconds(retries))

    def _cached(self, name: str, ttl: int, load: Callable[[], T]) -> T:
        """Return the cached ``name``, or ``load()`` it and keep it ``ttl`` s."""
        if self._cache is None:
            return load()
        key = self._cache_key(name)
        value: T | None = self._cache.get(key)
        if value is None:
            value = load()
            self._cache.set(key, value, ttl)
        return value

    def _forget(self, name: str) -> None:
        """Drop the cached ``name`` after a write that changed it."""
        if self._cache is not None:
            self._cache.delete(self._cache_key(name))

    def _cache_key(self, name: str) -> str:
        """Return the key of ``name``, per host and account."""
        return f"vobiz:{self._transport.host}:{self._auth_id}:{name}"


def fill(template: str, **values: str) -> str:
    """Return the path of ``template`` with every value percent-encoded."""
    # E.164 numbers go into paths, where "+" must be sent as %2B.
    return template.format(
        **{key: quote(str(value), safe="") for key, value in values.items()}
    )


def compact(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``values`` without the keys whose value is None."""
    return {key: value for key, value in values.items() if value is not None}
