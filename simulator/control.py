"""The control API under ``/__sim__/`` (loopback clients only, no auth).

Every endpoint takes and returns JSON; see ``handle_control`` for the list.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from simulator.clock import DAY, iso, parse_iso
from simulator.faults import (
    AfterCommit,
    LatencyRule,
    RandomRule,
    Rule,
    StatusRule,
)
from simulator.models import to_dict
from simulator.responses import json_response

if TYPE_CHECKING:
    from simulator.app import SimulatorApp

Body = dict[str, Any]


class ControlError(Exception):
    """A bad control request (400)."""


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _num(body: Body, name: str, default: Any, kind: type = int) -> Any:
    value = body.get(name, default)
    if value is None:
        return None
    if kind is bool and not isinstance(value, bool):
        return str(value).strip().lower() in ("1", "true", "yes", "on")
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ControlError(f"{name} must be a {kind.__name__}") from exc


def _rule_args(body: Body) -> dict[str, Any]:
    return {"path_prefix": body.get("path_prefix"), "method": body.get("method")}


def fail(app: SimulatorApp, body: Body) -> Body:
    """Fail the next ``count`` requests with ``status``."""
    status = _num(body, "status", 500)
    if not 400 <= status <= 599:
        raise ControlError("status must be 4xx or 5xx")
    shape = body.get("shape", "envelope")
    if shape not in ("envelope", "flat"):
        raise ControlError("shape must be envelope or flat")
    app.faults.add_fail(
        StatusRule(
            remaining=_num(body, "count", 1),
            status=status,
            shape=shape,
            retry_after=_num(body, "retry_after", None),
            **_rule_args(body),
        )
    )
    return app.faults.describe()


def error_rate(app: SimulatorApp, body: Body) -> Body:
    """Fail a random ``fraction`` of requests with one of ``statuses``."""
    fraction = _num(body, "fraction", 0.0, float)
    if not 0 <= fraction <= 1:
        raise ControlError("fraction must be between 0 and 1")
    statuses = [int(s) for s in body.get("statuses", [500, 503])]
    app.faults.set_error_rate(
        RandomRule(
            fraction=fraction,
            statuses=statuses,
            seed=_num(body, "seed", None),
            retry_after=_num(body, "retry_after", None),
            **_rule_args(body),
        )
    )
    return app.faults.describe()


def rate_limit(app: SimulatorApp, body: Body) -> Body:
    """Answer 429 with ``retry_after`` to the next ``count`` or a ``fraction``."""
    count = _num(body, "count", None)
    fraction = _num(body, "fraction", None, float)
    if count is None and fraction is None:
        count = 1
    app.faults.add_throttle(
        RandomRule(
            remaining=count,
            fraction=fraction or 0.0,
            retry_after=_num(body, "retry_after", 60),
            seed=_num(body, "seed", None),
            **_rule_args(body),
        )
    )
    return app.faults.describe()


def latency(app: SimulatorApp, body: Body) -> Body:
    """Delay requests by ``ms`` (the next ``count``, or all when omitted)."""
    app.faults.add_latency(
        LatencyRule(
            remaining=_num(body, "count", None),
            ms=_num(body, "ms", 0),
            jitter_ms=_num(body, "jitter_ms", 0),
            **_rule_args(body),
        )
    )
    return app.faults.describe()


def drop(app: SimulatorApp, body: Body) -> Body:
    """Close the socket without a response for the next ``count`` requests."""
    app.faults.add_drop(Rule(remaining=_num(body, "count", 1), **_rule_args(body)))
    return app.faults.describe()


def fail_after_commit(app: SimulatorApp, body: Body) -> Body:
    """Let the next ``count`` purchases land, then fail (``error``), ``drop``
    the connection, or ``hold`` the answer back for ``hold_ms``."""
    mode = body.get("mode", "error")
    if mode not in ("error", "drop", "hold"):
        raise ControlError("mode must be error, drop or hold")
    hold_ms = _num(body, "hold_ms", 0)
    if mode == "hold" and not 0 < hold_ms <= 120_000:
        raise ControlError("hold needs hold_ms between 1 and 120000")
    app.faults.set_after_commit(
        AfterCommit(
            remaining=_num(body, "count", 1),
            mode=mode,
            status=_num(body, "status", 500),
            hold_ms=hold_ms,
        )
    )
    return app.faults.describe()


def faults(app: SimulatorApp, body: Body) -> Body:
    """Return the active fault rules."""
    return app.faults.describe()


def reset_faults(app: SimulatorApp, body: Body) -> Body:
    """Remove every fault rule."""
    app.faults.reset()
    return app.faults.describe()


def clock(app: SimulatorApp, body: Body) -> Body:
    """Return the simulated time."""
    now = app.state.clock.now()
    return {"now": iso(now), "epoch": now, "offset_seconds": app.state.clock.offset}


def advance(app: SimulatorApp, body: Body) -> Body:
    """Move the simulated clock forward by ``seconds``."""
    seconds = _num(body, "seconds", 0, float)
    if seconds < 0:
        raise ControlError("seconds must not be negative")
    app.state.clock.advance(seconds)
    app.state.tick()
    app.state.changed()
    return clock(app, body)


def counters(app: SimulatorApp, body: Body) -> Body:
    """Return requests, statuses, connections and the active faults."""
    return {**app.counters.as_dict(), "faults": app.faults.describe()}


def reset_counters(app: SimulatorApp, body: Body) -> Body:
    """Zero the counters."""
    app.counters.reset()
    return counters(app, body)


def seed_cdrs(app: SimulatorApp, body: Body) -> Body:
    """Generate ``count`` extra CDRs between ``start`` and ``end`` quickly."""
    count = _num(body, "count", 1000)
    if not 1 <= count <= 2_000_000:
        raise ControlError("count must be between 1 and 2,000,000")
    now = app.state.clock.now()
    try:
        end = parse_iso(body["end"]) if body.get("end") else now
        start = parse_iso(body["start"]) if body.get("start") else end - 30 * DAY
    except ValueError as exc:
        raise ControlError("start and end must be ISO dates or datetimes") from exc
    if start >= end:
        raise ControlError("start must be before end")
    account_id = body.get("account_id")
    if account_id is not None and account_id not in app.state.accounts:
        raise ControlError(f"unknown account_id {account_id}")
    began = time.perf_counter()
    spec = app.state.add_batch(count, account_id, start, end)
    return {
        "created": count,
        "batch": spec["batch"],
        "total_cdrs": app.state.cdrs.count,
        "elapsed_ms": round((time.perf_counter() - began) * 1000),
    }


def reset(app: SimulatorApp, body: Body) -> Body:
    """Restore the seeded state (and the seed credentials), clear faults."""
    app.state.seed_world()
    app.faults.reset()
    app.limiter.reset()
    return {"reset": True, **stats(app, body)}


def config(app: SimulatorApp, body: Body) -> Body:
    """Show or change behaviour switches (POST a subset of the keys)."""
    cfg = app.state.config
    for name, kind in (
        ("insufficient_balance_status", int),
        ("rate_limit_window", int),
        ("master_rate_limit", int),
        ("strict_casing", bool),
    ):
        if name in body:
            setattr(cfg, name, _num(body, name, None, kind))
    if cfg.insufficient_balance_status not in (402, 500):
        cfg.insufficient_balance_status = 500
        raise ControlError("insufficient_balance_status must be 402 or 500")
    app.state.changed()
    return to_dict(cfg)


def set_balance(app: SimulatorApp, body: Body) -> Body:
    """Set the master wallet's balance, writing a manual_adjustment row."""
    state = app.state
    currency = str(body.get("currency", "INR")).upper()
    target = round(_num(body, "balance", 0.0, float) * 100)
    master = state.creds.auth_id
    with state.lock:
        wallet = state.wallet(master, currency)
        if wallet is None:
            raise ControlError(f"no {currency} wallet")
        delta = target - wallet.balance
        if delta:
            state.post(
                master,
                "credit" if delta > 0 else "debit",
                abs(delta),
                currency,
                "Manual adjustment (simulator)",
                "adj_simulator",
                "manual_adjustment",
            )
        return {"currency": currency, "balance": wallet.balance / 100}


