"""Mirror Vobiz's sub-accounts into the portal: the mapping and the drift rules.

The loop, the locking and the removal marking are `sync.mirror`'s. What is
particular to sub-accounts:

- a sub-account typed into the portal before Vobiz knew it (no auth id, same
  name) is adopted, not copied;
- a new one whose name is taken gets its auth id after the name;
- a name Vobiz changed to one another sub-account has keeps the old name;
- linking a row to its auth id, and Vobiz's numeric id (kept when Vobiz sends
  none), are bookkeeping, not drift: only the MIRRORED fields are.
"""

from __future__ import annotations

from typing import Any

from accounts.audit import audit_record, snapshot
from accounts.models import SubAccount
from accounts.services import SUBACCOUNT_FIELDS
from sync.clients import client_for
from sync.mirror import Fields, Mirror, mirror
from sync.models import ProviderAccount
from sync.runs import sync_run
from vobiz.payloads import SubAccount as RemoteSubAccount

# Fields Vobiz owns; a difference here that the portal did not make is drift.
MIRRORED = (
    "name",
    "description",
    "enabled",
    "rate_limit",
    "permit_calls",
    "permit_cdr",
)


def subaccount_fields(remote: RemoteSubAccount) -> Fields:
    """Map a Vobiz sub-account to the row's columns.

    The auth id rides along for `settle`, which takes it out again: the mirror
    writes the key itself.
    """
    fields: Fields = {name: getattr(remote, name) for name in MIRRORED}
    return {**fields, "auth_id": remote.auth_id, "remote_id": remote.id}


class SubAccountRules:
    """The drift rules of one run over one provider account's sub-accounts."""

    def __init__(self, provider: ProviderAccount) -> None:
        self.provider = provider
        # The row being settled, as it was before the run touched it (mirror()
        # settles, then saves, then reports one row at a time), for the audit.
        self.before: dict[int, dict[str, Any]] = {}

    def find(self, auth_id: str, fields: Fields) -> SubAccount | None:
        """Return the portal-only sub-account of the same name, locked, if any."""
        # A sub-account typed into the portal before Vobiz knew it: link, don't copy.
        return (
            SubAccount.objects.select_for_update()
            .filter(
                provider_account=self.provider,
                name__iexact=fields["name"],
                auth_id__isnull=True,
            )
            .first()
        )

    def settle(self, local: SubAccount | None, fields: Fields) -> Fields:
        """Return the fields to write: a free name if new, the old one on a clash."""
        fields = dict(fields)
        auth_id = fields.pop("auth_id")
        if local is None:
            fields["name"] = self._free_name(fields["name"], auth_id)
            return fields
        self.before = {local.pk: snapshot(local, SUBACCOUNT_FIELDS)}
        remote_id = fields.pop("remote_id")
        # Set on the row, not compared: they never count as a change outside.
        local.auth_id = auth_id
        local.remote_id = remote_id or local.remote_id
        if fields["name"] != local.name and self._name_taken(local, fields["name"]):
            del fields["name"]
        return fields

    def created(self, row: SubAccount) -> None:
        """Audit a sub-account that appeared at Vobiz outside the portal."""
        audit_record(
            actor=None,
            action="subaccount.synced_new",
            obj=row,
            sub_account=row,
            after=snapshot(row, SUBACCOUNT_FIELDS),
        )

    def changed(self, row: SubAccount, before: Fields, after: Fields) -> None:
        """Audit a sub-account changed at Vobiz outside the portal."""
        audit_record(
            actor=None,
            action="subaccount.changed_outside",
            obj=row,
            sub_account=row,
            before=self.before.pop(row.pk),
            after=snapshot(row, SUBACCOUNT_FIELDS),
        )

    def removed(self, row: SubAccount) -> None:
        """Audit a sub-account deleted at Vobiz outside the portal."""
        audit_record(
            actor=None,
            action="subaccount.removed_outside",
            obj=row,
            sub_account=row,
            before=snapshot(row, SUBACCOUNT_FIELDS),
        )

    def _name_taken(self, local: SubAccount, name: str) -> bool:
        return (
            SubAccount.objects.filter(
                provider_account_id=local.provider_account_id, name__iexact=name
            )
            .exclude(pk=local.pk)
            .exists()
        )

    def _free_name(self, name: str, auth_id: str) -> str:
        clash = SubAccount.objects.filter(
            provider_account=self.provider, name__iexact=name
        )
        return f"{name[:80]} ({auth_id})" if clash.exists() else name


def subaccount_mirror(provider: ProviderAccount) -> Mirror[RemoteSubAccount]:
    """Return how one provider account's sub-accounts are mirrored."""
    rules = SubAccountRules(provider)
    return Mirror(
        model=SubAccount,
        key_field="auth_id",
        key=lambda remote: remote.auth_id,
        fields=subaccount_fields,
        settle=rules.settle,
        find=rules.find,
        created=rules.created,
        changed=rules.changed,
        removed=rules.removed,
        removed_fields={"enabled": False},
    )


def sub_accounts_sync(*, provider: ProviderAccount) -> dict[str, int]:
    """Upsert every Vobiz sub-account on its auth id and mark the vanished ones.

    A remote change the portal did not make is recorded as an audit event
    "changed outside the portal".
    """
    with sync_run(provider, "sub_accounts") as run:
        remotes = list(client_for(provider).typed.list_sub_accounts())
        # Only rows Vobiz has seen can vanish from it; portal-only rows stay.
        linked = SubAccount.objects.filter(
            provider_account=provider, auth_id__isnull=False
        )
        counts = mirror(
            subaccount_mirror(provider),
            provider=provider,
            remotes=remotes,
            scope=linked,
        )
        run.summary.update(counts)
    return counts
