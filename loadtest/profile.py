"""Profile pages of the load-test database in-process: time, queries, SQL time.

    .venv/bin/python -m loadtest.profile                 # every page, admin
    .venv/bin/python -m loadtest.profile --role lead --page "cdr report" -n 30

Run after `make loadtest` (it reads var/loadtest/keys.json and the
`vobiz_loadtest` database). Each page is requested through Django's test client
(the whole middleware stack) with `CaptureQueriesContext`, so it shows where a
slow page spends its time: the number of queries, their total time, the slowest
ones, and the rest (Python: templates, forms, middleware).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from loadtest import pages as catalogue
from loadtest.runner import ROOT, portal_env


def _setup(out: Path) -> None:
    keys = json.loads((out / "keys.json").read_text())
    env = portal_env(keys, 9, out / "sim", "127.0.0.1")
    env["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ.update(env)
    import django

    django.setup()


def _client(role: str) -> Any:
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    user = User.objects.get(email=f"lt-{role}-01@loadtest.invalid")
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user).first()
    if device is not None:
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


def profile(client: Any, spec: dict[str, Any], iterations: int) -> dict[str, Any]:
    """Request one page `iterations` times (after 3 warm-ups); return its figures."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in spec["headers"].items()
    }
    for _ in range(3):
        client.get(spec["path"], spec["params"], **headers)
    samples, sql, counts, slowest = [], [], [], {}
    for _ in range(iterations):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(spec["path"], spec["params"], **headers)
            samples.append((time.perf_counter() - started) * 1000)
        sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        counts.append(len(queries.captured_queries))
        for q in queries.captured_queries:
            key = q["sql"][:160]
            slowest[key] = max(slowest.get(key, 0.0), float(q["time"]) * 1000)
    top = sorted(slowest.items(), key=lambda kv: -kv[1])[:3]
    return {
        "page": spec["name"],
        "status": response.status_code,
        "bytes": len(response.content),
        "median_ms": round(statistics.median(samples), 1),
        "max_ms": round(max(samples), 1),
        "queries": max(counts),
        "sql_ms": round(statistics.median(sql), 1),
        "python_ms": round(statistics.median(samples) - statistics.median(sql), 1),
        "slowest_sql": [{"ms": round(ms, 1), "sql": text} for text, ms in top],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.profile")
    parser.add_argument("--role", default="admin", choices=catalogue.ROLES)
    parser.add_argument("--page", help="only pages whose name starts with this")
    parser.add_argument("-n", type=int, default=15)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "loadtest")
    args = parser.parse_args(argv)
    _setup(args.out)
    from django.urls import NoReverseMatch, reverse

    resolved, _missing = catalogue.resolve(
        catalogue.catalogue(dt.datetime.now(dt.UTC).date()), reverse, NoReverseMatch
    )
    client = _client(args.role)
    for page, path in resolved:
        if args.role not in page.roles or (
            args.page and not page.name.startswith(args.page)
        ):
            continue
        figures = profile(client, catalogue.request_spec(page, path), args.n)
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
