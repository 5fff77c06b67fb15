"""Writes for users, sub-accounts and memberships. Each one is audited."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ForeignObjectRel
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.audit import audit_record, snapshot
from accounts.choices import GlobalRole, MembershipRole, SubAccountKind
from accounts.models import Membership, SubAccount, User, require_admin
from accounts.signals import subaccount_removed
from sync.clients import client_for
from sync.models import ProviderAccount
from vobiz.client import VobizClient
from vobiz.errors import NotFound

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
# Rows that point at a sub-account without being history worth keeping it for:
# memberships go with it, audit events and the API call log keep their own labels.
NOT_HISTORY = frozenset(
    {"accounts.Membership", "accounts.AuditEvent", "monitoring.ApiCall"}
)
# What Vobiz returns in place of a token it no longer shows.
MASKED_BY_VOBIZ = "<redacted>"
USER_FIELDS = ("email", "full_name", "role", "is_active")
EDITABLE_SUBACCOUNT_FIELDS = frozenset(
    {"name", "description", "kind", "rate_limit", "permit_calls", "permit_cdr"}
)


def _checked_draft(provider_account: ProviderAccount, **fields: Any) -> SubAccount:
    """Build an unsaved sub-account and validate it (before any call to Vobiz)."""
    draft = SubAccount(provider_account=provider_account, **fields)
    draft.full_clean()
    return draft


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
    """Create a sub-account in the portal's database only, and audit it.

    The row has no auth id until `subaccount_push` creates it at Vobiz. The
    demo seed and tests use this; the create page uses `subaccount_provision`,
    which creates it at Vobiz first.
    """
    sub_account = _checked_draft(
        provider_account,
        name=name,
        description=description,
        kind=kind,
        enabled=enabled,
        rate_limit=rate_limit,
        permit_calls=permit_calls,
        permit_cdr=permit_cdr,
    )
    sub_account.save()
    audit_record(
        actor=actor,
        action="subaccount.create",
        obj=sub_account,
        sub_account=sub_account,
        after=snapshot(sub_account, SUBACCOUNT_FIELDS),
    )
    return sub_account


def _vobiz_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Return the Vobiz body for the sub-account fields present in `values`."""
    body: dict[str, Any] = {}
    for name in ("name", "description", "rate_limit", "enabled"):
        if name in values:
            body[name] = values[name]
    if "permit_calls" in values or "permit_cdr" in values:
        body["permissions"] = {
            "calls": bool(values.get("permit_calls")),
            "cdr": bool(values.get("permit_cdr")),
        }
    return body


def _master_client(provider: ProviderAccount) -> VobizClient:
    return client_for(provider, interactive=True)


def _credentials_of(reply: dict[str, Any]) -> tuple[str, str, str]:
    """Return (auth id, auth token, numeric id) from a create response."""
    remote = reply.get("sub_account") or {}
    creds = reply.get("auth_credentials") or {}
    auth_id = str(creds.get("auth_id") or remote.get("auth_id") or "")
    token = str(creds.get("auth_token") or remote.get("auth_token") or "")
    if token == MASKED_BY_VOBIZ:
        token = ""
    return auth_id, token, str(remote.get("id") or "")


def subaccount_provision(
    *,
    actor: User,
    provider_account: ProviderAccount,
    name: str,
    description: str = "",
    kind: str = SubAccountKind.TEAM,
    enabled: bool = True,
    rate_limit: int = 1000,
    permit_calls: bool = True,
    permit_cdr: bool = True,
) -> tuple[SubAccount, str]:
    """Create a sub-account at Vobiz, then in the portal; return it and its token.

    Vobiz shows the auth token only in this response, so it is stored encrypted
    at once. A Vobiz error (raised as a `VobizError`) leaves the portal
    unchanged. Values are checked before Vobiz is called.
    """
    draft = _checked_draft(
        provider_account,
        name=name,
        description=description,
        kind=kind,
        enabled=enabled,
        rate_limit=rate_limit,
        permit_calls=permit_calls,
        permit_cdr=permit_cdr,
    )
    values = {
        "name": name,
        "description": description,
        "rate_limit": rate_limit,
        "permit_calls": permit_calls,
        "permit_cdr": permit_cdr,
        "enabled": enabled,
    }
    auth_id, token, remote_id = _create_at_vobiz(provider_account, values)
    with transaction.atomic():
        _take_credentials(draft, auth_id, token, remote_id)
        audit_record(
            actor=actor,
            action="subaccount.create",
            obj=draft,
            sub_account=draft,
            after={**snapshot(draft, SUBACCOUNT_FIELDS), "at_vobiz": True},
        )
    return draft, token


