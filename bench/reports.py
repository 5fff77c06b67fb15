"""Benchmark the billing reports at millions of CDRs (PostgreSQL only).

    .venv/bin/python bench/reports.py            # 1M CDRs, 20 sub-accounts, 18 months
    .venv/bin/python bench/reports.py --rows 10000000
    .venv/bin/python bench/reports.py --fresh    # drop and regenerate the data

Uses its own database (`vobiz_bench` on 127.0.0.1 unless BENCH_DATABASE_URL says
otherwise), creates and migrates it, generates the CDRs with COPY, builds the
daily rollups with the portal's own `rollups_rebuild`, then measures in-process
server time through Django's test client (the whole stack: middleware, session,
selectors, templates):

- the CDR report page (default filter: last 7 days), warm, p50/p95, for finance
  and for a team lead, plus a filter only the raw rows can answer;
- the raw list's first page against a page half a million rows deep;
- the CSV export of the whole 18 months: rows/s and how far the process's
  resident memory grows while it streams.

Prints the figures as JSON. Not part of the test run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/vobiz_bench"
TEAMS = 20
DAYS = 548  # 18 months
CAUSES = [
    ("NORMAL_CLEARING", 4000, 55),
    ("NO_ANSWER", 4100, 22),
    ("USER_BUSY", 4200, 10),
    ("CALL_REJECTED", 4300, 5),
    ("ORIGINATOR_CANCEL", 4400, 4),
    ("UNALLOCATED_NUMBER", 4500, 2),
    ("NORMAL_TEMPORARY_FAILURE", 4600, 1),
    ("RECOVERY_ON_TIMER_EXPIRE", 4700, 1),
]


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.test_settings")
    _create_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _create_database(database_url: str) -> None:
    import psycopg

    base, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# --- data ------------------------------------------------------------------------


def ensure_data(rows: int, *, fresh: bool) -> dict[str, object]:
    """Create the people and teams, and `rows` CDRs unless they are already there."""
    from accounts.choices import GlobalRole, MembershipRole
    from accounts.models import Membership, SubAccount, User
    from billing.models import Cdr, CdrDailyRollup
    from sync.models import ProviderAccount

    provider, _ = ProviderAccount.objects.get_or_create(
        auth_id="MA_BENCH0001", defaults={"label": "Bench", "currency": "INR"}
    )
    teams = []
    for n in range(TEAMS):
        team, _ = SubAccount.objects.get_or_create(
            provider_account=provider,
            name=f"Team {n:02d}",
            defaults={"auth_id": f"SA_BENCH{n:04d}"},
        )
        teams.append(team)
    finance, _ = User.objects.get_or_create(
        email="finance@bench.invalid",
        defaults={"full_name": "Bench Finance", "role": GlobalRole.FINANCE},
    )
    lead, _ = User.objects.get_or_create(
        email="lead@bench.invalid", defaults={"full_name": "Bench Lead"}
    )
    Membership.objects.get_or_create(
        user=lead, sub_account=teams[0], defaults={"role": MembershipRole.LEAD}
    )
    timings: dict[str, object] = {}
    present = Cdr.objects.count()
    if fresh or present != rows:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {Cdr._meta.db_table}, {CdrDailyRollup._meta.db_table}, "
                "billing_cdrcauserollup"
            )
        started = time.perf_counter()
        _copy_cdrs(provider, teams, rows)
        timings["generate_s"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        _rollups(provider)
        timings["rollups_s"] = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE billing_cdr")
            cursor.execute("VACUUM ANALYZE billing_cdrdailyrollup")
    timings["cdrs"] = Cdr.objects.count()
    timings["rollup_rows"] = CdrDailyRollup.objects.count()
    return {"provider": provider, "finance": finance, "lead": lead, **timings}


def _lines(
    provider_id: int, teams: list, rows: int, seed: int, first: dt.datetime, span: int
) -> io.StringIO:
    """Return `rows` CDRs as COPY text, in time order within [first, first + span s).

    The portal ingests CDRs day by day as they happen, so the table is roughly in
    time order on disk; generating it in order keeps that property.
    """
    rng = random.Random(seed)
    causes = [c for c in CAUSES for _ in range(c[2])]
    trunks = [f"trk_{n:03d}" for n in range(10)]
    offsets = sorted(rng.randrange(span) for _ in range(rows))
    buf = io.StringIO()
    for offset in offsets:
        team = teams[rng.randrange(len(teams))]
        start = first + dt.timedelta(seconds=offset)
        cause, code, _w = causes[rng.randrange(len(causes))]
        answered = cause == "NORMAL_CLEARING"
        ring = rng.randint(1, 12)
        billsec = rng.randint(5, 600) if answered else 0
        duration = billsec + ring
        cost = f"{billsec / 60 * 0.45:.5f}" if answered else "0"
        answer = (start + dt.timedelta(seconds=ring)).isoformat() if answered else r"\N"
        end = (start + dt.timedelta(seconds=duration)).isoformat()
        buf.write(
            "\t".join(
                (
                    str(uuid.UUID(int=rng.getrandbits(128))),
                    str(provider_id),
                    str(team.pk),
                    team.auth_id,
                    start.isoformat(),
                    answer,
                    end,
                    "inbound" if rng.random() < 0.4 else "outbound",
                    f"+9180{rng.randrange(10**7, 10**8)}",
                    f"+9122{rng.randrange(10**7, 10**8)}",
                    str(duration),
                    str(billsec),
                    cause,
                    str(code),
                    "Caller",
                    cost,
                    "INR",
                    trunks[rng.randrange(len(trunks))],
                    str(ring),
                    "4.40" if answered else r"\N",
                    "0.100",
                    "0.200",
                    end,
                )
            )
            + "\n"
        )
    buf.seek(0)
    return buf


def _copy_cdrs(provider, teams: list, rows: int) -> None:
    from django.db import connection

    from billing.services.cdr_ingest import COLUMNS

    chunk = 250_000
    cols = ", ".join(COLUMNS)
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - dt.timedelta(days=DAYS - 1)
    chunks = max(1, -(-rows // chunk))
    span = DAYS * 86_400 // chunks
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for n, offset in enumerate(range(0, rows, chunk)):
            data = _lines(
                provider.pk,
                teams,
                min(chunk, rows - offset),
                seed=n,
                first=first + dt.timedelta(seconds=n * span),
                span=span,
            )
            with raw.copy(f"COPY billing_cdr ({cols}) FROM STDIN") as copy:
                while block := data.read(1 << 20):
                    copy.write(block)
            print(
                f"  copied {offset + min(chunk, rows - offset):,} CDRs", file=sys.stderr
            )


def _rollups(provider) -> None:
    from django.db import transaction

    from billing.services.rollups import rollups_rebuild

    today = dt.datetime.now(dt.UTC).date()
    days = [today - dt.timedelta(days=n) for n in range(DAYS + 1)]
    for at in range(0, len(days), 31):
        with transaction.atomic():
            rollups_rebuild(provider_id=provider.pk, days=days[at : at + 31])


# --- measurements ------------------------------------------------------------------


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "n": len(ordered),
    }


def _time_get(client, url: str, params: dict, *, iterations: int, **headers) -> dict:
    for _ in range(5):  # warm: connections, template and plan caches
        response = client.get(url, params, **headers)
        assert response.status_code == 200, response.status_code
    samples = []
    for _ in range(iterations):
        started = time.perf_counter()
        response = client.get(url, params, **headers)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    return _percentiles(samples)


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def measure_report(data: dict, iterations: int) -> dict:
    from django.urls import reverse

    url = reverse("billing:cdr_report")
    finance, lead = _client(data["finance"]), _client(data["lead"])
    return {
        "report_finance_last_7_days": _time_get(
            finance, url, {}, iterations=iterations
        ),
        "report_lead_last_7_days": _time_get(lead, url, {}, iterations=iterations),
        "report_htmx_direction_filter": _time_get(
            finance,
            url,
            {"direction": "inbound"},
            iterations=iterations,
            HTTP_HX_REQUEST="true",
        ),
        "report_raw_filter_hangup_cause": _time_get(
            finance, url, {"hangup_cause": "USER_BUSY"}, iterations=iterations
        ),
    }


def measure_paging(data: dict, iterations: int) -> dict:
    from django.urls import reverse

    from billing.models import Cdr
    from core.paging import _encode

    url = reverse("billing:cdr_report")
    today = dt.datetime.now(dt.UTC).date()
    params = {"since": (today - dt.timedelta(days=DAYS - 1)).isoformat()}
    total = Cdr.objects.count()
    deep_at = total // 2
    row = Cdr.objects.order_by("-start_time", "-id").values("start_time", "id")[deep_at]
    cursor = _encode("o", row["start_time"], row["id"])
    client = _client(data["finance"])
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "rows"}
    first = _time_get(client, url, params, iterations=iterations, **headers)
    deep = _time_get(
        client, url, {**params, "cursor": cursor}, iterations=iterations, **headers
    )
    return {
        "list_first_page": first,
        "list_deep_page": {**deep, "rows_before_it": deep_at},
        "deep_over_first_p50": round(deep["p50_ms"] / first["p50_ms"], 2),
    }


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure_export(data: dict) -> dict:
    from django.urls import reverse

    today = dt.datetime.now(dt.UTC).date()
    params = {"since": (today - dt.timedelta(days=DAYS - 1)).isoformat()}
    client = _client(data["finance"])
    before = _rss_mb()
    peak = before
    started = time.perf_counter()
    response = client.get(reverse("billing:cdr_export"), params)
    lines = size = 0
    for n, chunk in enumerate(response.streaming_content):
        lines += chunk.count(b"\n")
        size += len(chunk)
        if n % 25 == 0:
            peak = max(peak, _rss_mb())
    seconds = time.perf_counter() - started
    rows = lines - 1
    return {
        "export_rows": rows,
        "export_seconds": round(seconds, 1),
        "export_rows_per_s": int(rows / seconds),
        "export_mb": round(size / 2**20, 1),
        "export_rss_start_mb": round(before, 1),
        "export_rss_growth_mb": round(peak - before, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true", help="regenerate the data")
    parser.add_argument("--iterations", type=int, default=60)
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    setup_django(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB)
    data = ensure_data(args.rows, fresh=args.fresh)
    result: dict[str, object] = {
        k: v for k, v in data.items() if k not in ("provider", "finance", "lead")
    }
    result.update(measure_report(data, args.iterations))
    result.update(measure_paging(data, args.iterations))
    if not args.skip_export:
        result.update(measure_export(data))
    result["targets"] = {
        "report_p95_ms": 100 if args.rows <= 1_000_000 else 150,
        "deep_over_first": 1.5,
        "export_rows_per_s": 50_000,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
