"""The quick start's commands: demo users, and the demo admin's second factor."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_one_user_per_role_and_is_repeatable(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    again = capsys.readouterr().out
    assert User.objects.filter(email__endswith="@demo.example").count() == 5
    assert Membership.objects.count() == 3
    assert TOTPDevice.objects.filter(user__role="admin", confirmed=True).count() == 1
    assert "authenticator app" in first and "authenticator app" not in again
    assert "unchanged" in again


def test_otp_code_prints_a_code_only_in_debug(settings, capsys):
    call_command("seed_demo")
    capsys.readouterr()
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("otp_code", "admin@demo.example")
    settings.DEBUG = True
    call_command("otp_code", "admin@demo.example")
    code = capsys.readouterr().out.strip()
    assert len(code) == 6 and code.isdigit()
