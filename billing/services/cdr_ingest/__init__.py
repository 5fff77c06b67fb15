"""Put call detail records into the database fast, idempotently, with rollups.

- `rows`: check and format one CDR as text values (`parse_cdr`, `COLUMNS`).
- `postgres`: one COPY for new rows; else stage and merge in one statement.
- `sqlite`: typed rows through one `bulk_create(update_conflicts=True)`.
- `batch`: pick the path, commit rows and rollups together (`ingest_raw_cdrs`).
- `cursor`: the CDR sync's watermark.

The rollups themselves are `billing.services.rollups`.
"""

from billing.services.cdr_ingest.batch import ingest_cdrs, ingest_raw_cdrs
from billing.services.cdr_ingest.cursor import cdrs_watermark_advance
from billing.services.cdr_ingest.rows import COLUMNS, MUTABLE, Row, parse_cdr

__all__ = [
    "COLUMNS",
    "MUTABLE",
    "Row",
    "cdrs_watermark_advance",
    "ingest_cdrs",
    "ingest_raw_cdrs",
    "parse_cdr",
]
