"""Phone numbers: owned, in inventory, just bought, being released.

The contract: docs/vobiz-api.md §7.

Text sizes are those of the portal's ``phone_numbers`` columns. ``e164`` is
the number's identity, so it is taken as Vobiz sent it, never cut or cleaned:
a shortened number would be another number. An empty ``e164`` means Vobiz
sent none; skip the object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from vobiz.parse import parse_datetime, parse_decimal, parse_money, text


def _e164(data: Mapping[str, Any]) -> str:
    return str(data.get("e164") or "")


@dataclass(frozen=True, slots=True)
class Number:
    """A number the account owns, as listed (§7.3).

    ``account_auth_id`` is the owner (a master account's list includes its
    sub-accounts' numbers) and ``trunk_id`` the trunk it is routed to (Vobiz's
    ``trunk_group_id``, "" when none). Unusable fees are 0, a missing currency
    is INR and a missing status ``active``.
    """

    e164: str
    id: str
    account_auth_id: str
    country: str
    region: str
    status: str
    setup_fee: Decimal
    monthly_fee: Decimal
    currency: str
    trunk_id: str
    purchased_at: dt.datetime | None
    released_at: dt.datetime | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build a number from one item of the owned-numbers list."""
        return cls(
            e164=_e164(data),
            id=text(data.get("id"), 64),
            account_auth_id=text(data.get("account_id"), 40),
            country=text(data.get("country"), 2),
            region=text(data.get("region"), 100),
            status=text(data.get("status"), 24, "active"),
            setup_fee=parse_decimal(data.get("setup_fee")),
            monthly_fee=parse_decimal(data.get("monthly_fee")),
            currency=text(data.get("currency"), 3, "INR"),
            trunk_id=text(data.get("trunk_group_id"), 64),
            purchased_at=parse_datetime(data.get("purchased_at")),
            released_at=parse_datetime(data.get("released_at")),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
        )


@dataclass(frozen=True, slots=True)
class InventoryNumber:
    """A number for sale in Vobiz's inventory (§7.1) and what it costs.

    Unusable fees are 0 and a missing currency is INR; ``aadhaar_required``
    says the number (92-series) needs per-number Aadhaar verification.
    """

    e164: str
    id: str
    country: str
    region: str
    setup_fee: Decimal
    monthly_fee: Decimal
    currency: str
    aadhaar_required: bool

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build an offer from one item of the inventory search."""
        return cls(
            e164=_e164(data),
            id=text(data.get("id"), 64),
            country=text(data.get("country"), 2),
            region=text(data.get("region"), 100),
            setup_fee=parse_decimal(data.get("setup_fee")),
            monthly_fee=parse_decimal(data.get("monthly_fee")),
            currency=text(data.get("currency"), 3, "INR"),
            aadhaar_required=bool(data.get("aadhaar_verification_required")),
        )

    @property
    def cost(self) -> Decimal:
        """Return what buying it debits: the setup fee and the first month."""
        return self.setup_fee + self.monthly_fee


@dataclass(frozen=True, slots=True)
class PurchasedNumber:
    """A number just bought (§7.2 "number"), or found owned after a lost answer.

    The caller already knows what it was quoted, so what Vobiz left out or
    sent unusable stays empty for the caller to fill in from the quote: fees
    are None, ``currency``, ``region`` and ``id`` are "", ``purchased_at`` is
    None. Nothing here may fail: the number is paid for either way.
    """

    e164: str
    id: str
    account_auth_id: str
    region: str
    setup_fee: Decimal | None
    monthly_fee: Decimal | None
    currency: str
    purchased_at: dt.datetime | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build the result from the ``number`` of a purchase answer."""
        return cls(
            e164=_e164(data),
            id=text(data.get("id"), 64),
            account_auth_id=text(data.get("account_id"), 40),
            region=text(data.get("region"), 100),
            setup_fee=parse_money(data.get("setup_fee")),
            monthly_fee=parse_money(data.get("monthly_fee")),
            currency=text(data.get("currency"), 3),
            purchased_at=parse_datetime(data.get("purchased_at")),
        )


@dataclass(frozen=True, slots=True)
class NumberRelease:
    """The answer to releasing a number (§7.4).

    ``release_fee`` is None only when Vobiz named no fee (an unusable one is
    0, with a warning); a missing status means ``pending_release``, the
    cancellable state that lasts until ``cooldown_ends_at``.
    """

    status: str
    release_fee: Decimal | None
    cooldown_ends_at: dt.datetime | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build the result from a release answer."""
        fee = data.get("release_fee")
        return cls(
            status=text(data.get("status") or None, 24, "pending_release"),
            release_fee=None if fee is None else parse_decimal(fee),
            cooldown_ends_at=parse_datetime(data.get("cooldown_ends_at")),
        )

    @property
    def pending(self) -> bool:
        """Say whether the release can still be cancelled (not immediate)."""
        return self.status == "pending_release"
