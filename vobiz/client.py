"""VobizClient: the one place that applies every Vobiz API practice (DESIGN.md §4).

HTTPS only; one pooled ``requests.Session``; a (connect, read) timeout on every
request; retries with exponential backoff for network errors and 5xx; 429 is
raised, never slept on; a shared circuit breaker; console tokens refreshed
ahead of expiry; caching through the portal's cache; every attempt reported to
an observer and logged with secrets removed.
"""

from __future__ import annotations

import codecs
import csv
import enum
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeAlias, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError

from vobiz.breaker import CircuitBreaker, MemoryStore
from vobiz.errors import (
    REQUEST_ID_HEADERS,
    AuthError,
    CircuitOpen,
    NotFound,
    RateLimited,
    ServerError,
    TokenExpired,
    TransportError,
    UnexpectedResponse,
    VobizError,
    error_from_response,
)
from vobiz.interfaces import ApiAttempt, Cache, Observer, Tokens, TokenStore
from vobiz.pagination import (
    FetchPage,
    paginate_data,
    paginate_items,
    paginate_meta_objects,
    paginate_sub_accounts,
    paginate_transactions,
)

JSONDict: TypeAlias = dict[str, Any]
SubAccount: TypeAlias = JSONDict
Trunk: TypeAlias = JSONDict
Credential: TypeAlias = JSONDict
IpAclEntry: TypeAlias = JSONDict
PhoneNumber: TypeAlias = JSONDict
Account: TypeAlias = JSONDict
Balance: TypeAlias = JSONDict
Transaction: TypeAlias = JSONDict
Cdr: TypeAlias = JSONDict
DateLike: TypeAlias = date | str
T = TypeVar("T")

logger = logging.getLogger("vobiz.client")

ACCOUNT_TTL = 15 * 60
TRUNKS_TTL = 5 * 60
BALANCE_TTL = 60
REFRESH_MARGIN = 5 * 60
DEFAULT_EXPIRES_IN = 1800
BACKOFF_BASE = 1.0

# Path templates, with the provider's inconsistent casing kept exactly (§0.5).
ME = "/auth/me"
LOGIN = "/auth/login"
REFRESH = "/auth/refresh"
ROTATE = "/auth-token/rotate"
SUB_ACCOUNTS = "/accounts/{auth_id}/sub-accounts/"
SUB_ACCOUNT = "/accounts/{auth_id}/sub-accounts/{sub_auth_id}"
TRUNKS = "/Account/{auth_id}/trunks"
TRUNK = "/Account/{auth_id}/trunks/{trunk_id}"
CREDENTIALS_LIST = "/Account/{auth_id}/trunks/credentials"
CREDENTIALS = "/Account/{auth_id}/credentials"
CREDENTIAL = "/Account/{auth_id}/credentials/{credential_id}"
IP_ACL_LIST = "/Account/{auth_id}/trunks/ip-acl"
IP_ACLS = "/Account/{auth_id}/ip-acl"
IP_ACL = "/Account/{auth_id}/ip-acl/{acl_id}"
INVENTORY = "/Account/{auth_id}/inventory/numbers"
NUMBERS = "/Account/{auth_id}/numbers"
PURCHASE = "/Account/{auth_id}/numbers/purchase-from-inventory"
NUMBER = "/Account/{auth_id}/numbers/{e164}"
NUMBER_ASSIGN = "/Account/{auth_id}/numbers/{e164}/assign"
CANCEL_RELEASE = "/account/{auth_id}/numbers/{e164}/cancel-release"
ASSIGN_SUB_ACCOUNT = "/account/{auth_id}/numbers/{e164}/assign-subaccount"
BALANCE = "/account/{auth_id}/balance/{currency}"
TRANSACTIONS = "/account/{auth_id}/transactions"
CDRS = "/Account/{auth_id}/cdr"
CDR = "/Account/{auth_id}/cdr/{uuid}"
CDR_EXPORT = "/Account/{auth_id}/cdr/export"
CALLS = "/Account/{auth_id}/Call/"

