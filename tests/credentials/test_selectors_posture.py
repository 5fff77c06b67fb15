"""The security posture (a selector): each finding appears with its cause, links
to its fix and disappears once the cause is gone."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.choices import GlobalRole
from accounts.models import SubAccount
from core.crypto import key_fingerprints
from credentials.choices import RotationState, SecretKind
from credentials.models import EncryptionKey, RotationRecord
from credentials.selectors import posture, prefix_length
from credentials.services import encryption_keys_record
from sync.models import ProviderAccount, ProviderEnvironment
from tests.credentials.test_views_inventory import sip_trunk
from tests.factories import UserFactory
from trunks.models import IpAclEntry

pytestmark = pytest.mark.django_db

URL = reverse("credentials:posture")


def checks(user):
    return [f.check for f in posture(user=user)]


def acl(team, address, trunk=None):
    return IpAclEntry.objects.create(
        remote_id=secrets.token_hex(8),
        provider_account=team.provider_account,
        sub_account=team,
        account_auth_id=team.auth_id,
        ip_address=address,
        trunk=trunk,
    )


@pytest.fixture(autouse=True)
def _keys(db):
    encryption_keys_record()


def test_a_clean_set_up_has_no_findings(as_admin, admin_user, team_a):
    assert checks(admin_user) == []
    assert b"Nothing to fix" in as_admin.get(URL).content


def test_password_trunks_of_a_team_with_static_sources(admin_user, team_a):
    trunk = sip_trunk(team_a)
    entry = acl(team_a, "203.0.113.7")
    [finding] = posture(user=admin_user)
    assert finding.check == "password_static_ip"
    assert "203.0.113.7" in finding.detail and "IP whitelisting" in finding.detail
    # Whitelisting the trunk itself fixes it.
    entry.trunk = trunk
    entry.save()
    assert checks(admin_user) == []


def test_no_static_sources_or_a_sandbox_account_is_no_finding(admin_user, team_a):
    sip_trunk(team_a)
    assert checks(admin_user) == []
    entry = acl(team_a, "203.0.113.7")
    ProviderAccount.objects.update(environment=ProviderEnvironment.SANDBOX)
    assert checks(admin_user) == []
    ProviderAccount.objects.update(environment=ProviderEnvironment.PRODUCTION)
    IpAclEntry.objects.filter(pk=entry.pk).update(removed_at=timezone.now())
    assert checks(admin_user) == []


def test_overdue_rotations(admin_user, team_a):
    SubAccount.objects.filter(pk=team_a.pk).update(
        created_at=timezone.now() - dt.timedelta(days=120)
    )
    [finding] = posture(user=admin_user)
    assert finding.check == "overdue" and finding.severity == "high"
    assert finding.fix_url == reverse(
        "credentials:subaccount_token_rotate", args=[team_a.pk]
    )
    RotationRecord.objects.create(
        kind=SecretKind.SUBACCOUNT_TOKEN,
        object_key=f"subaccount:{team_a.pk}",
        state=RotationState.DONE,
        finished_at=timezone.now(),
    )
    assert checks(admin_user) == []


def test_admins_without_a_second_factor(admin_user):
    other = UserFactory(email="second@example.com", role=GlobalRole.ADMIN)
    [finding] = posture(user=admin_user)
    assert finding.check == "admin_2fa" and other.email in finding.title
    assert finding.fix_url == reverse("accounts:user_detail", args=[other.pk])
    TOTPDevice.objects.create(user=other, name="phone", confirmed=False)
    assert checks(admin_user) == ["admin_2fa"]  # unconfirmed does not count
    TOTPDevice.objects.filter(user=other).update(confirmed=True)
    assert checks(admin_user) == []


@pytest.mark.parametrize(
    ("address", "severity"), [("10.0.0.0/8", "high"), ("198.51.100.0/20", "medium")]
)
def test_very_wide_ip_ranges(admin_user, team_a, address, severity):
    entry = acl(team_a, address)
    [finding] = posture(user=admin_user)
    assert (finding.check, finding.severity) == ("wide_range", severity)
    assert address in finding.title
    IpAclEntry.objects.filter(pk=entry.pk).update(ip_address="198.51.100.0/24")
    assert checks(admin_user) == []


def test_disabled_sub_accounts_that_still_hold_credentials(admin_user, team_a):
    SubAccount.objects.filter(pk=team_a.pk).update(enabled=False)
    [finding] = posture(user=admin_user)
    assert finding.check == "disabled_credentialed"
    assert finding.fix_url == reverse("credentials:subaccount_drill", args=[team_a.pk])
    SubAccount.objects.filter(pk=team_a.pk).update(auth_token="")
    assert checks(admin_user) == []
    sip_trunk(team_a)
    assert "disabled_credentialed" in checks(admin_user)


def test_encryption_keys_older_than_a_year(admin_user, settings):
    settings.ENCRYPTION_KEY_MAX_AGE_DAYS = 365
    key = EncryptionKey.objects.get(fingerprint=key_fingerprints()[0])
    EncryptionKey.objects.filter(pk=key.pk).update(
        first_seen_at=timezone.now() - dt.timedelta(days=400)
    )
    assert checks(admin_user) == ["old_key"]
    EncryptionKey.objects.filter(pk=key.pk).update(first_seen_at=timezone.now())
    assert checks(admin_user) == []


def test_prefix_lengths():
    assert prefix_length("203.0.113.7") == 32
    assert prefix_length("10.0.0.0/8") == 8
    assert prefix_length("nonsense") is None
