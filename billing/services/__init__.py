"""Writes of the billing app, one module per feature.

- `budgets`: a team's monthly budget, audited.
- `exports`: the audit trail of CDR and ledger exports.
- `balance`: balance snapshots.
- `transactions`: the ledger, upserted on Vobiz's id.
- `cdr_ingest`: call detail records into the database, fast and idempotent.
- `rollups`: the daily rollups of the CDRs, rebuilt and repaired.

The syncs that feed them (`billing.sync`) fetch from Vobiz and map fields.
"""

from billing.services.balance import balance_snapshot_store
from billing.services.budgets import budget_remove, budget_set
from billing.services.cdr_ingest import (
    cdrs_watermark_advance,
    ingest_cdrs,
    ingest_raw_cdrs,
)
from billing.services.exports import cdr_export_record, transaction_export_record
from billing.services.rollups import rollups_rebuild, rollups_repair
from billing.services.transactions import transactions_upsert

__all__ = [
    "balance_snapshot_store",
    "budget_remove",
    "budget_set",
    "cdr_export_record",
    "cdrs_watermark_advance",
    "ingest_cdrs",
    "ingest_raw_cdrs",
    "rollups_rebuild",
    "rollups_repair",
    "transaction_export_record",
    "transactions_upsert",
]
