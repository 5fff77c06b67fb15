"""Give a bought number to its team (and trunk) and record where it really is.

The local `PhoneNumber` is written through the sync's own mapping
(`phone_numbers.sync.number_fields`), as the number Vobiz now lists, so the
next sync finds nothing changed outside the portal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import SubAccount
from phone_numbers.choices import PurchaseStatus
from phone_numbers.models import NumberPurchase, PhoneNumber
from phone_numbers.services.purchase.lease import Run, save_row
from phone_numbers.sync import number_fields
from sync.errors import describe
from trunks.models import Trunk
from vobiz.errors import VobizError
from vobiz.payloads import Number


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
        _attach_failed(run, purchase, None, describe(exc))
        return
    if trunk is not None and trunk.remote_id:
        try:
            run.client.assign_number_to_trunk(purchase.e164, trunk.remote_id)
        except VobizError as exc:
            if exc.transient:
                raise
            _attach_failed(
                run, purchase, team, f"not routed to {trunk}: {describe(exc)}"
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
    with transaction.atomic():
        number = (
            PhoneNumber.objects.select_for_update().filter(e164=purchase.e164).first()
        )
        number = number or PhoneNumber(
            e164=purchase.e164, provider_account=number_request.provider_account
        )
        listed = _as_listed(run, purchase, number, owner=owner, trunk=trunk)
        fields = number_fields(
            listed,
            owners={owner: team.pk} if team else {},
            trunks={listed.trunk_id: trunk.pk} if trunk else {},
        )
        for name, value in fields.items():
            setattr(number, name, value)
        number.removed_at = number.cancel_release_until = None
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
            _audit_assigned(run, number, team, trunk)


def _as_listed(
    run: Run,
    purchase: NumberPurchase,
    number: PhoneNumber,
    *,
    owner: str,
    trunk: Trunk | None,
) -> Number:
    """Return the number as Vobiz lists it now: the team's, routed as attached.

    The fees are the row's (what Vobiz charged); region and remote id are what
    the purchase answered in this run, else what the row already knew.
    """
    bought = run.bought.get(purchase.pk)
    return Number(
        e164=purchase.e164,
        id=(bought.id if bought else "") or number.remote_id or "",
        account_auth_id=owner,
        country=run.request.country,
        region=(bought.region if bought else "") or number.region or "",
        status="active",
        setup_fee=purchase.setup_fee or Decimal(0),
        monthly_fee=purchase.monthly_fee or Decimal(0),
        currency=purchase.currency or "INR",
        trunk_id=trunk.remote_id if trunk else "",
        purchased_at=purchase.bought_at,
        released_at=None,
        created_at=number.remote_created_at,
        updated_at=number.remote_updated_at,
    )


def _audit_assigned(
    run: Run, number: PhoneNumber, team: SubAccount, trunk: Trunk | None
) -> None:
    audit_record(
        actor=None,
        action="number.assign_subaccount",
        obj=number,
        sub_account=team,
        after={
            "sub_account": team.name,
            "trunk": trunk.name if trunk else "",
            "request": run.request.pk,
        },
    )