def _create_at_vobiz(
    provider_account: ProviderAccount, values: dict[str, Any]
) -> tuple[str, str, str]:
    """Create the sub-account at Vobiz; return its auth id, token and remote id."""
    body = _vobiz_fields(values)
    reply = _master_client(provider_account).create_sub_account(
        body.pop("name"), **{k: v for k, v in body.items() if v != ""}
    )
    return _credentials_of(reply)


def _take_credentials(
    sub_account: SubAccount, auth_id: str, token: str, remote_id: str
) -> None:
    # Inside the caller's transaction, with the audit record that follows.
    sub_account.auth_id = auth_id or None
    sub_account.remote_id = remote_id
    sub_account.auth_token = token
    sub_account.synced_at = timezone.now()
    sub_account.save()


def subaccount_push(*, actor: User, sub_account: SubAccount) -> tuple[SubAccount, str]:
    """Create at Vobiz a sub-account that so far exists only in the portal.

    Return it with its new auth id and the token Vobiz shows once.
    """
    if sub_account.auth_id:
        raise ValidationError("This sub-account already exists at Vobiz.")
    if sub_account.removed_at:
        raise ValidationError("This sub-account was deleted.")
    values = {
        f: getattr(sub_account, f)
        for f in ("name", "description", "rate_limit", "permit_calls", "permit_cdr")
    }
    auth_id, token, remote_id = _create_at_vobiz(
        sub_account.provider_account, {**values, "enabled": sub_account.enabled}
    )
    with transaction.atomic():
        locked = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
        before = snapshot(locked, SUBACCOUNT_FIELDS)
        _take_credentials(locked, auth_id, token, remote_id)
        audit_record(
            actor=actor,
            action="subaccount.pushed",
            obj=locked,
            sub_account=locked,
            before=before,
            after=snapshot(locked, SUBACCOUNT_FIELDS),
        )
    return locked, token


def subaccount_update(
    *, actor: User, sub_account: SubAccount, **changes: Any
) -> SubAccount:
    """Change a sub-account's editable fields, at Vobiz first, and audit it.

    Name, description, rate limit and permissions live at Vobiz too; they are
    sent only when they changed and the sub-account exists there. The kind is
    the portal's own. A Vobiz error leaves the portal unchanged.
    """
    unknown = set(changes) - EDITABLE_SUBACCOUNT_FIELDS
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    current = SubAccount.objects.get(pk=sub_account.pk)
    if current.removed_at:
        raise ValidationError("This sub-account was deleted; it cannot be changed.")
    for field, value in changes.items():
        setattr(current, field, value)
    current.full_clean()
    changed = {k: v for k, v in changes.items() if getattr(sub_account, k, None) != v}
    if "permit_calls" in changed or "permit_cdr" in changed:
        changed.update(permit_calls=current.permit_calls, permit_cdr=current.permit_cdr)
    body = _vobiz_fields(changed)
    if current.auth_id and body:
        client = _master_client(current.provider_account)
        client.update_sub_account(current.auth_id, **body)
    return _save_update(actor=actor, sub_account=sub_account, changes=changes)


@transaction.atomic
def _save_update(
    *, actor: User, sub_account: SubAccount, changes: dict[str, Any]
) -> SubAccount:
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


