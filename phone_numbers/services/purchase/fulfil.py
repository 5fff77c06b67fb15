"""Buy the numbers of an approved request, one `NumberPurchase` at a time.

Nobody is charged twice, at any layer:

- each row's idempotency key and number are committed before the purchase is
  sent, and the row moves pending → buying in that same committed step;
- a `buying` row found later (a crash, a lost answer, a re-delivered task) has
  an unknown outcome: it is looked up at Vobiz first and bought again only if
  Vobiz does not have it, with the same key and the same number, so the most a
  repeat can do is find the number already ours;
- a row is swapped for another number only after Vobiz said, verified, that the
  first one was not bought;
- one worker at a time holds a row (a short lease in the row itself); a killed
  worker's lease runs out and the next run resumes from the row's state;
- the client itself checks the owned list after a 5xx or a lost response before
  re-sending (`VobizClient.purchase_number`).

Vobiz is always called outside database transactions; each step's result is
committed on its own, so a crash between two steps leaves a state the next run
knows how to continue from.

This service runs only in the purchase task, so a transient Vobiz error leaves
it as it is (the task retries with Vobiz's countdown); what Vobiz refused for
good is worded by `sync.errors.describe` on the row and the request.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from phone_numbers.choices import PURCHASE_ACTIVE, PurchaseStatus, RequestStatus
from phone_numbers.models import NumberRequest
from phone_numbers.notices import tell
from phone_numbers.services.purchase.buy import prepare_and_buy, resolve_unknown
from phone_numbers.services.purchase.lease import (
    Run,
    claim,
    not_bought,
    release_claim,
)
from phone_numbers.services.purchase.record import attach
from sync.clients import client_for

STALLED_AFTER = dt.timedelta(minutes=10)


def number_request_fulfil(*, request_id: int) -> dict[str, int]:
    """Buy, attach and record every number of an approved request.

    Safe to run any number of times, also concurrently: finished rows are
    skipped, and rows held by another worker raise PurchaseBusy. Transient Vobiz
    errors propagate (the task retries with a countdown); insufficient balance
    stops the buying cleanly and fails the request with the reason.
    """
    number_request = _start(request_id)
    if number_request is None:
        return {"skipped": 1}
    run = Run(number_request, client_for(number_request.provider_account))
    ids = list(
        number_request.purchases.filter(status__in=sorted(PURCHASE_ACTIVE))
        .order_by("position")
        .values_list("pk", flat=True)
    )
    for purchase_id in ids:
        _work_on(run, purchase_id)
    return _finish(run)


def number_requests_stalled(*, older_than: dt.timedelta = STALLED_AFTER) -> list[int]:
    """Return approved or buying requests with no progress for a while.

    Their task may have been lost with a broker or given up after its retries;
    running it again is safe.
    """
    cutoff = timezone.now() - older_than
    return list(
        NumberRequest.objects.filter(
            status__in=[RequestStatus.APPROVED, RequestStatus.BUYING],
            updated_at__lt=cutoff,
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def _start(request_id: int) -> NumberRequest | None:
    number_request = (
        # Lock only the request row: PostgreSQL refuses FOR UPDATE on the
        # nullable side of the trunk's outer join.
        NumberRequest.objects.select_for_update(of=("self",))
        .select_related("provider_account", "sub_account", "trunk", "requested_by")
        .filter(pk=request_id)
        .first()
    )
    if number_request is None:
        return None
    if number_request.status not in (RequestStatus.APPROVED, RequestStatus.BUYING):
        return None
    if number_request.status == RequestStatus.APPROVED:
        number_request.status = RequestStatus.BUYING
        number_request.save(update_fields=["status", "updated_at"])
    return number_request


def _work_on(run: Run, purchase_id: int) -> None:
    purchase = claim(run, purchase_id)
    if purchase is None:
        return
    try:
        if purchase.status == PurchaseStatus.BUYING:
            resolve_unknown(run, purchase)
        if purchase.status == PurchaseStatus.PENDING:
            if run.stop_reason:
                not_bought(run, purchase, f"Not bought: {run.stop_reason}")
            else:
                prepare_and_buy(run, purchase)
        if purchase.status == PurchaseStatus.BOUGHT:
            attach(run, purchase)
    finally:
        release_claim(run, purchase)


def _finish(run: Run) -> dict[str, int]:
    with transaction.atomic():
        number_request = NumberRequest.objects.select_for_update().get(
            pk=run.request.pk
        )
        rows = list(number_request.purchases.values_list("status", "reason"))
        counts = dict.fromkeys(PurchaseStatus.values, 0)
        for status, _ in rows:
            counts[status] += 1
        attach_failed = any(s == PurchaseStatus.BOUGHT and r for s, r in rows)
        in_hand = sum(
            1
            for status, reason in rows
            if status in (PurchaseStatus.PENDING, PurchaseStatus.BUYING)
            or (status == PurchaseStatus.BOUGHT and not reason)
        )
        if in_hand:
            return counts  # another worker still has rows in hand
        if number_request.status != RequestStatus.BUYING:
            return counts
        bought = counts[PurchaseStatus.DONE] + counts[PurchaseStatus.BOUGHT]
        failed = counts[PurchaseStatus.NOT_BOUGHT] > 0 or attach_failed
        number_request.status = RequestStatus.FAILED if failed else RequestStatus.DONE
        number_request.finished_at = timezone.now()
        if failed:
            number_request.failure_reason = (
                f"{bought} of {len(rows)} bought; "
                f"{counts[PurchaseStatus.NOT_BOUGHT]} not bought. "
                f"{run.stop_reason}"
            ).strip()[:500]
        number_request.save()
        audit_record(
            actor=None,
            action=f"number_request.{number_request.status}",
            obj=number_request,
            sub_account=number_request.sub_account,
            after={"bought": bought, "of": len(rows), "reason": run.stop_reason},
        )
        _tell_requester(number_request, bought, len(rows))
    return counts


def _tell_requester(number_request: NumberRequest, bought: int, total: int) -> None:
    if number_request.status == RequestStatus.DONE:
        title = "Your numbers are ready"
        plural = "s" if bought != 1 else ""
        body = f"{bought} number{plural} bought for {number_request.sub_account}."
    else:
        title = "Number request failed"
        body = f"{bought} of {total} bought. {number_request.failure_reason}"
    tell(
        users=[number_request.requested_by],
        title=title,
        body=body,
        url=number_request.get_absolute_url(),
    )
