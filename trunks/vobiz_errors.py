"""Turn a Vobiz failure into words for the person who asked for the change.

Every write service calls Vobiz first; when Vobiz refuses, nothing changes in the
portal and the view shows one of these messages (or field errors, when Vobiz said
which field was wrong).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from django import forms

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


class NoVobizAccess(VobizError):
    """The portal holds no auth token for the sub-account that owns the object."""


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def describe(exc: VobizError) -> str:
    """Return a plain sentence saying why Vobiz refused, and what to do next."""
    said = exc.message or str(exc)
    ref = f" (Vobiz request {exc.request_id})" if exc.request_id else ""
    if isinstance(exc, NoVobizAccess):
        return said
    if isinstance(exc, RateLimited):
        wait = _seconds(exc.retry_after)
        return f"Vobiz is rate-limiting requests; try again in {wait} s."
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


def add_to_form(
    form: forms.BaseForm,
    exc: VobizError,
    field_map: Mapping[str, str] | None = None,
) -> None:
    """Show a Vobiz failure on a form: on the fields Vobiz named, else on top.

    `field_map` maps Vobiz field names (``max_concurrent_calls``) to form
    fields (``concurrent_calls_limit``); unnamed fields go to the top.
    """
    mapping = dict(field_map or {})
    placed = False
    if isinstance(exc, ValidationFailed):
        for remote, messages in exc.field_errors.items():
            field = mapping.get(remote, remote)
            if field in form.fields:
                for message in messages:
                    form.add_error(field, f"Vobiz: {message}")
                placed = True
    if not placed:
        form.add_error(None, describe(exc))
