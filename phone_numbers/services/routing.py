"""Routing and moving owned numbers (admins).

Each one calls Vobiz first, outside any database transaction, and changes the
database (with its audit event) only once Vobiz has accepted. A Vobiz error
becomes a ProviderError and nothing changes locally.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record, snapshot
from accounts.models import SubAccount, User, require_admin
from phone_numbers.models import PhoneNumber
from sync.clients import client_for
from sync.errors import vobiz_errors
from trunks.models import Trunk
from vobiz.client import VobizClient

# What a number's audit events show before and after a change.
NUMBER_FIELDS = (
    "status",
    "sub_account",
    "account_auth_id",
    "trunk",
    "trunk_remote_id",
    "cancel_release_until",
)


def number_client(number: PhoneNumber) -> VobizClient:
    """Return the client that changes a number for a person waiting on a page."""
    return client_for(number.provider_account, interactive=True)


def number_assign_trunk(
    *, actor: User, number: PhoneNumber, trunk: Trunk | None
) -> PhoneNumber:
    """Route a number to a trunk of its own account, or remove its routing."""
    require_admin(actor)
    if trunk is not None and trunk.sub_account_id != number.sub_account_id:
        raise ValidationError({"trunk": f"{trunk} belongs to another account."})
    if number.status != "active":
        raise ValidationError("Only an active number can be routed.")
    with vobiz_errors(field_map={"trunk_group_id": "trunk"}):
        if trunk is not None:
            number_client(number).assign_number_to_trunk(number.e164, trunk.remote_id)
        else:
            number_client(number).unassign_number_from_trunk(number.e164)
    with transaction.atomic():
        locked: PhoneNumber = PhoneNumber.objects.select_for_update().get(pk=number.pk)
        before = snapshot(locked, NUMBER_FIELDS)
        locked.trunk = trunk
        locked.trunk_remote_id = trunk.remote_id if trunk else ""
        locked.save(update_fields=["trunk", "trunk_remote_id", "updated_at"])
        audit_record(
            actor=actor,
            action="number.assign_trunk" if trunk else "number.unassign_trunk",
            obj=locked,
            sub_account=locked.sub_account,
            before=before,
            after=snapshot(locked, NUMBER_FIELDS),
        )
    return locked


def _check_move(number: PhoneNumber, sub_account: SubAccount | None) -> None:
    if number.status != "active":
        raise ValidationError("Only an active number can move.")
    if sub_account is not None and not sub_account.auth_id:
        raise ValidationError({"sub_account": f"{sub_account} is not at Vobiz yet."})
    if sub_account is not None and sub_account.pk == number.sub_account_id:
        raise ValidationError({"sub_account": f"It already belongs to {sub_account}."})
    if sub_account is None and number.sub_account_id is None:
        raise ValidationError({"sub_account": "It is on the master account already."})


def number_move(
    *, actor: User, number: PhoneNumber, sub_account: SubAccount | None
) -> PhoneNumber:
    """Move a number to another sub-account, or back to the master account.

    Vobiz enforces a 15-day cool-off between moves (the ProviderError says when
    the number can move again) and drops the trunk routing on every move.
    """
    require_admin(actor)
    _check_move(number, sub_account)
    client = number_client(number)
    with vobiz_errors(field_map={"sub_account_id": "sub_account"}):
        if sub_account is not None:
            client.assign_number_to_sub_account(number.e164, str(sub_account.auth_id))
        else:
            client.unassign_number_from_sub_account(number.e164)
    with transaction.atomic():
        locked: PhoneNumber = PhoneNumber.objects.select_for_update().get(pk=number.pk)
        before = snapshot(locked, NUMBER_FIELDS)
        locked.sub_account = sub_account
        locked.account_auth_id = (
            str(sub_account.auth_id) if sub_account else locked.provider_account.auth_id
        )
        locked.trunk, locked.trunk_remote_id = None, ""
        locked.save()
        audit_record(
            actor=actor,
            action="number.move",
            obj=locked,
            sub_account=sub_account or number.sub_account,
            before=before,
            after=snapshot(locked, NUMBER_FIELDS),
        )
    return locked
