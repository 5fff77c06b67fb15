"""Number routing and assignment: trunk routing, sub-account hand-over, health."""

from __future__ import annotations

from werkzeug.wrappers import Response

from simulator.api_numbers import normalise_e164, number_object, owned_number
from simulator.clock import DAY, iso
from simulator.models import Number
from simulator.number_health import health_report
from simulator.responses import envelope, flat, json_response, validation
from simulator.web import Ctx, Route, text

COOL_OFF = 15 * DAY


def assign_trunk(ctx: Ctx, auth_id: str, e164: str) -> Response:
    """Route a number to one of the caller's trunks (``trunk_group_id``)."""
    number = owned_number(ctx, e164)
    trunk_id = text(ctx.body(), "trunk_group_id", required=True) or ""
    trunk = ctx.state.trunks.get(trunk_id)
    if trunk is None or trunk.account_id not in ctx.state.scope(ctx.caller.auth_id):
        raise envelope(
            404, "TRUNK_NOT_FOUND", "SIP trunk not found", {"trunkId": trunk_id}
        )
    number.trunk_group_id = trunk.trunk_id
    number.updated_at = ctx.now
    ctx.state.changed()
    return json_response(
        {"message": "number assigned to trunk", "number": number_object(number)}
    )


def unassign_trunk(ctx: Ctx, auth_id: str, e164: str) -> Response:
    """Remove a number's trunk routing."""
    number = owned_number(ctx, e164)
    number.trunk_group_id = None
    number.updated_at = ctx.now
    ctx.state.changed()
    return json_response(
        {"message": "number unassigned from trunk", "number": number_object(number)}
    )


def assign_sub_account(ctx: Ctx, auth_id: str, e164: str) -> Response:
    """Hand a master-owned number to a sub-account (starts the 15-day cool-off)."""
    if not ctx.caller.is_master:
        raise flat(403, "forbidden", "only the master account can assign numbers")
    number = owned_number(ctx, e164)
    sub_id = text(ctx.body(), "sub_account_id", required=True) or ""
    sub = ctx.state.accounts.get(sub_id)
    if sub is None or sub.parent_auth_id != ctx.caller.auth_id:
        raise flat(404, "not_found", "sub-account not found")
    if number.owner not in (ctx.caller.auth_id, sub_id):
        _check_cool_off(ctx, number)
    number.owner = sub_id
    number.trunk_group_id = None
    number.subaccount_assigned_at = ctx.now
    number.updated_at = ctx.now
    ctx.state.changed()
    return json_response(
        {"message": "number assigned to sub-account", "number": number_object(number)}
    )


def _check_cool_off(ctx: Ctx, number: Number) -> None:
    until = (number.subaccount_assigned_at or 0) + COOL_OFF
    if ctx.now >= until:
        return
    if ctx.arg_bool("force"):
        return
    raise flat(
        409,
        "did_cool_off_in_effect",
        "the number was assigned less than 15 days ago",
        cool_off_until=iso(until),
        cool_off_remaining_seconds=int(until - ctx.now),
    )


def unassign_sub_account(ctx: Ctx, auth_id: str, e164: str) -> Response:
    """Take a number back from a sub-account (409 during the cool-off)."""
    if not ctx.caller.is_master:
        raise flat(403, "forbidden", "only the master account can unassign numbers")
    number = owned_number(ctx, e164)
    if number.owner == ctx.caller.auth_id:
        raise validation(
            "e164", "number is not assigned to a sub-account", "INVALID_STATE"
        )
    _check_cool_off(ctx, number)
    number.owner = ctx.caller.auth_id
    number.trunk_group_id = None
    number.subaccount_assigned_at = None
    number.updated_at = ctx.now
    ctx.state.changed()
    return json_response(
        {
            "message": "number unassigned from sub-account",
            "number": number_object(number),
        }
    )


def number_health(ctx: Ctx, auth_id: str, e164: str) -> Response:
    """Return call statistics of one owned number."""
    number = ctx.state.numbers.get(normalise_e164(e164))
    if number is None or number.owner not in ctx.state.scope(ctx.caller.auth_id):
        raise flat(404, "not_found", "number not found")
    granularity = ctx.request.args.get("granularity", "daily")
    if granularity not in ("daily", "hourly"):
        raise flat(400, "bad_request", "granularity must be daily or hourly")
    days = ctx.arg_int("days", 30, minimum=1, maximum=90)
    return json_response(health_report(ctx.state, number, granularity, days, ctx.now))


_N = "/api/v1/{Account}/<auth_id>/numbers/<e164>"
_LOWER = "/api/v1/{account}/<auth_id>/numbers/<e164>"
ROUTES = [
    Route(("POST",), f"{_N}/assign", assign_trunk),
    Route(("DELETE",), f"{_N}/assign", unassign_trunk),
    Route(("POST",), f"{_LOWER}/assign-subaccount", assign_sub_account),
    Route(("DELETE",), f"{_LOWER}/assign-subaccount", unassign_sub_account),
    Route(("GET",), f"{_LOWER}/health", number_health),
]
