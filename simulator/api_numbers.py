"""Phone numbers: inventory, purchase, owned list, release, routing, health."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Response

from simulator.clock import DAY, iso
from simulator.ledger import MONTH, rupees
from simulator.models import Number
from simulator.responses import (
    ApiError,
    envelope,
    flat,
    json_response,
)
from simulator.web import Ctx, Route, style_a, text

RELEASE_WINDOW = DAY
_NOTE = (
    "Number will be in pending_release for 24 hours (cancellable), then "
    "quarantined for 45 days before becoming available."
)


def money(paise: int) -> float:
    """Return paise as a rupee amount."""
    return round(paise / 100, 2)


def normalise_e164(raw: str) -> str:
    """Turn a path segment (``%2B91…``, ``+91…`` or ``91…``) into ``+91…``."""
    value = unquote(raw).strip().replace(" ", "")
    return value if value.startswith("+") else f"+{value}"


def inventory_object(number: Number) -> dict[str, Any]:
    """Return an inventory item."""
    return {
        "id": number.id,
        "e164": number.e164,
        "country": number.country,
        "region": number.region,
        "status": number.status,
        "setup_fee": money(number.setup_fee),
        "monthly_fee": money(number.monthly_fee),
        "currency": number.currency,
        "created_at": iso(number.created_at),
        "updated_at": iso(number.updated_at),
        "capabilities": {"voice": True, "sms": False, "mms": False, "fax": False},
        "voice_enabled": True,
        "is_trial_number": number.is_trial_number,
        "minimum_commitment_months": number.minimum_commitment_months,
        "aadhaar_verification_required": number.aadhaar_verification_required,
        "aadhaar_verified": number.aadhaar_verified,
    }


def number_object(number: Number, purchase: bool = False) -> dict[str, Any]:
    """Return an owned-number object (the purchase response omits billing dates)."""
    data: dict[str, Any] = {
        "id": number.id,
        "account_id": number.owner,
        "e164": number.e164,
        "country": number.country,
        "region": number.region,
        "capabilities": {"voice": True, "sms": False, "mms": False, "fax": False},
        "status": number.status,
        "provider": "",
        "setup_fee": money(number.setup_fee),
        "monthly_fee": money(number.monthly_fee),
        "currency": number.currency,
        "application_id": number.application_id,
        "voice_enabled": True,
        "tags": list(number.tags),
        "purchased_at": iso(number.purchased_at),
        "is_blocked": False,
        "created_at": iso(number.created_at),
        "updated_at": iso(number.updated_at),
        "is_trial_number": number.is_trial_number,
        "last_billing_date": iso(number.last_billing_date),
        "next_billing_date": iso(number.next_billing_date),
        "minimum_commitment_months": number.minimum_commitment_months,
        "aadhaar_verification_required": number.aadhaar_verification_required,
        "aadhaar_verified": number.aadhaar_verified,
        "source": number.source,
        "trunk_group_id": number.trunk_group_id,
        "released_at": iso(number.released_at),
    }
    if purchase:
        for key in (
            "application_id",
            "last_billing_date",
            "next_billing_date",
            "trunk_group_id",
            "released_at",
        ):
            data.pop(key)
    return data


def _excluded(e164: str, prefixes: list[str]) -> bool:
    return any(e164.lstrip("+").startswith(p.lstrip("+")) for p in prefixes if p)


def list_inventory(ctx: Ctx, auth_id: str) -> Response:
    """Search the pool of unowned active numbers (style A)."""
    args = ctx.request.args
    country = (args.get("country") or "").upper()
    search = (args.get("search") or "").strip().lstrip("+")
    exclude = [p.strip() for raw in args.getlist("exclude") for p in raw.split(",")]
    pool = [
        n
        for n in ctx.state.numbers.values()
        if n.owner is None
        and n.status == "active"
        and (not country or n.country == country)
        and (not search or search in n.e164.lstrip("+"))
        and not _excluded(n.e164, exclude)
    ]
    pool.sort(key=lambda n: n.e164)
    return json_response(style_a([inventory_object(n) for n in pool], ctx))


def _idempotency_key(ctx: Ctx) -> str | None:
    key = ctx.request.headers.get("Idempotency-Key", "").strip()
    return f"{ctx.caller.auth_id}|{key}" if key else None


def purchase(ctx: Ctx, auth_id: str) -> Response:
    """Buy a number from inventory, debiting setup + first month atomically."""
    body = ctx.body()
    e164 = normalise_e164(text(body, "e164", required=True, max_length=20) or "")
    state = ctx.state
    idem = _idempotency_key(ctx)
    if idem and (previous := state.idempotency.get(idem)):
        if previous["e164"] != e164:
            raise envelope(
                409,
                "IDEMPOTENCY_KEY_REUSED",
                "Idempotency-Key was already used for another number",
            )
        return json_response(
            previous["body"], previous["status"], {"Idempotent-Replayed": "true"}
        )
    number = state.numbers.get(e164)
    if number is None or number.owner is not None or number.status != "active":
        raise flat(404, "not_found", "number not found in inventory")
    cost = number.setup_fee + number.monthly_fee
    wallet = state.wallet(ctx.caller.auth_id, number.currency)
    available = wallet.balance if wallet else 0
    if wallet is None or available < cost:
        raise _insufficient(ctx, cost, available, number.currency)
    state.post(
        ctx.caller.auth_id,
        "debit",
        cost,
        number.currency,
        f"DID purchase {e164} (setup {rupees(number.setup_fee)} + first month "
        f"{rupees(number.monthly_fee)})",
        f"did_{number.id}",
        "did_rental",
    )
    number.owner = ctx.caller.auth_id
    number.status, number.source = "active", "inventory"
    number.purchased_at = number.last_billing_date = number.updated_at = ctx.now
    number.next_billing_date = ctx.now + MONTH
    result = {
        "message": "Number purchased successfully",
        "number": number_object(number, purchase=True),
    }
    if idem:
        state.idempotency[idem] = {
            "e164": e164,
            "status": 200,
            "body": result,
            "created_at": ctx.now,
        }
    state.changed()
    ctx.app.after_commit_fault(ctx)
    return json_response(result)


def _insufficient(ctx: Ctx, cost: int, available: int, currency: str) -> ApiError:
    if ctx.state.config.insufficient_balance_status == 402:
        return envelope(
            402,
            "INSUFFICIENT_BALANCE",
            "Account balance too low to complete this operation",
            {
                "required": money(cost),
                "available": money(available),
                "currency": currency,
                "shortfall": money(cost - available),
            },
        )
    return flat(500, "internal_server_error", "failed to purchase number")


def list_numbers(ctx: Ctx, auth_id: str) -> Response:
    """List owned numbers (style A), sub-account numbers included for MA_."""
    scope = ctx.state.scope(ctx.caller.auth_id)
    search = (ctx.request.args.get("search") or "").strip().lstrip("+")
    owned = [
        n
        for n in ctx.state.numbers.values()
        if n.owner in scope
        and n.status in ("active", "pending_release")
        and (not search or search in n.e164.lstrip("+"))
    ]
    owned.sort(key=lambda n: (n.purchased_at or 0, n.e164), reverse=True)
    return json_response(style_a([number_object(n) for n in owned], ctx))


def owned_number(ctx: Ctx, e164: str, *, pending_ok: bool = False) -> Number:
    """Return a number the caller (or, for MA_, its sub-accounts) owns; else 403."""
    number = ctx.state.numbers.get(normalise_e164(e164))
    allowed = ("active", "pending_release") if pending_ok else ("active",)
    scope = ctx.state.scope(ctx.caller.auth_id)
    if number is None or number.owner not in scope or number.status not in allowed:
        raise flat(403, "forbidden", "account does not own this number")
    return number


def release(ctx: Ctx, auth_id: str, e164: str) -> Response:
    """Start a release (24 h cancellable) or, with ?immediate=true, release now."""
    number = owned_number(ctx, e164, pending_ok=True)
    if number.status == "pending_release":
        raise flat(409, "release_pending", "number release already initiated")
    immediate = ctx.arg_bool("immediate")
    state = ctx.state
    owner = number.owner or ctx.caller.auth_id
    state.post(
        owner,
        "debit",
        number.release_fee,
        number.currency,
        f"DID release fee {number.e164}",
        f"did_{number.id}",
        "did_rental",
    )
    number.release_fee_charged = number.release_fee
    number.trunk_group_id = number.application_id = None
    number.updated_at = ctx.now
    fee = money(number.release_fee)
    if immediate:
        number.status, number.owner = "released", None
        number.released_at = ctx.now
        number.quarantine_ends_at = ctx.now + 45 * DAY
        state.changed()
        return json_response(
            {"message": "number released", "release_fee": fee, "status": "released"}
        )
    number.status = "pending_release"
    number.cooldown_ends_at = ctx.now + RELEASE_WINDOW
    state.changed()
    return json_response(
        {
            "cancel_url": f"/api/v1/account/{ctx.caller.auth_id}/numbers/{number.e164}"
            "/cancel-release",
            "cooldown_ends_at": iso(number.cooldown_ends_at),
            "message": "number release initiated",
            "note": _NOTE,
            "release_fee": fee,
            "status": "pending_release",
        }
    )


def cancel_release(ctx: Ctx, auth_id: str, e164: str) -> Response:
    """Undo a pending release within 24 h: active again, fee refunded."""
    number = ctx.state.numbers.get(normalise_e164(e164))
    scope = ctx.state.scope(ctx.caller.auth_id)
    if number is None or (number.owner not in scope and number.status != "released"):
        raise flat(403, "forbidden", "account does not own this number")
    if number.status != "pending_release":
        raise flat(
            409,
            "release_not_cancellable",
            "number is not pending release (the 24 hour window has passed "
            "or it was never released)",
        )
    owner = number.owner or ctx.caller.auth_id
    if number.release_fee_charged:
        ctx.state.post(
            owner,
            "credit",
            number.release_fee_charged,
            number.currency,
            f"Refund: cancelled release of {number.e164}",
            f"did_{number.id}",
            "refund",
        )
    number.status = "active"
    number.cooldown_ends_at = None
    number.release_fee_charged = 0
    number.trunk_group_id = number.application_id = None
    number.updated_at = ctx.now
    ctx.state.changed()
    return json_response(
        {"message": "number release cancelled", "number": number_object(number)}
    )


_N = "/api/v1/{Account}/<auth_id>/numbers"
_LOWER = "/api/v1/{account}/<auth_id>/numbers/<e164>"
ROUTES = [
    Route(("GET",), "/api/v1/{Account}/<auth_id>/inventory/numbers", list_inventory),
    Route(("POST",), f"{_N}/purchase-from-inventory", purchase),
    Route(("GET",), _N, list_numbers),
    Route(("DELETE",), f"{_N}/<e164>", release),
    Route(("POST",), f"{_LOWER}/cancel-release", cancel_release),
]
