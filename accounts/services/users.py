"""People in the portal: invitations, set-password links, roles, deactivation."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.audit import audit_record, audited_update, snapshot
from accounts.choices import GlobalRole
from accounts.models import User

USER_FIELDS = ("email", "full_name", "role", "is_active")


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
    audited_update(
        actor=actor,
        row=locked,
        changes={"full_name": full_name, "role": role},
        fields=USER_FIELDS,
        action="user.update",
        clean_exclude=("password",),
        update_fields=["full_name", "role"],
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
def user_password_link(*, actor: User, user: User) -> str:
    """Issue a new one-time set-password link for a user and audit that it was."""
    audit_record(actor=actor, action="user.password_link", obj=user)
    return set_password_url(user)
