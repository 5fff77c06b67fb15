"""The account's money: balance and ledger (docs/vobiz-api.md §5).

Money is ``Decimal``: an unusable amount (junk, NaN, infinite, 1e9 or more)
is 0, with a warning. Text sizes are those of the portal's ``billing``
columns. A missing currency is "": the caller knows which one it asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from vobiz.parse import parse_datetime, parse_decimal, text


@dataclass(frozen=True, slots=True)
class Balance:
    """The account's balance in one currency (§5, ``/balance/{currency}``).

    ``available_balance`` is what purchases may spend (balance minus
    reservations); when Vobiz leaves it out it is the balance.
    ``credit_limit_type`` is ``soft`` or ``hard``.
    """

    currency: str
    balance: Decimal
    available_balance: Decimal
    reserved_funds: Decimal
    promotional_balance: Decimal
    credit_limit: Decimal
    credit_limit_type: str
    is_postpaid: bool
    low_balance_threshold: Decimal
    status: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build a balance from a Vobiz balance object."""
        return cls(
            currency=text(data.get("currency"), 3),
            balance=parse_decimal(data.get("balance")),
            available_balance=parse_decimal(
                data.get("available_balance", data.get("balance"))
            ),
            reserved_funds=parse_decimal(data.get("reserved_funds")),
            promotional_balance=parse_decimal(data.get("promotional_balance")),
            credit_limit=parse_decimal(data.get("credit_limit")),
            credit_limit_type=text(data.get("credit_limit_type"), 8),
            is_postpaid=bool(data.get("is_postpaid", False)),
            low_balance_threshold=parse_decimal(data.get("low_balance_threshold")),
            status=text(data.get("status"), 16),
        )


@dataclass(frozen=True, slots=True)
class Transaction:
    """One ledger row: a debit or a credit (§5, ``/transactions``).

    ``type`` is ``debit`` or ``credit``; ``reference_type`` one of ``cdr``,
    ``did_rental``, ``manual_adjustment``, ``payment``, ``refund``. An empty
    ``id`` means Vobiz sent none: skip the row. ``created_at`` is None when
    missing or unreadable (the caller picks the fallback, e.g. now).
    """

    id: str
    type: str
    amount: Decimal
    currency: str
    description: str
    reference: str
    reference_type: str
    status: str
    processed_at: dt.datetime | None
    created_at: dt.datetime | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build a ledger row from one Vobiz transaction object."""
        return cls(
            id=text(data.get("id"), 80),
            type=text(data.get("type"), 16),
            amount=parse_decimal(data.get("amount")),
            currency=text(data.get("currency"), 3),
            description=text(data.get("description"), 500),
            reference=text(data.get("reference"), 120),
            reference_type=text(data.get("reference_type"), 32),
            status=text(data.get("status"), 16),
            processed_at=parse_datetime(data.get("processed_at")),
            created_at=parse_datetime(data.get("created_at")),
        )
