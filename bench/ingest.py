"""Benchmark the CDR ingest path against raw COPY and a naive bulk_create.

    python bench/ingest.py [--rows 100000]

Needs PostgreSQL (BENCH_DATABASE_URL, default a `vobiz_bench` database on
127.0.0.1). Prints rows/s for (a) raw COPY of the parsed rows into an identical
empty table with the same indexes, (b) the sync's ingest path (`ingest_raw_cdrs`:
one COPY for new rows, else check, stage and merge; rebuild rollups), (c) a naive
`bulk_create(update_conflicts=True)`; then re-ingests the identical rows through (b)
and reports how much the table grew and how many rows were updated. For the record
it also times (d), the checked path alone (`parse_cdr`, COPY into the staging
table, the one merge statement, rollups), which (b) falls back to for rows it
already holds or cannot take whole; re-ingests always take it.
Targets: b/a >= 0.5, b/c >= 2, growth < 5%, 0 rows updated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
import uuid
from typing import Any

from common import setup_django

CHUNK = 5000


def generate(count: int, accounts: list[str], seed: int = 42) -> list[dict[str, Any]]:
    """Make `count` CDR dicts in Vobiz's shape over the last 30 days."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rows = []
    for _ in range(count):
        start = now - dt.timedelta(seconds=rng.randint(3600, 30 * 86400))
        answered = rng.random() < 0.55
        ring = rng.randint(1, 12)
        billsec = rng.randint(5, 600) if answered else 0
        cost = round(billsec / 60 * 0.45, 4)
        rows.append({
            "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
            "account_id": rng.choice(accounts),
            "start_time": start.isoformat().replace("+00:00", "Z"),
            "answer_time": (
                (start + dt.timedelta(seconds=ring)).isoformat() if answered else None
            ),
            "end_time": (start + dt.timedelta(seconds=ring + billsec)).isoformat(),
            "call_direction": rng.choice(("inbound", "outbound")),
            "caller_id_number": f"+9180{rng.randint(10**7, 10**8 - 1)}",
            "destination_number": f"+9122{rng.randint(10**7, 10**8 - 1)}",
            "duration": ring + billsec, "billsec": billsec,
            "hangup_cause": "NORMAL_CLEARING" if answered else "NO_ANSWER",
            "hangup_cause_code": 4000 if answered else 4100, "hangup_source": "Caller",
            "cost": cost, "total_cost": cost, "currency": "INR",
            "trunk_id": None, "ring_time": ring, "mos": 4.4, "packet_loss": 0.1,
            "jitter": 0.2, "updated_at": start.isoformat(),
        })  # fmt: skip
    return rows


def table_size(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s)", [table])
        return int(cursor.fetchone()[0])


def updated_tuples(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = %s", [table]
        )
        return int(cursor.fetchone()[0])


def reset_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE billing_cdr, billing_cdrdailyrollup RESTART IDENTITY")
        cursor.execute("DROP TABLE IF EXISTS bench_cdr_raw")
        cursor.execute("CREATE TABLE bench_cdr_raw (LIKE billing_cdr INCLUDING ALL)")


def bench_raw_copy(rows: list[tuple]) -> float:
    """Time only the database load: the COPY payload is formatted beforehand."""
    from django.db import connection, transaction

    from billing.services.cdr_ingest import COLUMNS
    from billing.services.cdr_ingest.postgres import copy_text

    cols = ", ".join(COLUMNS)
    payload = copy_text(rows)
    started = time.perf_counter()
    sql = f"COPY bench_cdr_raw ({cols}) FROM STDIN"
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(sql) as copy,
    ):
        copy.write(payload)
    return time.perf_counter() - started


