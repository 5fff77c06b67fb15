"""`python -m loadtest`: set everything up, run the phases, write the report.

    .venv/bin/python -m loadtest             # 1,000,000 CDRs, 20 users, ~8 min
    .venv/bin/python -m loadtest --quick     # 100,000 CDRs, shorter phases, ~4 min
    .venv/bin/python -m loadtest --fresh     # drop the database and simulator data

Starts, on 127.0.0.1 only: the Vobiz simulator (var/loadtest/sim), the portal
under gunicorn (2 workers × 4 threads, DEBUG off, production settings except
TLS) and one Celery worker with beat, against PostgreSQL database
`vobiz_loadtest` and Redis database 9. Secrets are generated into the
environment of this process and its children (kept in var/loadtest/keys.json,
mode 0600, so a second run can read the data the first one encrypted).
Everything it started is stopped when it ends, fails or is interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from loadtest import pages as catalogue
from loadtest.procs import Processes, StartError, free_port, port_open, wait_until
from loadtest.seed import log

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/vobiz_loadtest"
REDIS_URL = "redis://127.0.0.1:6379/9"
# Role mix of the concurrent users (scaled to --users).
MIX = {"admin": 4, "finance": 4, "lead": 8, "viewer": 4}
THROUGHPUT_USERS = 8
LATENCY_MS = 5000


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100k CDRs, short phases")
    parser.add_argument("--fresh", action="store_true", help="drop data first")
    parser.add_argument("--cdrs", type=int, help="bulk CDRs (default 1,000,000)")
    parser.add_argument("--cdr-days", type=int, default=90)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--browse-seconds", type=int, help="phase 1 and 3 length")
    parser.add_argument("--throughput-seconds", type=int, help="each phase 2 run")
    parser.add_argument("--no-latency-phase", action="store_true")
    parser.add_argument("--no-scenario", action="store_true")
    parser.add_argument("--max-seconds", type=int, default=570, help="hard stop")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "loadtest")
    args = parser.parse_args(argv)
    args.cdrs = (
        args.cdrs if args.cdrs is not None else (100_000 if args.quick else 1_000_000)
    )
    args.browse_seconds = args.browse_seconds or (45 if args.quick else 120)
    args.throughput_seconds = args.throughput_seconds or (10 if args.quick else 20)
    return args


# --- environment ----------------------------------------------------------------------


def _keys(path: Path, fresh: bool) -> tuple[dict[str, str], bool]:
    """Return the run's SECRET_KEY and Fernet keys, and whether they are new."""
    from cryptography.fernet import Fernet

    if path.exists() and not fresh:
        return json.loads(path.read_text()), False
    keys = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(keys))
    return keys, True


