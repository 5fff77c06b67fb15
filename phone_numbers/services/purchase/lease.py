"""One worker at a time on one purchase row: a short lease kept in the row itself.

The lease is `core.leases`' row lease on `claimed_until` with `claim_token`: a
row is free when it has no lease, when its lease has run out, or when the lease
is already ours. A killed worker's lease simply runs out; every write checks the
lease is still ours, so a worker that lost it can never overwrite the one that
took over.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.leases import row_claim, row_release
from phone_numbers.choices import PURCHASE_ACTIVE, PurchaseStatus
from phone_numbers.models import NumberPurchase, NumberRequest
from vobiz.client import VobizClient
from vobiz.payloads import PurchasedNumber

# The row lease's columns (core.leases): held until, and by whom.
UNTIL_FIELD = "claimed_until"
HOLDER_FIELD = "claim_token"


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
    # What Vobiz answered for each row bought in this run (region, remote id).
    bought: dict[int, PurchasedNumber] = field(default_factory=dict)


def claim(run: Run, purchase_id: int) -> NumberPurchase | None:
    """Take the row's lease; None if it is finished; PurchaseBusy if it is held."""
    now = timezone.now()
    active = NumberPurchase.objects.filter(
        pk=purchase_id, status__in=sorted(PURCHASE_ACTIVE)
    )
    taken = row_claim(
        active,
        seconds=lease().total_seconds(),
        until_field=UNTIL_FIELD,
        token_field=HOLDER_FIELD,
        token=run.token,
        now=now,
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
    row_release(
        NumberPurchase.objects.filter(pk=purchase.pk),
        until_field=UNTIL_FIELD,
        token_field=HOLDER_FIELD,
        token=run.token,
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
