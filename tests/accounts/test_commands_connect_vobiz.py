"""manage.py connect_vobiz: the master account from a credentials file or the
environment (never the command line), validated, audited; bad input is a clear
CommandError that leaves everything as it was."""

from __future__ import annotations

import json
import secrets

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.management.commands.connect_vobiz import Command
from accounts.models import AuditEvent
from core.fields import MASK
from sync.models import ProviderAccount
from tests.factories import SubAccountFactory

pytestmark = pytest.mark.django_db

AUTH_ID = "MA_CONNECT01"


@pytest.fixture
def token():
    return secrets.token_urlsafe(24)


@pytest.fixture
def no_vobiz_env(monkeypatch):
    for name in ("VOBIZ_AUTH_TOKEN", "VOBIZ_LOGIN_EMAIL", "VOBIZ_LOGIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def credentials_file(tmp_path, **values):
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps(values))
    return path


def connect(*args):
    out = []

    class Out:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("connect_vobiz", *args, stdout=Out())
    return "".join(out)


def test_no_option_takes_a_secret_on_the_command_line():
    parser = Command().create_parser("manage.py", "connect_vobiz")
    options = {s for action in parser._actions for s in action.option_strings}
    assert "--credentials" in options and "--auth-id" in options
    assert not [o for o in options if "token" in o or "password" in o]
    with pytest.raises(CommandError):
        call_command("connect_vobiz", "--auth-id", AUTH_ID, "--auth-token", "x")
    assert not ProviderAccount.objects.exists()


def test_a_credentials_file_connects_the_account_with_its_secrets_encrypted(
    tmp_path, token
):
    path = credentials_file(
        tmp_path,
        auth_id=AUTH_ID,
        auth_token=token,
        email="ops@example.com",
        password="console-pass-1",
    )
    out = connect("--credentials", str(path), "--label", "Simulator")
    provider = ProviderAccount.objects.get()
    assert (provider.auth_id, provider.label) == (AUTH_ID, "Simulator")
    assert provider.auth_token.reveal() == token
    assert provider.login_email.reveal() == "ops@example.com"
    assert provider.login_password.reveal() == "console-pass-1"
    assert out == f"Connected Simulator ({AUTH_ID}).\n"
    assert token not in out


def test_the_environment_gives_the_secrets(no_vobiz_env, token):
    no_vobiz_env.setenv("VOBIZ_AUTH_TOKEN", token)
    no_vobiz_env.setenv("VOBIZ_LOGIN_EMAIL", "ops@example.com")
    connect("--auth-id", AUTH_ID, "--environment", "sandbox")
    provider = ProviderAccount.objects.get(auth_id=AUTH_ID)
    assert provider.auth_token.reveal() == token
    assert provider.login_email.reveal() == "ops@example.com"
    assert not provider.login_password  # none in the environment
    assert provider.label == "Vobiz" and provider.environment == "sandbox"


def test_connecting_again_updates_the_same_account(no_vobiz_env, token):
    no_vobiz_env.setenv("VOBIZ_AUTH_TOKEN", token)
    connect("--auth-id", AUTH_ID, "--label", "Acme")
    fresh = secrets.token_urlsafe(24)
    no_vobiz_env.setenv("VOBIZ_AUTH_TOKEN", fresh)
    out = connect("--auth-id", AUTH_ID)
    provider = ProviderAccount.objects.get()
    assert provider.auth_token.reveal() == fresh
    assert provider.label == "Acme"  # kept when not given again
    assert out.startswith("Updated Acme")


def test_each_connection_is_audited_without_the_token(no_vobiz_env, token):
    no_vobiz_env.setenv("VOBIZ_AUTH_TOKEN", token)
    connect("--auth-id", AUTH_ID)
    connect("--auth-id", AUTH_ID)
    events = AuditEvent.objects.order_by("id")
    assert [e.action for e in events] == ["provider.connect", "provider.update"]
    first = events[0]
    assert first.actor is None and first.actor_label == "system"
    assert first.after == {"auth_id": AUTH_ID, "auth_token": MASK}
    assert token not in json.dumps([e.after for e in events])


def test_the_file_may_carry_the_sub_accounts_tokens(tmp_path, token, provider):
    team = SubAccountFactory(provider_account=provider, auth_id="SA_TEAM0001")
    team_token = secrets.token_urlsafe(24)
    path = credentials_file(
        tmp_path,
        auth_id=AUTH_ID,
        auth_token=token,
        sub_account_tokens={"SA_TEAM0001": team_token, "SA_UNKNOWN01": "x" * 20},
    )
    out = connect("--credentials", str(path))
    team.refresh_from_db()
    assert team.auth_token.reveal() == team_token
    assert "Stored the tokens of 1 sub-account(s)." in out


def test_without_a_file_or_an_auth_id_and_token_nothing_happens(no_vobiz_env):
    with pytest.raises(CommandError, match="--credentials FILE"):
        connect()
    with pytest.raises(CommandError, match="VOBIZ_AUTH_TOKEN"):
        connect("--auth-id", AUTH_ID)  # no token in the environment
    assert not ProviderAccount.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("auth_id", ["SA_NOTMASTER1", "MA_lower01", "MA_1", ""])
def test_a_bad_master_auth_id_is_refused(tmp_path, token, auth_id):
    path = credentials_file(tmp_path, auth_id=auth_id, auth_token=token)
    with pytest.raises(CommandError, match="master account id looks like MA_"):
        connect("--credentials", str(path))
    assert not ProviderAccount.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps(["MA_CONNECT01"]),
        json.dumps({"auth_id": AUTH_ID}),
        json.dumps(
            {"auth_id": AUTH_ID, "auth_token": "t" * 20, "sub_account_tokens": ["x"]}
        ),
    ],
)
def test_an_unusable_credentials_file_is_refused(tmp_path, content):
    path = tmp_path / "credentials.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=str(path)):
        connect("--credentials", str(path))
    assert not ProviderAccount.objects.exists()


def test_a_missing_credentials_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        connect("--credentials", str(tmp_path / "absent.json"))
    assert not ProviderAccount.objects.exists()


def test_a_refused_update_changes_nothing(no_vobiz_env, token, tmp_path):
    no_vobiz_env.setenv("VOBIZ_AUTH_TOKEN", token)
    connect("--auth-id", AUTH_ID, "--label", "Acme")
    team = SubAccountFactory(auth_id="SA_TEAM0001")
    before = team.auth_token.reveal()
    path = credentials_file(
        tmp_path,
        auth_id=AUTH_ID,
        auth_token=secrets.token_urlsafe(24),
        sub_account_tokens={"SA_TEAM0001": secrets.token_urlsafe(24)},
    )
    with pytest.raises(CommandError):
        connect("--credentials", str(path), "--label", "<b>bold</b>")
    provider = ProviderAccount.objects.get(auth_id=AUTH_ID)
    assert provider.label == "Acme" and provider.auth_token.reveal() == token
    team.refresh_from_db()
    assert team.auth_token.reveal() == before
    assert AuditEvent.objects.filter(action="provider.update").count() == 0


def test_a_failure_part_way_leaves_the_account_as_it_was(tmp_path, token, monkeypatch):
    def broken(self, tokens):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Command, "_sub_account_tokens", broken)
    path = credentials_file(tmp_path, auth_id=AUTH_ID, auth_token=token)
    with pytest.raises(RuntimeError):
        connect("--credentials", str(path))
    assert not ProviderAccount.objects.exists()
    assert not AuditEvent.objects.exists()
