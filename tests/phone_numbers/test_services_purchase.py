"""Buying the numbers of an approved request, against the real simulator.

Each test checks the simulator's own ledger: how many purchases were debited,
not only what the portal believes.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.core.cache import cache
from django.utils import timezone

from accounts.models import AuditEvent
from monitoring.models import Notification
from phone_numbers.models import NumberPurchase, NumberRequest, PhoneNumber
from phone_numbers.services import PurchaseBusy, number_request_fulfil
from phone_numbers.services import purchase as purchase_service
from phone_numbers.services.purchase import buy
from phone_numbers.tasks import number_request_fulfil as fulfil_task
from tests.phone_numbers.conftest import bought

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def test_happy_path_buys_exactly_n_and_debits_exactly_n(world, approve, no_backoff):
    before = world.balance()
    number_request = approve(quantity=2)

    result = number_request_fulfil(request_id=number_request.pk)

    numbers = bought(number_request)
    assert len(numbers) == 2 and result["done"] == 2
    debits = world.purchase_debits(numbers)
    assert len(debits) == 2
    charged = sum(Decimal(str(d["amount"])) for d in debits)
    assert before - world.balance() == charged
    assert world.purchase_posts() == 2
    number_request.refresh_from_db()
    assert number_request.status == "done" and number_request.finished_at
    for e164 in numbers:
        local = PhoneNumber.objects.get(e164=e164)
        assert local.sub_account == world.team and local.trunk == world.trunk
        assert local.account_auth_id == world.team.auth_id
        assert local.series == "80"
    # Vobiz agrees: the numbers belong to the team and route to the trunk.
    remote = {
        n["e164"]: n for n in world.sim_client().list_numbers() if n["e164"] in numbers
    }
    assert {n["account_id"] for n in remote.values()} == {world.team.auth_id}
    assert {n["trunk_group_id"] for n in remote.values()} == {world.trunk.remote_id}


def test_running_the_task_twice_buys_nothing_more(world, approve, no_backoff):
    number_request = approve(quantity=2)
    number_request_fulfil(request_id=number_request.pk)
    posts, balance = world.purchase_posts(), world.balance()

    assert number_request_fulfil(request_id=number_request.pk) == {"skipped": 1}
    fulfil_task.apply(args=(number_request.pk,))

    assert world.purchase_posts() == posts
    assert world.balance() == balance
    assert len(world.purchase_debits(bought(number_request))) == 2


def test_a_lost_answer_after_the_purchase_landed_is_not_bought_twice(
    world, approve, no_backoff
):
    number_request = approve(quantity=2)
    world.sim.control.fail_after_commit(count=1, mode="drop")

    number_request_fulfil(request_id=number_request.pk)

    numbers = bought(number_request)
    assert len(numbers) == 2
    assert len(world.purchase_debits(numbers)) == 2
    # The dropped answer was checked against the owned list, not re-sent.
    assert world.purchase_posts() == 2
    number_request.refresh_from_db()
    assert number_request.status == "done"


def test_a_500_after_the_purchase_landed_is_verified_not_rebought(
    world, approve, no_backoff
):
    number_request = approve(quantity=1)
    world.sim.control.fail_after_commit(count=1, mode="error", status=500)

    number_request_fulfil(request_id=number_request.pk)

    numbers = bought(number_request)
    assert len(numbers) == 1 and len(world.purchase_debits(numbers)) == 1
    assert world.purchase_posts() == 1


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs (not even `except Exception`)."""


def test_a_worker_killed_after_the_purchase_landed_resumes_without_rebuying(
    world, approve, no_backoff, monkeypatch
):
    number_request = approve(quantity=2)
    real = buy._record_bought
    calls = {"n": 0}

    def dies_once(run, purchase, remote):
        calls["n"] += 1
        if calls["n"] == 1:
            raise Killed
        return real(run, purchase, remote)

    monkeypatch.setattr(buy, "_record_bought", dies_once)
    with pytest.raises(Killed):
        number_request_fulfil(request_id=number_request.pk)
    first = number_request.purchases.get(position=1)
    # The key and the number were committed before the call; the outcome is unknown.
    assert first.status == "buying" and first.e164 and first.attempts == 1
    key = first.idempotency_key
    assert world.purchase_posts() == 1

    number_request_fulfil(request_id=number_request.pk)

    first.refresh_from_db()
    assert first.status == "done" and first.idempotency_key == key
    numbers = bought(number_request)
    assert len(numbers) == 2 and len(world.purchase_debits(numbers)) == 2
    # The re-run looked the first number up and bought only the second.
    assert world.purchase_posts() == 2


