"""The one registry of sync kinds.

Each kind is one entry: its name, its label, the service that runs it inline,
the Celery task beat sends, and how often. The entry drives `manage.py
sync_vobiz --only`, the sync-now form on the API health page, the beat schedule
(built in settings from `beat_schedule()`) and the choices of `SyncState.kind`.
Adding a kind is adding an entry here.

Plain data with no Django import, so settings can read it before apps load. The
service and task are dotted paths, imported only when a sync runs: the domain
apps sit above this package and register their work by name.
"""

from __future__ import annotations

from dataclasses import dataclass

MINUTE = 60.0


@dataclass(frozen=True)
class SyncKindSpec:
    """One kind of sync: what runs it and how often beat sends it."""

    name: str
    label: str
    service: str
    task: str
    every: float
    beat_entry: str
    # Whether it can start from a chosen first day (a backfill).
    takes_since: bool = False


# In dependency order: owners before what they own.
KINDS: tuple[SyncKindSpec, ...] = (
    SyncKindSpec(
        "sub_accounts",
        "Sub-accounts",
        "accounts.sync.sub_accounts_sync",
        "accounts.tasks.sub_accounts_sync",
        15 * MINUTE,
        "sub-accounts",
    ),
    SyncKindSpec(
        "trunks",
        "Trunks",
        "trunks.sync.trunks_sync",
        "trunks.tasks.trunks_sync",
        15 * MINUTE,
        "trunks",
    ),
    SyncKindSpec(
        "numbers",
        "Numbers",
        "phone_numbers.sync.numbers_sync",
        "phone_numbers.tasks.numbers_sync",
        15 * MINUTE,
        "numbers",
    ),
    SyncKindSpec(
        "balance",
        "Balance",
        "billing.sync.balance_snapshot",
        "billing.tasks.balance_snapshot",
        1 * MINUTE,
        "balance",
    ),
    SyncKindSpec(
        "transactions",
        "Transactions",
        "billing.sync.transactions_sync",
        "billing.tasks.transactions_sync",
        15 * MINUTE,
        "transactions",
    ),
    SyncKindSpec(
        "cdrs",
        "Call records",
        "billing.sync.cdrs_sync",
        "billing.tasks.cdrs_sync",
        5 * MINUTE,
        "cdrs",
        takes_since=True,
    ),
    # Local: rebuilds the daily rollups of days that disagree with the raw rows.
    SyncKindSpec(
        "rollups",
        "Rollup check",
        "billing.sync.rollups_check",
        "billing.tasks.rollups_check",
        24 * 60 * MINUTE,
        "rollups-check",
        takes_since=True,
    ),
)

BY_NAME: dict[str, SyncKindSpec] = {kind.name: kind for kind in KINDS}


def kind_get(name: str) -> SyncKindSpec:
    """Return the kind called `name`; KeyError for one that does not exist."""
    return BY_NAME[name]


def beat_schedule() -> dict[str, dict[str, object]]:
    """Return the beat entries of every sync kind, for CELERY_BEAT_SCHEDULE."""
    return {
        kind.beat_entry: {"task": kind.task, "schedule": kind.every} for kind in KINDS
    }
