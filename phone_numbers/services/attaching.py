"""Give a bought number to its team (and trunk) and record where it really is."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import SubAccount
from phone_numbers.choices import PurchaseStatus
from phone_numbers.errors import explain
from phone_numbers.models import NumberPurchase, PhoneNumber
from phone_numbers.services.lease import Run, save_row
from trunks.models import Trunk
from vobiz.errors import VobizError
from vobiz.parse import text


def attach(run: Run, purchase: NumberPurchase) -> None:
    """Give a bought number to the team (and its trunk), then record it locally.

    Whatever Vobiz refuses, the local row records where the number really is.
    """
    team, trunk = run.request.sub_account, run.request.trunk
    if not team.auth_id:
        _attach_failed(run, purchase, None, f"{team} does not exist at Vobiz.")
        return
    try:
        run.client.assign_number_to_sub_account(purchase.e164, team.auth_id)
    except VobizError as exc:
        if exc.transient:
            raise
        _attach_failed(run, purchase, None, explain(exc))
        return
    if trunk is not None and trunk.remote_id:
        try:
            run.client.assign_number_to_trunk(purchase.e164, trunk.remote_id)
        except VobizError as exc:
            if exc.transient:
                raise
            _attach_failed(
                run, purchase, team, f"not routed to {trunk}: {explain(exc)}"
            )
            return
    _record_number(run, purchase, team=team, trunk=trunk, done=True)


def _attach_failed(
    run: Run, purchase: NumberPurchase, team: SubAccount | None, why: str
) -> None:
    """Record a bought number Vobiz would not (fully) attach, where it really is.

    The row keeps `bought` with the reason and the request fails and says so;
    nothing is left unaccounted for.
    """
    _record_number(run, purchase, team=team, trunk=None, done=False)
    where = f"is with {team}, but" if team else "stays on the master account:"
    run.stop_reason = run.stop_reason or f"{purchase.e164} was bought but {where} {why}"
    save_row(run, purchase, reason=f"Bought, but {where} {why}"[:500])


def _record_number(
    run: Run,
    purchase: NumberPurchase,
    *,
    team: SubAccount | None,
    trunk: Trunk | None,
    done: bool,
) -> None:
    number_request = run.request
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
        number.region = text(remote.get("region"), 100, number.region or "")
        number.remote_id = text(remote.get("id"), 64, number.remote_id or "")
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
        if done:
            changes.update(status=PurchaseStatus.DONE, attached_at=timezone.now())
        save_row(run, purchase, **changes)
        purchase.phone_number = number
        if team is not None:
            audit_record(
                actor=None,
                action="number.assign_subaccount",
                obj=number,
                sub_account=team,
                after={
                    "sub_account": team.name,
                    "trunk": trunk.name if trunk else "",
                    "request": number_request.pk,
                },
            )
