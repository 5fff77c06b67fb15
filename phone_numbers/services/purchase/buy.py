"""Buy one purchase row: choose the number, check the balance, send, record.

The row moves pending → buying in a committed step before the purchase is sent;
a `buying` row met later is looked up at Vobiz before anything is sent again,
with the same key and the same number. A row is given another number only after
Vobiz said, verified, that the first one was not bought.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.audit import audit_record
from phone_numbers.choices import PurchaseStatus
from phone_numbers.models import NumberPurchase
from phone_numbers.services.inventory import inventory_offers
from phone_numbers.services.purchase.lease import Run, lease, not_bought, save_row
from phone_numbers.services.requests import new_idempotency_key
from sync.errors import describe
from vobiz.errors import InsufficientBalance, NotFound, ServerError, VobizError
from vobiz.payloads import InventoryNumber, Number, PurchasedNumber

SUBSTITUTIONS = 3
PICK_CANDIDATES = 10
# What Vobiz answers (as a 500) when the balance cannot cover a purchase
# (docs/vobiz-api.md §7.2); the client has verified the number was not bought.
FAILED_DEBIT = "failed to purchase number"


def resolve_unknown(run: Run, purchase: NumberPurchase) -> None:
    """Look up a purchase whose outcome is unknown; re-send only if Vobiz lacks it."""
    owned = _owned(run, purchase.e164)
    if owned is not None:
        _record_bought(run, purchase, owned)
        return
    if run.stop_reason:
        not_bought(run, purchase, f"Not bought: {run.stop_reason}")
        return
    _send(run, purchase, retry_gone=False)


def prepare_and_buy(run: Run, purchase: NumberPurchase) -> None:
    """Choose the row's number if needed, check the balance, and buy it."""
    for _ in range(SUBSTITUTIONS + 1):
        offer = _offer_for(run, purchase)
        if offer is None:
            return
        if not _affordable(run, purchase, offer):
            return
        # Committed before the call: from here on the outcome counts as unknown.
        save_row(
            run,
            purchase,
            expect=PurchaseStatus.PENDING,
            status=PurchaseStatus.BUYING,
            attempts=F("attempts") + 1,
            last_attempt_at=timezone.now(),
            claimed_until=timezone.now() + lease(),
            setup_fee=offer.setup_fee,
            monthly_fee=offer.monthly_fee,
            currency=offer.currency,
        )
        purchase.status = PurchaseStatus.BUYING
        if _send(run, purchase, retry_gone=not purchase.chosen_by_admin) != "gone":
            return
    not_bought(
        run, purchase, "Not bought: the numbers picked kept being taken by others."
    )


def _offer_for(run: Run, purchase: NumberPurchase) -> InventoryNumber | None:
    """Return the inventory offer this row will buy, choosing one if needed."""
    if purchase.e164:
        offer = _in_inventory(run, purchase.e164)
        if offer is not None:
            return offer
        if purchase.chosen_by_admin:
            not_bought(
                run,
                purchase,
                f"Not bought: {purchase.e164} is no longer in Vobiz's inventory.",
            )
            return None
        # Never sent under this key (the row is pending): choosing again is safe.
        save_row(run, purchase, e164="")
    return _pick(run, purchase)


def _in_inventory(run: Run, e164: str) -> InventoryNumber | None:
    for offer in run.client.typed.search_inventory(
        country=run.request.country, search=e164.lstrip("+")
    ):
        if offer.e164 == e164:
            return offer
    return None


def _pick(run: Run, purchase: NumberPurchase) -> InventoryNumber | None:
    """Choose a matching inventory number no other live purchase aims at."""
    for offer in inventory_offers(
        run.request, interactive=False, limit=PICK_CANDIDATES
    ):
        try:
            save_row(run, purchase, e164=offer.e164)
        except IntegrityError:
            # Another worker chose it a moment ago (one live purchase per number).
            continue
        return offer
    wanted = run.request.series_label
    if run.request.prefix:
        wanted += f" starting {run.request.prefix}"
    not_bought(
        run, purchase, f"Not bought: no number in Vobiz's inventory matches {wanted}."
    )
    return None


def _affordable(run: Run, purchase: NumberPurchase, offer: InventoryNumber) -> bool:
    """Check the balance before buying, as Vobiz advises; stop the run if short."""
    if run.available is None:
        run.available = run.client.typed.get_balance(offer.currency).available_balance
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
    not_bought(run, purchase, f"Not bought: {reason}")


def _send(run: Run, purchase: NumberPurchase, *, retry_gone: bool) -> str:
    """Send the purchase with the row's stored key; return how it ended."""
    try:
        bought = run.client.typed.purchase_number(
            purchase.e164, purchase.idempotency_key
        )
    except NotFound:
        # The client checked: not ours, and gone from the inventory.
        return _gone(run, purchase, retry_gone=retry_gone)
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
        _stop(run, purchase, describe(exc))
        return "not_bought"
    _record_bought(run, purchase, bought)
    return "bought"


def _gone(run: Run, purchase: NumberPurchase, *, retry_gone: bool) -> str:
    """Take another number with a fresh key, or give up on a chosen one."""
    if retry_gone:
        save_row(
            run,
            purchase,
            status=PurchaseStatus.PENDING,
            e164="",
            idempotency_key=new_idempotency_key(run.request, purchase.position),
        )
        return "gone"
    not_bought(run, purchase, f"Not bought: {purchase.e164} was taken by someone else.")
    return "not_bought"


def _owned(run: Run, e164: str) -> PurchasedNumber | None:
    """Return the number if Vobiz says the company (or the team) owns it."""
    ours = {run.client.auth_id, run.request.sub_account.auth_id} - {None, ""}
    for number in run.client.typed.list_numbers(search=e164.lstrip("+")):
        if number.e164 == e164 and number.account_auth_id in ours:
            return _as_bought(number)
    return None


def _as_bought(number: Number) -> PurchasedNumber:
    # A purchase found in the owned list after its answer was lost.
    return PurchasedNumber(
        e164=number.e164,
        id=number.id,
        account_auth_id=number.account_auth_id,
        region=number.region,
        setup_fee=number.setup_fee,
        monthly_fee=number.monthly_fee,
        currency=number.currency,
        purchased_at=number.purchased_at,
    )


def _record_bought(run: Run, purchase: NumberPurchase, bought: PurchasedNumber) -> None:
    # What Vobiz left out (or sent unusable) is what it quoted.
    setup = _or_quote(bought.setup_fee, purchase.setup_fee)
    monthly = _or_quote(bought.monthly_fee, purchase.monthly_fee)
    with transaction.atomic():
        save_row(
            run,
            purchase,
            status=PurchaseStatus.BOUGHT,
            bought_at=bought.purchased_at or timezone.now(),
            setup_fee=setup,
            monthly_fee=monthly,
            currency=bought.currency or purchase.currency or "INR",
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
    run.bought[purchase.pk] = bought


def _or_quote(answered: Decimal | None, quoted: Decimal | None) -> Decimal:
    return answered if answered is not None else Decimal(str(quoted or 0))
