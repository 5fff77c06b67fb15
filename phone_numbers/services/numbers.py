"""Routing, moving and releasing owned numbers (admins).

Each one calls Vobiz first, outside any database transaction, and changes the
database (with its audit event) only once Vobiz has accepted. A Vobiz error
propagates unchanged and nothing changes locally.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.models import SubAccount, User, require_admin
from phone_numbers.choices import ReleaseStatus
from phone_numbers.models import NumberRelease, PhoneNumber
from sync.clients import client_for
from trunks.models import Trunk
from vobiz.client import VobizClient
from vobiz.parse import parse_datetime, parse_decimal

NUMBER_FIELDS = (
    "status",
    "sub_account",
    "account_auth_id",
    "trunk",
    "trunk_remote_id",
    "cancel_release_until",
)


def _client(number: PhoneNumber) -> VobizClient:
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
    if trunk is not None:
        _client(number).assign_number_to_trunk(number.e164, trunk.remote_id)
    else:
        _client(number).unassign_number_from_trunk(number.e164)
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


def number_move(
    *, actor: User, number: PhoneNumber, sub_account: SubAccount | None
) -> PhoneNumber:
    """Move a number to another sub-account, or back to the master account.

    Vobiz enforces a 15-day cool-off between moves (Conflict with
    `cool_off_until`) and drops the trunk routing on every move.
    """
    require_admin(actor)
    if number.status != "active":
        raise ValidationError("Only an active number can move.")
    if sub_account is not None and not sub_account.auth_id:
        raise ValidationError({"sub_account": f"{sub_account} is not at Vobiz yet."})
    if sub_account is not None and sub_account.pk == number.sub_account_id:
        raise ValidationError({"sub_account": f"It already belongs to {sub_account}."})
    if sub_account is None and number.sub_account_id is None:
        raise ValidationError({"sub_account": "It is on the master account already."})
    client = _client(number)
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


def number_release(*, actor: User, number: PhoneNumber, reason: str) -> NumberRelease:
    """Start releasing a number: Vobiz charges its release fee; 24 h to undo.

    The fee and the end of the undo window are what Vobiz answered.
    """
    require_admin(actor)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the number is released."})
    if number.status != "active":
        raise ValidationError(f"{number} is {number.get_status_display().lower()}.")
    reply = _client(number).release_number(number.e164)
    cooldown = parse_datetime(reply.get("cooldown_ends_at"))
    with transaction.atomic():
        locked: PhoneNumber = PhoneNumber.objects.select_for_update().get(pk=number.pk)
        before = snapshot(locked, NUMBER_FIELDS)
        release = NumberRelease.objects.create(
            phone_number=locked,
            e164=locked.e164,
            sub_account=locked.sub_account,
            previous_trunk=locked.trunk,
            reason=reason,
            fee=parse_decimal(reply.get("release_fee"))
            if reply.get("release_fee") is not None
            else None,
            currency=locked.currency or "INR",
            status=ReleaseStatus.PENDING
            if str(reply.get("status") or "pending_release") == "pending_release"
            else ReleaseStatus.RELEASED,
            cooldown_ends_at=cooldown,
            released_by=actor,
        )
        # Vobiz detaches the trunk and application on release.
        locked.status = "pending_release"
        locked.cancel_release_until = cooldown
        locked.trunk, locked.trunk_remote_id = None, ""
        locked.save()
        audit_record(
            actor=actor,
            action="number.release",
            obj=locked,
            sub_account=locked.sub_account,
            before=before,
            after={
                **snapshot(locked, NUMBER_FIELDS),
                "reason": reason,
                "release_fee": str(release.fee) if release.fee is not None else None,
            },
        )
    return release


def number_release_cancel(*, actor: User, number: PhoneNumber) -> NumberRelease:
    """Undo a pending release within its 24 hours; Vobiz refunds the fee.

    Vobiz does not restore the trunk routing; the release remembers the trunk
    so the page can offer to assign it again.
    """
    require_admin(actor)
    release = (
        NumberRelease.objects.filter(phone_number=number, status=ReleaseStatus.PENDING)
        .order_by("-created_at")
        .first()
    )
    if release is None or number.status != "pending_release":
        raise ValidationError("This number has no release to undo.")
    until = release.cooldown_ends_at or number.cancel_release_until
    if until is not None and until <= timezone.now():
        raise ValidationError("The 24-hour window to undo this release has passed.")
    _client(number).cancel_release(number.e164)
    with transaction.atomic():
        locked: PhoneNumber = PhoneNumber.objects.select_for_update().get(pk=number.pk)
        before = snapshot(locked, NUMBER_FIELDS)
        locked.status = "active"
        locked.cancel_release_until = None
        locked.trunk, locked.trunk_remote_id = None, ""
        locked.save()
        release.status = ReleaseStatus.CANCELLED
        release.cancelled_by, release.cancelled_at = actor, timezone.now()
        release.save(update_fields=["status", "cancelled_by", "cancelled_at"])
        audit_record(
            actor=actor,
            action="number.release_cancel",
            obj=locked,
            sub_account=locked.sub_account,
            before=before,
            after=snapshot(locked, NUMBER_FIELDS),
        )
    return release
