"""CDRs: list, search, recent, CSV export and get-by-uuid (style D paging)."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from typing import Any

from werkzeug.wrappers import Response

from simulator.cdrfields import (
    ACCT,
    CDR_FIELDS,
    CONTEXTS,
    INBOUND,
    OUTBOUND,
    OUTCOMES,
)
from simulator.cdrstore import CdrFilter, QueryResult
from simulator.clock import day_of, parse_iso
from simulator.responses import flat, json_response
from simulator.web import Ctx, Route

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _scope(ctx: Ctx) -> tuple[int | None, bool]:
    """Return (account index or None for all, impossible) for the caller."""
    caller = ctx.caller
    if caller.permissions is not None and caller.permissions.get("cdr") is False:
        raise flat(403, "forbidden", "this sub-account may not read CDRs")
    if caller.is_master:
        return None, False
    tables = ctx.state.cdrs.tables
    if caller.auth_id not in tables.accounts:
        return None, True
    return tables.accounts.index(caller.auth_id), False


def _day_range(ctx: Ctx) -> tuple[int, int] | None:
    start, end = ctx.request.args.get("start_date"), ctx.request.args.get("end_date")
    if not start and not end:
        return None
    if not start or not end:
        raise flat(
            400, "bad_request", "start_date and end_date must be supplied together"
        )
    if not _DATE.match(start) or not _DATE.match(end):
        raise flat(400, "bad_request", "start_date and end_date must be YYYY-MM-DD")
    try:
        first, last = day_of(parse_iso(start)), day_of(parse_iso(end))
    except ValueError as exc:
        raise flat(400, "bad_request", "start_date or end_date is not a date") from exc
    if first > last:
        raise flat(400, "bad_request", "start_date must not be after end_date")
    return first, last


def _outcomes(ctx: Ctx) -> frozenset[int] | None:
    args = ctx.request.args
    cause, disposition = args.get("hangup_cause"), args.get("hangup_disposition")
    if not cause and not disposition:
        return None
    return frozenset(
        i
        for i, o in enumerate(OUTCOMES)
        if (not cause or o.cause == cause.strip().upper())
        and (not disposition or o.disposition == disposition.strip())
    )


def parse_filter(ctx: Ctx) -> CdrFilter:
    """Turn the documented query parameters into a ``CdrFilter``."""
    args = ctx.request.args
    acct, impossible = _scope(ctx)
    direction = None
    if value := args.get("call_direction"):
        if value not in ("inbound", "outbound"):
            raise flat(400, "bad_request", "call_direction must be inbound or outbound")
        direction = INBOUND if value == "inbound" else OUTBOUND
    context = campaign = key = None
    if value := args.get("context"):
        context = CONTEXTS.index(value) if value in CONTEXTS else None
        impossible = impossible or context is None
    if value := args.get("campaign_id"):
        campaigns = ctx.state.cdrs.tables.campaigns
        campaign = campaigns.index(value) if value in campaigns else None
        impossible = impossible or campaign is None
    codec = ctx.state.cdrs.codec
    answered_only = False
    for name, tag in (("sip_call_id", "s"), ("bridge_uuid", "b")):
        if value := args.get(name):
            decoded = codec.decode(tag, value)
            impossible = impossible or decoded is None or (key not in (None, decoded))
            key = decoded
            answered_only = answered_only or tag == "b"
    min_duration = ctx.arg_int("min_duration", 0) if args.get("min_duration") else None
    outcomes = _outcomes(ctx)
    return CdrFilter(
        acct=acct,
        day_range=_day_range(ctx),
        direction=direction,
        from_number=args.get("from_number") or None,
        to_number=args.get("to_number") or None,
        min_duration=min_duration,
        outcomes=outcomes,
        context=context,
        campaign=campaign,
        key=key,
        answered_only=answered_only,
        search=args.get("search") or None,
        impossible=impossible or outcomes == frozenset(),
    )


def _page(ctx: Ctx, result: QueryResult) -> dict[str, Any]:
    page = ctx.arg_int("page", 1, minimum=1)
    per_page = ctx.arg_int("per_page", 20, minimum=1, maximum=100)
    start = (page - 1) * per_page
    store = ctx.state.cdrs
    data = [store.to_object(row) for row in result.rows(start, start + per_page)]
    pages = math.ceil(result.total / per_page) if result.total else 0
    return {
        "account_id": ctx.caller.auth_id,
        "count": len(data),
        "data": data,
        "pagination": {
            "page": page,
            "per_page": per_page,
            "total": result.total,
            "pages": pages,
            "has_next": page < pages,
            "has_prev": page > 1,
        },
        "success": True,
        "summary": result.summary,
    }


def list_cdrs(ctx: Ctx, auth_id: str) -> Response:
    """List CDRs newest first with the summary over the filtered set."""
    return json_response(_page(ctx, ctx.state.cdrs.query(parse_filter(ctx))))


def search_cdrs(ctx: Ctx, auth_id: str) -> Response:
    """Like the list, plus the ``filters`` echo."""
    payload = _page(ctx, ctx.state.cdrs.query(parse_filter(ctx)))
    args = ctx.request.args
    payload["filters"] = {
        name: args.get(name, "")
        for name in ("call_direction", "from_number", "hangup_cause", "to_number")
    }
    return json_response(payload)


def recent_cdrs(ctx: Ctx, auth_id: str) -> Response:
    """Return the newest ``limit`` CDRs (≤ 100)."""
    limit = ctx.arg_int("limit", 20, minimum=1, maximum=100)
    acct, impossible = _scope(ctx)
    result = ctx.state.cdrs.query(CdrFilter(acct=acct, impossible=impossible))
    store = ctx.state.cdrs
    data = [store.to_object(row) for row in result.rows(0, limit)]
    return json_response(
        {
            "account_id": ctx.caller.auth_id,
            "count": len(data),
            "data": data,
            "success": True,
        }
    )


def _csv_value(value: Any) -> Any:
    return "" if value is None else value


def export_cdrs(ctx: Ctx, auth_id: str) -> Response:
    """Stream the filtered CDRs as CSV (page/per_page ignored)."""
    result = ctx.state.cdrs.query(parse_filter(ctx))
    store = ctx.state.cdrs

    def generate() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CDR_FIELDS)
        for n, row in enumerate(result.rows(), start=1):
            obj = store.to_object(row)
            writer.writerow([_csv_value(obj[name]) for name in CDR_FIELDS])
            if n % 500 == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()

    return Response(
        generate(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="cdr_export.csv"'},
    )


def get_cdr(ctx: Ctx, auth_id: str, call_id: str) -> Response:
    """Return one CDR by its ``uuid`` (a numeric id is a 404)."""
    acct, impossible = _scope(ctx)
    row = None if impossible else ctx.state.cdrs.find(call_id)
    if row is None or (acct is not None and row[ACCT] != acct):
        raise flat(404, "not_found", "CDR not found")
    return json_response({"data": ctx.state.cdrs.to_object(row), "success": True})


_C = "/api/v1/{Account}/<auth_id>/cdr"
ROUTES = [
    Route(("GET",), _C, list_cdrs),
    Route(("GET",), f"{_C}/search", search_cdrs),
    Route(("GET",), f"{_C}/recent", recent_cdrs),
    Route(("GET",), f"{_C}/export", export_cdrs),
    Route(("GET",), f"{_C}/<call_id>", get_cdr),
]