def test_a_row_held_by_a_live_worker_is_left_alone(world, approve, no_backoff):
    number_request = approve(quantity=1)
    NumberPurchase.objects.filter(request=number_request).update(
        claim_token="someone-else",
        claimed_until=timezone.now() + purchase_service.lease(),
    )
    with pytest.raises(PurchaseBusy) as busy:
        number_request_fulfil(request_id=number_request.pk)
    assert busy.value.retry_in > 60
    assert world.purchase_posts() == 0

    # The holder died: once its lease has run out the next run takes over.
    NumberPurchase.objects.filter(request=number_request).update(
        claimed_until=timezone.now() - purchase_service.lease()
    )
    number_request_fulfil(request_id=number_request.pk)
    assert len(bought(number_request)) == 1 and world.purchase_posts() == 1


def test_a_stale_buying_row_that_never_reached_vobiz_is_sent_with_its_stored_key(
    world, approve, no_backoff
):
    number_request = approve(quantity=1)
    offer = world.inventory_offer("80")
    purchase = number_request.purchases.get()
    NumberPurchase.objects.filter(pk=purchase.pk).update(
        e164=offer["e164"], status="buying", attempts=1
    )

    number_request_fulfil(request_id=number_request.pk)

    purchase.refresh_from_db()
    assert purchase.status == "done" and purchase.e164 == offer["e164"]
    assert world.purchase_posts() == 1
    assert len(world.purchase_debits([offer["e164"]])) == 1


@pytest.mark.parametrize("status", [402, 500])
def test_insufficient_balance_fails_cleanly(world, approve, no_backoff, status):
    world.sim.control.config(insufficient_balance_status=status)
    offers = world.inventory_offers("80", 3)
    cost = Decimal(str(offers[0]["setup_fee"])) + Decimal(str(offers[0]["monthly_fee"]))
    number_request = approve(quantity=3, numbers=[o["e164"] for o in offers])
    # Enough for the first number only; the portal's pre-check reads this balance.
    world.sim.control.set_balance(float(cost) + 1)

    number_request_fulfil(request_id=number_request.pk)

    number_request.refresh_from_db()
    assert number_request.status == "failed"
    assert "1 of 3 bought" in number_request.failure_reason
    assert "balance" in number_request.failure_reason
    rows = list(number_request.purchases.order_by("position"))
    assert [r.status for r in rows] == ["done", "not_bought", "not_bought"]
    assert all(r.reason.startswith("Not bought") for r in rows[1:])
    assert PhoneNumber.objects.get(e164=rows[0].e164).sub_account == world.team
    assert not PhoneNumber.objects.filter(e164__in=[r.e164 for r in rows[1:]]).exists()
    assert len(world.purchase_debits([o["e164"] for o in offers])) == 1


@pytest.mark.parametrize("status", [402, 500])
def test_vobiz_refusing_for_balance_after_the_precheck_fails_cleanly(
    world, approve, no_backoff, monkeypatch, status
):
    world.sim.control.config(insufficient_balance_status=status)
    # The pre-check believes there is money (a stale cached balance, say).
    monkeypatch.setattr(buy, "_affordable", lambda run, purchase, offer: True)
    number_request = approve(quantity=2)
    world.sim.control.set_balance(1)

    number_request_fulfil(request_id=number_request.pk)

    number_request.refresh_from_db()
    assert number_request.status == "failed"
    rows = list(number_request.purchases.order_by("position"))
    assert [r.status for r in rows] == ["not_bought", "not_bought"]
    assert "balance" in rows[0].reason.lower()
    assert "Not bought" in rows[1].reason
    assert world.purchase_debits([r.e164 for r in rows if r.e164]) == []


