"""Which Vobiz client acts on a trunk, credential or whitelist entry.

Vobiz keeps trunks, credentials and IP ACL entries per account: the master
(`MA_`) account cannot see or change a sub-account's (`/Account/SA_…/trunks` needs
the sub-account's own auth id and token). So the portal acts on a team's trunks
with that team's client, which exists only while the portal holds its token
(sub-accounts created through the portal always do).
"""

from __future__ import annotations

from accounts.models import SubAccount
from sync.clients import client_for, sub_account_client
from sync.models import ProviderAccount
from trunks.vobiz_errors import NoVobizAccess
from vobiz.client import VobizClient


def team_client(
    provider: ProviderAccount, sub_account: SubAccount | None
) -> VobizClient:
    """Return the interactive client of the account that owns the objects.

    Raises NoVobizAccess when the portal holds no token for the sub-account.
    """
    if sub_account is None:
        return client_for(provider, interactive=True)
    client = sub_account_client(provider, sub_account, interactive=True)
    if client is None:
        raise NoVobizAccess(
            f"The portal does not hold the auth token of “{sub_account.name}”, so "
            "it cannot change its trunks at Vobiz. Sub-accounts created through "
            "the portal have one."
        )
    return client
