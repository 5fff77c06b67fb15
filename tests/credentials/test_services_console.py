"""The console password change against the simulator: every old refresh token is
void afterwards, the portal signs in again with the new password, and a failure
at each step leaves the portal with a password Vobiz accepts."""

from __future__ import annotations

import pytest

from credentials import services
from credentials.choices import RotationState
from credentials.models import RotationRecord
from sync.clients import client_for
from sync.models import ProviderAccount
from vobiz.client import VobizClient
from vobiz.errors import TransportError

pytestmark = pytest.mark.django_db

CHANGE = "/api/v1/auth/change-password"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def signed_in(sim_provider):
    """The portal signed in to the console once: it holds a refresh token."""
    client_for(sim_provider).login()
    return ProviderAccount.objects.get(pk=sim_provider.pk)


def test_a_password_change_voids_every_old_refresh_token(
    signed_in, admin_user, sim_auth
):
    old_password = signed_in.login_password.reveal()
    old_refresh = signed_in.refresh_token.reveal()
    result = services.console_password_rotate(actor=admin_user, provider=signed_in)
    assert sim_auth.refresh_status(old_refresh) == 401
    fresh = ProviderAccount.objects.get(pk=signed_in.pk)
    assert fresh.login_password.reveal() == result.secret != old_password
    email = fresh.login_email.reveal()
    assert sim_auth.login(email, old_password).status_code == 401
    assert sim_auth.login(email, result.secret).status_code == 200
    # The portal signed in again: its stored refresh token is a live one.
    assert fresh.refresh_token.reveal() != old_refresh
    assert sim_auth.refresh_status(fresh.refresh_token.reveal()) == 200
    record = RotationRecord.objects.get()
    assert record.state == RotationState.DONE and not record.pending_secret


def test_a_refused_change_keeps_the_old_password_and_says_so(
    sim, signed_in, admin_user, sim_auth
):
    old_password = signed_in.login_password.reveal()
    sim.control.fail(status=500, count=1, path_prefix=CHANGE, method="POST")
    with pytest.raises(services.RotationFailed) as failed:
        services.console_password_rotate(actor=admin_user, provider=signed_in)
    assert failed.value.still_works is True
    assert "console password still works" in failed.value.message
    fresh = ProviderAccount.objects.get(pk=signed_in.pk)
    assert fresh.login_password.reveal() == old_password
    email = fresh.login_email.reveal()
    assert sim_auth.login(email, old_password).status_code == 200
    record = RotationRecord.objects.get()
    assert record.state == RotationState.FAILED and not record.pending_secret


def test_a_lost_answer_is_detected_and_the_new_password_kept(
    signed_in, admin_user, sim_auth, monkeypatch
):
    original = VobizClient.change_console_password

    def change_then_drop(client, *, current, new):
        original(client, current=current, new=new)
        raise TransportError("connection reset after the change", transient=True)

    monkeypatch.setattr(VobizClient, "change_console_password", change_then_drop)
    result = services.console_password_rotate(actor=admin_user, provider=signed_in)
    fresh = ProviderAccount.objects.get(pk=signed_in.pk)
    assert fresh.login_password.reveal() == result.secret
    email = fresh.login_email.reveal()
    assert sim_auth.login(email, result.secret).status_code == 200


def test_the_new_password_is_stored_before_vobiz_is_asked(
    signed_in, admin_user, monkeypatch
):
    seen = {}

    def crash(client, *, current, new):
        record = RotationRecord.objects.get()
        seen["pending"] = record.pending_secret.reveal()
        seen["new"] = new
        raise KeyboardInterrupt  # the worker dies mid-call

    monkeypatch.setattr(VobizClient, "change_console_password", crash)
    with pytest.raises(KeyboardInterrupt):
        services.console_password_rotate(actor=admin_user, provider=signed_in)
    assert seen["pending"] == seen["new"]


def test_a_change_interrupted_before_vobiz_is_settled_by_the_next_one(
    signed_in, admin_user, sim_auth, monkeypatch
):
    def crash(client, *, current, new):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(VobizClient, "change_console_password", crash)
        with pytest.raises(KeyboardInterrupt):
            services.console_password_rotate(actor=admin_user, provider=signed_in)
    result = services.console_password_rotate(actor=admin_user, provider=signed_in)
    states = sorted(RotationRecord.objects.values_list("state", flat=True))
    assert states == [RotationState.DONE, RotationState.FAILED]
    email = signed_in.login_email.reveal()
    assert sim_auth.login(email, result.secret).status_code == 200


def test_a_change_that_landed_before_a_crash_is_adopted(
    signed_in, admin_user, sim_auth, monkeypatch
):
    original = VobizClient.change_console_password

    def change_then_crash(client, *, current, new):
        original(client, current=current, new=new)
        raise KeyboardInterrupt  # died before the portal stored anything

    with monkeypatch.context() as patch:
        patch.setattr(VobizClient, "change_console_password", change_then_crash)
        with pytest.raises(KeyboardInterrupt):
            services.console_password_rotate(actor=admin_user, provider=signed_in)
    landed = RotationRecord.objects.get().pending_secret.reveal()
    result = services.console_password_rotate(actor=admin_user, provider=signed_in)
    assert result.secret == landed
    assert "interrupted" in result.message
    fresh = ProviderAccount.objects.get(pk=signed_in.pk)
    assert fresh.login_password.reveal() == landed
    assert sim_auth.login(fresh.login_email.reveal(), landed).status_code == 200


def test_a_failed_sign_in_after_the_change_keeps_the_tokens_vobiz_returned(
    sim, signed_in, admin_user, sim_auth
):
    sim.control.fail(status=503, count=2, path_prefix=LOGIN, method="POST")
    result = services.console_password_rotate(actor=admin_user, provider=signed_in)
    assert "Signing in again failed" in result.message
    fresh = ProviderAccount.objects.get(pk=signed_in.pk)
    assert fresh.login_password.reveal() == result.secret
    # The pair the change itself returned is a live one.
    assert sim_auth.refresh_status(fresh.refresh_token.reveal()) == 200


def test_without_a_console_login_nothing_is_changed(sim_provider, admin_user):
    sim_provider.login_password = ""
    sim_provider.save()
    with pytest.raises(Exception, match="No console login"):
        services.console_password_rotate(actor=admin_user, provider=sim_provider)
    assert not RotationRecord.objects.exists()
