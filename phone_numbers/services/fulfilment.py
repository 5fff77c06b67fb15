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
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.audit import audit_record
from phone_numbers.choices import (
    PURCHASE_ACTIVE,
    PurchaseStatus,
    RequestStatus,
)
from phone_numbers.errors import explain
from phone_numbers.models import NumberPurchase, NumberRequest, PhoneNumber
from phone_numbers.notices import tell
from phone_numbers.services.requests import (
    InventoryOffer,
    inventory_offers,
    new_idempotency_key,
    offer_from,
)
from portal.provider import client_for
from portal.sync import parse_datetime, parse_decimal
from vobiz.client import VobizClient
from vobiz.errors import InsufficientBalance, NotFound, ServerError, VobizError

logger = logging.getLogger("phone_numbers.fulfilment")

# One row's lease: long enough for a purchase with the client's retries and the
# look-ups between them, short enough that a killed worker's row is soon resumed.
LEASE = dt.timedelta(seconds=300)
SUBSTITUTIONS = 3
PICK_CANDIDATES = 10
# What Vobiz answers (as a 500) when the balance cannot cover a purchase
# (vobiz-api.md §7.2); the client has verified the number was not bought.
FAILED_DEBIT = "failed to purchase number"
STALLED_AFTER = dt.timedelta(minutes=10)


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
        NumberRequest.objects.select_for_update()
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
    purchase = _claim(run, purchase_id)
    if purchase is None:
        return
    try:
        if purchase.status == PurchaseStatus.BUYING:
            _resolve_unknown(run, purchase)
        if purchase.status == PurchaseStatus.PENDING:
            if run.stop_reason:
                _not_bought(run, purchase, f"Not bought: {run.stop_reason}")
            else:
                _prepare_and_buy(run, purchase)
        if purchase.status == PurchaseStatus.BOUGHT:
            _attach(run, purchase)
    finally:
        _release(run, purchase)


# --- the lease on one row -----------------------------------------------------


def _claim(run: Run, purchase_id: int) -> NumberPurchase | None:
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
        .update(claim_token=run.token, claimed_until=now + LEASE)
    )
    if taken:
        return NumberPurchase.objects.get(pk=purchase_id)
    row = NumberPurchase.objects.filter(pk=purchase_id).first()
    if row is None or row.status not in PURCHASE_ACTIVE:
        return None
    until = row.claimed_until or now
    raise PurchaseBusy(retry_in=max(5.0, (until - now).total_seconds() + 1))


def _release(run: Run, purchase: NumberPurchase) -> None:
    NumberPurchase.objects.filter(pk=purchase.pk, claim_token=run.token).update(
        claim_token="", claimed_until=None
    )


