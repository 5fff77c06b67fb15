"""Turn Vobiz errors into sentences a person can act on."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from django import forms
from django.utils import timezone
from django.utils.dateformat import format as date_format

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

COOL_OFF_DAYS = 15


def cool_off_until(error: VobizError) -> dt.datetime | None:
    """Return when a DID cool-off ends, if Vobiz answered `did_cool_off_in_effect`."""
    if not isinstance(error, Conflict) or not error.cool_off_until:
        return None
    return parse_datetime(error.cool_off_until)


def explain(error: VobizError) -> str:
    """Return a plain sentence saying what went wrong at Vobiz and what to do."""
    until = cool_off_until(error)
    if until is not None:
        day = date_format(timezone.localtime(until), "j M Y")
        return f"This number can move again on {day} ({COOL_OFF_DAYS}-day cool-off)."
    if isinstance(error, RateLimited | CircuitOpen):
        wait = math.ceil(error.retry_after)
        if isinstance(error, CircuitOpen):
            return (
                "Vobiz has been failing, so the portal is holding requests back; "
                f"nothing was sent. Try again in {wait} s."
            )
        return f"Vobiz is limiting requests right now; try again in {wait} s."
    if isinstance(error, InsufficientBalance):
        return "The Vobiz balance is too low for this; top up the account first."
    if isinstance(error, ServerError | TransportError):
        return (
            "Vobiz did not answer properly, so the portal changed nothing. The "
            "change may still have reached Vobiz; the next sync shows it. Try again "
            "in a minute."
        )
    if isinstance(error, NotFound):
        return f"Vobiz does not know this ({error.message})."
    if isinstance(error, AuthError):
        return f"Vobiz refused the request ({error.message})."
    if isinstance(error, ValidationFailed):
        return f"Vobiz rejected the request: {error.message}."
    return f"Vobiz refused the request: {error.message}."


def add_vobiz_error(
    form: forms.Form, error: VobizError, field_map: Mapping[str, str] | None = None
) -> None:
    """Put a Vobiz error on the form: field errors next to fields, the rest on top."""
    placed = False
    if isinstance(error, ValidationFailed) and field_map:
        for remote, messages in error.field_errors.items():
            field = field_map.get(remote)
            if field and field in form.fields:
                for message in messages:
                    form.add_error(field, message)
                placed = True
    if not placed:
        form.add_error(None, explain(error))
