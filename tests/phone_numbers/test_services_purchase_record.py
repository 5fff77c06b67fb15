"""Recording bought numbers: handed to the team and trunk, written where they
really are (through the sync's own mapping), whatever Vobiz refused or sent."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from phone_numbers.models import NumberPurchase, PhoneNumber
from phone_numbers.services import number_request_fulfil
from phone_numbers.sync import numbers_sync
from tests.phone_numbers.conftest import bought

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def test_a_bought_number_is_written_as_the_next_sync_finds_it(
    world, approve, no_backoff
):
    number_request = approve(quantity=1)
    number_request_fulfil(request_id=number_request.pk)
    (e164,) = bought(number_request)

    numbers_sync(provider=world.provider)

    local = PhoneNumber.objects.get(e164=e164)
    assert local.sub_account == world.team and local.trunk == world.trunk
    assert local.status == "active" and local.removed_at is None
    assert not AuditEvent.objects.filter(action="number.changed_outside").exists()


def test_a_trunk_vobiz_refuses_leaves_the_number_with_the_team_and_says_so(
    world, approve, no_backoff
):
    number_request = approve(quantity=1)
    # The trunk vanished at Vobiz after the request was filed.
    type(world.trunk).objects.filter(pk=world.trunk.pk).update(remote_id="gone-trunk")

    number_request_fulfil(request_id=number_request.pk)

    number_request.refresh_from_db()
    purchase = number_request.purchases.get()
    assert number_request.status == "failed"
    assert purchase.status == "bought" and "not routed to" in purchase.reason
    assert "was bought but is with" in number_request.failure_reason
    # The local row says where the number really is: with the team, unrouted.
    local = PhoneNumber.objects.get(e164=purchase.e164)
    assert local.sub_account == world.team and local.trunk is None
    remote = next(world.sim_client().list_numbers(search=purchase.e164[1:]))
    assert remote["account_id"] == world.team.auth_id
    assert len(world.purchase_debits([purchase.e164])) == 1


def test_a_team_vobiz_will_not_take_the_number_leaves_it_on_the_master(
    world, approve, no_backoff
):
    number_request = approve(quantity=1, trunk=False)
    type(world.team).objects.filter(pk=world.team.pk).update(auth_id="SA_GONE0000")

    number_request_fulfil(request_id=number_request.pk)

    purchase = number_request.purchases.get()
    assert purchase.status == "bought" and "master account" in purchase.reason
    local = PhoneNumber.objects.get(e164=purchase.e164)
    assert local.sub_account is None and local.account_auth_id == world.provider.auth_id
    assert len(world.purchase_debits([purchase.e164])) == 1


def test_dlt_registration_is_copied_onto_the_bought_numbers(world, approve, no_backoff):
    number_request = approve(
        quantity=1,
        series="160",
        trunk=False,
        dlt_entity_id="1201159876543210987",
        dlt_header="ACMEBK",
        dlt_purpose="EMI reminders",
    )
    number_request_fulfil(request_id=number_request.pk)

    (e164,) = bought(number_request)
    number = PhoneNumber.objects.get(e164=e164)
    assert number.series == "160"
    assert (number.dlt_entity_id, number.dlt_header, number.dlt_purpose) == (
        "1201159876543210987",
        "ACMEBK",
        "EMI reminders",
    )


def test_odd_values_in_the_purchase_answer_do_not_strand_a_bought_number(
    world, approve, no_backoff, monkeypatch
):
    """The number is sold by then: its local row must be written whatever comes."""
    from vobiz.client import VobizClient

    original = VobizClient.purchase_number

    def odd_answer(self, e164, idempotency_key, **kwargs):
        reply = dict(original(self, e164, idempotency_key, **kwargs))
        reply.update(region="Del\x00hi" * 40, id="9" * 100, currency=356)
        return reply

    monkeypatch.setattr(VobizClient, "purchase_number", odd_answer)
    number_request = approve(quantity=1)
    assert number_request_fulfil(request_id=number_request.pk)["done"] == 1
    (e164,) = bought(number_request)
    local = PhoneNumber.objects.get(e164=e164)
    assert local.region.startswith("DelhiDelhi") and len(local.region) == 100
    assert len(local.remote_id) == 64
    assert NumberPurchase.objects.get(request=number_request).currency == "356"
