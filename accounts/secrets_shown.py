"""How a sub-account's new auth token is shown once (see core.show_once)."""

from __future__ import annotations

from accounts.models import SubAccount
from core.show_once import Shown

SUBACCOUNT_TOKEN = "subaccount_token"  # noqa: S105 (a ticket kind)


def subaccount_token_shown(pk: int, job_id: int | None = None) -> Shown | None:
    sub_account = SubAccount.objects.filter(pk=pk).first()
    if sub_account is None or not sub_account.auth_token:
        return None
    return Shown(
        title=f"Auth token of {sub_account.name}",
        label="Auth token",
        value=sub_account.auth_token.reveal(),
        username=sub_account.auth_id or "",
        back_url=sub_account.get_absolute_url(),
        back_label=f"Back to {sub_account.name}",
        note="Use it with the auth id in the X-Auth-ID and X-Auth-Token headers.",
    )
