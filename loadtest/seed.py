"""Data of a load-test run: the database, the Vobiz connection, users, 1M CDRs.

Needs Django set up (the runner does it after pointing DATABASE_URL at the
load-test database). Everything is idempotent: a second run reuses what is there
and only tops up what is missing.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import secrets
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROLE_EMAIL = "lt-{role}-{n:02d}@loadtest.invalid"
# Bulk-loaded CDRs carry this uuid prefix ("load test"), so a later run can count
# them through the unique index and leave the synced ones alone.
UUID_PREFIX = 0x10AD7E57
UUID_LOW = uuid.UUID(int=UUID_PREFIX << 96)
UUID_HIGH = uuid.UUID(int=(UUID_PREFIX + 1) << 96)
COPY_CHUNK = 250_000
CAUSES = (
    ("NORMAL_CLEARING", 16, 55),
    ("NO_ANSWER", 19, 22),
    ("USER_BUSY", 17, 10),
    ("CALL_REJECTED", 21, 5),
    ("ORIGINATOR_CANCEL", 487, 4),
    ("UNALLOCATED_NUMBER", 1, 2),
    ("NORMAL_TEMPORARY_FAILURE", 41, 1),
    ("RECOVERY_ON_TIMER_EXPIRE", 102, 1),
)


def log(message: str) -> None:
    """Print one progress line of the run."""
    print(f"[loadtest] {message}", file=sys.stderr, flush=True)


# --- database ---------------------------------------------------------------------


def ensure_database(url: str, *, fresh: bool) -> bool:
    """Create the database (dropping it first when `fresh`); say if it is new."""
    import psycopg

    base, name = url.rsplit("/", 1)
    if not name.startswith("vobiz_loadtest"):
        raise ValueError(
            "the load test only drops and creates vobiz_loadtest* databases"
        )
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return not exists


def database_belongs_to(url: str, auth_id: str) -> bool:
    """Say whether the database is absent, empty or connected to `auth_id` only."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            rows = conn.execute(
                "SELECT auth_id FROM accounts_provideraccount"
            ).fetchall()
    except psycopg.OperationalError:
        return True  # no such database yet
    except psycopg.errors.UndefinedTable:
        return True  # not migrated yet
    return all(row[0] == auth_id for row in rows)


