"""The seeded ledger: top-ups, DID rentals and daily call charges, in order.

Seeded calls are billed as one ``cdr`` debit per account per day (300k per-call
rows would not fit the snapshot); calls placed through the API get one row each.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from simulator.clock import DAY
from simulator.models import Transaction, Wallet

if TYPE_CHECKING:
    from simulator.seed import SeedPlan

TOP_UP_BELOW = 3_000_000  # top up when the balance falls under ₹30,000
TOP_UP_AMOUNT = 10_000_000
OPENING_PAYMENT = 15_000_000
MONTH = 30 * DAY

# (ts, type, amount, description, reference, reference_type, auth_id)
Event = tuple[float, str, int, str, str, str, str]


def transaction_id(rng: random.Random | None = None) -> str:
    """Return a ledger id like ``txn_6883ee37-…``."""
    value = uuid.UUID(int=rng.getrandbits(128), version=4) if rng else uuid.uuid4()
    return f"txn_{value}"


def rupees(paise: int) -> str:
    """Format paise as ``₹1,234.50`` for descriptions."""
    return f"₹{paise / 100:,.2f}"


def _rental_events(plan: SeedPlan, anchor: float) -> list[Event]:
    events: list[Event] = []
    for number in plan.numbers:
        if number.owner is None or number.purchased_at is None:
            continue
        events.append(
            (
                number.purchased_at,
                "debit",
                number.setup_fee + number.monthly_fee,
                f"DID purchase {number.e164} (setup {rupees(number.setup_fee)} + "
                f"first month {rupees(number.monthly_fee)})",
                f"did_{number.id}",
                "did_rental",
                number.owner,
            )
        )
        due = number.purchased_at + MONTH
        while due < anchor:
            events.append(
                (
                    due,
                    "debit",
                    number.monthly_fee,
                    f"DID monthly rental {number.e164}",
                    f"did_{number.id}",
                    "did_rental",
                    number.owner,
                )
            )
            number.last_billing_date = due
            due += MONTH
        number.next_billing_date = due
    return events


def _call_events(
    plan: SeedPlan, day_costs: dict[tuple[int, int], tuple[int, int]], anchor: float
) -> list[Event]:
    events: list[Event] = []
    for (day, acct), (cost, calls) in sorted(day_costs.items()):
        if cost <= 0:
            continue
        date = datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%d")
        auth_id = plan.tables.accounts[acct]
        events.append(
            (
                min((day + 1) * DAY + 300, anchor - 60),
                "debit",
                cost,
                f"Call charges {date} ({calls:,} calls)",
                f"cdr_daily_{date}_{auth_id}",
                "cdr",
                auth_id,
            )
        )
    return events


def build_seed_ledger(
    rng: random.Random,
    plan: SeedPlan,
    wallet: Wallet,
    day_costs: dict[tuple[int, int], tuple[int, int]],
    window: tuple[float, float],
) -> tuple[list[Transaction], int]:
    """Return the seeded ledger rows (oldest first) and the final balance."""
    start, anchor = window
    master = wallet.account_id
    events = _rental_events(plan, anchor) + _call_events(plan, day_costs, anchor)
    events.append(
        (
            start - DAY,
            "credit",
            OPENING_PAYMENT,
            "Account top-up (Razorpay)",
            f"pay_{rng.getrandbits(48):012x}",
            "payment",
            master,
        )
    )
    middle = start + (anchor - start) / 2
    events.append(
        (
            middle,
            "credit",
            50_000,
            "Goodwill credit: carrier outage",
            "adj_goodwill",
            "manual_adjustment",
            master,
        )
    )
    events.append(
        (
            middle + DAY,
            "credit",
            30_000,
            "Refund: duplicate DID charge",
            "ref_duplicate_did",
            "refund",
            master,
        )
    )
    events.sort(key=lambda event: event[0])
    rows: list[Transaction] = []
    balance = 0
    for ts, kind, amount, description, reference, ref_type, auth_id in events:
        balance += amount if kind == "credit" else -amount
        rows.append(
            Transaction(
                transaction_id(rng),
                auth_id,
                wallet.id,
                kind,
                amount,
                wallet.currency,
                description,
                reference,
                ref_type,
                ts,
            )
        )
        if kind == "debit" and balance < TOP_UP_BELOW:
            balance += TOP_UP_AMOUNT
            rows.append(
                Transaction(
                    transaction_id(rng),
                    master,
                    wallet.id,
                    "credit",
                    TOP_UP_AMOUNT,
                    wallet.currency,
                    "Auto-recharge (Razorpay)",
                    f"pay_{rng.getrandbits(48):012x}",
                    "payment",
                    ts + 1,
                )
            )
    return rows, balance
