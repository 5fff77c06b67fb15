"""How trunks answers what the apps below it announce (see accounts.signals)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver

from accounts.models import SubAccount
from accounts.signals import subaccount_removed
from trunks.models import IpAclEntry, Trunk, TrunkCredential


@receiver(subaccount_removed)
def trunks_of_removed_subaccount(
    sender: Any, *, sub_account: SubAccount, now: dt.datetime, **kwargs: Any
) -> None:
    """Mark the trunks, credentials and whitelist entries of the team removed."""
    for model in (Trunk, TrunkCredential, IpAclEntry):
        model.objects.filter(sub_account=sub_account, removed_at__isnull=True).update(
            removed_at=now
        )
