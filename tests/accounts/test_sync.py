"""The sub-account mirror's rules: what is adopted, named, kept, audited and
counted when Vobiz's list is mirrored (a stand-in client serves the list)."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, SubAccount
from accounts.sync import sub_accounts_sync
from sync.models import SyncState
from tests.factories import ProviderAccountFactory, SubAccountFactory
from vobiz.typed import TypedClient

pytestmark = pytest.mark.django_db


class Vobiz:
    """Serve a list of sub-accounts (Vobiz JSON) as the client would."""

    def __init__(self, objects: list[dict]) -> None:
        self.objects = objects
        self.typed = TypedClient(self)  # the real payload layer

    def list_sub_accounts(self, *, active_only=None):
        return iter([dict(o) for o in self.objects])


@pytest.fixture
def vobiz(monkeypatch):
    served = Vobiz([])
    monkeypatch.setattr("accounts.sync.client_for", lambda provider: served)
    return served


def remote(auth_id, name, **extra):
    return {"auth_id": auth_id, "id": "500001", "name": name, **extra}


def actions():
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_a_new_sub_account_is_created_with_its_fields_and_audited(provider, vobiz):
    vobiz.objects = [
        remote(
            "SA_NEW00001",
            "Night Desk",
            description="Overnight",
            enabled=False,
            rate_limit=250,
            permissions={"calls": False, "cdr": True},
        )
    ]
    counts = sub_accounts_sync(provider=provider)
    assert counts == {"created": 1, "updated": 0, "unchanged": 0, "removed": 0}
    row = SubAccount.objects.get(auth_id="SA_NEW00001")
    assert (row.name, row.description, row.remote_id) == (
        "Night Desk",
        "Overnight",
        "500001",
    )
    assert (row.enabled, row.rate_limit, row.permit_calls, row.permit_cdr) == (
        False,
        250,
        False,
        True,
    )
    assert row.provider_account == provider and row.synced_at is not None
    event = AuditEvent.objects.get(action="subaccount.synced_new")
    assert event.actor is None and event.sub_account == row
    assert event.after["name"] == "Night Desk" and event.after["rate_limit"] == 250


def test_a_second_run_changes_nothing_and_the_summary_is_stored(provider, vobiz):
    vobiz.objects = [remote("SA_NEW00001", "Night Desk")]
    sub_accounts_sync(provider=provider)
    counts = sub_accounts_sync(provider=provider)
    assert counts == {"created": 0, "updated": 0, "unchanged": 1, "removed": 0}
    assert actions() == ["subaccount.synced_new"]
    state = SyncState.objects.get(provider_account=provider, kind="sub_accounts")
    assert state.last_summary == counts


def test_a_remote_change_is_drift_audited_with_before_and_after(provider, vobiz):
    vobiz.objects = [remote("SA_NEW00001", "Night Desk", rate_limit=250)]
    sub_accounts_sync(provider=provider)
    vobiz.objects = [remote("SA_NEW00001", "Night Shift", rate_limit=300)]
    counts = sub_accounts_sync(provider=provider)
    assert counts["updated"] == 1 and counts["unchanged"] == 0
    event = AuditEvent.objects.get(action="subaccount.changed_outside")
    assert event.actor is None
    assert (event.before["name"], event.before["rate_limit"]) == ("Night Desk", 250)
    assert (event.after["name"], event.after["rate_limit"]) == ("Night Shift", 300)
    # The whole snapshot, token masked, not just the changed fields.
    assert set(event.before) == set(event.after) >= {"kind", "auth_id", "auth_token"}


def test_only_mirrored_fields_are_drift(provider, vobiz):
    team = SubAccountFactory(
        provider_account=provider, name="Ops", auth_id="SA_OPS00001", kind="partner"
    )
    vobiz.objects = [remote("SA_OPS00001", "Ops", id="777")]
    counts = sub_accounts_sync(provider=provider)
    assert counts["unchanged"] == 1
    team.refresh_from_db()
    # The kind is the portal's own; Vobiz's numeric id is bookkeeping.
    assert team.kind == "partner" and team.remote_id == "777"
    assert not AuditEvent.objects.exists()


def test_the_numeric_id_is_kept_when_vobiz_sends_none(provider, vobiz):
    team = SubAccountFactory(
        provider_account=provider, name="Ops", auth_id="SA_OPS00001", remote_id="42"
    )
    vobiz.objects = [{"auth_id": "SA_OPS00001", "name": "Ops"}]
    assert sub_accounts_sync(provider=provider)["unchanged"] == 1
    team.refresh_from_db()
    assert team.remote_id == "42"


def test_one_typed_in_first_is_adopted_by_name_not_copied(provider, vobiz):
    local = SubAccount.objects.create(provider_account=provider, name="Ops Team")
    vobiz.objects = [remote("SA_OPS00001", "ops team")]
    counts = sub_accounts_sync(provider=provider)
    # Linking is not drift; the name differs in case only, which is.
    assert counts == {"created": 0, "updated": 1, "unchanged": 0, "removed": 0}
    local.refresh_from_db()
    assert (local.auth_id, local.name, local.remote_id) == (
        "SA_OPS00001",
        "ops team",
        "500001",
    )
    assert SubAccount.objects.count() == 1
    event = AuditEvent.objects.get(action="subaccount.changed_outside")
    assert event.before["auth_id"] is None and event.after["auth_id"] == "SA_OPS00001"


def test_adopting_an_identical_one_counts_as_unchanged(provider, vobiz):
    local = SubAccount.objects.create(provider_account=provider, name="Ops Team")
    vobiz.objects = [remote("SA_OPS00001", "Ops Team")]
    counts = sub_accounts_sync(provider=provider)
    assert counts == {"created": 0, "updated": 0, "unchanged": 1, "removed": 0}
    local.refresh_from_db()
    assert local.auth_id == "SA_OPS00001" and not AuditEvent.objects.exists()


def test_a_new_one_whose_name_is_taken_gets_its_auth_id_after_the_name(provider, vobiz):
    SubAccountFactory(provider_account=provider, name="Ops", auth_id="SA_OPS00001")
    vobiz.objects = [remote("SA_OPS00001", "Ops"), remote("SA_DUP00002", "OPS")]
    counts = sub_accounts_sync(provider=provider)
    assert counts["created"] == 1 and counts["unchanged"] == 1
    assert SubAccount.objects.get(auth_id="SA_DUP00002").name == "OPS (SA_DUP00002)"


def test_a_rename_to_a_taken_name_keeps_the_old_name(provider, vobiz):
    SubAccountFactory(provider_account=provider, name="Alpha", auth_id="SA_ALPHA001")
    beta = SubAccountFactory(
        provider_account=provider, name="Beta", auth_id="SA_BETA0001"
    )
    vobiz.objects = [remote("SA_ALPHA001", "Alpha"), remote("SA_BETA0001", "alpha")]
    counts = sub_accounts_sync(provider=provider)
    assert counts["unchanged"] == 2 and counts["updated"] == 0
    beta.refresh_from_db()
    assert beta.name == "Beta"
    assert not AuditEvent.objects.exists()


def test_a_rename_to_a_taken_name_still_takes_the_other_changes(provider, vobiz):
    SubAccountFactory(provider_account=provider, name="Alpha", auth_id="SA_ALPHA001")
    beta = SubAccountFactory(
        provider_account=provider, name="Beta", auth_id="SA_BETA0001"
    )
    vobiz.objects = [
        remote("SA_ALPHA001", "Alpha"),
        remote("SA_BETA0001", "Alpha", rate_limit=5),
    ]
    assert sub_accounts_sync(provider=provider)["updated"] == 1
    beta.refresh_from_db()
    assert (beta.name, beta.rate_limit) == ("Beta", 5)


def test_one_gone_from_vobiz_is_marked_removed_and_disabled(provider, vobiz):
    gone = SubAccountFactory(provider_account=provider, auth_id="SA_GONE0001")
    typed_in = SubAccount.objects.create(provider_account=provider, name="Local")
    elsewhere = SubAccountFactory(auth_id="SA_ELSE0001")  # another master account
    counts = sub_accounts_sync(provider=provider)
    assert counts == {"created": 0, "updated": 0, "unchanged": 0, "removed": 1}
    gone.refresh_from_db()
    assert gone.removed_at is not None and gone.enabled is False
    event = AuditEvent.objects.get(action="subaccount.removed_outside")
    assert event.actor is None and event.before["enabled"] is True
    typed_in.refresh_from_db()
    elsewhere.refresh_from_db()
    assert typed_in.removed_at is None and elsewhere.removed_at is None
    # Marked once: the next run has nothing more to remove.
    assert sub_accounts_sync(provider=provider)["removed"] == 0


def test_one_that_comes_back_is_restored_as_a_change(provider, vobiz):
    team = SubAccountFactory(
        provider_account=provider, name="Ops", auth_id="SA_OPS00001"
    )
    sub_accounts_sync(provider=provider)
    vobiz.objects = [remote("SA_OPS00001", "Ops")]
    counts = sub_accounts_sync(provider=provider)
    assert counts["updated"] == 1
    team.refresh_from_db()
    assert team.removed_at is None and team.enabled is True


def test_an_object_without_an_auth_id_is_skipped(provider, vobiz):
    vobiz.objects = [{"name": "Nameless", "id": "1"}, remote("SA_OK000001", "Ok")]
    counts = sub_accounts_sync(provider=provider)
    assert counts["created"] == 1
    assert not SubAccount.objects.filter(name="Nameless").exists()


def test_another_master_accounts_list_leaves_these_rows_alone(provider, vobiz):
    other = ProviderAccountFactory()
    mine = SubAccountFactory(provider_account=provider, auth_id="SA_MINE0001")
    sub_accounts_sync(provider=other)
    mine.refresh_from_db()
    assert mine.removed_at is None
