"""Turn a Vobiz failure into the portal's one error, worded once.

Every service that calls Vobiz lets its errors through `provider_error` (or the
`vobiz_errors` block), so each failure reads the same on every page, and views
see only `core.errors.ProviderError`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.utils import timezone
from django.utils.dateformat import format as date_format

from core.errors import ProviderError
from vobiz.errors import (
    AuthError,
    CircuitOpen,
    Conflict,
    InsufficientBalance,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    ValidationFailed,
    VobizError,
)
from vobiz.parse import parse_datetime

# Vobiz keeps a released number from moving again for this many days.
COOL_OFF_DAYS = 15


def cool_off_until(error: VobizError) -> dt.datetime | None:
    """Return when a number's cool-off ends, if Vobiz refused for that reason."""
    if not isinstance(error, Conflict) or not error.cool_off_until:
        return None
    return parse_datetime(error.cool_off_until)


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def describe(exc: VobizError) -> str:
    """Return a plain sentence saying why Vobiz refused, and what to do next."""
    said = exc.message or str(exc)
    ref = f" (Vobiz request {exc.request_id})" if exc.request_id else ""
    until = cool_off_until(exc)
    if until is not None:
        day = date_format(timezone.localtime(until), "j M Y")
        return f"This number can move again on {day} ({COOL_OFF_DAYS}-day cool-off)."
    if isinstance(exc, RateLimited):
        return (
            f"Vobiz is rate-limiting requests; try again in "
            f"{_seconds(exc.retry_after)} s."
        )
    if isinstance(exc, CircuitOpen):
        return (
            "Vobiz has been failing, so the portal is pausing calls to it; try "
            f"again in {_seconds(exc.retry_after)} s."
        )
    if isinstance(exc, InsufficientBalance):
        return f"Vobiz refused: the account balance is too low. {said}{ref}"
    if isinstance(exc, Conflict):
        return f"Vobiz refused because of a conflict: {said}{ref}"
    if isinstance(exc, NotFound):
        return (
            f"Vobiz no longer has this object; the next sync will mark it removed.{ref}"
        )
    if isinstance(exc, AuthError):
        return (
            "Vobiz did not accept the portal's credentials for this account "
            f"({said}).{ref}"
        )
    if isinstance(exc, ValidationFailed):
        return f"Vobiz refused the values: {said}{ref}"
    if isinstance(exc, ServerError | TransportError):
        return (
            "Vobiz did not answer properly, so nothing was changed in the portal. "
            "If the change reached Vobiz anyway, the next sync will show it."
            f"{ref}"
        )
    return f"Vobiz refused: {said}{ref}"


def _kind(exc: VobizError) -> str:
    if isinstance(exc, RateLimited):
        return "rate_limited"
    if isinstance(exc, CircuitOpen | ServerError | TransportError):
        return "unavailable"
    if isinstance(exc, AuthError):
        return "auth"
    if isinstance(exc, NotFound):
        return "not_found"
    if isinstance(exc, InsufficientBalance):
        return "insufficient_balance"
    if cool_off_until(exc) is not None:
        return "cool_off"
    return "refused"


def provider_error(
    exc: VobizError, *, field_map: Mapping[str, str] | None = None
) -> ProviderError:
    """Return the portal error for a Vobiz error.

    `field_map` maps Vobiz's field names (``max_concurrent_calls``) to form
    fields (``concurrent_calls_limit``); the fields Vobiz named are kept, under
    the form's names, so the view can show each message beside its field.
    """
    fields: dict[str, list[str]] = {}
    if isinstance(exc, ValidationFailed):
        mapping = dict(field_map or {})
        for remote, messages in exc.field_errors.items():
            fields.setdefault(mapping.get(remote, remote), []).extend(
                f"Vobiz: {message}" for message in messages
            )
    return ProviderError(
        describe(exc),
        kind=_kind(exc),
        field_errors=fields,
        retry_after=getattr(exc, "retry_after", None),
        request_id=exc.request_id or "",
    )


@contextmanager
def vobiz_errors(field_map: Mapping[str, str] | None = None) -> Iterator[None]:
    """Raise the portal error in place of any Vobiz error inside the block."""
    try:
        yield
    except VobizError as exc:
        raise provider_error(exc, field_map=field_map) from exc