_SENSITIVE_NAME = re.compile(
    r"pass|token|secret|signature|sig$|key|auth|credential", re.I
)
_SENSITIVE_BODY_KEY = re.compile(r"pass|token|secret", re.I)
REDACTED = "REDACTED"


class Replay(enum.Enum):
    """When a failed attempt may be sent again."""

    # Idempotent calls: after any network error or 5xx.
    ALWAYS = "always"
    # Creates and other non-idempotent calls: only when the request cannot have
    # reached Vobiz (connect refused or timed out), so nothing is done twice.
    UNSENT_ONLY = "unsent_only"
    # The caller runs its own verify-then-retry loop (number purchase).
    NEVER = "never"


class Auth(enum.Enum):
    """Which credentials an attempt carries."""

    REST = "rest"
    BEARER = "bearer"
    NONE = "none"


@dataclass(frozen=True)
class _Request:
    method: str
    template: str
    path: str
    headers: Callable[[], dict[str, str]]
    known_secrets: Callable[[], tuple[str, ...]]
    params: Mapping[str, Any] | None = None
    json: Mapping[str, Any] | None = None
    replay: Replay = Replay.ALWAYS
    stream: bool = False
    on_token_expired: Callable[[], object] | None = None
    first_attempt: int = 1


@dataclass(frozen=True)
class _Reply:
    response: requests.Response
    body: JSONDict


def _default_jitter() -> float:
    return secrets.randbelow(251) / 1000


def redact_url(url: str) -> str:
    """Return ``url`` without user info and with sensitive query values hidden."""
    parts = urlsplit(url)
    query = [
        (name, REDACTED if _SENSITIVE_NAME.search(name) else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))


class _Transport:
    """The HTTP machinery a client family shares: session, breaker, observer."""

    def __init__(
        self,
        base_url: str,
        *,
        ca_bundle: str | None,
        timeout: tuple[float, float],
        observer: Observer | None,
        breaker: CircuitBreaker | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        max_retries: int,
        pool_size: int,
        jitter: Callable[[], float],
    ) -> None:
        self.base_url = _checked_base_url(base_url)
        self.host = urlsplit(self.base_url).netloc
        self.verify: str | bool = ca_bundle if ca_bundle is not None else True
        self.timeout = timeout
        self.observer = observer
        self.breaker = breaker or CircuitBreaker(
            MemoryStore(clock), key=f"vobiz:breaker:{self.host}", clock=clock
        )
        self.sleep = sleep
        self.clock = clock
        self.max_retries = max_retries
        self.jitter = jitter
        self.session = requests.Session()
        adapter = HTTPAdapter(
            pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0
        )
        self.session.mount("https://", adapter)

    def send(self, req: _Request, *, sub_account: str | None) -> _Reply:
        """Send ``req`` with retries, breaker and token refresh; return the reply."""
        url = self._url(req)
        attempt, retries, refreshed = req.first_attempt, 0, False
        while True:
            report = _Report(self, req, url, attempt, sub_account)
            outcome = self._attempt(req, url, report)
            if isinstance(outcome, _Reply):
                return outcome
            error, exc = outcome
            if (
                isinstance(error, TokenExpired)
                and req.on_token_expired
                and not refreshed
            ):
                report.emit("token_refresh", error=error)
                req.on_token_expired()
                refreshed = True
            elif self._may_replay(req, error, exc, retries):
                report.emit("retry", error=error)
                self.back_off(retries)
                retries += 1
            else:
                limited = isinstance(error, RateLimited)
                report.emit("rate_limited" if limited else "error", error=error)
                raise error from exc
            attempt += 1

    def _attempt(
        self, req: _Request, url: str, report: _Report
    ) -> _Reply | tuple[VobizError, requests.RequestException | None]:
        headers = req.headers()
        trial = self._admit(report)
        try:
            response = self._request(req, url, headers)
        except requests.RequestException as exc:
            failure = _transport_error(exc, req)
            self._settle(trial, failure)
            return failure, exc
        report.response = response
        if response.status_code < 300:
            self.breaker.record_success(trial)
            return self._accept(req, response, report)
        error = self._error(response, req)
        self._settle(trial, error)
        return error, None

    def back_off(self, retries: int) -> None:
        """Sleep 1 s, 2 s, 4 s... plus jitter before retry number ``retries + 1``."""
        self.sleep(BACKOFF_BASE * 2**retries + self.jitter())

    def _admit(self, report: _Report) -> bool:
        try:
            return self.breaker.before_call()
        except CircuitOpen as exc:
            report.emit("circuit_open", error=exc)
            raise

    def _request(
        self, req: _Request, url: str, headers: dict[str, str]
    ) -> requests.Response:
        return self.session.request(
            req.method,
            url,
            json=req.json,
            headers=headers,
            timeout=self.timeout,
            verify=self.verify,
            stream=req.stream,
            # A redirect would resend the X-Auth headers to wherever it points.
            allow_redirects=False,
        )

    def _accept(
        self, req: _Request, response: requests.Response, report: _Report
    ) -> _Reply:
        try:
            body = {} if req.stream else _json_body(response)
        except UnexpectedResponse as error:
            report.emit("error", error=error)
            raise
        report.emit("ok", body=body)
        return _Reply(response, body)

    def _settle(self, trial: bool, error: VobizError) -> None:
        if isinstance(error, ServerError | TransportError) and error.transient:
            self.breaker.record_failure(trial)
        else:
            # Any other answer (4xx, 429) proves Vobiz is up.
            self.breaker.record_success(trial)

    def _may_replay(
        self,
        req: _Request,
        error: VobizError,
        exc: requests.RequestException | None,
        retries: int,
    ) -> bool:
        if (
            retries >= self.max_retries
            or not error.transient
            or req.replay is Replay.NEVER
        ):
            return False
        if isinstance(error, RateLimited) or self.breaker.is_open():
            return False
        if req.replay is Replay.ALWAYS:
            return True
        return exc is not None and _never_sent(exc)

    def _error(self, response: requests.Response, req: _Request) -> VobizError:
        return error_from_response(
            response.status_code,
            _json_or_none(response),
            response.headers,
            reason=response.reason or "",
            now=self.clock(),
            redact=_scrubber(req.known_secrets()),
        )

    def _url(self, req: _Request) -> str:
        query = urlencode(_query_values(req.params or {}), doseq=True)
        return f"{self.base_url}{req.path}" + (f"?{query}" if query else "")


