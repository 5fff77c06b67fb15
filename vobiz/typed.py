"""The client's resource methods again, returning payload objects, not dicts.

``client.typed.list_trunks()`` sends exactly what ``client.list_trunks()``
sends (same retries, cache, pagination and laziness) and turns each object
into a ``vobiz.payloads`` class. The raw methods stay as they are for the
callers that still read dicts (and for the CDR ingest, which keeps raw rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from vobiz.payloads import (
    Balance,
    CallPlaced,
    CallRecord,
    CreatedSubAccount,
    InventoryNumber,
    IpAclEntry,
    Number,
    NumberRelease,
    PasswordChanged,
    PurchasedNumber,
    SubAccount,
    Transaction,
    Trunk,
    TrunkCredential,
)

if TYPE_CHECKING:
    from vobiz.client import VobizClient
    from vobiz.resources.billing import DateLike


class TypedClient:
    """Call Vobiz through a ``VobizClient`` and get payload objects back."""

    __slots__ = ("_client",)

    def __init__(self, client: VobizClient) -> None:
        """Wrap ``client``; every call goes through it."""
        self._client = client

    def __repr__(self) -> str:
        return f"TypedClient({self._client!r})"

    # Console login (docs/vobiz-api.md §3)

    def change_console_password(self, *, current: str, new: str) -> PasswordChanged:
        """Change the console password (sent at most once); Vobiz revokes old JWTs."""
        reply = self._client.change_console_password(current=current, new=new)
        return PasswordChanged.from_api(reply)

    # Sub-accounts (§6)

    def list_sub_accounts(
        self, *, active_only: bool | None = None
    ) -> Iterator[SubAccount]:
        """Iterate over every sub-account, newest first."""
        raw = self._client.list_sub_accounts(active_only=active_only)
        return map(SubAccount.from_api, raw)

    def get_sub_account(self, sub_auth_id: str) -> SubAccount:
        """Return one sub-account by its ``SA_`` auth id."""
        return SubAccount.from_api(self._client.get_sub_account(sub_auth_id))

    def create_sub_account(self, name: str, **fields: Any) -> CreatedSubAccount:
        """Create a sub-account; the result holds its token, shown only once."""
        reply = self._client.create_sub_account(name, **fields)
        return CreatedSubAccount.from_api(reply)

    def update_sub_account(self, sub_auth_id: str, **fields: Any) -> SubAccount:
        """Change the given fields of a sub-account; return it updated."""
        reply = self._client.update_sub_account(sub_auth_id, **fields)
        return SubAccount.from_api(reply)

    # Trunks, credentials and IP ACL entries (§8)

    def list_trunks(self) -> Iterator[Trunk]:
        """Iterate over every trunk (cached for 5 minutes, as dicts)."""
        return map(Trunk.from_api, self._client.list_trunks())

    def get_trunk(self, trunk_id: str) -> Trunk:
        """Return one trunk; another account's trunk is a NotFound."""
        return Trunk.from_api(self._client.get_trunk(trunk_id))

    def create_trunk(
        self, name: str, trunk_type: str, max_concurrent_calls: int, **fields: Any
    ) -> Trunk:
        """Create a trunk; ``trunk_type`` is INBOUND or OUTBOUND."""
        reply = self._client.create_trunk(
            name, trunk_type, max_concurrent_calls, **fields
        )
        return Trunk.from_api(reply)

    def update_trunk(
        self,
        trunk_id: str,
        *,
        name: str,
        max_concurrent_calls: int,
        enabled: bool,
        **fields: Any,
    ) -> Trunk:
        """Replace a trunk's settings (PUT replaces, so all three are required)."""
        reply = self._client.update_trunk(
            trunk_id,
            name=name,
            max_concurrent_calls=max_concurrent_calls,
            enabled=enabled,
            **fields,
        )
        return Trunk.from_api(reply)

    def list_credentials(self) -> Iterator[TrunkCredential]:
        """Iterate over every SIP credential."""
        return map(TrunkCredential.from_api, self._client.list_credentials())

    def create_credential(self, username: str, password: str) -> TrunkCredential:
        """Create a SIP credential; Conflict if the username exists."""
        reply = self._client.create_credential(username, password)
        return TrunkCredential.from_api(reply)

    def update_credential(
        self,
        credential_id: str,
        *,
        password: str | None = None,
        enabled: bool | None = None,
        description: str | None = None,
    ) -> TrunkCredential:
        """Change a credential's password, enabled flag or description."""
        reply = self._client.update_credential(
            credential_id, password=password, enabled=enabled, description=description
        )
        return TrunkCredential.from_api(reply)

    def list_ip_acl(self) -> Iterator[IpAclEntry]:
        """Iterate over every IP ACL entry."""
        return map(IpAclEntry.from_api, self._client.list_ip_acl())

    def create_ip_acl(self, name: str, ip_address: str) -> IpAclEntry:
        """Allow an IPv4 address or CIDR; ``name`` comes back as the description."""
        return IpAclEntry.from_api(self._client.create_ip_acl(name, ip_address))

    def update_ip_acl(
        self,
        acl_id: str,
        *,
        ip_address: str | None = None,
        enabled: bool | None = None,
        description: str | None = None,
    ) -> IpAclEntry:
        """Change an IP ACL entry."""
        reply = self._client.update_ip_acl(
            acl_id, ip_address=ip_address, enabled=enabled, description=description
        )
        return IpAclEntry.from_api(reply)

    # Phone numbers (§7)

    def search_inventory(
        self,
        country: str | None = None,
        search: str | None = None,
        exclude: str | Iterable[str] | None = None,
    ) -> Iterator[InventoryNumber]:
        """Iterate over unowned numbers by country, substring and excluded prefixes."""
        raw = self._client.search_inventory(country, search, exclude)
        return map(InventoryNumber.from_api, raw)

    def list_numbers(self, search: str | None = None) -> Iterator[Number]:
        """Iterate over owned numbers (a master account's include its sub-accounts')."""
        return map(Number.from_api, self._client.list_numbers(search))

    def purchase_number(
        self, e164: str, idempotency_key: str, *, currency: str | None = None
    ) -> PurchasedNumber:
        """Buy a number from inventory without ever buying it twice."""
        reply = self._client.purchase_number(e164, idempotency_key, currency=currency)
        return PurchasedNumber.from_api(reply)

    def release_number(self, e164: str, immediate: bool = False) -> NumberRelease:
        """Release a number (for a fee); cancellable for 24 h unless ``immediate``."""
        return NumberRelease.from_api(self._client.release_number(e164, immediate))

    # Balance and ledger (§5)

    def get_balance(self, currency: str) -> Balance:
        """Return the balance in ``currency`` (cached 1 minute, as a dict)."""
        return Balance.from_api(self._client.get_balance(currency))

    def iter_transactions(self) -> Iterator[Transaction]:
        """Iterate over the balance ledger, newest first."""
        return map(Transaction.from_api, self._client.iter_transactions())

    # CDRs and calls (§9, §10)

    def iter_cdrs(
        self, start_date: DateLike, end_date: DateLike, **filters: str | int
    ) -> Iterator[CallRecord]:
        """Iterate over call detail records between two dates (never cached)."""
        raw = self._client.iter_cdrs(start_date, end_date, **filters)
        return map(CallRecord.from_api, raw)

    def make_call(
        self, from_: str, to: str, answer_url: str, **fields: Any
    ) -> CallPlaced:
        """Place a call; never re-sent after an unknown outcome (calls cost money)."""
        reply = self._client.make_call(from_, to, answer_url, **fields)
        return CallPlaced.from_api(reply)
