"""Releasing an owned number, and undoing it within Vobiz's 24 hours (admins).

Vobiz is called first, outside any database transaction; the database (with its
audit event) changes only once Vobiz has accepted. A Vobiz error becomes a
ProviderError and nothing changes locally.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.models import User, require_admin
from phone_numbers.choices import ReleaseStatus
from phone_numbers.models import NumberRelease, PhoneNumber
from phone_numbers.services.routing import NUMBER_FIELDS, number_client
from sync.errors import vobiz_errors


def number_release(*, actor: User, number: PhoneNumber, reason: str) -> NumberRelease:
    """Start releasing a number: Vobiz charges its release fee; 24 h to undo.

    The fee and the end of the undo window are what Vobiz answered.
    """
    require_admin(actor)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the number is released."})
    if number.status != "active":
        raise ValidationError(f"{number} is {number.get_status_display().lower()}.")
    with vobiz_errors():
        reply = number_client(number).typed.release_number(number.e164)
    with transaction.atomic():
        locked: PhoneNumber = PhoneNumber.objects.select_for_update().get(pk=number.pk)
        before = snapshot(locked, NUMBER_FIELDS)
        release = NumberRelease.objects.create(
            phone_number=locked,
            e164=locked.e164,
            sub_account=locked.sub_account,
            previous_trunk=locked.trunk,
            reason=reason,
            fee=reply.release_fee,
            currency=locked.currency or "INR",
            status=ReleaseStatus.PENDING if reply.pending else ReleaseStatus.RELEASED,
            cooldown_ends_at=reply.cooldown_ends_at,
            released_by=actor,
        )
        # docs/vobiz-api.md §7.4: Vobiz detaches the trunk and application on release.
        locked.status = "pending_release"
        locked.cancel_release_until = reply.cooldown_ends_at
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
    with vobiz_errors():
        number_client(number).cancel_release(number.e164)
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