class _Report:
    """Describe one attempt to the observer and the log."""

    def __init__(
        self,
        transport: _Transport,
        req: _Request,
        url: str,
        attempt: int,
        sub_account: str | None,
    ) -> None:
        self._transport = transport
        self._req = req
        self._url = url
        self._attempt = attempt
        self._sub_account = sub_account
        self._started = transport.clock()
        self.response: requests.Response | None = None

    def emit(
        self,
        outcome: str,
        *,
        error: VobizError | None = None,
        body: JSONDict | None = None,
    ) -> None:
        """Report this attempt once to the log and the observer."""
        attempt = ApiAttempt(
            method=self._req.method,
            path_template=self._req.template,
            url=redact_url(self._url),
            status=self.response.status_code if self.response is not None else None,
            duration_ms=round((self._transport.clock() - self._started) * 1000, 3),
            request_id=_request_id(self.response, error, body),
            attempt=self._attempt,
            outcome=outcome,
            sub_account=self._sub_account,
            error_code=error.code if error is not None else None,
            started_at=self._started,
        )
        _log(attempt)
        self._notify(attempt)

    def _notify(self, attempt: ApiAttempt) -> None:
        if self._transport.observer is None:
            return
        try:
            self._transport.observer(attempt)
        except Exception:
            # Losing one ApiCall row must not fail the API call it describes.
            logger.warning("vobiz observer failed", exc_info=True)


def _log(attempt: ApiAttempt) -> None:
    level = logging.INFO if attempt.outcome == "ok" else logging.WARNING
    logger.log(
        level,
        "vobiz_api method=%s url=%s status=%s outcome=%s attempt=%d duration_ms=%.1f "
        "request_id=%s sub_account=%s",
        attempt.method,
        attempt.url,
        attempt.status,
        attempt.outcome,
        attempt.attempt,
        attempt.duration_ms,
        attempt.request_id,
        attempt.sub_account,
        extra={"vobiz": asdict(attempt)},
    )


