"""Sub-accounts at Vobiz and in the portal: create, push, edit, enable, reveal.

Every write that Vobiz also holds goes to Vobiz first, outside any database
transaction, and changes the portal only once Vobiz accepted, in one
transaction with its audit event. A Vobiz failure leaves as
`core.errors.ProviderError`, worded by `sync.errors`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record, audited_update, snapshot
from accounts.choices import SubAccountKind
from accounts.models import SubAccount, User, require_admin
from sync.clients import client_for
from sync.errors import vobiz_errors
from sync.models import ProviderAccount
from vobiz.client import VobizClient
from vobiz.payloads import CreatedSubAccount

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
EDITABLE_SUBACCOUNT_FIELDS = frozenset(
    {"name", "description", "kind", "rate_limit", "permit_calls", "permit_cdr"}
)
# Vobiz's names for the sub-account form's fields, for its validation errors.
SUBACCOUNT_FIELD_MAP = {"permissions": "permit_calls"}


def master_client(provider: ProviderAccount) -> VobizClient:
    """Return the client of the master account, for a person waiting on a page."""
    return client_for(provider, interactive=True)


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
    at once. A Vobiz error (raised as a `ProviderError`) leaves the portal
    unchanged. Values are checked before Vobiz is called.
    """
    fields = {
        "name": name,
        "description": description,
        "enabled": enabled,
        "rate_limit": rate_limit,
        "permit_calls": permit_calls,
        "permit_cdr": permit_cdr,
    }
    draft = _checked_draft(provider_account, kind=kind, **fields)
    created = _create_at_vobiz(provider_account, fields)
    with transaction.atomic():
        _take_credentials(draft, created)
        audit_record(
            actor=actor,
            action="subaccount.create",
            obj=draft,
            sub_account=draft,
            after={**snapshot(draft, SUBACCOUNT_FIELDS), "at_vobiz": True},
        )
    return draft, created.auth_token


def _create_at_vobiz(
    provider_account: ProviderAccount, values: dict[str, Any]
) -> CreatedSubAccount:
    """Create the sub-account at Vobiz; return its ids and the token shown once."""
    body = _vobiz_fields(values)
    with vobiz_errors(field_map=SUBACCOUNT_FIELD_MAP):
        return master_client(provider_account).typed.create_sub_account(
            body.pop("name"), **{k: v for k, v in body.items() if v != ""}
        )


def _take_credentials(sub_account: SubAccount, created: CreatedSubAccount) -> None:
    # Inside the caller's transaction, with the audit record that follows.
    sub_account.auth_id = created.auth_id or None
    sub_account.remote_id = created.id
    sub_account.auth_token = created.auth_token
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
    created = _create_at_vobiz(
        sub_account.provider_account, {**values, "enabled": sub_account.enabled}
    )
    with transaction.atomic():
        locked = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
        before = snapshot(locked, SUBACCOUNT_FIELDS)
        _take_credentials(locked, created)
        audit_record(
            actor=actor,
            action="subaccount.pushed",
            obj=locked,
            sub_account=locked,
            before=before,
            after=snapshot(locked, SUBACCOUNT_FIELDS),
        )
    return locked, created.auth_token


def subaccount_update(
    *, actor: User, sub_account: SubAccount, **changes: Any
) -> SubAccount:
    """Change a sub-account's editable fields, at Vobiz first, and audit it.

    Name, description, rate limit and permissions live at Vobiz too; they are
    sent only when they changed and the sub-account exists there. The kind is
    the portal's own. A Vobiz error (a `ProviderError`) leaves the portal
    unchanged.
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
        with vobiz_errors(field_map=SUBACCOUNT_FIELD_MAP):
            master_client(current.provider_account).update_sub_account(
                current.auth_id, **body
            )
    return _save_update(actor=actor, sub_account=sub_account, changes=changes)


@transaction.atomic
def _save_update(
    *, actor: User, sub_account: SubAccount, changes: dict[str, Any]
) -> SubAccount:
    locked = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
    audited_update(
        actor=actor,
        row=locked,
        changes=changes,
        fields=SUBACCOUNT_FIELDS,
        action="subaccount.update",
        sub_account=locked,
    )
    return locked


def subaccount_set_enabled(
    *, actor: User, sub_account: SubAccount, enabled: bool
) -> SubAccount:
    """Enable or disable a sub-account, at Vobiz first.

    Disabling keeps its numbers and history. A Vobiz error (a `ProviderError`)
    leaves the portal unchanged.
    """
    current = SubAccount.objects.get(pk=sub_account.pk)
    if current.enabled == enabled:
        return current
    if current.removed_at:
        raise ValidationError("This sub-account was deleted; it cannot be changed.")
    if current.auth_id:
        with vobiz_errors(field_map=SUBACCOUNT_FIELD_MAP):
            master_client(current.provider_account).update_sub_account(
                current.auth_id, enabled=enabled
            )
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
