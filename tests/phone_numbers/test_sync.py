"""The numbers mirror: how a Vobiz number maps to a row, and what counts as drift."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from phone_numbers.models import PhoneNumber
from phone_numbers.sync import number_fields, numbers_sync
from tests.phone_numbers.factories import PhoneNumberFactory
from vobiz.payloads import Number

pytestmark = pytest.mark.django_db


def listed(e164, **fields):
    """Return one item of Vobiz's owned-numbers list (docs/vobiz-api.md §7.3)."""
    item = {
        "id": f"id-{e164[-4:]}",
        "account_id": "MA_ACME0001",
        "e164": e164,
        "country": "IN",
        "region": "Karnataka",
        "status": "active",
        "setup_fee": 100,
        "monthly_fee": 400,
        "currency": "INR",
        "trunk_group_id": None,
        "purchased_at": "2026-03-25T06:58:38Z",
    }
    return {**item, **fields}


@pytest.fixture
def vobiz_lists(monkeypatch):
    """Make the sync's client list these raw items (as typed numbers)."""
    items: list[dict] = []

    class Typed:
        def list_numbers(self, search=None):
            return map(Number.from_api, items)

    class Client:
        typed = Typed()

    monkeypatch.setattr("phone_numbers.sync.client_for", lambda provider: Client())
    return items


def test_a_listed_number_maps_to_its_owner_and_trunk(team_a, trunk_a):
    remote = Number.from_api(
        listed(
            "+918041234567",
            account_id=team_a.auth_id,
            trunk_group_id=trunk_a.remote_id,
            setup_fee="NaN",
        )
    )
    fields = number_fields(
        remote,
        owners={team_a.auth_id: team_a.pk},
        trunks={trunk_a.remote_id: trunk_a.pk},
    )
    assert fields["sub_account_id"] == team_a.pk and fields["trunk_id"] == trunk_a.pk
    assert fields["account_auth_id"] == team_a.auth_id
    assert fields["trunk_remote_id"] == trunk_a.remote_id
    assert fields["setup_fee"] == 0 and fields["monthly_fee"] == Decimal(400)
    assert fields["purchased_at"].year == 2026


def test_an_unknown_owner_or_trunk_maps_to_nothing():
    remote = Number.from_api(listed("+918041234567", trunk_group_id="t-unknown"))
    fields = number_fields(remote, owners={}, trunks={})
    assert fields["sub_account_id"] is None and fields["trunk_id"] is None
    assert fields["trunk_remote_id"] == "t-unknown"


def test_the_sync_creates_updates_and_marks_numbers_no_longer_owned(
    provider, team_a, vobiz_lists
):
    kept = PhoneNumberFactory(
        sub_account=team_a, e164="+918041000001", remote_id="id-0001"
    )
    gone = PhoneNumberFactory(sub_account=team_a, e164="+918041000002")
    vobiz_lists += [
        listed(kept.e164, account_id=team_a.auth_id, region="Karnataka"),
        listed("+918041000003", account_id=team_a.auth_id),
    ]

    counts = numbers_sync(provider=provider)

    assert counts == {"created": 1, "updated": 1, "unchanged": 0, "removed": 1}
    new = PhoneNumber.objects.get(e164="+918041000003")
    assert new.sub_account == team_a and new.provider_account == provider
    gone.refresh_from_db()
    assert gone.status == "released" and gone.removed_at is not None
    # Fees and timestamps filled in are not drift: nobody moved the number.
    assert not AuditEvent.objects.filter(action="number.changed_outside").exists()


def test_a_move_made_outside_the_portal_is_audited_with_only_what_drifted(
    provider, team_a, team_b, vobiz_lists
):
    number = PhoneNumberFactory(sub_account=team_a, e164="+918041000001")
    vobiz_lists.append(listed(number.e164, account_id=team_b.auth_id))
    numbers_sync(provider=provider)

    number.refresh_from_db()
    assert number.sub_account == team_b
    event = AuditEvent.objects.get(action="number.changed_outside")
    assert event.before == {"account_auth_id": team_a.auth_id}
    assert event.after == {"account_auth_id": team_b.auth_id}

    assert numbers_sync(provider=provider)["unchanged"] == 1
    assert AuditEvent.objects.filter(action="number.changed_outside").count() == 1


def test_a_number_listed_again_comes_back(provider, team_a, vobiz_lists):
    number = PhoneNumberFactory(sub_account=team_a, e164="+918041000001")
    numbers_sync(provider=provider)
    number.refresh_from_db()
    assert number.removed_at is not None and number.status == "released"

    vobiz_lists.append(listed(number.e164, account_id=team_a.auth_id))
    numbers_sync(provider=provider)
    number.refresh_from_db()
    assert number.removed_at is None and number.status == "active"
    event = AuditEvent.objects.get(action="number.changed_outside")
    assert event.after == {"status": "active"}