class VobizClient:
    """Call the Vobiz REST API as one account (master or sub-account).

    Responses are the provider's JSON as dicts, with fractional numbers as
    ``Decimal`` so money stays exact. Errors are ``vobiz.errors`` exceptions.
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
        jitter: Callable[[], float] = _default_jitter,
    ) -> None:
        """Configure the client; refuse a base URL that is not https://."""
        transport = _Transport(
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
        )

    def _bind(
        self,
        transport: _Transport,
        cache: Cache | None,
        auth_id: str,
        auth_token: str,
        *,
        login: tuple[str | None, str | None] = (None, None),
        token_store: TokenStore | None = None,
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

    def __repr__(self) -> str:
        base_url = self._transport.base_url
        return f"VobizClient(base_url={base_url!r}, auth_id={self._auth_id!r})"

    @property
    def auth_id(self) -> str:
        """Return the account this client acts as."""
        return self._auth_id

    @property
    def breaker(self) -> CircuitBreaker:
        """Return the circuit breaker (its ``state()`` feeds the health page)."""
        return self._transport.breaker

    def for_sub_account(self, sa_auth_id: str, sa_token: str) -> VobizClient:
        """Return a client acting as a sub-account.

        It shares this client's session, breaker, observer and cache, but has
        no console login of its own.
        """
        child = object.__new__(VobizClient)
        child._bind(self._transport, self._cache, sa_auth_id, sa_token)
        return child

    # Sub-accounts

    def list_sub_accounts(
        self, *, active_only: bool | None = None
    ) -> Iterator[SubAccount]:
        """Iterate over every sub-account, newest first."""
        extra = {} if active_only is None else {"active_only": active_only}
        return paginate_sub_accounts(self._pages(SUB_ACCOUNTS, extra))

    def create_sub_account(self, name: str, **fields: Any) -> JSONDict:
        """Create a sub-account; return the whole response (its token is shown once).

        ``fields`` are the documented optional ones: email, phone, description,
        rate_limit, permissions, password, enabled, kyc_mode, business_type.
        """
        body = _compact({"name": name, **fields})
        return self._call("POST", SUB_ACCOUNTS, json=body, replay=Replay.UNSENT_ONLY)

    def get_sub_account(self, sub_auth_id: str) -> SubAccount:
        """Return one sub-account by its ``SA_`` auth id (not its numeric id)."""
        return self._call("GET", SUB_ACCOUNT, sub_auth_id=sub_auth_id)

    def update_sub_account(self, sub_auth_id: str, **fields: Any) -> SubAccount:
        """Change the given fields of a sub-account; return it updated."""
        return self._call(
            "PUT", SUB_ACCOUNT, json=_compact(fields), sub_auth_id=sub_auth_id
        )

    def delete_sub_account(self, sub_auth_id: str) -> None:
        """Delete a sub-account permanently, revoking its credentials."""
        self._call("DELETE", SUB_ACCOUNT, sub_auth_id=sub_auth_id)

    # Trunks

    def list_trunks(self) -> Iterator[Trunk]:
        """Iterate over every trunk (cached for 5 minutes)."""
        fetch = self._pages(TRUNKS)
        trunks = self._cached(
            "trunks", TRUNKS_TTL, lambda: list(paginate_meta_objects(fetch))
        )
        return iter(trunks)

    def create_trunk(
        self, name: str, trunk_type: str, max_concurrent_calls: int, **fields: Any
    ) -> Trunk:
        """Create a trunk; ``trunk_type`` is INBOUND or OUTBOUND."""
        body = _compact(
            {
                "name": name,
                # The API wants upper case here, unlike trunk_direction on reads.
                "trunk_type": trunk_type.upper(),
                "max_concurrent_calls": max_concurrent_calls,
                **fields,
            }
        )
        trunk = self._call("POST", TRUNKS, json=body, replay=Replay.UNSENT_ONLY)
        self._forget("trunks")
        return trunk

    def get_trunk(self, trunk_id: str) -> Trunk:
        """Return one trunk; another account's trunk is a NotFound."""
        return self._call("GET", TRUNK, trunk_id=trunk_id)

    def update_trunk(
        self,
        trunk_id: str,
        *,
        name: str,
        max_concurrent_calls: int,
        enabled: bool,
        **fields: Any,
    ) -> Trunk:
        """Replace a trunk's settings (PUT replaces, so all three are required)."""
        body = {
            "name": name,
            "max_concurrent_calls": max_concurrent_calls,
            "enabled": enabled,
            **_compact(fields),
        }
        trunk = self._call("PUT", TRUNK, json=body, trunk_id=trunk_id)
        self._forget("trunks")
        return trunk

    def delete_trunk(self, trunk_id: str) -> None:
        """Delete a trunk and what hangs off it; Conflict while calls are active."""
        try:
            self._call("DELETE", TRUNK, trunk_id=trunk_id)
        finally:
            # Even a failed delete may have landed (a 5xx), so drop the list.
            self._forget("trunks")

    # Credentials (SIP digest auth)

    def list_credentials(self) -> Iterator[Credential]:
        """Iterate over every SIP credential (passwords are never returned)."""
        return paginate_meta_objects(self._pages(CREDENTIALS_LIST))

    def create_credential(self, username: str, password: str) -> Credential:
        """Create a SIP credential; Conflict if the username exists."""
        body = {"username": username, "password": password}
        return self._call("POST", CREDENTIALS, json=body, replay=Replay.UNSENT_ONLY)

    def update_credential(
        self,
        credential_id: str,
        *,
        password: str | None = None,
        enabled: bool | None = None,
        description: str | None = None,
    ) -> Credential:
        """Change a credential's password, enabled flag or description."""
        body = _compact(
            {"password": password, "enabled": enabled, "description": description}
        )
        return self._call("PUT", CREDENTIAL, json=body, credential_id=credential_id)

    def delete_credential(self, credential_id: str) -> None:
        """Delete a credential; Conflict if active calls use it."""
        self._call("DELETE", CREDENTIAL, credential_id=credential_id)

    # IP ACL (IP whitelist auth)

    def list_ip_acl(self) -> Iterator[IpAclEntry]:
        """Iterate over every IP ACL entry."""
        return paginate_meta_objects(self._pages(IP_ACL_LIST))

    def create_ip_acl(self, name: str, ip_address: str) -> IpAclEntry:
        """Allow an IPv4 address or CIDR; ``name`` comes back as ``description``."""
        body = {"name": name, "ip_address": ip_address}
        return self._call("POST", IP_ACLS, json=body, replay=Replay.UNSENT_ONLY)

    def update_ip_acl(
        self,
        acl_id: str,
        *,
        ip_address: str | None = None,
        enabled: bool | None = None,
        description: str | None = None,
    ) -> IpAclEntry:
        """Change an IP ACL entry."""
        body = _compact(
            {"ip_address": ip_address, "enabled": enabled, "description": description}
        )
        return self._call("PUT", IP_ACL, json=body, acl_id=acl_id)

    def delete_ip_acl(self, acl_id: str) -> None:
        """Delete an IP ACL entry."""
        self._call("DELETE", IP_ACL, acl_id=acl_id)

    # Phone numbers

    def search_inventory(
        self,
        country: str | None = None,
        search: str | None = None,
        exclude: str | Iterable[str] | None = None,
    ) -> Iterator[PhoneNumber]:
        """Iterate over unowned numbers by country, substring and excluded prefixes."""
        if exclude is not None and not isinstance(exclude, str):
            exclude = ",".join(exclude)
        filters = _compact({"country": country, "search": search, "exclude": exclude})
        return paginate_items(self._pages(INVENTORY, filters))

    def list_numbers(self, search: str | None = None) -> Iterator[PhoneNumber]:
        """Iterate over owned numbers (a master account's include its sub-accounts')."""
        return paginate_items(self._pages(NUMBERS, _compact({"search": search})))

    def purchase_number(
        self, e164: str, idempotency_key: str, *, currency: str | None = None
    ) -> PhoneNumber:
        """Buy a number from inventory without ever buying it twice.

        Every attempt carries ``Idempotency-Key`` (our convention; real Vobiz
        ignores it). After a 5xx or a lost response the outcome is unknown, so
        the owned list is checked first and the number returned if the purchase
        landed; only a number we still do not own is bought again.
        """
        body = _compact({"e164": e164, "currency": currency})
        headers = {"Idempotency-Key": idempotency_key}
        retries = 0
        while True:
            try:
                reply = self._call(
                    "POST",
                    PURCHASE,
                    json=body,
                    headers=headers,
                    replay=Replay.NEVER,
                    first_attempt=retries + 1,
                )
            except NotFound:
                # Gone from inventory: maybe an earlier run of this purchase landed.
                owned = self._owned_number(e164)
                if owned is None:
                    raise
                return owned
            except (ServerError, TransportError) as exc:
                if not exc.transient:
                    raise
                owned = self._owned_number(e164)
                if owned is not None:
                    return owned
                if retries >= self._transport.max_retries:
                    raise
                self._transport.back_off(retries)
                retries += 1
                continue
            number = reply.get("number")
            return number if isinstance(number, dict) else reply

    def _owned_number(self, e164: str) -> PhoneNumber | None:
        for number in self.list_numbers(search=e164):
            if number.get("e164") == e164 and number.get("account_id") in (
                None,
                self._auth_id,
            ):
                return number
        return None

    def release_number(self, e164: str, immediate: bool = False) -> JSONDict:
        """Release a number (for a fee); cancellable for 24 h unless ``immediate``."""
        params = {"immediate": "true"} if immediate else None
        return self._call("DELETE", NUMBER, params=params, e164=e164)

    def cancel_release(self, e164: str) -> JSONDict:
        """Undo a pending release; trunk and application routing are not restored."""
        return self._call("POST", CANCEL_RELEASE, e164=e164)

    def assign_number_to_trunk(self, e164: str, trunk_id: str) -> JSONDict:
        """Route a number to a trunk."""
        body = {"trunk_group_id": trunk_id}
        return self._call("POST", NUMBER_ASSIGN, json=body, e164=e164)

    def unassign_number_from_trunk(self, e164: str) -> JSONDict:
        """Remove a number's trunk routing."""
        return self._call("DELETE", NUMBER_ASSIGN, e164=e164)

    def assign_number_to_sub_account(self, e164: str, sub_auth_id: str) -> JSONDict:
        """Give a number to a sub-account."""
        body = {"sub_account_id": sub_auth_id}
        return self._call("POST", ASSIGN_SUB_ACCOUNT, json=body, e164=e164)

    def unassign_number_from_sub_account(
        self, e164: str, *, force: bool = False
    ) -> JSONDict:
        """Take a number back from a sub-account; Conflict during the cool-off."""
        params = {"force": "true"} if force else None
        return self._call("DELETE", ASSIGN_SUB_ACCOUNT, params=params, e164=e164)

    # Account and billing

    def get_account(self) -> Account:
        """Return the account (``/auth/me``, cached 15 min); Bearer when logged in."""
        auth = Auth.BEARER if self._console_enabled() else Auth.REST
        return self._cached(
            "account", ACCOUNT_TTL, lambda: self._call("GET", ME, auth=auth)
        )

    def get_balance(self, currency: str) -> Balance:
        """Return the balance in ``currency`` (cached 1 minute)."""
        currency = currency.upper()
        return self._cached(
            f"balance:{currency}",
            BALANCE_TTL,
            lambda: self._call("GET", BALANCE, currency=currency),
        )

    def iter_transactions(self) -> Iterator[Transaction]:
        """Iterate over the balance ledger, newest first."""
        return paginate_transactions(self._pages(TRANSACTIONS))

    def iter_cdrs(
        self, start_date: DateLike, end_date: DateLike, **filters: str | int
    ) -> Iterator[Cdr]:
        """Iterate over call detail records between two dates (never cached)."""
        return paginate_data(
            self._pages(CDRS, _cdr_filters(start_date, end_date, filters))
        )

    def get_cdr(self, uuid: str) -> Cdr:
        """Return one CDR by its ``uuid`` (the numeric id gives NotFound)."""
        reply = self._call("GET", CDR, uuid=uuid)
        data = reply.get("data")
        return data if isinstance(data, dict) else reply

    def export_cdrs_csv(
        self, start_date: DateLike, end_date: DateLike, **filters: str | int
    ) -> Iterator[dict[str, str]]:
        """Stream the CSV export row by row as dicts, never holding it all in memory.

        The request is sent when iteration starts.
        """
        params = _cdr_filters(start_date, end_date, filters)
        reply = self._send(self._request("GET", CDR_EXPORT, params=params, stream=True))
        with closing(reply.response) as response:
            yield from csv.DictReader(
                _text_lines(response.iter_content(chunk_size=65536))
            )

    # Calls

    def make_call(
        self, from_: str, to: str, answer_url: str, **fields: Any
    ) -> JSONDict:
        """Place a call; never re-sent after an unknown outcome (calls cost money)."""
        body = {"from": from_, "to": to, "answer_url": answer_url, **_compact(fields)}
        return self._call("POST", CALLS, json=body, replay=Replay.UNSENT_ONLY)

    # Auth

    def rotate_auth_token(self) -> str:
        """Rotate the REST auth token, switch to the new one and return it."""
        reply = self._call("POST", ROTATE, replay=Replay.UNSENT_ONLY)
        token = _find_token(reply)
        if token is None:
            raise UnexpectedResponse(
                "rotate response carried no auth_token", status=200
            )
        self._auth_token = token
        return token

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
        if self._tokens is None:
            self._tokens = self._stored_tokens()
        return self._tokens

    def _stored_tokens(self) -> Tokens | None:
        return self._token_store.load() if self._token_store is not None else None

    def _console_enabled(self) -> bool:
        return bool(self._login_email and self._login_password) or (
            self._current_tokens() is not None
        )

    def _access_token(self) -> str:
        with self._token_lock:
            tokens = self._current_tokens()
            if tokens is None:
                tokens = self.login()
            elif tokens.access_expires_at - self._transport.clock() < REFRESH_MARGIN:
                tokens = self._refresh_from(tokens)
            return tokens.access_token

    # Plumbing

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
    ) -> _Request:
        extra = dict(headers or {})
        return _Request(
            method=method,
            template=template,
            path=_fill(template, auth_id=self._auth_id, **(path or {})),
            params=params,
            json=json,
            headers=lambda: {**self._auth_headers(auth), **extra},
            known_secrets=lambda: self._known_secrets(json, extra),
            replay=replay,
            stream=stream,
            on_token_expired=self.refresh if auth is Auth.BEARER else None,
            first_attempt=first_attempt,
        )

    def _send(self, req: _Request) -> _Reply:
        return self._transport.send(req, sub_account=self._sub_account())

    def _sub_account(self) -> str | None:
        return self._auth_id if self._auth_id.startswith("SA_") else None

    def _auth_headers(self, auth: Auth) -> dict[str, str]:
        if auth is Auth.REST:
            return {"X-Auth-ID": self._auth_id, "X-Auth-Token": self._auth_token}
        if auth is Auth.BEARER:
            return {"Authorization": f"Bearer {self._access_token()}"}
        return {}

    def _known_secrets(
        self, json: Mapping[str, Any] | None, headers: Mapping[str, str]
    ) -> tuple[str, ...]:
        found = [self._auth_token, self._login_password or ""]
        if self._tokens is not None:
            found += [self._tokens.access_token, self._tokens.refresh_token]
        found += [value.removeprefix("Bearer ") for value in headers.values()]
        found += [
            value
            for key, value in (json or {}).items()
            if isinstance(value, str) and _SENSITIVE_BODY_KEY.search(key)
        ]
        return tuple(secret for secret in found if len(secret) >= 4)

    def _pages(
        self, template: str, filters: Mapping[str, Any] | None = None
    ) -> FetchPage:
        def fetch(page: dict[str, int]) -> JSONDict:
            return self._call("GET", template, params={**(filters or {}), **page})

        return fetch

    def _cached(self, name: str, ttl: int, load: Callable[[], T]) -> T:
        if self._cache is None:
            return load()
        key = self._cache_key(name)
        value: T | None = self._cache.get(key)
        if value is None:
            value = load()
            self._cache.set(key, value, ttl)
        return value

    def _forget(self, name: str) -> None:
        if self._cache is not None:
            self._cache.delete(self._cache_key(name))

    def _cache_key(self, name: str) -> str:
        return f"vobiz:{self._transport.host}:{self._auth_id}:{name}"