def test_a_chosen_number_taken_meanwhile_is_not_swapped(world, approve, no_backoff):
    offer = world.inventory_offer("80")
    number_request = approve(quantity=1, numbers=[offer["e164"]])
    world.other_team_client().purchase_number(offer["e164"], "someone-else")

    number_request_fulfil(request_id=number_request.pk)

    purchase = number_request.purchases.get()
    assert purchase.status == "not_bought"
    assert "no longer in Vobiz's inventory" in purchase.reason


def test_a_picked_number_taken_meanwhile_is_replaced(
    world, approve, no_backoff, monkeypatch
):
    number_request = approve(quantity=1)
    taken = world.inventory_offer("80")
    real_send = buy._send

    def someone_is_faster(run, purchase, *, retry_gone):
        if purchase.e164 == taken["e164"]:
            world.other_team_client().purchase_number(taken["e164"], "someone-else")
        return real_send(run, purchase, retry_gone=retry_gone)

    monkeypatch.setattr(buy, "_send", someone_is_faster)
    number_request_fulfil(request_id=number_request.pk)

    purchase = number_request.purchases.get()
    assert purchase.status == "done" and purchase.e164 != taken["e164"]
    assert len(world.purchase_debits([purchase.e164])) == 1


def test_a_transient_error_leaves_the_row_for_a_lookup_and_the_task_retries(
    world, approve, no_backoff, monkeypatch
):
    number_request = approve(quantity=1)
    world.sim.control.fail(status=503, count=20, path_prefix="/api/v1/Account")
    asked = {}

    def retry(**kwargs):
        asked.update(kwargs)
        return Retry()

    monkeypatch.setattr(fulfil_task, "retry", retry)
    with pytest.raises(Retry):
        fulfil_task.run(number_request.pk)

    assert asked["countdown"] > 0 and asked["exc"].transient
    purchase = number_request.purchases.get()
    assert purchase.status in ("pending", "buying")
    world.sim.control.reset_faults()
    cache.clear()  # the breaker the 503s opened
    number_request_fulfil(request_id=number_request.pk)
    purchase.refresh_from_db()
    assert purchase.status == "done"
    assert len(world.purchase_debits([purchase.e164])) == 1


def test_a_rate_limit_retries_the_task_after_vobiz_s_retry_after(
    world, approve, no_backoff, monkeypatch
):
    number_request = approve(quantity=1)
    world.sim.control.rate_limit(retry_after=42, count=50)
    asked = {}

    def retry(**kwargs):
        asked.update(kwargs)
        return Retry()

    monkeypatch.setattr(fulfil_task, "retry", retry)
    with pytest.raises(Retry):
        fulfil_task.run(number_request.pk)
    assert asked["countdown"] == 42
    assert world.purchase_posts() == 0


def test_the_requester_is_notified_and_the_purchase_audited(
    world, approve, no_backoff, django_capture_on_commit_callbacks, mailoutbox
):
    number_request = approve(quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        number_request_fulfil(request_id=number_request.pk)

    notice = Notification.objects.get(user=world.lead)
    assert notice.title == "Your numbers are ready"
    assert notice.url == number_request.get_absolute_url()
    assert [m.to for m in mailoutbox] == [[world.lead.email]]
    assert AuditEvent.objects.filter(action="number.purchase").count() == 1
    assert AuditEvent.objects.filter(action="number_request.done").count() == 1


def test_a_series_the_inventory_lacks_fails_with_the_reason(world, approve, no_backoff):
    number_request = approve(quantity=1, series="toll-free", trunk=False)

    number_request_fulfil(request_id=number_request.pk)

    number_request.refresh_from_db()
    purchase = number_request.purchases.get()
    assert number_request.status == "failed"
    assert purchase.status == "not_bought"
    assert "no number in Vobiz's inventory matches Toll-free" in purchase.reason
    assert world.purchase_posts() == 0


def test_stalled_requests_are_found_again(world, approve):
    number_request = approve(quantity=1)
    NumberRequest.objects.filter(pk=number_request.pk).update(
        updated_at=timezone.now() - purchase_service.STALLED_AFTER * 2
    )
    assert purchase_service.number_requests_stalled() == [number_request.pk]