def migrate() -> None:
    """Apply every migration."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


# --- Vobiz ------------------------------------------------------------------------


def connect_and_sync(credentials: Path) -> Any:
    """Connect the portal to the simulator, sync everything, store team tokens."""
    from django.core.management import call_command

    from sync.models import ProviderAccount

    quiet = io.StringIO()
    call_command(
        "connect_vobiz", credentials=credentials, label="Simulator", stdout=quiet
    )
    call_command("sync_vobiz", stdout=quiet)
    # Sub-account tokens can only be stored once the sync has created the teams.
    call_command("connect_vobiz", credentials=credentials, stdout=quiet)
    return ProviderAccount.objects.get()


# --- users ------------------------------------------------------------------------


def ensure_users(counts: dict[str, int]) -> dict[str, list[dict[str, str]]]:
    """Create `counts[role]` users of each role and return how to sign them in.

    Every run issues one fresh password (hashed once, shared by the load-test
    users only) and fresh TOTP devices for the admins, so no code was used before.
    Leads and viewers are spread over the synced teams.
    """
    from axes.utils import reset as axes_reset
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Membership, SubAccount, User

    password = secrets.token_urlsafe(18)
    hashed = make_password(password)
    teams = list(SubAccount.objects.filter(removed_at__isnull=True).order_by("pk"))
    pool: dict[str, list[dict[str, str]]] = {}
    for role, count in counts.items():
        pool[role] = []
        for n in range(count):
            user = _user(role, n, hashed)
            entry = {"email": user.email, "password": password}
            if role in ("lead", "viewer") and teams:
                Membership.objects.update_or_create(
                    user=user,
                    sub_account=teams[n % len(teams)],
                    defaults={"role": role},
                )
            if role == "admin":
                TOTPDevice.objects.filter(user=user).delete()
                device = TOTPDevice.objects.create(
                    user=user, name="Load test", confirmed=True
                )
                entry["totp_key"] = device.key
            pool[role].append(entry)
    axes_reset()
    User.objects.filter(email__endswith="@loadtest.invalid").update(password=hashed)
    return pool


def _user(role: str, n: int, hashed: str) -> Any:
    from accounts.choices import GlobalRole
    from accounts.models import User

    global_role = {"admin": GlobalRole.ADMIN, "finance": GlobalRole.FINANCE}.get(
        role, GlobalRole.NONE
    )
    user, _ = User.objects.update_or_create(
        email=ROLE_EMAIL.format(role=role, n=n + 1),
        defaults={
            "full_name": f"Load {role.capitalize()} {n + 1:02d}",
            "role": global_role,
            "is_active": True,
            "password": hashed,
        },
    )
    return user


# --- CDRs -------------------------------------------------------------------------


def bulk_cdr_count() -> int:
    """Count the bulk-loaded CDRs (an index range scan on the uuid)."""
    from billing.models import Cdr

    return Cdr.objects.filter(uuid__gte=UUID_LOW, uuid__lt=UUID_HIGH).count()


def ensure_cdrs(provider: Any, *, rows: int, days: int) -> dict[str, Any]:
    """Bulk-load `rows` CDRs over the last `days` days with COPY (unless present).

    Spread over the synced teams (and the master account) and their trunks, in
    time order as the sync ingests them; then the daily rollups of those days are
    rebuilt with the portal's own `rollups_rebuild` and the tables analysed.
    """
    from django.db import connection

    from billing.models import Cdr

    present = bulk_cdr_count()
    if present == rows:
        return {"bulk_cdrs": rows, "loaded_now": False}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # One statement, not Django's collector: nothing refers to a CDR row.
        cursor.execute(
            f"DELETE FROM {Cdr._meta.db_table} WHERE uuid >= %s AND uuid < %s",  # noqa: S608
            [UUID_LOW, UUID_HIGH],
        )
    owners = _owners(provider)
    trunks = _trunk_ids(provider)
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first = end - dt.timedelta(days=days)
    _copy(provider.pk, owners, trunks, rows, first, end)
    copied = time.perf_counter() - started
    _rebuild_rollups(provider.pk, first.date(), end.date())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_cdr")
        cursor.execute("ANALYZE billing_cdrdailyrollup")
    return {
        "bulk_cdrs": rows,
        "loaded_now": True,
        "copy_s": round(copied, 1),
        "total_s": round(time.perf_counter() - started, 1),
    }


def _owners(provider: Any) -> list[tuple[str, str]]:
    from accounts.models import SubAccount

    teams = SubAccount.objects.filter(
        provider_account=provider, removed_at__isnull=True
    )
    owners = [(str(t.pk), t.auth_id or "") for t in teams]
    return [*owners, (r"\N", provider.auth_id)]


def _trunk_ids(provider: Any) -> list[str]:
    from trunks.models import Trunk

    ids = list(
        Trunk.objects.filter(provider_account=provider).values_list(
            "remote_id", flat=True
        )
    )
    return ids or [""]


def _copy(
    provider_id: int,
    owners: list[tuple[str, str]],
    trunks: list[str],
    rows: int,
    first: dt.datetime,
    end: dt.datetime,
) -> None:
    from django.db import connection

    from billing.services.cdr_ingest import COLUMNS

    span = int((end - first).total_seconds())
    chunks = max(1, -(-rows // COPY_CHUNK))
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for n in range(chunks):
            count = min(COPY_CHUNK, rows - n * COPY_CHUNK)
            lo = first + dt.timedelta(seconds=span * n // chunks)
            data = cdr_lines(
                provider_id,
                owners,
                trunks,
                count,
                seed=n,
                first=lo,
                span=span // chunks,
            )
            with raw.copy(
                f"COPY billing_cdr ({', '.join(COLUMNS)}) FROM STDIN"
            ) as copy:
                while block := data.read(1 << 20):
                    copy.write(block)
            log(f"copied {n * COPY_CHUNK + count:,} of {rows:,} CDRs")


def cdr_lines(
    provider_id: int,
    owners: list[tuple[str, str]],
    trunks: list[str],
    rows: int,
    *,
    seed: int,
    first: dt.datetime,
    span: int,
) -> io.StringIO:
    """Return `rows` CDRs as COPY text (the ingest's `COLUMNS`)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    causes = [c for c in CAUSES for _ in range(c[2])]
    offsets = sorted(rng.randrange(max(span, 1)) for _ in range(rows))
    buf = io.StringIO()
    for offset in offsets:
        team_pk, auth_id = owners[rng.randrange(len(owners))]
        start = first + dt.timedelta(seconds=offset)
        cause, code, _weight = causes[rng.randrange(len(causes))]
        answered = cause == "NORMAL_CLEARING"
        ring = rng.randint(1, 12)
        billsec = rng.randint(5, 600) if answered else 0
        end = (start + dt.timedelta(seconds=ring + billsec)).isoformat()
        answer = (start + dt.timedelta(seconds=ring)).isoformat() if answered else r"\N"
        fields = (
            str(uuid.UUID(int=(UUID_PREFIX << 96) | rng.getrandbits(96))),
            str(provider_id),
            team_pk,
            auth_id,
            start.isoformat(),
            answer,
            end,
            "inbound" if rng.random() < 0.4 else "outbound",
            f"+9180{rng.randrange(10**7, 10**8)}",
            f"+9198{rng.randrange(10**7, 10**8)}",
            str(ring + billsec),
            str(billsec),
            cause,
            str(code),
            "Callee" if answered else "Caller",
            f"{-(-billsec // 60) * 0.45:.2f}",
            "INR",
            trunks[rng.randrange(len(trunks))],
            str(ring),
            f"4.{rng.randrange(10, 40)}" if answered else r"\N",
            "0.100",
            "0.200",
            end,
        )
        buf.write("\t".join(fields) + "\n")
    buf.seek(0)
    return buf


def _rebuild_rollups(provider_id: int, first: dt.date, last: dt.date) -> None:
    from django.db import transaction

    from billing.services.rollups import rollups_rebuild

    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    for at in range(0, len(days), 31):
        with transaction.atomic():
            rollups_rebuild(provider_id=provider_id, days=days[at : at + 31])