def _checked_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("Vobiz base_url must be an https:// URL")
    if parts.username or parts.password:
        raise ValueError("Vobiz base_url must not carry credentials")
    return base_url.rstrip("/")


def _fill(template: str, **values: str) -> str:
    # E.164 numbers go into paths, where "+" must be sent as %2B.
    return template.format(
        **{key: quote(str(value), safe="") for key, value in values.items()}
    )


def _query_values(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: ("true" if value else "false") if isinstance(value, bool) else value
        for key, value in params.items()
    }


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _cdr_filters(
    start_date: DateLike, end_date: DateLike, filters: Mapping[str, str | int]
) -> dict[str, Any]:
    # Vobiz takes the dates only as a pair, so both are required here.
    return {"start_date": _iso(start_date), "end_date": _iso(end_date), **filters}


def _iso(value: DateLike) -> str:
    return value.isoformat() if isinstance(value, date) else value


def _never_sent(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None
    reason = cause.reason if isinstance(cause, MaxRetryError) else cause
    return isinstance(reason, NewConnectionError)


def _transport_error(exc: requests.RequestException, req: _Request) -> TransportError:
    # A certificate failure is configuration (or an attack), not bad luck.
    transient = not isinstance(exc, requests.exceptions.SSLError) and isinstance(
        exc,
        requests.ConnectionError
        | requests.Timeout
        | requests.exceptions.ChunkedEncodingError,
    )
    # str(exc) would carry the URL and its query; name the failure instead.
    cause = exc.args[0] if exc.args else None
    reason = cause.reason if isinstance(cause, MaxRetryError) else cause
    detail = f" ({type(reason).__name__})" if isinstance(reason, Exception) else ""
    message = f"{type(exc).__name__}{detail} on {req.method} {req.template}"
    code = "timeout" if isinstance(exc, requests.Timeout) else "network_error"
    return TransportError(message, code=code, transient=transient)


def _scrubber(known: tuple[str, ...]) -> Callable[[str], str]:
    def scrub(text: str) -> str:
        for secret in known:
            text = text.replace(secret, REDACTED)
        return text

    return scrub


def _request_id(
    response: requests.Response | None,
    error: VobizError | None = None,
    body: JSONDict | None = None,
) -> str | None:
    if error is not None and error.request_id:
        return error.request_id
    for key in ("requestId", "api_id"):
        if body and isinstance(body.get(key), str):
            return str(body[key])
    if response is None:
        return None
    for name in REQUEST_ID_HEADERS:
        if response.headers.get(name):
            return response.headers[name]
    return None


def _json_or_none(response: requests.Response) -> object:
    try:
        return response.json(parse_float=Decimal)
    except ValueError:
        return None


def _json_body(response: requests.Response) -> JSONDict:
    if response.status_code == 204 or not response.content:
        return {}
    body = _json_or_none(response)
    if not isinstance(body, dict):
        raise UnexpectedResponse(
            "Vobiz answered with a body that is not a JSON object",
            status=response.status_code,
            request_id=_request_id(response),
        )
    return body


def _find_token(reply: JSONDict) -> str | None:
    # The rotate response shape is undocumented (vobiz-api.md §3): look where
    # the create responses put it.
    for holder in (reply, reply.get("auth_credentials"), reply.get("data")):
        if isinstance(holder, dict):
            token = holder.get("auth_token") or holder.get("new_auth_token")
            if isinstance(token, str) and token:
                return token
    return None


def _text_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    # Split on "\n" only, keeping it, so csv sees quoted newlines intact.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending
