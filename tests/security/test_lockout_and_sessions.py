"""Login lockout (django-axes), failed sign-ins audited, and session lifetimes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.security import LOCKOUT_MESSAGE
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
DASHBOARD = reverse("portal:dashboard")


def attempt(client, email, password, ip="10.1.2.3"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_pair_for_fifteen_minutes(lead_a):
    client = Client()
    for _ in range(4):
        assert attempt(client, lead_a.email, "wrong password").status_code == 200
    assert attempt(client, lead_a.email, "wrong password").status_code == 429
    locked = attempt(client, lead_a.email, PASSWORD)  # even the right password
    assert locked.status_code == 429
    assert LOCKOUT_MESSAGE in locked.content.decode()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    with time_machine.travel(later):
        assert attempt(Client(), lead_a.email, PASSWORD).status_code == 302


def test_an_unknown_user_is_locked_out_the_same_way(lead_a):
    known, unknown = Client(), Client()
    for _ in range(5):
        attempt(known, lead_a.email, "nope")
        attempt(unknown, "nobody@example.com", "nope")
    a = attempt(known, lead_a.email, "nope")
    b = attempt(unknown, "nobody@example.com", "nope")
    assert a.status_code == b.status_code == 429
    assert (
        LOCKOUT_MESSAGE in a.content.decode() and LOCKOUT_MESSAGE in b.content.decode()
    )


def test_the_lockout_is_per_user_and_address(lead_a):
    for _ in range(5):
        attempt(Client(), lead_a.email, "wrong", ip="10.9.9.9")
    assert attempt(Client(), lead_a.email, PASSWORD, ip="10.9.9.10").status_code == 302


def test_case_variants_of_an_email_count_together(lead_a):
    for variant in [
        "LEAD.A@example.com",
        "Lead.A@Example.com",
        "lead.a@EXAMPLE.com",
        "lead.a@example.com",
        "LEAD.a@example.com",
    ]:
        attempt(Client(), variant, "wrong")
    assert attempt(Client(), lead_a.email, PASSWORD).status_code == 429


def test_failed_sign_ins_are_audited_without_the_password(lead_a):
    secret = "not-the-password-123"
    attempt(Client(), lead_a.email, secret, ip="10.7.7.7")
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.object_id == lead_a.email
    assert event.source_ip == "10.7.7.7"
    assert secret not in str(event.before) + str(event.after) + event.object_label


def test_the_session_key_changes_at_sign_in(lead_a):
    client = Client()
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    attempt(client, lead_a.email, PASSWORD)
    assert client.session.session_key != before


def test_a_session_ends_after_twelve_hours_even_when_busy(lead_a):
    start = dt.datetime.now(dt.UTC)
    client = Client()
    with time_machine.travel(start, tick=False):
        attempt(client, lead_a.email, PASSWORD)
    for step in range(1, 29):  # a request every 25 minutes: never idle for 30
        with time_machine.travel(start + dt.timedelta(minutes=25 * step), tick=False):
            assert client.get(DASHBOARD).status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=12, minutes=5), tick=False):
        response = client.get(DASHBOARD)
    assert response.status_code == 302 and LOGIN in response["Location"]


def test_a_session_ends_after_thirty_idle_minutes(lead_a):
    start = dt.datetime.now(dt.UTC)
    client = Client()
    with time_machine.travel(start, tick=False):
        attempt(client, lead_a.email, PASSWORD)
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        response = client.get(DASHBOARD)
    assert response.status_code == 302


def test_cookies_are_http_only_and_same_site(lead_a):
    client = Client()
    response = attempt(client, lead_a.email, PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_production_settings_use_secure_cookies_and_hsts(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": Fernet.generate_key().decode() * 2,
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    probe = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_HTTPONLY)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=Path(__file__).resolve().parents[2],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.stdout.split() == ["True"] * 5, result.stderr


def test_a_very_long_failed_e_mail_is_audited_within_the_columns(db):
    from django.contrib.auth.signals import user_login_failed

    tried = "x" * 300 + "@example.com"
    user_login_failed.send(sender=__name__, credentials={"username": tried})
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.object_id == tried[:64]
    assert event.object_label == tried[:200]


def test_a_long_password_attempt_is_audited_within_the_columns(lead_a):
    attempt(Client(), lead_a.email + "x" * 60, "p" * 5000)
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.object_label.startswith(lead_a.email)