def portal_env(
    keys: dict[str, str], sim_port: int, sim_dir: Path, web: str
) -> dict[str, str]:
    """Return the settings of the portal's processes: production except TLS."""
    return {
        **keys,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "SECURE_HSTS_SECONDS": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": "loadtest",
        "VOBIZ_BASE_URL": f"https://127.0.0.1:{sim_port}/api/v1",
        "VOBIZ_CA_BUNDLE": str(sim_dir / "ca.pem"),
        "VOBIZ_LOG_LEVEL": "WARNING",
        "LOG_LEVEL": "WARNING",
        "CDR_INITIAL_DAYS": "7",
        "PORTAL_BASE_URL": f"http://{web}",
        # No SMTP server here: alert e-mails are dropped, not queued for retry.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "OTP_REQUIRED_FOR_ADMINS": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }


def _flush_redis() -> None:
    import redis

    # Only the load test's own database: leases, breakers and queues of an
    # earlier run must not leak into this one.
    redis.Redis.from_url(REDIS_URL).flushdb()


# --- processes ------------------------------------------------------------------------


def start_simulator(procs: Processes, sim_dir: Path, port: int) -> None:
    args = [
        PY,
        "-m",
        "simulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(sim_dir),
        "--seed-days",
        "7",
        "--quiet",
    ]
    process = procs.start("simulator", args)
    wait_until(
        lambda: (sim_dir / "credentials.json").exists() and port_open(port),
        timeout=60,
        what="the simulator",
        process=process,
    )


def start_portal(procs: Processes, port: int) -> None:
    import requests

    args = [
        PY,
        "-m",
        "gunicorn",
        "portal.wsgi",
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        "2",
        "--threads",
        "4",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        # Longer than the users' longest think time (2.5 s): with gunicorn's 2 s
        # default an idle keep-alive connection can close just as Locust reuses
        # it (status 0). A proxy in front of gunicorn would hold them in production.
        "--keep-alive",
        "10",
    ]
    process = procs.start("gunicorn", args)
    url = f"http://127.0.0.1:{port}/healthz"
    wait_until(
        lambda: requests.get(url, timeout=2).status_code == 200,
        timeout=60,
        what="gunicorn",
        process=process,
    )


def start_worker(procs: Processes, out: Path) -> None:
    schedule = out / "celerybeat-schedule"
    for stale in out.glob("celerybeat-schedule*"):
        stale.unlink()
    args = [
        PY,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--beat",
        "--concurrency",
        "1",
        "--loglevel",
        "WARNING",
        "--schedule",
        str(schedule),
    ]
    process = procs.start("celery", args)
    time.sleep(3)
    if process.poll() is not None:
        raise StartError("the Celery worker exited; see var/loadtest/logs/celery.log")


def run_locust(
    procs: Processes,
    out: Path,
    *,
    name: str,
    plan: dict[str, Any],
    base: str,
    users: int,
    seconds: int,
    classes: list[str],
) -> Path:
    """Run one headless Locust phase; return its stats CSV."""
    plan_file = out / "plan.json"
    plan_file.touch(mode=0o600)
    sign_in_out = out / f"{name}_sign_in.json"
    sign_in_out.unlink(missing_ok=True)
    plan = {**plan, "expect_users": users, "sign_in_out": str(sign_in_out)}
    plan_file.write_text(json.dumps(plan))
    env = {**os.environ, "LOADTEST_PLAN": str(plan_file), "PYTHONPATH": str(ROOT)}
    # Two users a second; each signs in (a password hash: a good part of a second
    # of CPU). The locustfile resets the statistics once the last user has signed
    # in, so the ramp and an allowance for the sign-ins are added to the phase.
    rate = 2
    ramp = -(-users // rate) + 10
    args = [
        PY,
        "-m",
        "locust",
        "-f",
        str(ROOT / "loadtest" / "locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(rate),
        "-t",
        f"{seconds + ramp}s",
        "--host",
        base,
        "--csv",
        str(out / name),
        "--html",
        str(out / f"locust-{name}.html"),
        "--only-summary",
        "--stop-timeout",
        "5",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
        *classes,
    ]
    process = procs.start(f"locust-{name}", args, env=env)
    try:
        process.wait(timeout=seconds + ramp + 60)
    except subprocess.TimeoutExpired:
        procs.stop(process)
        raise StartError(f"Locust phase {name} did not stop by itself") from None
    if process.returncode != 0:
        raise StartError(f"Locust phase {name} failed; see logs/locust-{name}.log")
    return out / f"{name}_stats.csv"


# --- pages ----------------------------------------------------------------------------


def plan_pages(
    base: str, accounts: dict[str, list[dict[str, str]]]
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Resolve the catalogue and keep, per role, the pages that answer 200."""
    import requests
    from django.urls import NoReverseMatch, reverse

    from loadtest.portal_session import sign_in

    resolved, missing = catalogue.resolve(
        catalogue.catalogue(dt.datetime.now(dt.UTC).date()), reverse, NoReverseMatch
    )
    left_out = [f"{name}: no such URL name yet" for name in missing]
    plan: dict[str, list[dict[str, Any]]] = {}
    for role in catalogue.ROLES:
        session = requests.Session()
        session.trust_env = False
        account = accounts[role][-1]  # the reserved smoke account
        sign_in(
            lambda p, s=session: s.get(base + p, allow_redirects=False, timeout=30),
            lambda p, data, s=session: s.post(
                base + p, data=data, allow_redirects=False, timeout=30
            ),
            email=account["email"],
            password=account["password"],
            totp_key=account.get("totp_key"),
        )
        plan[role] = []
        for page, path in resolved:
            if role not in page.roles:
                continue
            spec = catalogue.request_spec(page, path)
            answer = session.get(
                base + path,
                params=spec["params"],
                headers=spec["headers"],
                allow_redirects=False,
                timeout=60,
            )
            if answer.status_code in (403, 404, 302):
                left_out.append(f"{page.name} for {role}: answers {answer.status_code}")
                continue
            plan[role].append(spec)
    return plan, left_out


def _split(pool: list[dict[str, str]], keep_last: bool = True) -> list[dict[str, str]]:
    return pool[:-1] if keep_last and len(pool) > 1 else pool


def role_mix(users: int) -> dict[str, int]:
    """Scale MIX to `users` (at least one user of each role)."""
    total = sum(MIX.values())
    mix = {role: max(1, round(users * n / total)) for role, n in MIX.items()}
    mix["lead"] += users - sum(mix.values())
    return mix


# --- phases ---------------------------------------------------------------------------


class Run:
    """One load-test run: its settings, processes and collected figures."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.out: Path = args.out
        self.sim_dir = self.out / "sim"
        self.deadline = time.monotonic() + args.max_seconds
        self.summary: dict[str, Any] = {"phases": {}, "locust_reports": []}
        self.mix = role_mix(args.users)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def prepare(self, procs: Processes) -> None:
        args = self.args
        keys, new_keys = _keys(self.out / "keys.json", args.fresh)
        fresh = (
            args.fresh or new_keys or not (self.sim_dir / "credentials.json").exists()
        )
        if fresh and self.sim_dir.exists():
            shutil.rmtree(self.sim_dir)
        sim_port, web_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{web_port}"
        os.environ.update(portal_env(keys, sim_port, self.sim_dir, self.base[7:]))
        from loadtest.seed import database_belongs_to, ensure_database

        creds = self.sim_dir / "credentials.json"
        if not fresh:
            auth_id = json.loads(creds.read_text())["auth_id"]
            # Another checkout's run (other keys, other simulator) left it behind.
            fresh = not database_belongs_to(DATABASE_URL, auth_id)
        created = ensure_database(DATABASE_URL, fresh=fresh)
        _flush_redis()
        state = "new" if created else "reused"
        log(f"database vobiz_loadtest ({state}); simulator on port {sim_port}")
        start_simulator(procs, self.sim_dir, sim_port)
        self.root_url = f"https://127.0.0.1:{sim_port}"
        self._seed()
        log(f"portal on {self.base} (gunicorn 2 × 4 threads); Celery worker + beat")
        start_portal(procs, web_port)
        start_worker(procs, self.out)
        self.plan_pages, left_out = plan_pages(self.base, self.accounts)
        self.summary["pages_left_out"] = left_out

    def _seed(self) -> None:
        import logging

        import django

        django.setup()
        # This process makes hundreds of calls the simulator refuses on purpose.
        logging.getLogger("vobiz").setLevel(logging.ERROR)
        from loadtest import seed

        started = time.perf_counter()
        seed.migrate()
        log("migrated; connecting to the simulator and syncing")
        self.provider = seed.connect_and_sync(self.sim_dir / "credentials.json")
        counts = {**self.mix, "admin": max(self.mix["admin"], THROUGHPUT_USERS)}
        self.accounts = seed.ensure_users({role: n + 1 for role, n in counts.items()})
        log(f"users ready; loading {self.args.cdrs:,} CDRs (skipped when present)")
        self.cdr_info = seed.ensure_cdrs(
            self.provider, rows=self.args.cdrs, days=self.args.cdr_days
        )
        from billing.models import Cdr

        self.cdr_info["cdrs_total"] = Cdr.objects.count()
        self.cdr_info["setup_s"] = round(time.perf_counter() - started, 1)
        log(f"data ready: {self.cdr_info}")

    def browse_plan(self) -> dict[str, Any]:
        return {
            "accounts": {r: _split(p) for r, p in self.accounts.items()},
            "pages": self.plan_pages,
            "mix": self.mix,
            "wait": [0.5, 2.5],
        }

    def browse(self, procs: Processes, name: str, seconds: int) -> dict[str, Any]:
        classes = [f"{r.capitalize()}User" for r, n in self.mix.items() if n]
        began = dt.datetime.now(dt.UTC)
        load_before = os.getloadavg()[0]
        csv_path = run_locust(
            procs,
            self.out,
            name=name,
            plan=self.browse_plan(),
            base=self.base,
            users=self.args.users,
            seconds=seconds,
            classes=classes,
        )
        from loadtest import report
        from loadtest.scenario import api_call_figures

        figures = report.phase_figures(csv_path, seconds)
        figures["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        sign_in = self.out / f"{name}_sign_in.json"
        if sign_in.exists():
            figures["sign_in"] = json.loads(sign_in.read_text())
        figures["api_calls"] = api_call_figures(began, dt.datetime.now(dt.UTC))
        self.summary["locust_reports"].append(f"locust-{name}.html")
        return figures

    def throughput(self, procs: Processes) -> dict[str, Any]:
        """Closed loop on /healthz, then on each 50-row list: requests per second."""
        import requests
        from django.urls import reverse

        minimal = {
            "name": "/healthz (minimal view)",
            "path": reverse(catalogue.MINIMAL_URL_NAME),
        }
        runs = {"minimal": self._closed_loop(procs, "minimal", minimal)}
        lists = []
        for n, page in enumerate(catalogue.LIST_PAGES, start=1):
            target = {
                "name": f"{page.name} (50 rows)",
                "path": reverse(page.url_name),
                "sign_in": True,
                "role": "admin",
            }
            row = self._closed_loop(procs, f"list-{n}", target)
            base_rps = runs["minimal"]["rps"]
            row["ratio"] = round(row["rps"] / base_rps, 3) if base_rps else 0.0
            lists.append(row)
        probe = requests.get(self.base + minimal["path"], timeout=10).json()
        note = (
            "The portal has a minimal view already, /healthz (a database SELECT 1, "
            "a cache write/read/delete and a new broker connection), so it is the "
            "baseline; no view was added. Closed loop, no think time, "
            f"{THROUGHPUT_USERS} users against 2 workers × 4 threads; the lists "
            "as a signed-in admin (session, two-factor and CSP middleware included)."
        )
        return {
            **runs,
            "lists": lists,
            "ratio": min(r["ratio"] for r in lists),
            "healthz_checks": probe.get("checks"),
            "note": note,
        }

    def _closed_loop(
        self, procs: Processes, key: str, target: dict[str, Any]
    ) -> dict[str, Any]:
        from loadtest import report

        seconds = self.args.throughput_seconds
        plan = {**self.browse_plan(), "throughput": target}
        plan["accounts"] = {**plan["accounts"], "admin": self.accounts["admin"][:-1]}
        csv_path = run_locust(
            procs,
            self.out,
            name=f"throughput-{key}",
            plan=plan,
            base=self.base,
            users=THROUGHPUT_USERS,
            seconds=seconds,
            classes=["ThroughputUser"],
        )
        self.summary["locust_reports"].append(f"locust-throughput-{key}.html")
        pages, _ = report.page_stats(csv_path)
        row = next(p for p in pages if p.name == target["name"])
        return {
            "name": row.name,
            "users": THROUGHPUT_USERS,
            "seconds": seconds,
            "requests": row.requests,
            "failures": row.failures,
            "rps": row.rps,
            "p50_ms": row.p50_ms,
            "p95_ms": row.p95_ms,
        }


def _scenario_thread(
    run: Run, holder: dict[str, Any], delay: float
) -> threading.Thread:
    def work() -> None:
        from django.db import connection

        from loadtest.scenario import run_cps_scenario
        from simulator.control_client import ControlClient

        time.sleep(delay)
        control = ControlClient(run.root_url, str(run.sim_dir / "ca.pem"))
        try:
            holder.update(run_cps_scenario(run.provider, control))
        except Exception as error:  # reported, never silently dropped
            holder["error"] = f"{type(error).__name__}: {error}"
        finally:
            control.close()
            connection.close()

    return threading.Thread(target=work, name="cps-scenario", daemon=True)


def _conditions(run: Run) -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "users": run.args.users,
        "mix": run.mix,
        "cpus": os.cpu_count(),
        "load_before": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "commit": commit,
        "quick": run.args.quick,
    }


def execute(run: Run) -> dict[str, Any]:
    """Run every phase inside one process group; return the summary."""
    from loadtest.lag import LagSampler, lag_summary

    args = run.args
    summary = run.summary
    summary["conditions"] = _conditions(run)
    with Processes(run.out / "logs") as procs:
        run.prepare(procs)
        summary["conditions"].update(cdrs=run.cdr_info["cdrs_total"], data=run.cdr_info)
        sampler = LagSampler()
        sampler.start()
        try:
            scenario: dict[str, Any] = {}
            thread = None
            if not args.no_scenario:
                thread = _scenario_thread(
                    run, scenario, delay=min(15, args.browse_seconds / 3)
                )
                thread.start()
            log(f"phase 1: {args.users} users browse for {args.browse_seconds} s")
            sampler.phase = "browse"
            summary["phases"]["browse"] = run.browse(
                procs, "browse", args.browse_seconds
            )
            if thread is not None:
                thread.join(timeout=max(10, run.remaining() - 60))
                summary["scenario"] = scenario or {"error": "did not finish in time"}
            sampler.phase = "throughput"
            log("phase 2: throughput of the 50-row list against /healthz")
            summary["phases"]["throughput"] = run.throughput(procs)
            latency_needs = args.browse_seconds + 45
            if not args.no_latency_phase and run.remaining() > latency_needs:
                _latency_phase(run, procs, sampler)
            elif not args.no_latency_phase:
                summary["skipped"] = (
                    "latency phase: not enough time left before --max-seconds"
                )
        finally:
            sampler.stop()
        summary["sync_lag"] = {
            "under_load": lag_summary(sampler.samples, ("browse", "throughput")),
            "with_latency": lag_summary(sampler.samples, ("latency",)),
        }
    summary["conditions"]["load_after"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return summary


def _latency_phase(run: Run, procs: Processes, sampler: Any) -> None:
    from loadtest import report
    from simulator.control_client import ControlClient

    control = ControlClient(run.root_url, str(run.sim_dir / "ca.pem"))
    try:
        control.latency(LATENCY_MS)
        log(f"phase 3: the same browsing with +{LATENCY_MS} ms at the simulator")
        sampler.phase = "latency"
        phase = run.browse(procs, "latency", run.args.browse_seconds)
    finally:
        with contextlib.suppress(Exception):
            control.reset_faults()
        control.close()
    phase["latency_ms"] = LATENCY_MS
    phase["changes"] = report.latency_changes(
        run.summary["phases"]["browse"]["pages"], phase["pages"]
    )
    run.summary["phases"]["latency"] = phase


def write_report(summary: dict[str, Any], out: Path) -> None:
    from loadtest import report

    summary["targets"] = report.evaluate(summary)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    (out / "index.html").write_text(report.render_html(summary))


def print_targets(summary: dict[str, Any], out: Path) -> None:
    print("\nLoad test targets:")
    for t in summary.get("targets", []):
        verdict = {True: "met", False: "MISSED", None: "not measured"}[t["passed"]]
        note = f"  ({t['note']})" if t["note"] else ""
        print(
            f"  {verdict:<12} {t['target']}: {t['measured']} (goal {t['goal']}){note}"
        )
    print(f"\nReport: {out / 'index.html'}  figures: {out / 'summary.json'}")


def main(argv: list[str] | None = None) -> int:
    """Run the load test; 0 when it ran (targets are reported, not enforced)."""
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)
    run = Run(args)
    try:
        summary = execute(run)
    except KeyboardInterrupt:
        print(
            "\nInterrupted; everything the load test started is stopped.",
            file=sys.stderr,
        )
        return 130
    except (StartError, OSError) as error:
        print(
            f"\nLoad test failed: {error} (logs in {args.out / 'logs'})",
            file=sys.stderr,
        )
        return 1
    write_report(summary, args.out)
    print_targets(summary, args.out)
    return 0
