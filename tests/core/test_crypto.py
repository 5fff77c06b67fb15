"""Encrypted fields: nothing readable at rest, key rotation, tampering fails closed."""

from __future__ import annotations

import secrets

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import SubAccount
from core import crypto
from core.fields import MASK, Secret
from sync.models import ProviderAccount
from tests.factories import ProviderAccountFactory, SubAccountFactory


def raw_column(model, pk, column):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def set_raw_column(model, pk, column, value):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608


@pytest.fixture
def plaintext():
    return secrets.token_urlsafe(32)


@pytest.mark.django_db
def test_raw_database_value_never_contains_the_plaintext(plaintext):
    account = ProviderAccountFactory(auth_token=plaintext, login_password=plaintext)
    for column in ("auth_token", "login_password"):
        raw = raw_column(ProviderAccount, account.pk, column)
        assert plaintext not in raw
        assert raw.startswith("gAAAA")  # a Fernet token


@pytest.mark.django_db
def test_reading_gives_a_masked_secret_that_reveals_on_demand(plaintext):
    account = ProviderAccountFactory(auth_token=plaintext)
    loaded = ProviderAccount.objects.get(pk=account.pk)
    assert isinstance(loaded.auth_token, Secret)
    assert str(loaded.auth_token) == MASK
    assert plaintext not in repr(loaded.auth_token)
    assert loaded.auth_token.reveal() == plaintext


@pytest.mark.django_db
def test_empty_secret_stays_empty():
    account = ProviderAccountFactory(login_password="")
    assert ProviderAccount.objects.get(pk=account.pk).login_password == ""
    assert raw_column(ProviderAccount, account.pk, "login_password") == ""


@pytest.mark.django_db
def test_tampered_ciphertext_fails_closed_without_the_secret(plaintext):
    account = ProviderAccountFactory(auth_token=plaintext)
    raw = raw_column(ProviderAccount, account.pk, "auth_token")
    tampered = raw[:-6] + ("A" if raw[-6] != "A" else "B") + raw[-5:]
    set_raw_column(ProviderAccount, account.pk, "auth_token", tampered)
    loaded = ProviderAccount.objects.get(pk=account.pk)
    with pytest.raises(crypto.DecryptionError) as excinfo:
        loaded.auth_token.reveal()
    message = str(excinfo.value)
    assert plaintext not in message
    assert tampered not in message
    assert excinfo.value.__cause__ is None


@pytest.mark.django_db
def test_rotation_re_encrypts_every_row_and_the_old_key_can_go(settings, plaintext):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    account = ProviderAccountFactory(auth_token=plaintext, refresh_token=plaintext)
    team = SubAccountFactory(provider_account=account, auth_token=plaintext)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    call_command("rotate_encryption_keys")

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert ProviderAccount.objects.get(pk=account.pk).auth_token.reveal() == plaintext
    assert (
        ProviderAccount.objects.get(pk=account.pk).refresh_token.reveal() == plaintext
    )
    assert SubAccount.objects.get(pk=team.pk).auth_token.reveal() == plaintext


@pytest.mark.django_db
def test_second_rotation_changes_nothing(settings, plaintext, capsys):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    account = ProviderAccountFactory(auth_token=plaintext)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    call_command("rotate_encryption_keys")
    first = capsys.readouterr().out
    after_first = raw_column(ProviderAccount, account.pk, "auth_token")

    call_command("rotate_encryption_keys")

    assert "re-encrypted 1 row" in first
    assert "Total: re-encrypted 0 row(s)." in capsys.readouterr().out
    assert raw_column(ProviderAccount, account.pk, "auth_token") == after_first


@pytest.mark.django_db
def test_rotation_reports_undecryptable_values_and_leaves_them(settings, plaintext):
    account = ProviderAccountFactory(auth_token=plaintext)
    foreign = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    set_raw_column(ProviderAccount, account.pk, "auth_token", foreign)
    with pytest.raises(CommandError, match="could not be decrypted") as excinfo:
        call_command("rotate_encryption_keys")
    assert foreign not in str(excinfo.value)
    assert raw_column(ProviderAccount, account.pk, "auth_token") == foreign


@pytest.mark.django_db
def test_dry_run_changes_nothing(settings, plaintext):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    account = ProviderAccountFactory(auth_token=plaintext)
    before = raw_column(ProviderAccount, account.pk, "auth_token")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    call_command("rotate_encryption_keys", "--dry-run")
    assert raw_column(ProviderAccount, account.pk, "auth_token") == before


def test_fingerprints_do_not_reveal_keys(settings):
    prints = crypto.key_fingerprints()
    assert len(prints) == len(settings.FIELD_ENCRYPTION_KEYS)
    assert all(
        p not in k for p, k in zip(prints, settings.FIELD_ENCRYPTION_KEYS, strict=True)
    )
