"""The syncs card of the API health page: "Sync now" posts and shows the queued
sync, a bad day is a message, progress polls until done, admins only."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from sync.runs import progress_key, sync_run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_sync_keys")]

RUN = reverse("monitoring:sync_request")
STATUS = reverse("monitoring:sync_status")


def test_the_page_posts_and_shows_the_queued_sync(
    as_admin, provider, cdr_state, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin.post(
            RUN, {"provider": provider.pk, "kind": "cdrs"}, follow=True
        )
    assert sent == [(provider.pk, "cdrs", None)]
    page = response.content.decode()
    assert "Call records sync of" in page and "queued" in page
    assert 'hx-trigger="every 2s"' in page  # the card polls while a sync waits


def test_a_bad_day_from_the_form_is_a_message_not_a_sync(as_admin, provider, sent):
    response = as_admin.post(
        RUN,
        {"provider": provider.pk, "kind": "cdrs", "since": "31-31-2026"},
        follow=True,
    )
    assert "From day:" in response.content.decode()
    assert sent == []


def test_the_card_shows_progress_and_stops_polling_when_done(
    as_admin, provider, cdr_state
):
    with sync_run(provider, "cdrs") as run:
        run.report(day="2026-11-14", done=13, days=31, rows=23_400)
        running = as_admin.get(STATUS).content.decode()
    assert "day 14 of 31 (2026-11-14), 23,400 rows so far" in running
    assert 'hx-trigger="every 2s"' in running and "Sync now" not in running
    idle = as_admin.get(STATUS).content.decode()
    assert "every 2s" not in idle and "Sync now" in idle
    assert cache.get(progress_key(provider.pk, "cdrs")) is None


@pytest.mark.parametrize("who", ["as_finance", "as_lead_a"])
def test_others_may_neither_ask_nor_watch(request, who, provider, sent):
    client = request.getfixturevalue(who)
    assert (
        client.post(RUN, {"provider": provider.pk, "kind": "balance"}).status_code
        == 403
    )
    assert client.get(STATUS).status_code == 403
    assert sent == []
