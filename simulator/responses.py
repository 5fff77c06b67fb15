"""JSON responses and the two documented error shapes.

- Envelope (``/errors`` page): ``{status, error:{code,message,details}, timestamp,
  requestId}`` — used for generic failures: unknown routes, 405, injected 5xx,
  TOKEN_EXPIRED, INVALID_CREDENTIALS, RATE_LIMIT_EXCEEDED, INSUFFICIENT_BALANCE,
  VALIDATION_ERROR (422), TRUNK_NOT_FOUND, ACCOUNT_INACTIVE.
- Flat (endpoint pages): ``{api_id, error, message}`` — unauthorized, not_found,
  forbidden, bad_request, internal_server_error, did_cool_off_in_effect; plus the
  credential 409 which is exactly ``{"error":"Username already exists","code":409}``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response

from simulator.clock import iso_millis

GENERIC_CODES = {
    400: ("BAD_REQUEST", "Bad request"),
    401: ("UNAUTHORIZED", "Authentication required"),
    402: ("INSUFFICIENT_BALANCE", "Account balance too low to complete this operation"),
    403: ("FORBIDDEN", "Forbidden"),
    404: ("NOT_FOUND", "Resource not found"),
    405: ("METHOD_NOT_ALLOWED", "Method not allowed"),
    409: ("CONFLICT", "Conflict"),
    422: ("VALIDATION_ERROR", "Validation failed"),
    429: ("RATE_LIMIT_EXCEEDED", "Too many requests"),
    500: ("INTERNAL_ERROR", "Internal server error"),
    502: ("BAD_GATEWAY", "Bad gateway"),
    503: ("SERVICE_UNAVAILABLE", "Service temporarily unavailable"),
    504: ("GATEWAY_TIMEOUT", "Gateway timeout"),
}


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Return a JSON response."""
    body = json.dumps(payload, separators=(",", ":"))
    return Response(
        body, status=status, headers=dict(headers or {}), mimetype="application/json"
    )


def no_content() -> Response:
    """Return an empty 204."""
    return Response(status=204)


class ApiError(Exception):
    """An error response, raised from anywhere in a handler."""

    def __init__(
        self,
        status: int,
        body: dict[str, Any],
        *,
        envelope: bool,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(body.get("message") or body.get("error"))
        self.status = status
        self.body = body
        self.envelope = envelope
        self.headers = dict(headers or {})

    def to_response(self, request_id: str, now: float) -> Response:
        """Render the error; the envelope gets the timestamp and request id."""
        if self.envelope:
            payload: dict[str, Any] = {
                "status": "error",
                "error": self.body,
                "timestamp": iso_millis(now),
                "requestId": request_id,
            }
        else:
            payload = self.body
        return json_response(payload, self.status, self.headers)


def envelope(
    status: int,
    code: str | None = None,
    message: str | None = None,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ApiError:
    """Return an enveloped error (``raise envelope(...)``)."""
    default_code, default_message = GENERIC_CODES.get(status, ("ERROR", "Error"))
    body = {
        "code": code or default_code,
        "message": message or default_message,
        "details": details or {},
    }
    return ApiError(status, body, envelope=True, headers=headers)


def flat(status: int, error: str, message: str, **extra: Any) -> ApiError:
    """Return a flat endpoint-page error (``raise flat(...)``)."""
    body = {"api_id": str(uuid.uuid4()), "error": error, "message": message, **extra}
    return ApiError(status, body, envelope=False)


def raw(status: int, body: dict[str, Any]) -> ApiError:
    """Return an error whose body is exactly ``body``."""
    return ApiError(status, body, envelope=False)


def unauthorized() -> ApiError:
    """Return the documented bad-credentials 401."""
    return flat(401, "unauthorized", "invalid credentials")


def validation(field: str, message: str, code: str, value: Any = None) -> ApiError:
    """Return a 422 VALIDATION_ERROR naming one field."""
    error = {"field": field, "message": message, "code": code, "value": value}
    return envelope(
        422, "VALIDATION_ERROR", "Request validation failed", {"errors": [error]}
    )


def rate_limited(
    retry_after: int, message: str = "Too many requests", **details: Any
) -> ApiError:
    """Return a 429 RATE_LIMIT_EXCEEDED with the Retry-After header."""
    retry_after = max(int(retry_after), 1)
    return envelope(
        429,
        "RATE_LIMIT_EXCEEDED",
        message,
        {**details, "retryAfter": retry_after},
        headers={"Retry-After": str(retry_after)},
    )
