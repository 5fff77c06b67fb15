"""Who belongs to which sub-account, as lead or viewer."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record
from accounts.choices import MembershipRole
from accounts.models import Membership, SubAccount, User


@transaction.atomic
def membership_set(
    *, actor: User | None, user: User, sub_account: SubAccount, role: str
) -> Membership:
    """Give a user a role in a sub-account, or change the role they have."""
    if role not in MembershipRole.values:
        raise ValidationError({"role": "Choose lead or viewer."})
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user, sub_account=sub_account, defaults={"role": role}
    )
    before = None if created else {"user": user.email, "role": membership.role}
    if not created and membership.role == role:
        return membership
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="membership.create" if created else "membership.update",
        obj=membership,
        sub_account=sub_account,
        before=before,
        after={"user": user.email, "role": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """Remove a user from a sub-account."""
    audit_record(
        actor=actor,
        action="membership.delete",
        obj=membership,
        sub_account=membership.sub_account,
        before={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()
