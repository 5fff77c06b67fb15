"""Shared fixtures: the personas of docs/conventions.md and helpers for view tests.

Team A and team B live under one Vobiz account. The lead of team B must never see
anything of team A.
"""

from __future__ import annotations

import copy
import secrets

import pytest
from django.db import connection
from django.test import Client

from accounts.choices import GlobalRole, MembershipRole
from simulator.server import start_in_thread
from sync.clients import forget_clients
from sync.models import ProviderAccount
from tests.factories import (
    MembershipFactory,
    ProviderAccountFactory,
    SubAccountFactory,
    UserFactory,
)

PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(config, items):
    """Skip, visibly, the tests that need PostgreSQL when running on SQLite."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def provider(db):
    return ProviderAccountFactory(label="Acme", auth_id="MA_ACME0001")


@pytest.fixture
def team_a(provider):
    return SubAccountFactory(provider_account=provider, name="Team A")


@pytest.fixture
def team_b(provider):
    return SubAccountFactory(provider_account=provider, name="Team B")


def with_second_factor(user):
    """Give a user a confirmed TOTP device (admins must have one)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
    return user


@pytest.fixture
def admin_user(db):
    return with_second_factor(
        UserFactory(
            email="admin@example.com", full_name="Ada Admin", role=GlobalRole.ADMIN
        )
    )


@pytest.fixture
def finance_user(db):
    return UserFactory(
        email="finance@example.com", full_name="Fin Finance", role=GlobalRole.FINANCE
    )


@pytest.fixture
def lead_a(team_a):
    user = UserFactory(email="lead.a@example.com", full_name="Lea Lead")
    MembershipFactory(user=user, sub_account=team_a, role=MembershipRole.LEAD)
    return user


@pytest.fixture
def viewer_a(team_a):
    user = UserFactory(email="viewer.a@example.com", full_name="Vic Viewer")
    MembershipFactory(user=user, sub_account=team_a, role=MembershipRole.VIEWER)
    return user


@pytest.fixture
def lead_b(team_b):
    user = UserFactory(email="lead.b@example.com", full_name="Bob Lead")
    MembershipFactory(user=user, sub_account=team_b, role=MembershipRole.LEAD)
    return user


def verified_client(user) -> Client:
    """Return a client signed in as `user`, past the second factor if they have one."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


_client_for = verified_client


@pytest.fixture
def as_admin(admin_user):
    return _client_for(admin_user)


@pytest.fixture
def as_finance(finance_user):
    return _client_for(finance_user)


@pytest.fixture
def as_lead_a(lead_a):
    return _client_for(lead_a)


@pytest.fixture
def as_viewer_a(viewer_a):
    return _client_for(viewer_a)


@pytest.fixture
def as_lead_b(lead_b):
    return _client_for(lead_b)


HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def htmx_headers():
    """Headers of an htmx (non-boosted) request."""
    return dict(HTMX)


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


def count_queries(fn) -> int:
    """Run `fn` and return how many SQL queries it made."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


MAX_LIST_QUERIES = 12


# The Vobiz simulator, over HTTPS on a random loopback port, shared by the session.


@pytest.fixture(scope="session")
def simulator(tmp_path_factory):
    handle = start_in_thread(tmp_path_factory.mktemp("sim"), seed_days=3, seed=11)
    yield handle
    handle.stop()


@pytest.fixture
def sim(simulator, settings):
    """The simulator, reset to its seed, with the portal pointed at it."""
    simulator.control.reset()
    # A fresh cache namespace per test instead of cache.clear(), which on Redis
    # would flush the whole database (the broker's queues included).
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{secrets.token_hex(6)}"
    settings.CACHES = caches
    settings.VOBIZ_BASE_URL = simulator.base_url
    settings.VOBIZ_CA_BUNDLE = simulator.ca_bundle
    forget_clients()
    yield simulator
    simulator.control.reset_faults()
    forget_clients()


@pytest.fixture
def sim_provider(db, sim):
    creds = sim.credentials
    return ProviderAccount.objects.create(
        label="Simulated Vobiz",
        auth_id=creds["auth_id"],
        auth_token=creds["auth_token"],
        login_email=creds.get("email", ""),
        login_password=creds.get("password", ""),
    )


# --- Secrets never leak ---------------------------------------------------------
# After every test that touched the database, every secret then stored (each
# encrypted column, decrypted) is searched for in the test's log lines, its
# ApiCall rows, its audit events and every HTML page it rendered, except pages
# that show a secret once (the `.secret-box`).

SHOW_ONCE_MARK = b'class="secret-box"'


def _stored_secrets() -> set[str]:
    from django.apps import apps

    from core.fields import Secret, encrypted_fields

    found: set[str] = set()
    for model in apps.get_models():
        names = [f.attname for f in encrypted_fields(model)]
        if not names:
            continue
        for values in model._base_manager.values_list(*names):
            for value in values:
                if isinstance(value, Secret):
                    try:
                        plain = value.reveal()
                    except Exception:  # noqa: S112 - a tampered row is another test's point
                        continue
                    if len(plain) >= 8:
                        found.add(plain)
    return found


@pytest.fixture(autouse=True)
def _secrets_never_leak(request, caplog, monkeypatch):
    pages: list[bytes] = []
    if "django_db_blocker" in request.fixturenames and any(
        name in request.fixturenames for name in ("db", "transactional_db")
    ):
        from django.core.handlers.base import BaseHandler

        original = BaseHandler.get_response

        def recording(self, req):
            response = original(self, req)
            if not getattr(response, "streaming", False) and "html" in response.get(
                "Content-Type", ""
            ):
                pages.append(response.content)
            return response

        monkeypatch.setattr(BaseHandler, "get_response", recording)
    yield
    if (
        "db" not in request.fixturenames
        and "transactional_db" not in request.fixturenames
    ):
        return
    if request.node.get_closest_marker("allow_secret_in_logs"):
        return
    from accounts.models import AuditEvent
    from sync.models import ApiCall

    try:
        secrets_now = _stored_secrets()
    except Exception:  # the database may already be gone for this test
        return
    if not secrets_now:
        return
    calls = " ".join(
        f"{c.url} {c.request_id} {c.error_code}" for c in ApiCall.objects.all()
    )
    audit = " ".join(
        f"{e.before} {e.after} {e.object_label}" for e in AuditEvent.objects.all()
    )
    leaks = find_leaks(
        secrets_now, logs=caplog.text, calls=calls, audit=audit, pages=pages
    )
    assert not leaks, f"stored secrets leaked into: {leaks}"


def find_leaks(
    secrets_found: set[str], *, logs: str, calls: str, audit: str, pages: list[bytes]
) -> list[str]:
    """Name every place a secret shows up (show-once pages excepted)."""
    leaks = []
    for secret in secrets_found:
        places = (("logs", logs), ("ApiCall", calls), ("audit", audit))
        leaks += [where for where, text in places if secret in text]
        leaks += [
            "page"
            for page in pages
            if SHOW_ONCE_MARK not in page and secret.encode() in page
        ]
    return leaks
