"""Keyset paging: every row once, both directions, ties on time broken by id."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accounts.audit import audit_record
from accounts.models import AuditEvent
from core.paging import keyset_page

pytestmark = pytest.mark.django_db


def newest_first():
    return [e.pk for e in AuditEvent.objects.order_by("-created_at", "-pk")]


@pytest.fixture
def events():
    """23 events; the middle ten share one timestamp so the id must break ties."""
    for i in range(23):
        if 5 <= i < 15:
            with time_machine.travel(
                dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False
            ):
                audit_record(actor=None, action="a", object_type="t", object_id=str(i))
        else:
            audit_record(actor=None, action="a", object_type="t", object_id=str(i))
    return newest_first()


def test_walks_older_then_newer_through_every_row(events):
    qs = AuditEvent.objects.all()
    first = keyset_page(qs, cursor=None, size=10)
    assert [e.pk for e in first.items] == events[:10]
    assert first.newer is None and first.older
    second = keyset_page(qs, cursor=first.older, size=10)
    assert [e.pk for e in second.items] == events[10:20]
    third = keyset_page(qs, cursor=second.older, size=10)
    assert [e.pk for e in third.items] == events[20:]
    assert third.older is None
    back = keyset_page(qs, cursor=third.newer, size=10)
    assert [e.pk for e in back.items] == events[10:20]
    start = keyset_page(qs, cursor=back.newer, size=10)
    assert [e.pk for e in start.items] == events[:10]
    assert start.newer is None


def test_small_pages_over_ties_see_every_row_once(events):
    seen, cursor = [], None
    while True:
        page = keyset_page(AuditEvent.objects.all(), cursor=cursor, size=3)
        seen += [e.pk for e in page.items]
        if not page.older:
            break
        cursor = page.older
    assert seen == events


@pytest.mark.parametrize("cursor", ["garbage", "", "bzpmb29ifDF8Mg", "!!!"])
def test_unreadable_cursor_gives_the_first_page(events, cursor):
    page = keyset_page(AuditEvent.objects.all(), cursor=cursor, size=5)
    assert [e.pk for e in page.items] == events[:5]
