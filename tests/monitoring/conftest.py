"""Helpers for monitoring tests: API calls, CDRs through the real ingest, a
local HTTPS webhook receiver, and the seeded alert rules."""

from __future__ import annotations

import datetime as dt
import http.server
import importlib
import json
import ssl
import threading
import uuid
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.utils import timezone

from accounts.selectors import owner_map
from billing.models import BalanceSnapshot
from billing.services.cdr_ingest import ingest_cdrs, parse_cdr
from monitoring.models import Alert, AlertRule
from monitoring.services import EVALUATE_LEASE_KEY, alerts_evaluate
from sync import requests
from sync.models import ApiCall, SyncState
from sync.registry import BY_NAME
from sync.runs import lease_key, progress_key, queued_key
from trunks.models import Trunk

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


# Keys these tests set in the shared cache. They are deleted one by one: on Redis
# `cache.clear()` would flush the whole database, other test runs' keys included.
TEST_KEYS = [
    EVALUATE_LEASE_KEY,
    "vobiz:breaker:MA_ACME0001",
    "monitoring:synthetic:MA_ACME0001",
]


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.delete_many(TEST_KEYS)
    yield
    cache.delete_many(TEST_KEYS)


@pytest.fixture(autouse=True)
def _default_rules(request):
    """Put the seeded rules back if a transactional test (e2e) flushed them."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")
    migration = importlib.import_module("monitoring.migrations.0004_seed_alert_rules")
    migration.seed(django_apps, None)


@pytest.fixture
def clean_sync_keys(provider):
    """Forget the queued marks, progress and leases of the provider's syncs."""
    keys = [
        key(provider.pk, kind) for key in (queued_key, progress_key) for kind in BY_NAME
    ]
    keys += [lease_key(provider, kind) for kind in BY_NAME]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


@pytest.fixture
def sent(monkeypatch):
    """Record the tasks a sync request sends (there is no broker in these tests)."""
    calls = []
    kind_of = {spec.task: spec.name for spec in BY_NAME.values()}

    def record(task, provider_id, since):
        calls.append((provider_id, kind_of[task], since))

    monkeypatch.setattr(requests, "_send", record, raising=True)
    return calls


@pytest.fixture
def cdr_state(provider):
    """The CDR sync's state: last success three minutes ago."""
    return SyncState.objects.create(
        provider_account=provider,
        kind="cdrs",
        last_success_at=timezone.now() - dt.timedelta(minutes=3),
    )


def today() -> dt.date:
    """Return today's UTC date."""
    return timezone.now().astimezone(dt.UTC).date()


def seeded_rule(kind: str) -> AlertRule:
    """Return the account-wide rule of a kind the data migration created."""
    return AlertRule.objects.get(kind=kind, sub_account=None)


def only_rule(kind: str) -> AlertRule:
    """Disable every seeded rule but one, so evaluations touch only that one."""
    AlertRule.objects.exclude(kind=kind).update(enabled=False)
    return seeded_rule(kind)


def firing(kind: str) -> list[Alert]:
    """Return the firing alerts of a kind, oldest first."""
    return list(Alert.objects.filter(kind=kind, state="firing").order_by("pk"))


def resolved(kind: str) -> list[Alert]:
    """Return the resolved alerts of a kind."""
    return list(Alert.objects.filter(kind=kind, state="resolved"))


def evaluate(at: dt.datetime = NOW) -> dict[str, int]:
    """Evaluate every rule at `at`."""
    return alerts_evaluate(now=at)


def trunk(provider, team, **fields) -> Trunk:
    """Create an active trunk of a team (``trk-1``, "Sales trunk" unless told)."""
    defaults = {"remote_id": "trk-1", "name": "Sales trunk", "status": "active"}
    return Trunk.objects.create(
        provider_account=provider, sub_account=team, **{**defaults, **fields}
    )


