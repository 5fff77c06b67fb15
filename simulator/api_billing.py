"""Balance and transactions (``/account/{auth_id}/balance|transactions``)."""

from __future__ import annotations

import math
from typing import Any

from werkzeug.wrappers import Response

from simulator.clock import iso
from simulator.models import Transaction
from simulator.responses import flat, json_response
from simulator.web import Ctx, Route

REFERENCE_TYPES = ("cdr", "did_rental", "manual_adjustment", "payment", "refund")


def _money(paise: int) -> float:
    return round(paise / 100, 2)


def get_balance(ctx: Ctx, auth_id: str, currency: str) -> Response:
    """Return the wallet the caller pays from, in ``currency``."""
    wallet = ctx.state.wallet(ctx.caller.auth_id, currency)
    if wallet is None:
        raise flat(404, "not_found", f"no balance in currency {currency.upper()}")
    return json_response(
        {
            "id": wallet.id,
            "account_id": wallet.account_id,
            "currency": wallet.currency,
            "balance": _money(wallet.balance),
            "reserved_funds": 0,
            "promotional_balance": 0,
            "promotional_reserved_balance": 0,
            "available_balance": _money(wallet.balance),
            "credit_limit": _money(wallet.credit_limit),
            "is_postpaid": False,
            "credit_limit_type": "soft",
            "low_balance_threshold": _money(wallet.low_balance_threshold),
            "status": "active",
            "created_at": iso(wallet.created_at),
            "updated_at": iso(wallet.updated_at),
        }
    )


def transaction_object(row: Transaction) -> dict[str, Any]:
    """Return a ledger row in the documented shape."""
    stamp = iso(row.created_at)
    return {
        "id": row.id,
        "auth_id": row.auth_id,
        "balance_id": f"bal_{row.balance_id}",
        "type": row.type,
        "amount": _money(row.amount),
        "currency": row.currency,
        "description": row.description,
        "reference": row.reference,
        "reference_type": row.reference_type,
        "status": "completed",
        "processed_at": stamp,
        "created_at": stamp,
        "updated_at": stamp,
    }


def _summary(rows: list[Transaction]) -> dict[str, Any]:
    debit = sum(r.amount for r in rows if r.type == "debit")
    credit = sum(r.amount for r in rows if r.type == "credit")
    by_type = []
    for ref_type in REFERENCE_TYPES:
        mine = [r for r in rows if r.reference_type == ref_type]
        if mine:
            by_type.append(
                {
                    "reference_type": ref_type,
                    "total_debit": _money(
                        sum(r.amount for r in mine if r.type == "debit")
                    ),
                    "total_credit": _money(
                        sum(r.amount for r in mine if r.type == "credit")
                    ),
                    "count": len(mine),
                }
            )
    return {
        "total_transactions": len(rows),
        "total_debit": _money(debit),
        "total_credit": _money(credit),
        "net_amount": _money(credit - debit),
        "by_reference_type": by_type,
    }


def list_transactions(ctx: Ctx, auth_id: str) -> Response:
    """List ledger rows newest first (limit ≤ 100 / offset) with a summary."""
    limit = ctx.arg_int("limit", 50, minimum=1, maximum=100)
    offset = ctx.arg_int("offset", 0)
    caller = ctx.caller
    if caller.is_master:
        # The master sees its wallets' whole ledger, deleted sub-accounts included.
        wallets = {
            w.id for w in ctx.state.wallets.values() if w.account_id == caller.auth_id
        }
        rows = [r for r in reversed(ctx.state.transactions) if r.balance_id in wallets]
    else:
        rows = [
            r for r in reversed(ctx.state.transactions) if r.auth_id == caller.auth_id
        ]
    return json_response(
        {
            "auth_id": ctx.caller.auth_id,
            "total": len(rows),
            "page": offset // limit + 1,
            "per_page": limit,
            "total_pages": math.ceil(len(rows) / limit),
            "transactions": [
                transaction_object(r) for r in rows[offset : offset + limit]
            ],
            "summary": _summary(rows),
        }
    )


ROUTES = [
    Route(("GET",), "/api/v1/{account}/<auth_id>/balance/<currency>", get_balance),
    Route(("GET",), "/api/v1/{account}/<auth_id>/transactions", list_transactions),
]
