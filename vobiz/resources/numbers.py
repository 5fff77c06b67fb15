"""Phone numbers: inventory, purchase, release and routing (docs/vobiz-api.md §7).

Buying a number moves money, so ``purchase_number`` never re-sends blindly: it
checks whether an attempt with an unknown outcome landed before trying again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeAlias

from vobiz.base import BaseClient, compact
from vobiz.errors import NotFound, ServerError, TransportError
from vobiz.pagination import paginate_items
from vobiz.transport import JSONDict, Replay

PhoneNumber: TypeAlias = JSONDict

INVENTORY = "/Account/{auth_id}/inventory/numbers"
NUMBERS = "/Account/{auth_id}/numbers"
PURCHASE = "/Account/{auth_id}/numbers/purchase-from-inventory"
NUMBER = "/Account/{auth_id}/numbers/{e164}"
NUMBER_ASSIGN = "/Account/{auth_id}/numbers/{e164}/assign"
# These two live under lower-case "account", unlike the rest of the family.
CANCEL_RELEASE = "/account/{auth_id}/numbers/{e164}/cancel-release"
ASSIGN_SUB_ACCOUNT = "/account/{auth_id}/numbers/{e164}/assign-subaccount"


class NumberMethods(BaseClient):
    """Find, buy, release and route phone numbers."""

    def search_inventory(
        self,
        country: str | None = None,
        search: str | None = None,
        exclude: str | Iterable[str] | None = None,
    ) -> Iterator[PhoneNumber]:
        """Iterate over unowned numbers by country, substring and excluded prefixes."""
        if exclude is not None and not isinstance(exclude, str):
            exclude = ",".join(exclude)
        filters = compact({"country": country, "search": search, "exclude": exclude})
        return paginate_items(self._pages(INVENTORY, filters))

    def list_numbers(self, search: str | None = None) -> Iterator[PhoneNumber]:
        """Iterate over owned numbers (a master account's include its sub-accounts')."""
        return paginate_items(self._pages(NUMBERS, compact({"search": search})))

    def purchase_number(
        self, e164: str, idempotency_key: str, *, currency: str | None = None
    ) -> PhoneNumber:
        """Buy a number from inventory without ever buying it twice.

        Every attempt carries ``Idempotency-Key`` (our convention; real Vobiz
        ignores it). After a 5xx or a lost response the outcome is unknown, so
        the owned list is checked first and the number returned if the purchase
        landed; only a number we still do not own is bought again.
        """
        body = compact({"e164": e164, "currency": currency})
        headers = {"Idempotency-Key": idempotency_key}
        retries = 0
        while True:
            try:
                reply = self._call(
                    "POST",
                    PURCHASE,
                    json=body,
                    headers=headers,
                    replay=Replay.NEVER,
                    first_attempt=retries + 1,
                )
            except NotFound:
                # Gone from inventory: maybe an earlier run of this purchase landed.
                owned = self._owned_number(e164)
                if owned is None:
                    raise
                return owned
            except (ServerError, TransportError) as exc:
                if not exc.transient:
                    raise
                owned = self._owned_number(e164)
                if owned is not None:
                    return owned
                if retries >= self._transport.max_retries:
                    raise
                self._transport.back_off(retries)
                retries += 1
                continue
            number = reply.get("number")
            return number if isinstance(number, dict) else reply

    def _owned_number(self, e164: str) -> PhoneNumber | None:
        """Return ``e164`` if this account owns it (did the purchase land?)."""
        for number in self.list_numbers(search=e164):
            if number.get("e164") == e164 and number.get("account_id") in (
                None,
                self._auth_id,
            ):
                return number
        return None

    def release_number(self, e164: str, immediate: bool = False) -> JSONDict:
        """Release a number (for a fee); cancellable for 24 h unless ``immediate``."""
        params = {"immediate": "true"} if immediate else None
        return self._call("DELETE", NUMBER, params=params, e164=e164)

    def cancel_release(self, e164: str) -> JSONDict:
        """Undo a pending release; trunk and application routing are not restored."""
        return self._call("POST", CANCEL_RELEASE, e164=e164)

    def assign_number_to_trunk(self, e164: str, trunk_id: str) -> JSONDict:
        """Route a number to a trunk."""
        body = {"trunk_group_id": trunk_id}
        return self._call("POST", NUMBER_ASSIGN, json=body, e164=e164)

    def unassign_number_from_trunk(self, e164: str) -> JSONDict:
        """Remove a number's trunk routing."""
        return self._call("DELETE", NUMBER_ASSIGN, e164=e164)

    def assign_number_to_sub_account(self, e164: str, sub_auth_id: str) -> JSONDict:
        """Give a number to a sub-account."""
        body = {"sub_account_id": sub_auth_id}
        return self._call("POST", ASSIGN_SUB_ACCOUNT, json=body, e164=e164)

    def unassign_number_from_sub_account(
        self, e164: str, *, force: bool = False
    ) -> JSONDict:
        """Take a number back from a sub-account; Conflict during the cool-off."""
        params = {"force": "true"} if force else None
        return self._call("DELETE", ASSIGN_SUB_ACCOUNT, params=params, e164=e164)
