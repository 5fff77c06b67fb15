"""Sub-accounts (docs/vobiz-api.md §6).

Text sizes are those of the portal's ``accounts.SubAccount`` columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from vobiz.parse import parse_int, text
from vobiz.payloads.base import nested

# How Vobiz shows a sub-account's auth token everywhere but the create answer.
MASKED_TOKEN = "<redacted>"  # noqa: S105 (a placeholder, not a secret)


@dataclass(frozen=True, slots=True)
class SubAccount:
    """A Vobiz sub-account (``SA_…``) as listed, read or updated (§6).

    ``id`` is Vobiz's numeric id ("500001"), ``auth_id`` the ``SA_`` id that
    paths take; an empty ``auth_id`` means Vobiz sent none (skip the object).
    A missing name falls back to the auth id; the rate limit is kept within
    what the portal's column allows (1 to 100,000), and a missing, zero or
    junk one is Vobiz's default of 1000. Permissions default to allowed.
    """

    auth_id: str
    id: str
    name: str
    description: str
    enabled: bool
    rate_limit: int
    permit_calls: bool
    permit_cdr: bool

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build a sub-account from one Vobiz sub-account object."""
        permissions = nested(data.get("permissions"))
        return cls(
            auth_id=text(data.get("auth_id"), 40),
            id=text(data.get("id"), 40),
            name=text(data.get("name") or data.get("auth_id"), 100),
            description=text(data.get("description"), 500),
            enabled=bool(data.get("enabled", True)),
            rate_limit=parse_int(
                data.get("rate_limit") or 1000, 1000, low=1, high=100_000
            ),
            permit_calls=bool(permissions.get("calls", True)),
            permit_cdr=bool(permissions.get("cdr", True)),
        )


@dataclass(frozen=True, slots=True)
class CreatedSubAccount:
    """The answer to creating a sub-account (§6 "Create").

    The one place Vobiz shows the sub-account's auth token: ``auth_token`` is
    that token, or "" when the answer carried none (or only the mask). The
    ids come from ``auth_credentials`` first, then from ``sub_account``. The
    console ``tokens`` Vobiz also returns are left out: the portal never
    signs in to the console as a sub-account.
    """

    sub_account: SubAccount
    auth_id: str
    auth_token: str = field(repr=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build the result from the whole create response."""
        remote = nested(data.get("sub_account"))
        creds = nested(data.get("auth_credentials"))
        # Never cut or cleaned: a token changed in any way would not work.
        token = str(creds.get("auth_token") or remote.get("auth_token") or "")
        return cls(
            sub_account=SubAccount.from_api(remote),
            auth_id=text(creds.get("auth_id") or remote.get("auth_id"), 40),
            auth_token="" if token == MASKED_TOKEN else token,
        )

    @property
    def id(self) -> str:
        """Return Vobiz's numeric id of the new sub-account ("" if not sent)."""
        return self.sub_account.id
