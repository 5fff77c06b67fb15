"""The ledger: filters, keyset paging, CSV download (audited), roles, query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from accounts.models import AuditEvent
from billing.models import Transaction
from tests.billing.report_data import transaction
from tests.conftest import MAX_LIST_QUERIES, count_queries

pytestmark = pytest.mark.django_db

URL = reverse("billing:transaction_list")
EXPORT = reverse("billing:transaction_export")
T0 = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def ledger(provider):
    return [
        transaction(
            provider,
            when=T0,
            amount="500",
            type="credit",
            reference_type="payment",
            description="Top-up",
        ),
        transaction(
            provider,
            when=T0 + dt.timedelta(days=1),
            amount="0.9",
            description="Stream session (70s)",
        ),
        transaction(
            provider,
            when=T0 + dt.timedelta(days=2),
            amount="99",
            reference_type="did_rental",
            description="Number +912212345678",
        ),
    ]


def _many(provider, count):
    Transaction.objects.bulk_create(
        [
            Transaction(
                provider_account=provider,
                remote_id=f"txn_{uuid.uuid4()}",
                type="debit",
                amount=Decimal("1"),
                currency="INR",
                reference_type="cdr",
                remote_created_at=T0 - dt.timedelta(minutes=n),
            )
            for n in range(count)
        ],
        batch_size=2000,
    )


def test_finance_sees_the_ledger_newest_first(as_finance, ledger):
    response = as_finance.get(URL)
    assert response.status_code == 200
    assert [t.pk for t in response.context["page"].items] == [
        t.pk for t in ledger[::-1]
    ]
    assert b"<html" in response.content and b"99.00 INR" in response.content


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "credit"}, [0]),
        ({"reference_type": "did_rental"}, [2]),
        ({"since": "2026-11-02", "until": "2026-11-02"}, [1]),
        ({"q": "stream"}, [1]),
    ],
)
def test_filters(as_finance, ledger, params, expected):
    items = as_finance.get(URL, params).context["page"].items
    assert [t.pk for t in items] == [ledger[i].pk for i in expected]


def test_bad_date_is_reported_and_export_refused(as_finance, ledger):
    response = as_finance.get(URL, {"since": "2026-02-31"})
    assert b"Enter a valid date" in response.content
    assert as_finance.get(EXPORT, {"since": "2026-02-31"}).status_code == 400
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("persona", ["as_lead_a", "as_viewer_a"])
def test_members_get_403(request, persona, ledger):
    client = request.getfixturevalue(persona)
    assert client.get(URL).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_htmx_gets_only_the_rows(as_finance, ledger, htmx_headers):
    response = as_finance.get(URL, {"type": "debit"}, **htmx_headers)
    assert b"<html" not in response.content and b"<table" in response.content


def test_keyset_paging_sees_every_row_once(as_finance, provider):
    _many(provider, 120)
    seen, cursor = [], None
    while True:
        page = as_finance.get(URL, {"cursor": cursor} if cursor else {}).context["page"]
        seen += [t.pk for t in page.items]
        if not page.older:
            break
        cursor = page.older
    assert len(seen) == len(set(seen)) == 120


def test_query_count_is_the_same_at_10_and_10000_rows(as_finance, provider):
    _many(provider, 10)
    small = count_queries(lambda: as_finance.get(URL, {"type": "debit"}))
    _many(provider, 9_990)
    large = count_queries(lambda: as_finance.get(URL, {"type": "debit"}))
    assert small == large <= MAX_LIST_QUERIES


def test_csv_streams_every_filtered_row_and_is_audited(as_finance, provider, ledger):
    _many(provider, 130)
    response = as_finance.get(EXPORT, {"type": "debit"})
    assert isinstance(response, StreamingHttpResponse)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["remote_created_at", "remote_id", "type"]
    assert len(rows) == 1 + 130 + 2
    assert {r[2] for r in rows[1:]} == {"debit"}
    event = AuditEvent.objects.get(action="transaction.export")
    assert event.after == {"filters": {"type": "debit"}}


def test_csv_neutralises_formula_text(as_finance, provider):
    transaction(provider, when=T0, amount="1", description="=HYPERLINK(1)")
    body = b"".join(as_finance.get(EXPORT).streaming_content).decode()
    assert "'=HYPERLINK(1)" in body
