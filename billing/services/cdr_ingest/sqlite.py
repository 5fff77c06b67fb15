"""The path for databases without COPY (SQLite): typed rows, one bulk upsert.

The checked text rows of `parse_cdr` are typed in Python and go through
`bulk_create(update_conflicts=True)`; rows identical to the stored ones are left
out, so re-ingesting identical rows writes nothing here either.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib
from decimal import Decimal
from typing import Any

from billing.models import Cdr
from billing.services.cdr_ingest.rows import COLUMNS, MUTABLE, Row


def _when(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def typed_row(row: Row) -> dict[str, Any]:
    """Convert a checked text row to model values."""
    values = dict(zip(COLUMNS, row, strict=True))
    typed: dict[str, Any] = dict(values)
    typed["uuid"] = uuidlib.UUID(values["uuid"])
    for name in ("provider_account_id", "sub_account_id", "hangup_cause_code"):
        typed[name] = None if values[name] is None else int(values[name] or 0)
    for name in ("duration", "billsec", "ring_time"):
        typed[name] = int(values[name] or 0)
    for name in ("cost", "mos", "packet_loss", "jitter"):
        typed[name] = None if values[name] is None else Decimal(values[name] or 0)
    for name in ("start_time", "answer_time", "end_time", "remote_updated_at"):
        typed[name] = _when(values[name])
    return typed


def merge_typed(rows: list[Row]) -> tuple[int, set[dt.date]]:
    """Upsert the rows that differ from the stored ones.

    Return how many rows were inserted or changed, and the UTC days of all rows.
    """
    typed = [typed_row(row) for row in rows]
    current = {
        values[0]: values[1:]
        for values in Cdr.objects.filter(
            uuid__in=[r["uuid"] for r in typed]
        ).values_list("uuid", *MUTABLE)
    }
    changed = [
        r for r in typed if current.get(r["uuid"]) != tuple(r[c] for c in MUTABLE)
    ]
    Cdr.objects.bulk_create(
        [Cdr(**r) for r in changed],
        batch_size=500,
        update_conflicts=True,
        unique_fields=["uuid"],
        update_fields=list(MUTABLE),
    )
    days = {r["start_time"].astimezone(dt.UTC).date() for r in typed}
    return len(changed), days
