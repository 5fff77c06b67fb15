"""End to end in Chromium: the request log filters through htmx, a webhook's
secret is shown once, and a lead reads and clears their notifications."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitoring.models import Alert, AlertRule, Notification, NotificationChannel
from tests.monitoring.conftest import api_calls

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_filters_the_request_log_without_a_reload(login, admin_user, provider):
    api_calls(provider, 4)
    api_calls(provider, 2, outcome="error", status=500, error_code="SERVER_ERROR")
    page = login(admin_user)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Monitoring"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API health")
    page.get_by_role("navigation", name="Monitoring").get_by_role(
        "link", name="Request log"
    ).click()
    rows = page.locator("#rows tbody tr")
    expect(rows).to_have_count(6)
    page.get_by_label("Outcome").select_option("error")
    page.wait_for_url(re.compile(r"outcome=error"))
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("SERVER_ERROR")


def test_a_new_webhook_secret_is_shown_once(login, live_server, admin_user, settings):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True
    page = login(admin_user)
    page.goto(f"{live_server.url}/monitoring/channels/new/")
    page.get_by_label("Kind").select_option("webhook")
    page.get_by_label("Name").fill("On-call hook")
    page.get_by_label("Webhook URL").fill("https://127.0.0.1:9/hooks/alerts")
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_text("This is the only time it is shown")).to_be_visible()
    secret = page.locator("#secret").inner_text().strip()
    channel = NotificationChannel.objects.get(name="On-call hook")
    assert channel.secret.reveal() == secret
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notification channels")
    expect(page.locator("body")).not_to_contain_text(secret)
    expect(page.locator("body")).not_to_contain_text("/hooks/alerts")


def test_a_lead_sees_the_badge_and_marks_notifications_read(login, lead_a, team_a):
    rule = AlertRule.objects.create(kind="toll_fraud", name="Fraud", sub_account=team_a)
    now = timezone.now()
    alert = Alert.objects.create(
        rule=rule,
        kind="toll_fraud",
        dedup_key="e2e",
        subject="Team A",
        message="Team A placed 40 calls to international numbers.",
        sub_account=team_a,
        fired_at=now,
        last_seen_at=now,
    )
    Notification.objects.create(user=lead_a, alert=alert, created_at=now)
    page = login(lead_a)
    badge = page.locator("#unread-count")
    expect(badge).to_contain_text("1")
    page.get_by_role("link", name=re.compile("Notifications")).click()
    expect(page.locator("#rows")).to_contain_text("40 calls to international")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#unread-count")).to_have_count(0)
    assert Notification.objects.get().read_at is not None


def test_the_sync_card_follows_a_running_sync_without_a_reload(
    login, live_server, admin_user, provider
):
    """htmx polls the card while the sync runs and stops once it is done."""
    import datetime as dt

    from sync.models import SyncState
    from sync.runs import sync_run

    SyncState.objects.create(
        provider_account=provider,
        kind="cdrs",
        last_success_at=timezone.now() - dt.timedelta(minutes=3),
    )
    page = login(admin_user)
    card = page.locator("#sync-card")
    with sync_run(provider, "cdrs") as run:
        run.report(day="2026-11-14", done=0, days=3, rows=0)
        page.goto(f"{live_server.url}/monitoring/")
        expect(card).to_contain_text("day 1 of 3 (2026-11-14)")
        run.report(day="2026-11-15", done=1, days=3, rows=5000)
        expect(card).to_contain_text("day 2 of 3 (2026-11-15), 5,000 rows so far")
    done = card.get_by_role("button", name=re.compile("Sync now"))
    expect(done).to_be_visible()
    expect(card).not_to_have_attribute("hx-trigger", re.compile("every"))


def test_every_page_an_admin_reaches_fits_a_phone(
    login, live_server, admin_user, provider
):
    """UX: usable on a phone; wide tables scroll inside their card, not the page."""
    import datetime as dt

    from sync.models import SyncState

    for kind in ("balance", "cdrs", "trunks"):
        SyncState.objects.create(
            provider_account=provider,
            kind=kind,
            last_success_at=timezone.now() - dt.timedelta(minutes=3),
        )
    api_calls(provider, 3)
    page = login(admin_user)
    page.set_viewport_size({"width": 390, "height": 844})
    links = "els => els.map(e => e.getAttribute('href'))"
    urls = set(page.eval_on_selector_all("nav a", links))
    for url in sorted(urls):
        page.goto(f"{live_server.url}{url}")
        urls |= set(page.eval_on_selector_all(".tabs a", links))
    wide = []
    for url in sorted(u for u in urls if u and u.startswith("/")):
        page.goto(f"{live_server.url}{url}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide.append(f"{url}: {width}px")
    assert len(urls) > 15
    assert not wide, wide
