"""Typed errors for the Vobiz API, parsed from every documented error shape.

Vobiz documents one envelope (``{status, error: {code, message, details},
requestId}``) but its endpoint pages show flat bodies (``{error, message}``,
``{api_id, error, message}``, ``{"error": "Username already exists", "code": 409}``).
``error_from_response`` turns any of them into one ``VobizError`` subclass that
says whether a retry can help (``transient``) and carries the provider's request id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

Redact = Callable[[str], str]

DEFAULT_RETRY_AFTER = 60.0
REQUEST_ID_HEADERS = ("X-Request-ID", "X-Vobiz-Request-ID", "Request-Id")

# Keys of a flat body that describe the error itself rather than its details.
_FLAT_KEYS = frozenset(
    {"error", "message", "detail", "code", "api_id", "requestId", "status", "timestamp"}
)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    402: "payment_required",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "validation_error",
    429: "rate_limited",
}


def _keep(text: str) -> str:
    return text


class VobizError(Exception):
    """Base of every failure the client raises.

    ``message`` comes from the provider with any secret the client knows of
    scrubbed out; ``str(err)`` never includes request headers or bodies.
    """

    transient = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        request_id: str | None = None,
        details: Mapping[str, Any] | None = None,
        transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.details: dict[str, Any] = dict(details or {})
        if transient is not None:
            self.transient = transient

    def __str__(self) -> str:
        head = " ".join(part for part in (str(self.status or ""), self.code) if part)
        text = f"{head}: {self.message}" if head else self.message
        return f"{text} (request_id={self.request_id})" if self.request_id else text


class AuthError(VobizError):
    """401 or 403: wrong credentials, wrong path casing, or not allowed."""


class TokenExpired(AuthError):
    """401 ``TOKEN_EXPIRED``: the console access token needs a refresh."""


class NotFound(VobizError):
    """404: the resource does not exist or belongs to another account."""


class Conflict(VobizError):
    """409: duplicate username, trunk with active calls, DID cool-off."""

    @property
    def cool_off_until(self) -> str | None:
        """Return when a DID cool-off ends, if the provider said so."""
        value = self.details.get("cool_off_until")
        return str(value) if value is not None else None


class ValidationFailed(VobizError):
    """400 or 422: the request was malformed; ``field_errors`` says where."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field_errors = _field_errors(self.details)


class InsufficientBalance(VobizError):
    """402 or ``INSUFFICIENT_BALANCE``: top up before retrying."""


class ClientError(VobizError):
    """Any other 4xx: retrying the same request cannot help."""


class RateLimited(VobizError):
    """429: wait ``retry_after`` seconds; the client itself never sleeps on it."""

    transient = True

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(VobizError):
    """5xx: Vobiz failed; the outcome of a write is unknown."""

    transient = True


class TransportError(VobizError):
    """No HTTP response at all: connection refused, reset, or timed out."""

    transient = True


class CircuitOpen(VobizError):
    """The circuit breaker is open: nothing was sent; try after ``retry_after``."""

    transient = True

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, code="circuit_open", **kwargs)
        self.retry_after = retry_after


class UnexpectedResponse(VobizError):
    """A response the contract does not describe (a redirect, a non-JSON body)."""


def error_from_response(
    status: int,
    payload: object,
    headers: Mapping[str, str],
    *,
    reason: str = "",
    now: float | None = None,
    redact: Redact = _keep,
) -> VobizError:
    """Build the typed error for an HTTP error response.

    ``payload`` is the decoded JSON body (or None when it was not JSON);
    ``redact`` scrubs secrets the caller knows of from provider text.
    """
    code, message, details, request_id = _parse_body(payload)
    code = code or _STATUS_CODES.get(status, "server_error" if status >= 500 else "")
    details = _redact_values(details, redact)
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": request_id or _header(headers, REQUEST_ID_HEADERS),
        "details": details,
    }
    text = redact(message or reason or f"HTTP {status}")
    cls = _error_class(status, code)
    if cls is RateLimited:
        return RateLimited(
            text, retry_after=retry_after_seconds(headers, details, now), **kwargs
        )
    return cls(text, **kwargs)


def retry_after_seconds(
    headers: Mapping[str, str], details: Mapping[str, Any], now: float | None = None
) -> float:
    """Return how long a 429 asks us to wait: header, then body, then 60 s."""
    header = _header(headers, ("Retry-After",))
    if header:
        seconds = _parse_retry_after(header, time.time() if now is None else now)
        if seconds is not None:
            return seconds
    for key in ("retryAfter", "retry_after"):
        value = details.get(key)
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and value >= 0
        ):
            return float(value)
    return DEFAULT_RETRY_AFTER


def _parse_retry_after(value: str, now: float) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    # RFC 9110 also allows an HTTP-date.
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def _parse_body(payload: object) -> tuple[str, str, dict[str, Any], str | None]:
    if not isinstance(payload, Mapping):
        return "", "", {}, None
    request_id = _first_str(payload, ("requestId", "request_id", "api_id"))
    error = payload.get("error")
    if isinstance(error, Mapping):
        details = error.get("details")
        return (
            _text(error.get("code")),
            _text(error.get("message")),
            dict(details) if isinstance(details, Mapping) else {},
            request_id,
        )
    details = {key: value for key, value in payload.items() if key not in _FLAT_KEYS}
    code, message = _flat_code_and_message(payload)
    return code, message, details, request_id


def _flat_code_and_message(payload: Mapping[str, Any]) -> tuple[str, str]:
    error = _text(payload.get("error"))
    message = _text(payload.get("message")) or _text(payload.get("detail"))
    declared = payload.get("code")
    if isinstance(declared, str) and declared:
        return declared, message or error
    # Some endpoints put a sentence in "error" ({"error": "Username already
    # exists", "code": 409}); a sentence is a message, not a code.
    if error and " " not in error.strip():
        return error, message or error
    return "", message or error


def _error_class(status: int, code: str) -> type[VobizError]:
    upper = code.upper()
    if status == 402 or upper == "INSUFFICIENT_BALANCE":
        return InsufficientBalance
    if status == 401 and upper == "TOKEN_EXPIRED":
        return TokenExpired
    by_status: dict[int, type[VobizError]] = {
        400: ValidationFailed,
        401: AuthError,
        403: AuthError,
        404: NotFound,
        409: Conflict,
        422: ValidationFailed,
        429: RateLimited,
    }
    if status in by_status:
        return by_status[status]
    if status >= 500:
        return ServerError
    return ClientError if 400 <= status < 500 else UnexpectedResponse


def _field_errors(details: Mapping[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    entries = details.get("errors")
    if not isinstance(entries, list):
        return found
    for entry in entries:
        if isinstance(entry, Mapping):
            field = _text(entry.get("field")) or "__all__"
            found.setdefault(field, []).append(_text(entry.get("message")))
    return found


def _redact_values(value: Any, redact: Redact) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: _redact_values(item, redact) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_values(item, redact) for item in value]
    return value


def _header(headers: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    # requests gives a case-insensitive mapping; a plain dict may not be one.
    lowered = {key.lower(): value for key, value in headers.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value:
            return value
    return None


def _first_str(payload: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
