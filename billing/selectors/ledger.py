"""Reads for the transactions ledger and its CSV download."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict

from accounts.models import (
    User,
    require_admin_or_finance,
)
from billing.filters import TransactionFilter
from billing.models import (
    Transaction,
)
from billing.reports import cdr as cdr_reports
from billing.reports.paging import bounded_keyset_page
from core.paging import KeysetPage

AnyUser = User | AnonymousUser
PAGE_SIZE = 50


def transaction_list(
    *, user: AnyUser, filters: QueryDict | dict[str, Any] | None = None
) -> TransactionFilter:
    """Return the filter over the ledger (admin and finance only)."""
    require_admin_or_finance(user)
    return TransactionFilter(filters or None, queryset=Transaction.objects.all())


def transaction_page(
    *, filterset: TransactionFilter, cursor: str | None
) -> KeysetPage[Transaction]:
    """Return one keyset page of a filtered ledger, newest first."""
    return bounded_keyset_page(
        filterset.qs, cursor=cursor, size=PAGE_SIZE, time_field="remote_created_at"
    )


TX_FIELDS = (
    "remote_created_at",
    "remote_id",
    "type",
    "amount",
    "currency",
    "reference_type",
    "reference",
    "description",
    "status",
)


def _csv_safe(value: Any) -> Any:
    # Text from outside must not run as a spreadsheet formula when opened.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def transaction_export(*, filterset: TransactionFilter) -> Iterator[str]:
    """Yield the CSV of every ledger row of a filter, newest first, in batches."""
    writer = csv.writer(cdr_reports._Echo())
    yield writer.writerow(TX_FIELDS)
    cursor = None
    while True:
        page = transaction_page(filterset=filterset, cursor=cursor)
        lines = []
        for tx in page.items:
            values = [getattr(tx, name) for name in TX_FIELDS]
            values[0] = tx.remote_created_at.isoformat()
            lines.append(writer.writerow([_csv_safe(v) for v in values]))
        yield "".join(lines)
        if not page.older:
            return
        cursor = page.older