def snapshot(app: SimulatorApp, body: Body) -> Body:
    """Write the snapshot now."""
    writer = app.info.get("snapshot_writer")
    if writer is not None:
        writer.flush()
    return {"written": writer is not None}


def stats(app: SimulatorApp, body: Body) -> Body:
    """Return counts of the main records."""
    state = app.state
    with state.lock:
        return {
            "accounts": len(state.accounts),
            "inventory": sum(
                1
                for n in state.numbers.values()
                if n.owner is None and n.status == "active"
            ),
            "owned_numbers": sum(1 for n in state.numbers.values() if n.owner),
            "trunks": len(state.trunks),
            "transactions": len(state.transactions),
            "live_calls": len(state.calls),
            "cdrs": state.cdrs.count,
        }


def health(app: SimulatorApp, body: Body) -> Body:
    """Return liveness and where the simulator can be reached."""
    return {
        "ok": True,
        **clock(app, body),
        **{k: v for k, v in app.info.items() if isinstance(v, str)},
    }


HANDLERS: dict[tuple[str, str], Callable[[SimulatorApp, Body], Body]] = {
    ("GET", "health"): health,
    ("GET", "faults"): faults,
    ("POST", "faults/fail"): fail,
    ("POST", "faults/error-rate"): error_rate,
    ("POST", "faults/rate-limit"): rate_limit,
    ("POST", "faults/latency"): latency,
    ("POST", "faults/drop"): drop,
    ("POST", "faults/fail-after-commit"): fail_after_commit,
    ("POST", "faults/reset"): reset_faults,
    ("GET", "clock"): clock,
    ("POST", "clock/advance"): advance,
    ("GET", "counters"): counters,
    ("POST", "counters/reset"): reset_counters,
    ("POST", "seed-cdrs"): seed_cdrs,
    ("POST", "reset"): reset,
    ("GET", "config"): config,
    ("POST", "config"): config,
    ("POST", "balance"): set_balance,
    ("POST", "snapshot"): snapshot,
    ("GET", "stats"): stats,
}


def handle_control(app: SimulatorApp, request: Request, request_id: str) -> Response:
    """Serve one ``/__sim__/`` request."""
    if not _is_loopback(request.remote_addr):
        return json_response({"error": "the control API is for loopback clients"}, 403)
    name = request.path[len("/__sim__/") :].strip("/")
    handler = HANDLERS.get((request.method, name))
    if handler is None:
        return json_response(
            {
                "error": f"no control endpoint {request.method} {name}",
                "endpoints": sorted(f"{m} /__sim__/{p}" for m, p in HANDLERS),
            },
            404,
        )
    try:
        raw = request.get_data()
        body = json.loads(raw) if raw.strip() else {}
        if not isinstance(body, dict):
            raise ControlError("the body must be a JSON object")
        return json_response(handler(app, body))
    except (ControlError, ValueError) as exc:
        return json_response({"error": str(exc)}, 400)
