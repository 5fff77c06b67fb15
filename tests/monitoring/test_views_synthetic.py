"""The synthetic test call pages: the list of checks (admins, htmx, flat query
count) and the answer document Vobiz fetches when the call is answered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import SyntheticCheck
from tests.conftest import MAX_LIST_QUERIES, count_queries

pytestmark = pytest.mark.django_db

SYNTHETIC = reverse("monitoring:synthetic_list")


def check(provider, ok=True, n=0):
    return SyntheticCheck.objects.create(
        provider_account=provider,
        started_at=timezone.now() - dt.timedelta(minutes=15 * n),
        ok=ok,
        pdd_seconds=0.8,
        from_number="+918000000001",
        to_number="+918000000002",
        error="" if ok else "No CDR appeared for call x.",
    )


def test_the_synthetic_list_shows_each_check(as_admin, provider):
    check(provider)
    check(provider, ok=False, n=1)
    page = as_admin.get(SYNTHETIC).content.decode()
    assert "Passed" in page and "Failed" in page and "No CDR appeared" in page
    assert "0.8 s" in page


def test_the_synthetic_list_htmx_gets_only_rows(as_admin, provider, htmx_headers):
    check(provider)
    response = as_admin.get(SYNTHETIC, **htmx_headers)
    assert b"<html" not in response.content and b"Passed" in response.content


def test_the_synthetic_list_query_count_is_flat(as_admin, provider):
    check(provider)
    small = count_queries(lambda: as_admin.get(SYNTHETIC))
    for n in range(1, 30):
        check(provider, ok=n % 3 != 0, n=n)
    big = count_queries(lambda: as_admin.get(SYNTHETIC))
    assert small == big <= MAX_LIST_QUERIES


def test_the_answer_document_hangs_up(client):
    response = client.post("/monitoring/synthetic/answer/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert b"<Hangup/>" in response.content
