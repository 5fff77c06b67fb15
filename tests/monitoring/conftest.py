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
from billing.ingest import ingest_cdrs, parse_cdr
from monitoring.models import AlertRule
from monitoring.services import EVALUATE_LEASE_KEY
from sync.models import ApiCall

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


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


def seeded_rule(kind: str) -> AlertRule:
    """Return the account-wide rule of a kind the data migration created."""
    return AlertRule.objects.get(kind=kind, sub_account=None)


def only_rule(kind: str) -> AlertRule:
    """Disable every seeded rule but one, so evaluations touch only that one."""
    AlertRule.objects.exclude(kind=kind).update(enabled=False)
    return seeded_rule(kind)


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