def subaccount_set_enabled(
    *, actor: User, sub_account: SubAccount, enabled: bool
) -> SubAccount:
    """Enable or disable a sub-account, at Vobiz first.

    Disabling keeps its numbers and history. A Vobiz error leaves the portal
    unchanged.
    """
    current = SubAccount.objects.get(pk=sub_account.pk)
    if current.enabled == enabled:
        return current
    if current.removed_at:
        raise ValidationError("This sub-account was deleted; it cannot be changed.")
    if current.auth_id:
        client = _master_client(current.provider_account)
        client.update_sub_account(current.auth_id, enabled=enabled)
    with transaction.atomic():
        locked = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
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


def subaccount_is_referenced(sub_account: SubAccount) -> bool:
    """Say whether anything but memberships and logs points at the row.

    Trunks, numbers, call records, budgets… are history worth keeping; a
    sub-account that has none of them can be deleted outright.
    """
    # Hidden relations too: the synced models point here with related_name="+".
    for rel in SubAccount._meta.get_fields(include_hidden=True):
        if not isinstance(rel, ForeignObjectRel) or rel.concrete:
            continue
        model = rel.related_model
        if isinstance(model, str) or model._meta.label in NOT_HISTORY:
            continue
        manager = model._base_manager
        if manager.filter(**{rel.field.name: sub_account}).exists():
            return True
    return False


def subaccount_delete(
    *, actor: User, sub_account: SubAccount, confirm_name: str
) -> str:
    """Delete a sub-account at Vobiz, then in the portal; return what happened.

    Vobiz deletes it for good and revokes its credentials. Locally, a row that
    anything refers to (trunks, numbers, call records, budgets) is kept as
    history: it is marked removed (`removed_at`), disabled, its stored token is
    dropped, and its trunks, credentials and whitelist entries are marked removed
    too; the result is "removed". A row nothing refers to is deleted together
    with its memberships; the result is "deleted". Audit events keep their label
    either way. `confirm_name` must repeat the name exactly.
    """
    if confirm_name.strip() != sub_account.name:
        raise ValidationError(
            {"confirm_name": f"Type the name exactly as shown: {sub_account.name}"}
        )
    current = SubAccount.objects.get(pk=sub_account.pk)
    if current.removed_at:
        raise ValidationError("This sub-account is already deleted.")
    if current.auth_id:
        client = _master_client(current.provider_account)
        # Already gone at Vobiz: finish the local side.
        with contextlib.suppress(NotFound):
            client.delete_sub_account(current.auth_id)
    return _delete_locally(actor=actor, sub_account=current)


@transaction.atomic
def _delete_locally(*, actor: User, sub_account: SubAccount) -> str:
    locked = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
    before = snapshot(locked, SUBACCOUNT_FIELDS)
    if not subaccount_is_referenced(locked):
        audit_record(
            actor=actor,
            action="subaccount.delete",
            obj=locked,
            sub_account=locked,
            before=before,
            after={"outcome": "deleted"},
        )
        locked.delete()
        return "deleted"
    now = timezone.now()
    # Trunks, credentials and whitelist entries of the team go with it.
    subaccount_removed.send(sender=SubAccount, sub_account=locked, now=now)
    locked.removed_at = now
    locked.enabled = False
    locked.disabled_at = locked.disabled_at or now
    locked.auth_token = ""
    locked.save()
    audit_record(
        actor=actor,
        action="subaccount.delete",
        obj=locked,
        sub_account=locked,
        before=before,
        after={**snapshot(locked, SUBACCOUNT_FIELDS), "outcome": "removed"},
    )
    return "removed"


@transaction.atomic
def subaccount_token_reveal(*, actor: User, sub_account: SubAccount) -> None:
    """Record that an admin chose to see a sub-account's stored auth token.

    The caller then shows it once. Raises PermissionDenied for non-admins and
    ValidationError when the portal holds no token.
    """
    require_admin(actor)
    if not sub_account.auth_token:
        raise ValidationError("The portal holds no auth token for this sub-account.")
    audit_record(
        actor=actor,
        action="subaccount.token_revealed",
        obj=sub_account,
        sub_account=sub_account,
    )


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
