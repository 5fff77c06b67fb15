"""The HTTP machinery a client family shares (docs/architecture.md §8).

One pooled ``requests.Session`` per transport; a (connect, read) timeout on
every request; retries with exponential backoff for network errors and 5xx;
429 is raised, never slept on; breaker admission before each attempt; every
attempt reported through ``vobiz.reporting``.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError

from vobiz.breaker import CircuitBreaker, MemoryStore
from vobiz.errors import (
    CircuitOpen,
    RateLimited,
    ServerError,
    TokenExpired,
    TransportError,
    UnexpectedResponse,
    VobizError,
    error_from_response,
)
from vobiz.interfaces import Observer
from vobiz.redact import scrubber
from vobiz.reporting import Report, request_id

JSONDict = dict[str, Any]
Failure = tuple[VobizError, requests.RequestException | None]

BACKOFF_BASE = 1.0


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
class Request:
    """One logical API call; headers and secrets are read afresh per attempt."""

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
class Reply:
    """A successful answer: the response and its JSON body ({} when streamed)."""

    response: requests.Response
    body: JSONDict


def default_jitter() -> float:
    """Return up to 250 ms, so retrying processes do not move in lockstep."""
    return secrets.randbelow(251) / 1000


class Transport:
    """Send requests with retries, breaker admission and attempt reports."""

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
        self.base_url = checked_base_url(base_url)
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

    def send(self, req: Request, *, sub_account: str | None) -> Reply:
        """Send ``req`` with retries, breaker and token refresh; return the reply."""
        url = self._url(req)
        attempt, retries, refreshed = req.first_attempt, 0, False
        while True:
            report = self._report(req, url, attempt, sub_account)
            outcome = self._attempt(req, url, report)
            if isinstance(outcome, Reply):
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

    def back_off(self, retries: int) -> None:
        """Sleep 1 s, 2 s, 4 s... plus jitter before retry number ``retries + 1``."""
        self.sleep(self.backoff_seconds(retries))

    def backoff_seconds(self, retries: int) -> float:
        """Return the wait before retry number ``retries + 1``: 1 s, 2 s, 4 s..."""
        return BACKOFF_BASE * 2.0**retries + self.jitter()

    def _report(
        self, req: Request, url: str, attempt: int, sub_account: str | None
    ) -> Report:
        return Report(
            observer=self.observer,
            clock=self.clock,
            method=req.method,
            template=req.template,
            url=url,
            attempt=attempt,
            sub_account=sub_account,
        )

    def _attempt(self, req: Request, url: str, report: Report) -> Reply | Failure:
        headers = req.headers()
        trial = self._admit(report)
        try:
            response = self._request(req, url, headers)
        except requests.RequestException as exc:
            failure = transport_error(exc, req)
            self._settle(trial, failure)
            return failure, exc
        report.response = response
        if response.status_code < 300:
            self.breaker.record_success(trial)
            return self._accept(req, response, report)
        error = self._error(response, req)
        self._settle(trial, error)
        return error, None

    def _admit(self, report: Report) -> bool:
        try:
            return self.breaker.before_call()
        except CircuitOpen as exc:
            report.emit("circuit_open", error=exc)
            raise

    def _request(
        self, req: Request, url: str, headers: dict[str, str]
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
        self, req: Request, response: requests.Response, report: Report
    ) -> Reply:
        try:
            body = {} if req.stream else json_body(response)
        except UnexpectedResponse as error:
            report.emit("error", error=error)
            raise
        report.emit("ok", body=body)
        return Reply(response, body)

    def _settle(self, trial: bool, error: VobizError) -> None:
        if isinstance(error, ServerError | TransportError) and error.transient:
            self.breaker.record_failure(trial)
        else:
            # Any other answer (4xx, 429) proves Vobiz is up.
            self.breaker.record_success(trial)

    def _may_replay(
        self,
        req: Request,
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
        return exc is not None and never_sent(exc)

    def _error(self, response: requests.Response, req: Request) -> VobizError:
        return error_from_response(
            response.status_code,
            json_or_none(response),
            response.headers,
            reason=response.reason or "",
            now=self.clock(),
            redact=scrubber(req.known_secrets()),
        )

    def _url(self, req: Request) -> str:
        query = urlencode(query_values(req.params or {}), doseq=True)
        return f"{self.base_url}{req.path}" + (f"?{query}" if query else "")


def checked_base_url(base_url: str) -> str:
    """Return ``base_url`` without a trailing slash; refuse anything but https://."""
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("Vobiz base_url must be an https:// URL")
    if parts.username or parts.password:
        raise ValueError("Vobiz base_url must not carry credentials")
    return base_url.rstrip("/")


def query_values(params: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``params`` with booleans spelled the way Vobiz reads them."""
    return {
        key: ("true" if value else "false") if isinstance(value, bool) else value
        for key, value in params.items()
    }


def never_sent(exc: requests.RequestException) -> bool:
    """Return whether ``exc`` proves the request never reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None
    reason = cause.reason if isinstance(cause, MaxRetryError) else cause
    return isinstance(reason, NewConnectionError)


def transport_error(exc: requests.RequestException, req: Request) -> TransportError:
    """Return the ``TransportError`` for a failure that left no HTTP answer."""
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


def json_or_none(response: requests.Response) -> object:
    """Return the body parsed with fractions as ``Decimal``, or None if not JSON."""
    try:
        return response.json(parse_float=Decimal)
    except ValueError:
        return None


def json_body(response: requests.Response) -> JSONDict:
    """Return a success body as a dict ({} for 204); refuse anything else."""
    if response.status_code == 204 or not response.content:
        return {}
    body = json_or_none(response)
    if not isinstance(body, dict):
        raise UnexpectedResponse(
            "Vobiz answered with a body that is not a JSON object",
            status=response.status_code,
            request_id=request_id(response),
        )
    return body
