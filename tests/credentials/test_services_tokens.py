"""Auth-token rotation against the simulator: the old token really stops working,
the portal switches to the new one with no failed sync in between, a failure at
each step keeps a working token (and says so), and a lost answer is recovered
where Vobiz allows it."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from accounts.models import AuditEvent, SubAccount
from accounts.sync import sub_accounts_sync
from credentials import services
from credentials.choices import RotationState, SecretKind
from credentials.models import RotationRecord
from credentials.services import common
from sync import tasks
from sync.models import ApiCall, ProviderAccount
from trunks.sync import trunks_sync
from vobiz.client import VobizClient
from vobiz.errors import AuthError, TransportError

pytestmark = pytest.mark.django_db

ROTATE = "/api/v1/auth-token/rotate"


class FakeTask:
    """Just enough of a bound Celery task for `run_sync`."""

    class request:  # mirrors Celery's task.request
        retries = 0

    def __init__(self) -> None:
        self.countdowns: list[float] = []

    def retry(self, *, exc, countdown):
        self.countdowns.append(countdown)
        return RuntimeError("retry")


def lose_the_answer(monkeypatch):
    """Let the next rotation land at Vobiz, then lose its answer."""
    original = VobizClient.rotate_auth_token

    def rotate_then_drop(self, *, with_console_login=False):
        if with_console_login:  # the recovery: its answer arrives
            return original(self, with_console_login=True)
        kept = self._auth_token
        original(self)
        # The answer never arrived, so the client never saw the new token.
        self._auth_token = kept
        raise TransportError("connection reset after the rotation", transient=True)

    monkeypatch.setattr(VobizClient, "rotate_auth_token", rotate_then_drop)


# --- sub-account tokens ---------------------------------------------------------


def test_a_sub_account_rotation_voids_the_old_token_and_stores_the_new(
    sim_team, sim_trunk, admin_user, sim_auth, sim_provider
):
    old = sim_team.auth_token.reveal()
    result = services.subaccount_token_rotate(actor=admin_user, sub_account=sim_team)
    new = result.secret
    assert new and new != old
    assert sim_auth.token_status(sim_team.auth_id, old) == 401
    assert sim_auth.token_status(sim_team.auth_id, new) == 200
    stored = SubAccount.objects.get(pk=sim_team.pk)
    assert stored.auth_token.reveal() == new
    record = RotationRecord.objects.get(kind=SecretKind.SUBACCOUNT_TOKEN)
    assert record.state == RotationState.DONE and record.actor == admin_user
    assert AuditEvent.objects.filter(action="credential.rotated", actor=admin_user)
    # The next trunk sync reads the team's trunks with the new token.
    summary = trunks_sync(provider=sim_provider)
    assert sim_team.auth_id in summary["accounts"]
    assert summary["skipped_accounts"] == []


def test_a_refused_sub_account_rotation_keeps_the_old_token_and_says_so(
    sim, sim_team, admin_user, sim_auth
):
    old = sim_team.auth_token.reveal()
    sim.control.fail(status=500, count=3, path_prefix=ROTATE, method="POST")
    with pytest.raises(services.RotationFailed) as failed:
        services.subaccount_token_rotate(actor=admin_user, sub_account=sim_team)
    assert failed.value.still_works is True
    assert "still works" in failed.value.message
    assert SubAccount.objects.get(pk=sim_team.pk).auth_token.reveal() == old
    assert sim_auth.token_status(sim_team.auth_id, old) == 200
    record = RotationRecord.objects.get()
    assert record.state == RotationState.FAILED and record.error
    assert AuditEvent.objects.filter(action="credential.rotation_failed")


def test_a_lost_rotation_answer_is_reported_as_a_void_token(
    sim_team, admin_user, sim_auth, monkeypatch
):
    old = sim_team.auth_token.reveal()
    lose_the_answer(monkeypatch)
    with pytest.raises(services.RotationFailed) as failed:
        services.subaccount_token_rotate(actor=admin_user, sub_account=sim_team)
    assert failed.value.still_works is False
    assert "answer" in failed.value.message and "lost" in failed.value.message
    assert sim_auth.token_status(sim_team.auth_id, old) == 401


def test_a_database_that_refuses_the_new_token_hands_it_to_the_page(
    sim_team, admin_user, sim_auth, monkeypatch
):
    monkeypatch.setattr(common.time, "sleep", lambda seconds: None)

    def broken(record, actor):
        raise OperationalError("database is locked")

    monkeypatch.setattr(common, "record_done", broken)
    with pytest.raises(services.SecretNotSaved) as refused:
        services.subaccount_token_rotate(actor=admin_user, sub_account=sim_team)
    # Vobiz switched: the only copy of the new token is the one handed back.
    assert sim_auth.token_status(sim_team.auth_id, refused.value.secret) == 200


def test_a_sub_account_without_a_stored_token_cannot_be_rotated(
    sim_provider, admin_user
):
    team = SubAccount.objects.create(
        provider_account=sim_provider, name="Outside", auth_id="SA_OUTSIDE1"
    )
    with pytest.raises(Exception, match="holds no auth token"):
        services.subaccount_token_rotate(actor=admin_user, sub_account=team)
    assert not RotationRecord.objects.exists()


# --- the master token ------------------------------------------------------------


def test_a_master_rotation_voids_the_old_token_and_the_next_sync_succeeds(
    sim_provider, admin_user, sim_auth
):
    old = sim_provider.auth_token.reveal()
    result = services.master_token_rotate(actor=admin_user, provider=sim_provider)
    assert sim_auth.token_status(sim_provider.auth_id, old) == 401
    assert sim_auth.token_status(sim_provider.auth_id, result.secret) == 200
    fresh = ProviderAccount.objects.get(pk=sim_provider.pk)
    assert fresh.auth_token.reveal() == result.secret
    assert fresh.auth_token_rotated_at is not None
    counts = sub_accounts_sync(provider=fresh)
    assert counts["created"] >= 1


def test_a_sync_that_loaded_the_old_token_reloads_it_after_a_401(
    sim_provider, admin_user, monkeypatch
):
    stale = ProviderAccount.objects.get(pk=sim_provider.pk)
    services.master_token_rotate(actor=admin_user, provider=sim_provider)
    # A worker that read the account just before the rotation committed.
    monkeypatch.setattr(tasks, "providers", lambda provider_id: [stale])
    task = FakeTask()
    results = tasks.run_sync(task, sub_accounts_sync, stale.pk)
    assert results[stale.auth_id]["created"] >= 1
    assert task.countdowns == []
    refused = ApiCall.objects.filter(status=401, path_template__contains="sub-accounts")
    assert refused.count() == 1


def test_a_sync_meeting_a_401_while_a_rotation_is_under_way_retries_shortly(
    sim_provider,
):
    def refused(*, provider):
        raise AuthError("invalid credentials", status=401)

    tasks.rotation_begin(sim_provider.pk)
    try:
        task = FakeTask()
        with pytest.raises(RuntimeError, match="retry"):
            tasks.run_sync(task, refused, sim_provider.pk)
    finally:
        tasks.rotation_end(sim_provider.pk)
    assert task.countdowns == [tasks.ROTATION_RETRY_SECONDS]


def test_a_401_with_unchanged_credentials_still_fails_the_sync(sim_provider):
    calls = []

    def refused(*, provider):
        calls.append(provider.pk)
        raise AuthError("invalid credentials", status=401)

    with pytest.raises(AuthError):
        tasks.run_sync(FakeTask(), refused, sim_provider.pk)
    assert calls == [sim_provider.pk]


def test_a_refused_master_rotation_keeps_the_old_token(
    sim, sim_provider, admin_user, sim_auth
):
    old = sim_provider.auth_token.reveal()
    sim.control.fail(status=503, count=3, path_prefix=ROTATE, method="POST")
    with pytest.raises(services.RotationFailed) as failed:
        services.master_token_rotate(actor=admin_user, provider=sim_provider)
    assert failed.value.still_works is True
    assert ProviderAccount.objects.get(pk=sim_provider.pk).auth_token.reveal() == old
    assert sim_auth.token_status(sim_provider.auth_id, old) == 200
    assert not tasks.rotation_in_progress(sim_provider.pk)


def test_a_lost_master_answer_is_recovered_with_the_console_login(
    sim_provider, admin_user, sim_auth, monkeypatch
):
    old = sim_provider.auth_token.reveal()
    lose_the_answer(monkeypatch)
    result = services.master_token_rotate(actor=admin_user, provider=sim_provider)
    assert sim_auth.token_status(sim_provider.auth_id, old) == 401
    stored = ProviderAccount.objects.get(pk=sim_provider.pk).auth_token.reveal()
    assert stored == result.secret
    assert sim_auth.token_status(sim_provider.auth_id, stored) == 200
    assert RotationRecord.objects.get().state == RotationState.DONE
