"""A team lead's request that the admins rotate a trunk's SIP password."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.audit import audit_record
from accounts.models import User
from core.notify import notify
from trunks import selectors
from trunks.models import RotationRequest, Trunk


def rotation_request_create(
    *, actor: User, trunk: Trunk, reason: str = ""
) -> RotationRequest:
    """Record a team lead's request for a rotation and tell the admins.

    One open request per trunk; the rotation that follows closes it.
    """
    if not selectors.user_leads_trunk(user=actor, trunk=trunk):
        raise PermissionDenied
    if trunk.removed_at or trunk.credential_id is None:
        raise ValidationError("This trunk has no password to rotate.")
    try:
        with transaction.atomic():
            request = RotationRequest.objects.create(
                trunk=trunk, requested_by=actor, reason=reason[:300]
            )
            audit_record(
                actor=actor,
                action="credential.rotation_requested",
                obj=trunk,
                sub_account=trunk.sub_account,
                after={"reason": reason[:300]},
            )
            _tell_admins(request)
    except IntegrityError:
        raise ValidationError(
            "A rotation of this trunk has already been requested."
        ) from None
    return request


def _tell_admins(request: RotationRequest) -> None:
    trunk = request.trunk
    who = request.requested_by
    notify(
        users=selectors.admins(),
        title=f"Password rotation requested for {trunk.name}",
        body=(
            f"{who or 'A team lead'} asked for the SIP password of {trunk.name} "
            f"({trunk.sub_account or 'master account'}) to be rotated."
            + (f" Reason: {request.reason}" if request.reason else "")
        ),
        url=trunk.get_absolute_url(),
    )