def by_day(raws: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group rows by UTC day, as the sync fetches them (one request per day)."""
    days: dict[str, list[dict[str, Any]]] = {}
    for raw in raws:
        days.setdefault(raw["start_time"][:10], []).append(raw)
    return [days[d] for d in sorted(days)]


def bench_ingest_path(
    days: list[list[dict[str, Any]]], provider_id: int, owners: dict
) -> tuple[float, int]:
    """Feed the rows the way billing.sync does: per day, in chunks of CHUNK."""
    from billing.services.cdr_ingest import ingest_raw_cdrs

    written = 0
    started = time.perf_counter()
    for day in days:
        for at in range(0, len(day), CHUNK):
            written += ingest_raw_cdrs(
                provider_id=provider_id, raws=day[at : at + CHUNK], owners=owners
            )
    return time.perf_counter() - started, written


def bench_checked_path(
    days: list[list[dict[str, Any]]], provider_id: int, owners: dict
) -> float:
    """Feed the same chunks through parse, stage and merge (no one-COPY path)."""
    from billing.services.cdr_ingest import ingest_cdrs, parse_cdr

    started = time.perf_counter()
    for day in days:
        for at in range(0, len(day), CHUNK):
            rows = [
                parse_cdr(raw, provider_id=provider_id, owners=owners)
                for raw in day[at : at + CHUNK]
            ]
            ingest_cdrs(provider_id=provider_id, rows=rows)
    return time.perf_counter() - started


def bench_naive(rows: list[tuple]) -> float:
    """Time model construction and bulk_create from already-typed values."""
    from billing.models import Cdr
    from billing.services.cdr_ingest import MUTABLE
    from billing.services.cdr_ingest.sqlite import typed_row

    typed = [typed_row(r) for r in rows]
    started = time.perf_counter()
    objs = [Cdr(**values) for values in typed]
    Cdr.objects.bulk_create(
        objs, batch_size=1000, update_conflicts=True, unique_fields=["uuid"],
        update_fields=list(MUTABLE),
    )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    setup_django()

    from accounts.models import SubAccount
    from billing.services.cdr_ingest import parse_cdr
    from sync.models import ProviderAccount

    provider, _ = ProviderAccount.objects.get_or_create(
        auth_id="MA_BENCH0001",
        defaults={"label": "Bench", "auth_token": uuid.uuid4().hex},
    )
    teams = [
        SubAccount.objects.get_or_create(
            provider_account=provider,
            name=f"Bench team {i}",
            defaults={"auth_id": f"SA_BENCH{i:04d}"},
        )[0]
        for i in range(20)
    ]
    owners = {t.auth_id: t.pk for t in teams}
    raws = generate(args.rows, list(owners))
    parsed = [parse_cdr(r, provider_id=provider.pk, owners=owners) for r in raws]
    rows = [r for r in parsed if r]

    reset_tables()
    raw_seconds = bench_raw_copy(rows)
    days = by_day(raws)
    ingest_seconds, written = bench_ingest_path(days, provider.pk, owners)
    assert written == len(rows), (written, len(rows))

    size_before, upd_before = table_size("billing_cdr"), updated_tuples("billing_cdr")
    again_seconds, rewritten = bench_ingest_path(days, provider.pk, owners)
    size_after, upd_after = table_size("billing_cdr"), updated_tuples("billing_cdr")

    reset_tables()
    checked_seconds = bench_checked_path(days, provider.pk, owners)

    reset_tables()
    naive_seconds = bench_naive(rows)

    n = len(rows)
    result = {
        "rows": n,
        "a_raw_copy_rows_per_s": round(n / raw_seconds),
        "b_ingest_rows_per_s": round(n / ingest_seconds),
        "c_naive_bulk_create_rows_per_s": round(n / naive_seconds),
        "d_checked_path_rows_per_s": round(n / checked_seconds),
        "b_over_a": round(raw_seconds / ingest_seconds, 3),
        "b_over_c": round(naive_seconds / ingest_seconds, 3),
        "d_over_a": round(raw_seconds / checked_seconds, 3),
        "reingest_rows_per_s": round(n / again_seconds),
        "reingest_rows_written": rewritten,
        "reingest_rows_updated": upd_after - upd_before,
        "reingest_table_growth_pct": round(
            100 * (size_after - size_before) / size_before, 2
        ),
        "targets": {
            "b_over_a": ">= 0.5",
            "b_over_c": ">= 2",
            "growth_pct": "< 5",
            "updated": 0,
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
