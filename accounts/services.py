"""Writes for users, sub-accounts and memberships. Each one is audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.audit import audit_record, snapshot
from accounts.choices import GlobalRole, MembershipRole, SubAccountKind
from accounts.models import Membership, ProviderAccount, SubAccount, User

SUBACCOUNT_FIELDS = (
    "name",
    "description",
    "kind",
    "enabled",
    "rate_limit",
    "permit_calls",
    "permit_cdr",
    "auth_id",
    "auth_token",
)
USER_FIELDS = ("email", "full_name", "role", "is_active")
EDITABLE_SUBACCOUNT_FIELDS = frozenset(
    {"name", "description", "kind", "rate_limit", "permit_calls", "permit_cdr"}
)


@transaction.atomic
def subaccount_create(
    *,
    actor: User | None,
    provider_account: ProviderAccount,
    name: str,
    description: str = "",
    kind: str = SubAccountKind.TEAM,
    enabled: bool = True,
    rate_limit: int = 1000,
    permit_calls: bool = True,
    permit_cdr: bool = True,
) -> SubAccount:
    """Create a sub-account in the portal's database and audit it."""
    sub_account = SubAccount(
        provider_account=provider_account,
        name=name,
        description=description,
        kind=kind,
        enabled=enabled,
        rate_limit=rate_limit,
        permit_calls=permit_calls,
        permit_cdr=permit_cdr,
    )
    sub_account.full_clean()
    sub_account.save()
    audit_record(
        actor=actor,
        action="subaccount.create",
        obj=sub_account,
        sub_account=sub_account,
        after=snapshot(sub_account, SUBACCOUNT_FIELDS),
    )
    return sub_account


@transaction.atomic
def subaccount_update(
    *, actor: User, sub_account: SubAccount, **changes: Any
) -> SubAccount:
    """Change a sub-account's editable fields and audit the difference."""
    unknown = set(changes) - EDITABLE_SUBACCOUNT_FIELDS
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    locked = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
    before = snapshot(locked, SUBACCOUNT_FIELDS)
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.full_clean()
    locked.save()
    after = snapshot(locked, SUBACCOUNT_FIELDS)
    if before != after:
        audit_record(
            actor=actor,
            action="subaccount.update",
            obj=locked,
            sub_account=locked,
            before=before,
            after=after,
        )
    return locked


@transaction.atomic
def subaccount_set_enabled(
    *, actor: User, sub_account: SubAccount, enabled: bool
) -> SubAccount:
    """Enable or disable a sub-account; disabling keeps its numbers and history."""
    locked = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
    if locked.enabled == enabled:
        return locked
    before = snapshot(locked, SUBACCOUNT_FIELDS)
    locked.enabled = enabled
    locked.disabled_at = None if enabled else timezone.now()
    locked.save(update_fields=["enabled", "disabled_at", "updated_at"])
    audit_record(
        actor=actor,
        action="subaccount.enable" if enabled else "subaccount.disable",
        obj=locked,
        sub_account=locked,
        before=before,
        after=snapshot(locked, SUBACCOUNT_FIELDS),
    )
    return locked


def set_password_url(user: User) -> str:
    """Return a one-time link that lets the user choose a password.

    The token is bound to the password hash and last login, so it stops working
    as soon as it has been used.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_set", args=[uid, token])
    base: str = settings.PORTAL_BASE_URL
    return base.rstrip("/") + path


@transaction.atomic
def user_create(
    *, actor: User | None, email: str, full_name: str, role: str = GlobalRole.NONE
) -> tuple[User, str]:
    """Create a user without a password; return the user and a set-password link."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "A user with this e-mail already exists."})
    user = User.objects.create_user(email=email, full_name=full_name, role=role)
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        after=snapshot(user, USER_FIELDS),
    )
    return user, set_password_url(user)


@transaction.atomic
def user_update(*, actor: User, user: User, full_name: str, role: str) -> User:
    """Change a user's name and global role; an admin cannot demote themselves."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.pk == actor.pk and role != GlobalRole.ADMIN:
        raise ValidationError({"role": "You cannot remove your own admin role."})
    before = snapshot(locked, USER_FIELDS)
    locked.full_name = full_name
    locked.role = role
    locked.full_clean(exclude=["password"])
    locked.save(update_fields=["full_name", "role"])
    after = snapshot(locked, USER_FIELDS)
    if before != after:
        audit_record(
            actor=actor, action="user.update", obj=locked, before=before, after=after
        )
    return locked


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate or reactivate a user; a deactivated user's sessions stop working.

    Django's auth backend refuses inactive users, so an open session turns
    anonymous at its next request.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.pk == actor.pk and not active:
        raise ValidationError("You cannot deactivate yourself.")
    if locked.is_active == active:
        return locked
    before = snapshot(locked, USER_FIELDS)
    locked.is_active = active
    locked.deactivated_at = None if active else timezone.now()
    locked.save(update_fields=["is_active", "deactivated_at"])
    audit_record(
        actor=actor,
        action="user.reactivate" if active else "user.deactivate",
        obj=locked,
        before=before,
        after=snapshot(locked, USER_FIELDS),
    )
    return locked


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


@transaction.atomic
def user_password_link(*, actor: User, user: User) -> str:
    """Issue a new one-time set-password link for a user and audit that it was."""
    audit_record(actor=actor, action="user.password_link", obj=user)
    return set_password_url(user)
