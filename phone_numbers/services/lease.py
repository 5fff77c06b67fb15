"""One worker at a time on one purchase row: a short lease kept in the row itself.

A killed worker's lease simply runs out; every write checks the lease is still
ours, so a worker that lost it can never overwrite the one that took over.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from phone_numbers.choices import PURCHASE_ACTIVE, PurchaseStatus
from phone_numbers.models import NumberPurchase, NumberRequest
from vobiz.client import VobizClient


def lease() -> dt.timedelta:
    """Return one row's lease (`NUMBER_PURCHASE_LEASE_SECONDS`).

    Long enough for a purchase with the client's retries and the look-ups between
    them, short enough that a killed worker's row is soon resumed.
    """
    return dt.timedelta(seconds=settings.NUMBER_PURCHASE_LEASE_SECONDS)


class PurchaseBusy(Exception):
    """Another worker holds a row of this request; try again in `retry_in` s."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"another worker holds a purchase; retry in {retry_in:.0f}s")
        self.retry_in = retry_in


@dataclass
class Run:
    """One pass over a request's purchases by one worker."""

    request: NumberRequest
    client: VobizClient
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    stop_reason: str = ""
    available: Decimal | None = None
    # What Vobiz answered for each bought row (region, remote id) in this run.
    remotes: dict[int, dict[str, Any]] = field(default_factory=dict)


def claim(run: Run, purchase_id: int) -> NumberPurchase | None:
    """Take the row's lease; None if it is finished; PurchaseBusy if it is held."""
    now = timezone.now()
    free = (
        Q(claimed_until__isnull=True)
        | Q(claimed_until__lt=now)
        | Q(claim_token=run.token)
    )
    taken = (
        NumberPurchase.objects.filter(
            pk=purchase_id, status__in=sorted(PURCHASE_ACTIVE)
        )
        .filter(free)
        .update(claim_token=run.token, claimed_until=now + lease())
    )
    if taken:
        return NumberPurchase.objects.get(pk=purchase_id)
    row = NumberPurchase.objects.filter(pk=purchase_id).first()
    if row is None or row.status not in PURCHASE_ACTIVE:
        return None
    until = row.claimed_until or now
    raise PurchaseBusy(retry_in=max(5.0, (until - now).total_seconds() + 1))


def release_claim(run: Run, purchase: NumberPurchase) -> None:
    """Give the row's lease back if it is still ours."""
    NumberPurchase.objects.filter(pk=purchase.pk, claim_token=run.token).update(
        claim_token="", claimed_until=None
    )


def save_row(
    run: Run, purchase: NumberPurchase, *, expect: str | None = None, **changes: Any
) -> None:
    """Commit a change to a row we hold; PurchaseBusy if the lease was lost.

    `expect` makes it a compare-and-set on the row's status.
    """
    rows = NumberPurchase.objects.filter(pk=purchase.pk, claim_token=run.token)
    if expect is not None:
        rows = rows.filter(status=expect)
    with transaction.atomic():
        done = rows.update(**changes, updated_at=timezone.now())
        if not done:
            raise PurchaseBusy(retry_in=lease().total_seconds())
        # The request's updated_at tells the stall check that work goes on.
        NumberRequest.objects.filter(pk=run.request.pk).update(
            updated_at=timezone.now()
        )
    for key, value in changes.items():
        if not hasattr(value, "resolve_expression"):
            setattr(purchase, key, value)


def not_bought(run: Run, purchase: NumberPurchase, reason: str) -> None:
    """Mark a row finally not bought, with the reason the request page shows."""
    save_row(run, purchase, status=PurchaseStatus.NOT_BOUGHT, reason=reason[:500])
