"""Sub-accounts: the teams' own Vobiz accounts (docs/vobiz-api.md §6)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeAlias

from vobiz.base import BaseClient, compact
from vobiz.pagination import paginate_sub_accounts
from vobiz.transport import JSONDict, Replay

SubAccount: TypeAlias = JSONDict

# Plural, lower-case "accounts" here, unlike every other family (§0.5).
SUB_ACCOUNTS = "/accounts/{auth_id}/sub-accounts/"
SUB_ACCOUNT = "/accounts/{auth_id}/sub-accounts/{sub_auth_id}"


class SubAccountMethods(BaseClient):
    """List, create, read, change and delete sub-accounts."""

    def list_sub_accounts(
        self, *, active_only: bool | None = None
    ) -> Iterator[SubAccount]:
        """Iterate over every sub-account, newest first."""
        extra = {} if active_only is None else {"active_only": active_only}
        return paginate_sub_accounts(self._pages(SUB_ACCOUNTS, extra))

    def create_sub_account(self, name: str, **fields: Any) -> JSONDict:
        """Create a sub-account; return the whole response (its token is shown once).

        ``fields`` are the documented optional ones: email, phone, description,
        rate_limit, permissions, password, enabled, kyc_mode, business_type.
        """
        body = compact({"name": name, **fields})
        return self._call("POST", SUB_ACCOUNTS, json=body, replay=Replay.UNSENT_ONLY)

    def get_sub_account(self, sub_auth_id: str) -> SubAccount:
        """Return one sub-account by its ``SA_`` auth id (not its numeric id)."""
        return self._call("GET", SUB_ACCOUNT, sub_auth_id=sub_auth_id)

    def update_sub_account(self, sub_auth_id: str, **fields: Any) -> SubAccount:
        """Change the given fields of a sub-account; return it updated."""
        return self._call(
            "PUT", SUB_ACCOUNT, json=compact(fields), sub_auth_id=sub_auth_id
        )

    def delete_sub_account(self, sub_auth_id: str) -> None:
        """Delete a sub-account permanently, revoking its credentials."""
        self._call("DELETE", SUB_ACCOUNT, sub_auth_id=sub_auth_id)