def api_calls(
    provider,
    count: int,
    *,
    outcome: str = "ok",
    at: dt.datetime | None = None,
    sub_account=None,
    path: str = "/Account/{auth_id}/cdr",
    status: int | None = 200,
    duration_ms: float = 120.0,
    error_code: str = "",
    spread_seconds: float = 0.0,
) -> None:
    """Create `count` ApiCall rows, as the client's recorder would."""
    at = at or timezone.now()
    step = spread_seconds / count if count else 0
    ApiCall.objects.bulk_create(
        [
            ApiCall(
                created_at=at - dt.timedelta(seconds=i * step),
                provider_account=provider,
                sub_account=sub_account,
                method="GET",
                path_template=path,
                url=f"https://api.vobiz.test/api/v1{path}",
                status=status,
                duration_ms=duration_ms,
                request_id=f"req_{uuid.uuid4().hex[:12]}",
                attempt=1,
                outcome=outcome,
                error_code=error_code,
            )
            for i in range(count)
        ]
    )


def cdr(
    team,
    start: dt.datetime,
    *,
    answered: bool = True,
    to: str = "+918012345678",
    direction: str = "outbound",
    trunk: str | None = None,
    billsec: int = 60,
    cost: str = "0.45",
) -> dict:
    """Return one CDR in Vobiz's shape."""
    ring = 3
    talk = billsec if answered else 0
    return {
        "uuid": str(uuid.uuid4()),
        "account_id": team.auth_id,
        "start_time": start.isoformat().replace("+00:00", "Z"),
        "answer_time": (start + dt.timedelta(seconds=ring)).isoformat()
        if answered
        else None,
        "end_time": (start + dt.timedelta(seconds=ring + talk)).isoformat(),
        "call_direction": direction,
        "caller_id_number": "+918000000001",
        "destination_number": to,
        "duration": ring + talk,
        "billsec": talk,
        "hangup_cause": "NORMAL_CLEARING" if answered else "NO_ANSWER",
        "hangup_cause_code": 4000 if answered else 4100,
        "cost": cost if answered else 0,
        "total_cost": cost if answered else 0,
        "currency": "INR",
        "trunk_id": trunk,
        "ring_time": ring,
    }


def ingest(provider, raws: list[dict]) -> int:
    """Put CDR dicts in through billing's real ingest (rows and rollups)."""
    owners = owner_map(provider)
    rows = [parse_cdr(r, provider_id=provider.pk, owners=owners) for r in raws]
    return ingest_cdrs(provider_id=provider.pk, rows=[r for r in rows if r])


def calls(team, count: int, start: dt.datetime, *, every_seconds: int = 60, **kw):
    """Return `count` CDR dicts starting at `start`, one every `every_seconds`."""
    return [
        cdr(team, start + dt.timedelta(seconds=i * every_seconds), **kw)
        for i in range(count)
    ]


def low_balance(provider, available: str) -> None:
    """Take a balance snapshot of `available` against Vobiz's threshold of 1000."""
    BalanceSnapshot.objects.create(
        provider_account=provider,
        taken_at=timezone.now(),
        currency="INR",
        balance=Decimal(available),
        available_balance=Decimal(available),
        low_balance_threshold=Decimal("1000"),
    )


def money(value: str) -> Decimal:
    return Decimal(value)


class Receiver:
    """An HTTPS server on 127.0.0.1 that records the requests it gets."""

    def __init__(self, ca_dir) -> None:
        from simulator.tls import ensure_certificate, server_context

        self.ca, cert, key = ensure_certificate(ca_dir)
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context: ssl.SSLContext = server_context(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}/hooks/alerts"

    def json(self, index: int = -1) -> dict:
        return json.loads(self.requests[index]["body"])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def receiver_certs(tmp_path_factory):
    # Making an RSA key takes a moment: one CA and certificate per session.
    return tmp_path_factory.mktemp("receiver-tls")


@pytest.fixture
def receiver(receiver_certs, settings):
    """A local HTTPS webhook receiver the portal trusts and may call."""
    server = Receiver(receiver_certs)
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    settings.ALERT_WEBHOOK_CA_BUNDLE = str(server.ca)
    yield server
    server.stop()
