"""Calls placed through the API (``/Account/{auth_id}/Call/``).

A call is live in simulated time from the request until ring + talk time has
passed; the next request after that settles it into a CDR, a debit and a ledger
row. CPS and concurrency are checked per account and per trunk.
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

from werkzeug.wrappers import Response

from simulator.cdrfields import OUTBOUND, OUTCOME_GROUPS
from simulator.cdrgen import call_metrics, pick_outcome
from simulator.clock import iso
from simulator.models import Call
from simulator.responses import (
    envelope,
    flat,
    json_response,
    no_content,
    rate_limited,
)
from simulator.web import Ctx, Route, integer

_NUMBER = re.compile(r"^\+?\d{6,15}$")


def _check_cps(ctx: Ctx, key: str, limit: int, scope: str) -> None:
    starts = [t for t in ctx.state.call_starts.get(key, []) if t > ctx.now - 1]
    ctx.state.call_starts[key] = starts
    if len(starts) >= limit:
        raise rate_limited(
            1,
            f"CPS limit exceeded for this {scope}",
            limitType="cps",
            limit=limit,
            current=len(starts),
        )


def _check_concurrency(ctx: Ctx, live: int, limit: int, scope: str) -> None:
    if live >= limit:
        raise rate_limited(
            1,
            f"Concurrent call limit exceeded for this {scope}",
            limitType="concurrency",
            limit=limit,
            current=live,
        )


def _admit(ctx: Ctx, trunk_id: str | None) -> None:
    """Raise 403/402/429 when the caller may not place a call right now."""
    caller = ctx.caller
    if caller.permissions is not None and caller.permissions.get("calls") is False:
        raise flat(403, "forbidden", "this sub-account may not place calls")
    if caller.kyc_calls_blocked:
        raise flat(403, "forbidden", "KYC verification required")
    wallet = ctx.state.wallet(caller.auth_id, "INR")
    if wallet is None or wallet.balance <= 0:
        available = wallet.balance / 100 if wallet else 0
        raise envelope(
            402,
            "INSUFFICIENT_BALANCE",
            f"Insufficient balance: {available:.2f} INR",
            {
                "required": 0.45,
                "available": available,
                "currency": "INR",
                "shortfall": round(0.45 - available, 2),
            },
        )
    calls = ctx.state.calls.values()
    mine = sum(1 for c in calls if c.account_id == caller.auth_id)
    _check_concurrency(ctx, mine, caller.concurrent_calls_limit, "account")
    _check_cps(ctx, caller.auth_id, caller.cps_limit, "account")
    if trunk_id is not None:
        trunk = ctx.state.trunks[trunk_id]
        on_trunk = sum(1 for c in calls if c.trunk_id == trunk_id)
        _check_concurrency(ctx, on_trunk, trunk.concurrent_calls_limit, "trunk")
        _check_cps(ctx, trunk_id, trunk.cps_limit, "trunk")


def _outcome(body: dict[str, Any], rng: random.Random) -> int:
    wanted = body.get("sim_outcome")
    if wanted is None:
        return pick_outcome(rng)
    if wanted not in OUTCOME_GROUPS:
        raise flat(
            400, "bad_request", f"sim_outcome must be one of {sorted(OUTCOME_GROUPS)}"
        )
    return OUTCOME_GROUPS[wanted][0]


def make_call(ctx: Ctx, auth_id: str) -> Response:
    """Place a call: 201 ``call fired``; a CDR follows when it ends."""
    body = ctx.body()
    src, dst, answer_url = body.get("from"), body.get("to"), body.get("answer_url")
    for name, value in (("from", src), ("to", dst)):
        if not isinstance(value, str) or not _NUMBER.match(value.strip()):
            raise flat(400, "bad_request", f"{name} must be a phone number")
    if not isinstance(answer_url, str) or not answer_url.startswith(
        ("http://", "https://")
    ):
        raise flat(400, "bad_request", "answer_url must be an http(s) URL")
    trunk_id = body.get("trunk_id")
    if trunk_id is not None:
        trunk = ctx.state.trunks.get(str(trunk_id))
        if trunk is None or trunk.account_id != ctx.caller.auth_id:
            raise envelope(
                404, "TRUNK_NOT_FOUND", "SIP trunk not found", {"trunkId": trunk_id}
            )
    _admit(ctx, trunk_id)
    state = ctx.state
    key = state.new_call_key(ctx.now)
    rng = random.Random(f"{state.seed}:place:{key}")  # noqa: S311 - demo outcomes
    outcome = _outcome(body, rng)
    ring, _, billsec, _, _, _, _ = call_metrics(rng, outcome, OUTBOUND)
    if billsec and (forced := integer(body, "sim_billsec", None, minimum=1)):
        billsec = forced
    if billsec and (limit := integer(body, "time_limit", None, minimum=1)):
        billsec = min(billsec, limit)
    request_uuid = state.cdrs.codec.encode("u", key)
    state.calls[request_uuid] = Call(
        request_uuid,
        key,
        ctx.caller.auth_id,
        trunk_id,
        str(src).strip(),
        str(dst).strip(),
        ctx.now,
        ctx.now + ring + billsec,
        outcome,
        ring,
        billsec,
        answer_url,
    )
    for counter in (ctx.caller.auth_id, trunk_id):
        if counter:
            state.call_starts.setdefault(counter, []).append(ctx.now)
    state.changed()
    return json_response(
        {
            "api_id": str(uuid.uuid4()),
            "message": "call fired",
            "request_uuid": request_uuid,
        },
        201,
    )


def _my_call(ctx: Ctx, call_uuid: str) -> Call:
    call = ctx.state.calls.get(call_uuid)
    if call is None or call.account_id not in ctx.state.scope(ctx.caller.auth_id):
        raise flat(404, "not_found", "call not found")
    return call


def list_calls(ctx: Ctx, auth_id: str) -> Response:
    """List live (default) or queued call uuids."""
    status = ctx.request.args.get("status", "live")
    scope = ctx.state.scope(ctx.caller.auth_id)
    calls = (
        []
        if status == "queued"
        else [c.request_uuid for c in ctx.state.calls.values() if c.account_id in scope]
    )
    return json_response({"api_id": str(uuid.uuid4()), "calls": calls})


def get_call(ctx: Ctx, auth_id: str, call_uuid: str) -> Response:
    """Return a live call."""
    call = _my_call(ctx, call_uuid)
    answered = ctx.now >= call.start_ts + call.ring and call.billsec > 0
    return json_response(
        {
            "api_id": str(uuid.uuid4()),
            "call_uuid": call.request_uuid,
            "request_uuid": call.request_uuid,
            "direction": "outbound",
            "from": call.from_number,
            "to": call.to_number,
            "call_status": "in-progress" if answered else "ringing",
            "session_start": iso(call.start_ts),
            "trunk_id": call.trunk_id,
        }
    )


def hangup_call(ctx: Ctx, auth_id: str, call_uuid: str) -> Response:
    """Hang up a live call now (its CDR is written at once)."""
    call = _my_call(ctx, call_uuid)
    talked = int(ctx.now - call.start_ts - call.ring)
    if talked <= 0 or call.billsec == 0:
        call.outcome = OUTCOME_GROUPS["no_answer"][1]  # cancelled while ringing
        call.billsec = 0
    else:
        call.billsec = min(call.billsec, talked)
    call.end_ts = ctx.now
    ctx.state.tick()
    return no_content()


_CALL = "/api/v1/{Account}/<auth_id>/Call"
ROUTES = [
    Route(("POST",), _CALL, make_call),
    Route(("GET",), _CALL, list_calls),
    Route(("GET",), f"{_CALL}/<call_uuid>", get_call),
    Route(("DELETE",), f"{_CALL}/<call_uuid>", hangup_call),
]
