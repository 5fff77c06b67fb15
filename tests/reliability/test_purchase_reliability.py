"""Buying numbers under a real Celery worker that is killed at the worst moment.

Vobiz has sold the number and debited the wallet, but the worker dies before it
hears so. After a restart the redelivered task must find the number already
bought (the row's stored idempotency key, a look-up before any resend) and
finish the request: every number bought once, the wallet debited once each.
"""

from __future__ import annotations

import time

from phone_numbers.choices import PurchaseStatus, RequestStatus
from phone_numbers.models import NumberPurchase, NumberRequest, PhoneNumber
from phone_numbers.services import number_request_approve, number_request_create
from tests.factories import UserFactory
from tests.phone_numbers.conftest import World
from tests.reliability.conftest import wait_for
from tests.reliability.test_worker_reliability import FAST

# The killed worker's message comes back after FAST's visibility timeout; its
# purchase rows may be taken over once this lease has ended.
WORKER = {**FAST, "NUMBER_PURCHASE_LEASE_SECONDS": "8"}


def test_a_worker_killed_after_vobiz_sold_a_number_never_buys_it_twice(
    sim, sim_provider, start_worker
):
    world = World(sim_provider, sim)
    approver = UserFactory(email="approver@example.com", role="admin")
    request = number_request_create(
        actor=world.lead,
        sub_account=world.team,
        country="IN",
        quantity=2,
        reason="Collections reminders",
        trunk=world.trunk,
        series="80",
    )
    # The first purchase lands at Vobiz, then its answer is held back for 20 s.
    sim.control.fail_after_commit(count=1, mode="hold", hold_ms=20_000)
    worker = start_worker(**WORKER)
    number_request_approve(actor=approver, number_request=request, numbers=[])

    wait_for(lambda: world.purchase_posts() >= 1, 60, what="the first purchase")
    time.sleep(1)  # well inside the hold: sold at Vobiz, unknown to the portal
    worker.kill()
    first = NumberPurchase.objects.get(request=request, position=1)
    assert first.status == PurchaseStatus.BUYING and first.e164
    assert len(world.purchase_debits([first.e164])) == 1

    start_worker(**WORKER)  # the unacknowledged task is delivered again

    def finished():
        request.refresh_from_db()
        return request.status in (RequestStatus.DONE, RequestStatus.FAILED)

    wait_for(finished, 240, interval=1, what="the request to finish after restart")
    assert request.status == RequestStatus.DONE
    numbers = list(
        NumberPurchase.objects.filter(request=request, status=PurchaseStatus.DONE)
        .order_by("position")
        .values_list("e164", flat=True)
    )
    assert len(numbers) == 2 and first.e164 in numbers
    # One debit per number at Vobiz's own ledger, and one local row per number.
    debits = world.purchase_debits(numbers)
    assert sorted(d["description"].split()[2] for d in debits) == sorted(numbers)
    assert PhoneNumber.objects.filter(e164__in=numbers).count() == 2
    assert NumberRequest.objects.get(pk=request.pk).status == RequestStatus.DONE
