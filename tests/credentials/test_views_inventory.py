"""The secret inventory page and the dashboard card: every kind of secret with
age, policy, last rotation and status; filters; admins only; a fixed number of
queries; never a secret value."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import SubAccount
from core.crypto import key_fingerprints
from credentials.choices import RotationState, SecretKind
from credentials.models import EncryptionKey, RotationRecord
from credentials.services import encryption_keys_record
from monitoring.models import NotificationChannel
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.factories import SubAccountFactory
from trunks.models import Trunk, TrunkCredential

pytestmark = pytest.mark.django_db

URL = reverse("credentials:inventory")


def webhook(name="Ops hook"):
    return NotificationChannel.objects.create(
        name=name,
        kind="webhook",
        url="https://hooks.example.com/x",
        url_display="https://hooks.example.com",
        secret=secrets.token_urlsafe(32),
    )


def sip_trunk(team, username="teamasip"):
    common = {
        "provider_account": team.provider_account,
        "sub_account": team,
        "account_auth_id": team.auth_id,
    }
    credential = TrunkCredential.objects.create(
        remote_id=secrets.token_hex(8),
        username=username,
        password=secrets.token_urlsafe(20),
        remote_created_at=timezone.now() - dt.timedelta(days=10),
        **common,
    )
    return Trunk.objects.create(
        remote_id=secrets.token_hex(8),
        name=f"{username} trunk",
        credential=credential,
        **common,
    )


@pytest.fixture
def world(provider, team_a, team_b):
    provider.login_email = "ops@example.com"
    provider.login_password = secrets.token_urlsafe(16)
    provider.save()
    sip_trunk(team_a)
    webhook()
    encryption_keys_record()
    return provider


def rows(response):
    return response.content.decode().count("<tr data-kind=")


def test_an_admin_sees_every_kind_of_secret(as_admin, world, team_a):
    response = as_admin.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    for kind in SecretKind:
        assert str(kind.label) in page, kind
    assert team_a.auth_id in page
    assert key_fingerprints()[0] in page
    assert team_a.auth_token.reveal() not in page


@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a", "as_viewer_a"])
def test_everyone_but_admins_gets_403(request, persona, world):
    client = request.getfixturevalue(persona)
    assert client.get(URL).status_code == 403


def test_htmx_gets_only_the_rows(as_admin, world, htmx_headers):
    response = as_admin.get(URL, **htmx_headers)
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert rows(response) > 0
    assert "HX-Request" in response["Vary"]


def test_a_plain_request_gets_the_full_page(as_admin, world):
    response = as_admin.get(URL)
    assert b"<html" in response.content and b"<h1>Secrets</h1>" in response.content


def test_filter_by_kind(as_admin, world):
    response = as_admin.get(URL, {"kind": SecretKind.WEBHOOK_SECRET})
    assert rows(response) == 1
    assert b"Ops hook" in response.content


def test_filter_by_status(as_admin, world, team_a):
    SubAccount.objects.filter(pk=team_a.pk).update(
        created_at=timezone.now() - dt.timedelta(days=120)
    )
    response = as_admin.get(URL, {"status": "overdue"})
    page = response.content.decode()
    assert rows(response) == 1 and team_a.auth_id in page
    assert "Overdue by 30 days" in page
    attention = as_admin.get(URL, {"status": "attention"})
    assert rows(attention) == 1


def test_a_bad_filter_value_filters_nothing(as_admin, world):
    everything = rows(as_admin.get(URL))
    assert rows(as_admin.get(URL, {"kind": "<script>"})) == everything


def test_due_soon_and_overdue_carry_words_not_only_colour(as_admin, world, team_a):
    SubAccount.objects.filter(pk=team_a.pk).update(
        created_at=timezone.now() - dt.timedelta(days=80)
    )
    page = as_admin.get(URL, {"kind": SecretKind.SUBACCOUNT_TOKEN}).content.decode()
    assert "Due in 10 days" in page and "badge-amber" in page


def test_last_rotation_and_who_did_it(as_admin, world, team_a, admin_user):
    SubAccount.objects.filter(pk=team_a.pk).update(
        created_at=timezone.now() - dt.timedelta(days=100)
    )
    RotationRecord.objects.create(
        kind=SecretKind.SUBACCOUNT_TOKEN,
        object_key=f"subaccount:{team_a.pk}",
        object_label=team_a.name,
        actor=admin_user,
        state=RotationState.DONE,
        finished_at=timezone.now() - dt.timedelta(days=3),
    )
    page = as_admin.get(URL, {"kind": SecretKind.SUBACCOUNT_TOKEN}).content.decode()
    assert admin_user.email in page
    assert "3 d" in page


def test_a_team_without_a_stored_token_is_listed_as_not_held(as_admin, provider):
    SubAccountFactory(provider_account=provider, name="Outside", auth_token="")
    page = as_admin.get(URL, {"status": "not_held"}).content.decode()
    assert "Outside" in page and "Not held" in page


def test_keys_are_shown_by_fingerprint_with_their_first_sighting(as_admin, world):
    key = EncryptionKey.objects.get(fingerprint=key_fingerprints()[0])
    EncryptionKey.objects.filter(pk=key.pk).update(
        first_seen_at=timezone.now() - dt.timedelta(days=400)
    )
    page = as_admin.get(URL, {"kind": SecretKind.ENCRYPTION_KEY}).content.decode()
    assert key.fingerprint in page and "Overdue by 35 days" in page


def test_the_page_writes_nothing(as_admin, world):
    before = EncryptionKey.objects.count(), RotationRecord.objects.count()
    as_admin.get(URL)
    assert (EncryptionKey.objects.count(), RotationRecord.objects.count()) == before


def test_query_count_does_not_grow_with_secrets(as_admin, world, provider):
    as_admin.get(URL)  # warm the session
    small = count_queries(lambda: as_admin.get(URL))
    for n in range(6):
        team = SubAccountFactory(provider_account=provider)
        sip_trunk(team, username=f"more{n}")
        webhook(name=f"Hook {n}")
        RotationRecord.objects.create(
            kind=SecretKind.SUBACCOUNT_TOKEN,
            object_key=f"subaccount:{team.pk}",
            state=RotationState.DONE,
            finished_at=timezone.now(),
        )
    big = count_queries(lambda: as_admin.get(URL))
    assert small == big <= MAX_LIST_QUERIES


def test_the_dashboard_card_shows_secrets_due_to_admins(as_admin, world, team_a):
    SubAccount.objects.filter(pk=team_a.pk).update(
        created_at=timezone.now() - dt.timedelta(days=120)
    )
    page = as_admin.get(reverse("portal:dashboard")).content.decode()
    assert "Secrets due" in page and "1 overdue" in page
    assert team_a.auth_id in page


def test_the_dashboard_card_is_for_admins_only(as_finance, world):
    page = as_finance.get(reverse("portal:dashboard")).content.decode()
    assert "Secrets due" not in page


def test_the_security_section_is_in_the_admin_navigation(as_admin, as_finance, world):
    assert URL.encode() in as_admin.get(reverse("portal:dashboard")).content
    assert URL.encode() not in as_finance.get(reverse("portal:dashboard")).content


def test_a_staged_trunk_rotation_under_way_is_linked_with_its_state(
    as_admin, world, team_a, admin_user
):
    from trunks.models import RotationJob

    trunk = Trunk.objects.get(sub_account=team_a)
    page = as_admin.get(URL, {"kind": SecretKind.TRUNK_PASSWORD}).content.decode()
    assert reverse("trunks:trunk_rotate", args=[trunk.pk]) in page
    job = RotationJob.objects.create(
        trunk=trunk,
        reason="compromised",
        old_credential=trunk.credential,
        new_username="teamasip2",
        new_password=secrets.token_urlsafe(20),
        started_by=admin_user,
        state="credential_created",
    )
    page = as_admin.get(URL, {"kind": SecretKind.TRUNK_PASSWORD}).content.decode()
    assert reverse("trunks:trunk_rotation_detail", args=[trunk.pk, job.pk]) in page
    assert "Staged rotation: New credential created at Vobiz." in page