def _save(
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
            raise PurchaseBusy(retry_in=LEASE.total_seconds())
        # The request's updated_at tells the stall check that work goes on.
        NumberRequest.objects.filter(pk=run.request.pk).update(
            updated_at=timezone.now()
        )
    for key, value in changes.items():
        if not hasattr(value, "resolve_expression"):
            setattr(purchase, key, value)


def _not_bought(run: Run, purchase: NumberPurchase, reason: str) -> None:
    _save(run, purchase, status=PurchaseStatus.NOT_BOUGHT, reason=reason[:500])


# --- buying -------------------------------------------------------------------


def _resolve_unknown(run: Run, purchase: NumberPurchase) -> None:
    """Look up a purchase whose outcome is unknown; re-send only if Vobiz lacks it."""
    owned = _owned(run, purchase.e164)
    if owned is not None:
        _record_bought(run, purchase, owned)
        return
    if run.stop_reason:
        _not_bought(run, purchase, f"Not bought: {run.stop_reason}")
        return
    _send(run, purchase, retry_gone=False)


def _prepare_and_buy(run: Run, purchase: NumberPurchase) -> None:
    for _ in range(SUBSTITUTIONS + 1):
        offer = _offer_for(run, purchase)
        if offer is None:
            return
        if not _affordable(run, purchase, offer):
            return
        # Committed before the call: from here on the outcome counts as unknown.
        _save(
            run,
            purchase,
            expect=PurchaseStatus.PENDING,
            status=PurchaseStatus.BUYING,
            attempts=F("attempts") + 1,
            last_attempt_at=timezone.now(),
            claimed_until=timezone.now() + LEASE,
            setup_fee=offer.setup_fee,
            monthly_fee=offer.monthly_fee,
            currency=offer.currency,
        )
        purchase.status = PurchaseStatus.BUYING
        if _send(run, purchase, retry_gone=not purchase.chosen_by_admin) != "gone":
            return
    _not_bought(
        run, purchase, "Not bought: the numbers picked kept being taken by others."
    )


def _offer_for(run: Run, purchase: NumberPurchase) -> InventoryOffer | None:
    """Return the inventory offer this row will buy, choosing one if needed."""
    if purchase.e164:
        offer = _in_inventory(run, purchase.e164)
        if offer is not None:
            return offer
        if purchase.chosen_by_admin:
            _not_bought(
                run,
                purchase,
                f"Not bought: {purchase.e164} is no longer in Vobiz's inventory.",
            )
            return None
        # Never sent under this key (the row is pending): choosing again is safe.
        _save(run, purchase, e164="")
    return _pick(run, purchase)


def _in_inventory(run: Run, e164: str) -> InventoryOffer | None:
    for item in run.client.search_inventory(
        country=run.request.country, search=e164.lstrip("+")
    ):
        if item.get("e164") == e164:
            return offer_from(item)
    return None


def _pick(run: Run, purchase: NumberPurchase) -> InventoryOffer | None:
    """Choose a matching inventory number no other live purchase aims at."""
    for offer in inventory_offers(
        run.request, interactive=False, limit=PICK_CANDIDATES
    ):
        try:
            _save(run, purchase, e164=offer.e164)
        except IntegrityError:
            # Another worker chose it a moment ago (one live purchase per number).
            continue
        return offer
    wanted = run.request.series_label
    if run.request.prefix:
        wanted += f" starting {run.request.prefix}"
    _not_bought(
        run, purchase, f"Not bought: no number in Vobiz's inventory matches {wanted}."
    )
    return None


def _affordable(run: Run, purchase: NumberPurchase, offer: InventoryOffer) -> bool:
    """Check the balance before buying, as Vobiz advises; stop the run if short."""
    if run.available is None:
        balance = run.client.get_balance(offer.currency)
        run.available = parse_decimal(
            balance.get("available_balance", balance.get("balance"))
        )
    if run.available >= offer.cost:
        return True
    _stop(
        run,
        purchase,
        f"the Vobiz balance ({run.available:.2f} {offer.currency} available) does "
        f"not cover {offer.e164} ({offer.cost:.2f} {offer.currency} for setup and "
        "the first month).",
    )
    return False


def _stop(run: Run, purchase: NumberPurchase, reason: str) -> None:
    run.stop_reason = reason
    _not_bought(run, purchase, f"Not bought: {reason}")


def _send(run: Run, purchase: NumberPurchase, *, retry_gone: bool) -> str:
    """Send the purchase with the row's stored key; return how it ended."""
    try:
        remote = run.client.purchase_number(purchase.e164, purchase.idempotency_key)
    except NotFound:
        # The client checked: not ours, and gone from the inventory.
        if retry_gone:
            _save(
                run,
                purchase,
                status=PurchaseStatus.PENDING,
                e164="",
                idempotency_key=new_idempotency_key(run.request, purchase.position),
            )
            return "gone"
        _not_bought(
            run, purchase, f"Not bought: {purchase.e164} was taken by someone else."
        )
        return "not_bought"
    except InsufficientBalance as exc:
        _stop(run, purchase, f"Vobiz refused for lack of balance ({exc.message}).")
        return "not_bought"
    except ServerError as exc:
        if FAILED_DEBIT not in exc.message.lower():
            raise
        _stop(
            run,
            purchase,
            "Vobiz could not debit the balance (it answered “failed to purchase "
            "number”, which is how it reports an insufficient balance).",
        )
        return "not_bought"
    except VobizError as exc:
        if exc.transient:
            # Outcome unknown: the row stays `buying`; the next run looks it up.
            raise
        _stop(run, purchase, explain(exc))
        return "not_bought"
    _record_bought(run, purchase, remote)
    return "bought"


def _owned(run: Run, e164: str) -> dict[str, Any] | None:
    """Return the number if Vobiz says the company (or the team) owns it."""
    ours = {run.client.auth_id, run.request.sub_account.auth_id} - {None, ""}
    for item in run.client.list_numbers(search=e164.lstrip("+")):
        if item.get("e164") == e164 and item.get("account_id") in ours:
            return item
    return None


def _record_bought(run: Run, purchase: NumberPurchase, remote: dict[str, Any]) -> None:
    setup = parse_decimal(remote.get("setup_fee"), str(purchase.setup_fee or 0))
    monthly = parse_decimal(remote.get("monthly_fee"), str(purchase.monthly_fee or 0))
    with transaction.atomic():
        _save(
            run,
            purchase,
            status=PurchaseStatus.BOUGHT,
            bought_at=parse_datetime(remote.get("purchased_at")) or timezone.now(),
            setup_fee=setup,
            monthly_fee=monthly,
            currency=str(remote.get("currency") or purchase.currency or "INR")[:3],
            reason="",
        )
        audit_record(
            actor=None,
            action="number.purchase",
            object_type="phone_numbers.phonenumber",
            object_id=purchase.e164,
            sub_account=run.request.sub_account,
            after={
                "e164": purchase.e164,
                "request": run.request.pk,
                "setup_fee": str(setup),
                "monthly_fee": str(monthly),
                "approved_by": run.request.decided_by_id,
            },
        )
    if run.available is not None:
        run.available -= setup + monthly
    run.remotes[purchase.pk] = remote


# --- attaching ----------------------------------------------------------------


def _attach(run: Run, purchase: NumberPurchase) -> None:
    """Give a bought number to the team (and its trunk), then record it locally."""
    team, trunk = run.request.sub_account, run.request.trunk
    try:
        if team.auth_id:
            run.client.assign_number_to_sub_account(purchase.e164, team.auth_id)
        if trunk is not None and trunk.remote_id:
            run.client.assign_number_to_trunk(purchase.e164, trunk.remote_id)
    except VobizError as exc:
        if exc.transient:
            raise
        # Bought but not attached: recorded on the master account; the request
        # fails and says so, nothing is left unaccounted for.
        _record_number(run, purchase, attached=False)
        run.stop_reason = run.stop_reason or (
            f"{purchase.e164} was bought but not attached: {explain(exc)}"
        )
        _save(
            run,
            purchase,
            reason=f"Bought, not attached to {team}: {explain(exc)}"[:500],
        )
        return
    _record_number(run, purchase, attached=True)


def _record_number(run: Run, purchase: NumberPurchase, *, attached: bool) -> None:
    number_request = run.request
    team = number_request.sub_account if attached else None
    trunk = number_request.trunk if attached else None
    owner = (team.auth_id if team else None) or run.client.auth_id
    remote = run.remotes.get(purchase.pk, {})
    with transaction.atomic():
        number = (
            PhoneNumber.objects.select_for_update().filter(e164=purchase.e164).first()
        )
        number = number or PhoneNumber(
            e164=purchase.e164, provider_account=number_request.provider_account
        )
        number.sub_account, number.account_auth_id = team, owner
        number.trunk = trunk
        number.trunk_remote_id = trunk.remote_id if trunk else ""
        number.status = "active"
        number.country = number_request.country
        number.region = str(remote.get("region") or number.region or "")[:100]
        number.remote_id = str(remote.get("id") or number.remote_id or "")[:64]
        number.setup_fee = purchase.setup_fee or Decimal(0)
        number.monthly_fee = purchase.monthly_fee or Decimal(0)
        number.currency = purchase.currency or "INR"
        number.purchased_at = purchase.bought_at
        number.released_at = number.removed_at = number.cancel_release_until = None
        if number_request.needs_dlt:
            number.dlt_entity_id = number_request.dlt_entity_id
            number.dlt_header = number_request.dlt_header
            number.dlt_purpose = number_request.dlt_purpose
        number.synced_at = timezone.now()
        number.save()
        changes: dict[str, Any] = {"phone_number_id": number.pk}
        if attached:
            changes.update(status=PurchaseStatus.DONE, attached_at=timezone.now())
        _save(run, purchase, **changes)
        purchase.phone_number = number
        if attached:
            audit_record(
                actor=None,
                action="number.assign_subaccount",
                obj=number,
                sub_account=team,
                after={
                    "sub_account": team.name if team else "",
                    "trunk": trunk.name if trunk else "",
                    "request": number_request.pk,
                },
            )


# --- the end of a run ---------------------------------------------------------


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
