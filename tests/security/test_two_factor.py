"""Two-factor authentication: required for admins, optional for others, backup codes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.choices import GlobalRole
from accounts.models import AuditEvent
from tests.conftest import PASSWORD, verified_client, with_second_factor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("portal:dashboard")
SETUP = reverse("accounts:otp_setup")
VERIFY = reverse("accounts:otp_verify")


def code_for(device: TOTPDevice) -> str:
    return str(totp(device.bin_key, step=device.step, t0=device.t0, digits=6)).zfill(6)


def sign_in(user) -> Client:
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def new_admin(db):
    return UserFactory(email="fresh.admin@example.com", role=GlobalRole.ADMIN)


def test_an_admin_without_a_second_factor_must_set_one_up(new_admin):
    client = sign_in(new_admin)
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    assert client.get(reverse("accounts:audit_list")).status_code == 302


def test_setting_up_shows_a_qr_code_and_backup_codes_once(new_admin):
    client = sign_in(new_admin)
    page = client.get(SETUP)
    assert b"<svg" in page.content and b"otp-secret" in page.content
    assert not TOTPDevice.objects.filter(user=new_admin).exists()  # a GET saves nothing
    pending = TOTPDevice(key=client.session["otp_pending_key"])
    done = client.post(SETUP, {"token": code_for(pending)})
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "This is the only time they are shown" in done.content.decode()
    assert TOTPDevice.objects.get(user=new_admin).confirmed
    assert client.get(DASHBOARD).status_code == 200
    assert AuditEvent.objects.filter(
        action="2fa.enable", object_id=str(new_admin.pk)
    ).exists()
    assert not any(
        code in str(e.after) + str(e.before)
        for e in AuditEvent.objects.all()
        for code in codes
    )


def test_a_wrong_code_does_not_turn_it_on(new_admin):
    client = sign_in(new_admin)
    client.get(SETUP)
    response = client.post(SETUP, {"token": "000000"})
    assert "does not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=new_admin, confirmed=True).exists()


@pytest.mark.parametrize("bad", ["", "12", "abcdefghijkl", "<script>"])
def test_malformed_codes_get_a_field_error(new_admin, bad):
    client = sign_in(new_admin)
    response = client.post(SETUP, {"token": bad})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]


def test_a_user_with_a_device_passes_it_after_the_password(lead_a):
    device = TOTPDevice.objects.create(user=lead_a, name="app", confirmed=True)
    client = sign_in(lead_a)
    blocked = client.get(DASHBOARD)
    assert blocked.status_code == 302 and blocked["Location"].startswith(VERIFY)
    wrong = client.post(VERIFY, {"token": "123456"})
    assert "not right" in wrong.content.decode()
    # django-otp throttles a device after a wrong code: wait it out.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)):
        device.refresh_from_db()
        ok = client.post(VERIFY, {"token": code_for(device), "next": DASHBOARD})
    assert ok.status_code == 302 and ok["Location"] == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_a_backup_code_works_exactly_once(lead_a):
    with_second_factor(lead_a)
    codes = (
        verified_client(lead_a)
        .post(reverse("accounts:otp_backup_codes"))
        .context["codes"]
    )
    first = sign_in(lead_a)
    assert first.post(VERIFY, {"token": codes[0]}).status_code == 302
    assert AuditEvent.objects.filter(action="2fa.backup_code_used").count() == 1
    second = sign_in(lead_a)
    assert "not right" in second.post(VERIFY, {"token": codes[0]}).content.decode()
    assert StaticToken.objects.filter(device__user=lead_a).count() == 9


def test_second_factor_is_optional_for_members(as_lead_a):
    assert as_lead_a.get(DASHBOARD).status_code == 200


def test_members_may_turn_it_off_admins_may_not(lead_a, as_admin):
    with_second_factor(lead_a)
    assert (
        verified_client(lead_a).post(reverse("accounts:otp_disable")).status_code == 302
    )
    assert not TOTPDevice.objects.filter(user=lead_a).exists()
    assert as_admin.post(reverse("accounts:otp_disable")).status_code == 403


def test_an_admin_resets_a_lost_second_factor(as_admin, lead_a, admin_user):
    with_second_factor(lead_a)
    as_admin.post(reverse("accounts:otp_reset", args=[lead_a.pk]))
    assert not TOTPDevice.objects.filter(user=lead_a).exists()
    event = AuditEvent.objects.get(action="2fa.reset")
    assert event.actor == admin_user and event.object_id == str(lead_a.pk)


def test_only_admins_reset_others(as_lead_a, lead_b):
    with_second_factor(lead_b)
    assert (
        as_lead_a.post(reverse("accounts:otp_reset", args=[lead_b.pk])).status_code
        == 403
    )
    assert TOTPDevice.objects.filter(user=lead_b).exists()


def test_next_never_leaves_the_site(lead_a):
    device = TOTPDevice.objects.create(user=lead_a, name="app", confirmed=True)
    client = sign_in(lead_a)
    response = client.post(
        VERIFY, {"token": code_for(device), "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert not re.match(r"https?://", response["Location"])


def links_of(page) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', page.content.decode()))


@pytest.mark.parametrize("has_device", [True, False])
def test_pages_before_the_second_factor_offer_only_it_and_sign_out(
    new_admin, has_device
):
    """No sidebar links that would only bounce back to the verify or set-up page."""
    if has_device:
        TOTPDevice.objects.create(user=new_admin, name="app", confirmed=True)
    client = sign_in(new_admin)
    page = client.get(VERIFY if has_device else SETUP)
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["nav_items"] == []
    assert reverse("monitoring:notification_list") not in html
    assert reverse("accounts:password_change") not in html
    assert reverse("accounts:logout") in html


def test_the_sidebar_appears_once_the_second_factor_is_passed(lead_a):
    device = TOTPDevice.objects.create(user=lead_a, name="app", confirmed=True)
    client = sign_in(lead_a)
    assert reverse("billing:index") not in links_of(client.get(VERIFY))
    client.post(VERIFY, {"token": code_for(device), "next": DASHBOARD})
    page = client.get(DASHBOARD)
    assert reverse("billing:index") in links_of(page)
    assert reverse("monitoring:notification_list") in links_of(page)
