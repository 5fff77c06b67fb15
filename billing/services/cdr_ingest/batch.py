"""Ingest one batch of CDRs: pick the path, commit the rows with their rollups.

New rows on PostgreSQL take the one-COPY path (`postgres.copy_new_rows`);
everything else (known rows, odd values, other databases) is checked by
`parse_cdr` and merged, on PostgreSQL through a staging table and one
`INSERT … ON CONFLICT`, elsewhere through `bulk_create(update_conflicts=True)`.
The rollups of every day a batch touches are rebuilt in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction

from billing.services.cdr_ingest.postgres import copy_new_rows, merge_checked
from billing.services.cdr_ingest.rows import Row, dedupe, parse_cdr
from billing.services.cdr_ingest.sqlite import merge_typed
from billing.services.rollups import rollups_rebuild


def ingest_cdrs(*, provider_id: int, rows: Sequence[Row | None]) -> int:
    """Upsert checked rows and rebuild the rollups of the days they touch, atomically.

    Return how many rows were inserted or changed.
    """
    unique = dedupe(rows)
    if not unique:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            written, days = merge_checked(unique)
        else:
            written, days = merge_typed(unique)
        rollups_rebuild(provider_id=provider_id, days=days)
    return written


def ingest_raw_cdrs(
    *, provider_id: int, raws: Sequence[Mapping[str, Any]], owners: Mapping[str, int]
) -> int:
    """Ingest CDRs as Vobiz sent them (list JSON or CSV rows), atomically.

    `owners` maps a sub-account's auth id to its pk. Return how many rows were
    inserted or changed.
    """
    if not raws:
        return 0
    if connection.vendor == "postgresql":
        copied = copy_new_rows(provider_id, raws, owners)
        if copied is not None:
            return copied
    rows = [parse_cdr(raw, provider_id=provider_id, owners=owners) for raw in raws]
    return ingest_cdrs(provider_id=provider_id, rows=rows)
