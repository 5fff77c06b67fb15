"""Call records, ledger rows and snapshots made fast for the billing report tests."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from billing.models import BalanceSnapshot, Cdr, Transaction
from billing.services.cdr_ingest import ingest_cdrs, parse_cdr
from billing.services.rollups import rollups_rebuild
from tests.billing.cdr_data import cdr_batch

# The report tests' clock (see the `frozen_clock` fixture in conftest.py).
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def at(day: int, hour: int = 12) -> dt.datetime:
    """Return a time on a day of NOW's month (noon unless told)."""
    return dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC)


def ingest_batch(provider, teams, *, days, per_day, seed=7, first_day=None):
    """Generate Vobiz-shaped CDRs for `teams`, ingest them with rollups."""
    owners = {t.auth_id: t.pk for t in teams}
    raws = cdr_batch(
        account_ids=list(owners),
        days=days,
        per_day=per_day,
        seed=seed,
        first_day=first_day,
    )
    rows = [parse_cdr(r, provider_id=provider.pk, owners=owners) for r in raws]
    ingest_cdrs(provider_id=provider.pk, rows=[r for r in rows if r])
    return raws


def bulk_cdrs(provider, team, *, count, start, step_seconds=60, **fields):
    """Create `count` CDRs of one team with bulk_create, then their rollups."""
    defaults = {
        "direction": "outbound",
        "duration": 70,
        "billsec": 60,
        "ring_time": 4,
        "cost": Decimal("0.45000"),
        "currency": "INR",
        "hangup_cause": "NORMAL_CLEARING",
        "from_number": "+918012345678",
        "to_number": "+912212345678",
    }
    defaults.update(fields)
    cdrs = [
        Cdr(
            uuid=uuid.uuid4(),
            provider_account=provider,
            sub_account=team,
            account_auth_id=team.auth_id if team else provider.auth_id,
            start_time=start + dt.timedelta(seconds=n * step_seconds),
            answer_time=(start + dt.timedelta(seconds=n * step_seconds + 4))
            if defaults["billsec"]
            else None,
            **defaults,
        )
        for n in range(count)
    ]
    Cdr.objects.bulk_create(cdrs, batch_size=2000)
    days = {c.start_time.astimezone(dt.UTC).date() for c in cdrs}
    rollups_rebuild(provider_id=provider.pk, days=days)
    return cdrs


def transaction(provider, *, when, amount, type="debit", reference_type="cdr", **kw):
    return Transaction.objects.create(
        provider_account=provider,
        remote_id=kw.pop("remote_id", f"txn_{uuid.uuid4()}"),
        type=type,
        amount=Decimal(amount),
        currency="INR",
        reference_type=reference_type,
        remote_created_at=when,
        **kw,
    )


def balance_snapshot(provider, *, when, balance, available=None, **kw):
    return BalanceSnapshot.objects.create(
        provider_account=provider,
        taken_at=when,
        currency="INR",
        balance=Decimal(balance),
        available_balance=Decimal(available if available is not None else balance),
        **kw,
    )
