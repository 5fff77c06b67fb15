"""Deleting a sub-account: at Vobiz for good, in the portal as history if needed."""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ForeignObjectRel
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.models import SubAccount, User
from accounts.services.subaccounts import SUBACCOUNT_FIELDS, master_client
from accounts.signals import subaccount_removed
from sync.errors import vobiz_errors
from vobiz.errors import NotFound

# Rows that point at a sub-account without being history worth keeping it for:
# memberships go with it, audit events and the API call log keep their own labels.
NOT_HISTORY = frozenset({"accounts.Membership", "accounts.AuditEvent", "sync.ApiCall"})


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
    either way. `confirm_name` must repeat the name exactly. A Vobiz error (a
    `ProviderError`) leaves the portal unchanged.
    """
    if confirm_name.strip() != sub_account.name:
        raise ValidationError(
            {"confirm_name": f"Type the name exactly as shown: {sub_account.name}"}
        )
    current = SubAccount.objects.get(pk=sub_account.pk)
    if current.removed_at:
        raise ValidationError("This sub-account is already deleted.")
    if current.auth_id:
        # Already gone at Vobiz: finish the local side.
        with vobiz_errors(), contextlib.suppress(NotFound):
            master_client(current.provider_account).delete_sub_account(current.auth_id)
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
