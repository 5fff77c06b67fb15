"""The number health report (``/account/{id}/numbers/{e164}/health``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from simulator.cdrfields import ANSWERED_OUTCOMES, BILLSEC, DURATION, OUTCOME, TS
from simulator.clock import DAY, iso_seconds
from simulator.models import Number

if TYPE_CHECKING:
    from simulator.state import SimState


def _bucket(rows: list[tuple[int, ...]], start: int) -> dict[str, Any]:
    total = len(rows)
    answered = sum(1 for r in rows if r[OUTCOME] in ANSWERED_OUTCOMES)
    duration = sum(r[BILLSEC] for r in rows)
    failed = sum(1 for r in rows if r[OUTCOME] >= 6)
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"health:{start}")),
        "ts": iso_seconds(start),
        "total_calls": total,
        "answered_calls": answered,
        "failed_calls": failed,
        "answer_rate": round(100 * answered / total, 1) if total else 0,
        "total_duration": duration,
        "avg_duration": round(duration / answered, 1) if answered else 0,
        "total_minutes": round(duration / 60, 1),
    }


def health_report(
    state: SimState, number: Number, granularity: str, days: int, now: float
) -> dict[str, Any]:
    """Summarise the calls from or to ``number`` over the last ``days`` days."""
    digits = int(number.e164.lstrip("+"))
    rows = state.cdrs.number_rows(digits, now - days * DAY)
    width = DAY if granularity == "daily" else 3600
    buckets: dict[int, list[tuple[int, ...]]] = {}
    for row in rows:
        buckets.setdefault(int(row[TS] // width * width), []).append(row)
    snapshots = [_bucket(buckets[start], start) for start in sorted(buckets)]
    total = len(rows)
    answered = sum(1 for r in rows if r[OUTCOME] in ANSWERED_OUTCOMES)
    billsec = sum(r[BILLSEC] for r in rows)
    rate = round(100 * answered / total, 1) if total else 0
    # Too few calls to judge a number; otherwise a low answer rate is a warning.
    usage = "unrated" if total < 20 else ("healthy" if rate >= 40 else "at_risk")
    return {
        "e164": number.e164,
        "status": number.status,
        "usage_status": usage,
        "is_spam": False,
        "granularity": granularity,
        "summary": {
            "period_days": days,
            "total_calls": total,
            "answered_calls": answered,
            "answer_rate": rate,
            "total_minutes": round(billsec / 60, 1),
            "avg_duration": round(sum(r[DURATION] for r in rows) / total, 1)
            if total
            else 0,
        },
        "snapshots": snapshots,
    }
