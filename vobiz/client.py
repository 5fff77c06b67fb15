"""VobizClient: the one place that applies every Vobiz API practice.

See docs/architecture.md §8 for the practices in brief.

HTTPS only; one pooled ``requests.Session``; a (connect, read) timeout on every
request; retries with exponential backoff for network errors and 5xx; 429 is
raised, never slept on (unless paging with ``patience_seconds``); a shared
circuit breaker; console tokens refreshed ahead of expiry; caching through the
portal's cache; every attempt reported to an observer and logged with secrets
removed.

The machinery lives in ``vobiz.transport`` (sending, retries, breaker),
``vobiz.reporting`` (observer and log) and ``vobiz.redact`` (secrets); the
resource methods in ``vobiz.resources``. This module builds the client and
owns its credentials: REST headers, console login and token refresh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from vobiz.breaker import CircuitBreaker
from vobiz.errors import AuthError, UnexpectedResponse
from vobiz.interfaces import Cache, Observer, Tokens, TokenStore
from vobiz.redact import REDACTED, body_secrets, long_enough, redact_url
from vobiz.resources import (
    BillingMethods,
    NumberMethods,
    SubAccountMethods,
    TrunkMethods,
)
from vobiz.resources.billing import (
    ACCOUNT_TTL,
    BALANCE_TTL,
    ME,
    Account,
    Balance,
    Cdr,
    DateLike,
    Transaction,
)
from vobiz.resources.numbers import PhoneNumber
from vobiz.resources.sub_accounts import SubAccount
from vobiz.resources.trunks import TRUNKS_TTL, Credential, IpAclEntry, Trunk
from vobiz.transport import (
    BACKOFF_BASE,
    Auth,
    JSONDict,
    Replay,
    Transport,
    default_jitter,
)
from vobiz.typed import TypedClient

# Names that lived here before the split, kept importable from vobiz.client.
__all__ = [
    "ACCOUNT_TTL",
    "BACKOFF_BASE",
    "BALANCE_TTL",
    "REDACTED",
    "TRUNKS_TTL",
    "Account",
    "Auth",
    "Balance",
    "Cdr",
    "Credential",
    "DateLike",
    "IpAclEntry",
    "JSONDict",
    "PhoneNumber",
    "Replay",
    "SubAccount",
    "Transaction",
    "Trunk",
    "VobizClient",
    "redact_url",
]

REFRESH_MARGIN = 5 * 60
DEFAULT_EXPIRES_IN = 1800

LOGIN = "/auth/login"
REFRESH = "/auth/refresh"
ROTATE = "/auth-token/rotate"
CHANGE_PASSWORD = "/auth/change-password"  # noqa: S105 (a path, not a secret)


class VobizClient(SubAccountMethods, TrunkMethods, NumberMethods, BillingMethods):
    """Call the Vobiz REST API as one account (master or sub-account).

    Responses are the provider's JSON as dicts, with fractional numbers as
    ``Decimal`` so money stays exact; ``typed`` gives the same calls returning
    frozen payload objects (``vobiz.payloads``). Errors are ``vobiz.errors``
    exceptions.

    The trade-off of ``patience_seconds``: while a page waits, the caller
    holds its worker slot and any lease, and a long iteration may take up to
    ``patience_seconds`` longer per page; the longer a newest-first,
    offset-paged list (the ledger) waits, the more new rows can shift it. In
    exchange the pages already read are not fetched again. The default 0
    raises at once, as before, so a Celery task is re-queued with the
    countdown and starts its paging again from its watermark; web requests
    should keep it at 0. Keep it below the task's time limit and its lease
    renewal interval.
    """

    def __init__(
        self,
        base_url: str,
        auth_id: str,
        auth_token: str,
        *,
        ca_bundle: str | None = None,
        timeout: tuple[float, float] = (3.05, 30),
        cache: Cache | None = None,
        observer: Observer | None = None,
        breaker: CircuitBreaker | None = None,
        login_email: str | None = None,
        login_password: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_retries: int = 3,
        pool_size: int = 10,
        token_store: TokenStore | None = None,
        jitter: Callable[[], float] = default_jitter,
        patience_seconds: float = 0,
    ) -> None:
        """Configure the client; refuse a base URL that is not https://.

        ``patience_seconds`` makes the paginated iterators (``iter_cdrs``,
        ``iter_transactions`` and every ``list_*``/``search_*``) outlast a fault
        storm: when one page still fails after the transport's own retries
        with a transient error (5xx, network, 429 or an open breaker), the
        iterator sleeps (``Retry-After`` or the breaker's wait; otherwise the
        backoff continued, capped at a minute) and asks for the same page
        again, keeping its position so every record is yielded exactly once.
        Each page gets up to ``patience_seconds`` of waiting; then the error is
        raised.
        See the class docstring for the trade-off.
        """
        if patience_seconds < 0:
            raise ValueError("patience_seconds must not be negative")
        transport = Transport(
            base_url,
            ca_bundle=ca_bundle,
            timeout=timeout,
            observer=observer,
            breaker=breaker,
            sleep=sleep,
            clock=clock,
            max_retries=max_retries,
            pool_size=pool_size,
            jitter=jitter,
        )
        self._bind(
            transport,
            cache,
            auth_id,
            auth_token,
            login=(login_email, login_password),
            token_store=token_store,
            patience_seconds=patience_seconds,
        )

    def _bind(
        self,
        transport: Transport,
        cache: Cache | None,
        auth_id: str,
        auth_token: str,
        *,
        login: tuple[str | None, str | None] = (None, None),
        token_store: TokenStore | None = None,
        patience_seconds: float = 0,
    ) -> None:
        # Shared by __init__ and for_sub_account, which has no console login.
        if not auth_id or not auth_token:
            raise ValueError("auth_id and auth_token are required")
        self._transport = transport
        self._cache = cache
        self._auth_id = auth_id
        self._auth_token = auth_token
        self._tokens: Tokens | None = None
        self._token_lock = threading.RLock()
        self._login_email, self._login_password = login
        self._token_store = token_store
        self._patience_seconds = patience_seconds

    def __repr__(self) -> str:
        base_url = self._transport.base_url
        return f"VobizClient(base_url={base_url!r}, auth_id={self._auth_id!r})"

    @property
    def auth_id(self) -> str:
        """Return the account this client acts as."""
        return self._auth_id

    @property
    def typed(self) -> TypedClient:
        """Return this client's methods that answer with ``vobiz.payloads`` objects."""
        return TypedClient(self)

    @property
    def breaker(self) -> CircuitBreaker:
        """Return the circuit breaker (its ``state()`` feeds the health page)."""
        return self._transport.breaker

    def for_sub_account(self, sa_auth_id: str, sa_token: str) -> VobizClient:
        """Return a client acting as a sub-account.

        It shares this client's session, breaker, observer, cache and page
        patience, but has no console login of its own.
        """
        child = object.__new__(VobizClient)
        child._bind(
            self._transport,
            self._cache,
            sa_auth_id,
            sa_token,
            patience_seconds=self._patience_seconds,
        )
        return child

    # Auth

    def rotate_auth_token(self, *, with_console_login: bool = False) -> str:
        """Rotate the REST auth token, switch to the new one and return it.

        ``with_console_login`` signs the request with the console's Bearer token
        instead of the REST token: the way back when an earlier rotation's answer
        was lost and the old REST token no longer works. Never resent once it may
        have reached Vobiz (a second rotation would void the token of the first).
        """
        auth = Auth.BEARER if with_console_login else Auth.REST
        reply = self._call("POST", ROTATE, auth=auth, replay=Replay.UNSENT_ONLY)
        token = _find_token(reply)
        if token is None:
            raise UnexpectedResponse(
                "rotate response carried no auth_token", status=200
            )
        self._auth_token = token
        return token

    def verify_auth_token(self) -> JSONDict:
        """Ask Vobiz, bypassing the cache, whether the REST token is accepted.

        Return the account (``/auth/me``); raise ``AuthError`` when Vobiz refuses
        the token. Used after a rotation with an unknown outcome.
        """
        return self._call("GET", ME)

    def change_console_password(self, *, current: str, new: str) -> JSONDict:
        """Change the console password; Vobiz revokes every earlier JWT.

        Sent at most once (a resend would present a password that is no longer
        current): the caller checks afterwards whether it landed. On success the
        client signs in with the new password from now on and forgets its
        tokens; the reply may carry a new pair under ``tokens``.
        """
        reply = self._call(
            "POST",
            CHANGE_PASSWORD,
            json={"current_password": current, "new_password": new},
            replay=Replay.UNSENT_ONLY,
        )
        with self._token_lock:
            self._login_password = new
            self._tokens = None
        return reply

    def login(self) -> Tokens:
        """Sign in to the console API with the configured email and password."""
        if not (self._login_email and self._login_password):
            raise AuthError(
                "console login is not configured", code="login_not_configured"
            )
        body = {"email": self._login_email, "password": self._login_password}
        with self._token_lock:
            reply = self._call("POST", LOGIN, json=body, auth=Auth.NONE)
            return self._keep_tokens(reply)

    def refresh(self) -> Tokens:
        """Renew both console tokens, sending the refresh token as the Bearer."""
        with self._token_lock:
            tokens = self._current_tokens()
            if tokens is None:
                return self.login()
            return self._refresh_from(tokens)

    def _refresh_from(self, tokens: Tokens) -> Tokens:
        """Renew ``tokens``; fall back to the shared store, then to a new login."""
        try:
            reply = self._call(
                "POST",
                REFRESH,
                auth=Auth.NONE,
                headers={"Authorization": f"Bearer {tokens.refresh_token}"},
            )
        except AuthError:
            # Another process may have refreshed first and rotated our refresh
            # token away; its tokens are in the shared store.
            stored = self._stored_tokens()
            if stored is not None and stored.refresh_token != tokens.refresh_token:
                self._tokens = stored
                return stored
            if self._login_email and self._login_password:
                return self.login()
            raise
        return self._keep_tokens(reply)

    def _keep_tokens(self, reply: JSONDict) -> Tokens:
        """Take the token pair from a login or refresh reply and store it."""
        access, refresh = reply.get("access_token"), reply.get("refresh_token")
        if not (isinstance(access, str) and isinstance(refresh, str)):
            raise UnexpectedResponse("token response without access and refresh tokens")
        expires_in = reply.get("expires_in")
        lifetime = (
            float(expires_in) if isinstance(expires_in, int | float | Decimal) else None
        )
        tokens = Tokens(
            access_token=access,
            refresh_token=refresh,
            access_expires_at=self._transport.clock()
            + (lifetime or DEFAULT_EXPIRES_IN),
        )
        self._tokens = tokens
        if self._token_store is not None:
            self._token_store.save(tokens)
        return tokens

    def _current_tokens(self) -> Tokens | None:
        """Return the tokens in memory, else those in the shared store."""
        if self._tokens is None:
            self._tokens = self._stored_tokens()
        return self._tokens

    def _stored_tokens(self) -> Tokens | None:
        """Return the tokens the token store holds, if there is one."""
        return self._token_store.load() if self._token_store is not None else None

    def _console_enabled(self) -> bool:
        """Return whether Bearer calls are possible (a login or stored tokens)."""
        return bool(self._login_email and self._login_password) or (
            self._current_tokens() is not None
        )

    def _access_token(self) -> str:
        """Return an access token with at least five minutes left."""
        with self._token_lock:
            tokens = self._current_tokens()
            if tokens is None:
                tokens = self.login()
            elif tokens.access_expires_at - self._transport.clock() < REFRESH_MARGIN:
                tokens = self._refresh_from(tokens)
            return tokens.access_token

    def _auth_headers(self, auth: Auth) -> dict[str, str]:
        """Return the REST pair, the Bearer header or nothing, as ``auth`` says."""
        if auth is Auth.REST:
            return {"X-Auth-ID": self._auth_id, "X-Auth-Token": self._auth_token}
        if auth is Auth.BEARER:
            return {"Authorization": f"Bearer {self._access_token()}"}
        return {}

    def _known_secrets(
        self, json: Mapping[str, Any] | None, headers: Mapping[str, str]
    ) -> tuple[str, ...]:
        """Return every secret this call could see echoed back in an error."""
        found = [self._auth_token, self._login_password or ""]
        if self._tokens is not None:
            found += [self._tokens.access_token, self._tokens.refresh_token]
        found += [value.removeprefix("Bearer ") for value in headers.values()]
        found += body_secrets(json)
        return long_enough(found)


def _find_token(reply: JSONDict) -> str | None:
    # The rotate response shape is undocumented (docs/vobiz-api.md §3): look where
    # the create responses put it.
    for holder in (reply, reply.get("auth_credentials"), reply.get("data")):
        if isinstance(holder, dict):
            token = holder.get("auth_token") or holder.get("new_auth_token")
            if isinstance(token, str) and token:
                return token
    return None
