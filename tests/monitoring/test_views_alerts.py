"""Alert pages, in-portal notifications, the unread badge, the sidebar entry
and the dashboard cards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Alert, Delivery, Notification, NotificationChannel
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.monitoring.conftest import seeded_rule

pytestmark = pytest.mark.django_db

ALERTS = reverse("monitoring:alert_list")
NOTIFICATIONS = reverse("monitoring:notification_list")
READ = reverse("monitoring:notification_read")


def make_alert(kind="balance_low", *, team=None, state="firing", subject="Acme", n=0):
    rule = seeded_rule(kind)
    now = timezone.now() - dt.timedelta(minutes=n)
    return Alert.objects.create(
        rule=rule,
        kind=kind,
        dedup_key=f"{rule.pk}:test:{subject}:{n}:{state}",
        state=state,
        subject=subject,
        message=f"{subject} needs attention",
        sub_account=team,
        fired_at=now,
        last_seen_at=now,
        resolved_at=now if state == "resolved" else None,
    )


def detail(alert):
    return reverse("monitoring:alert_detail", args=[alert.pk])


# --- alert list and detail ----------------------------------------------------


def test_admins_see_every_alert(as_admin, team_a, team_b):
    make_alert("toll_fraud", team=team_a, subject="Team A")
    make_alert("error_rate", subject="Acme API", state="resolved")
    response = as_admin.get(ALERTS)
    assert response.status_code == 200
    assert b"Team A" in response.content and b"Acme API" in response.content
    assert b"Firing" in response.content and b"Resolved" in response.content


def test_finance_reads_alerts_without_the_admin_tabs(as_finance):
    make_alert()
    response = as_finance.get(ALERTS)
    assert response.status_code == 200 and b"Acme" in response.content
    assert reverse("monitoring:rule_list").encode() not in response.content


@pytest.mark.parametrize("persona", ["as_lead_a", "as_viewer_a", "as_lead_b"])
def test_team_members_may_not_open_alert_pages(persona, request, team_a):
    alert = make_alert(team=team_a)
    client = request.getfixturevalue(persona)
    assert client.get(ALERTS).status_code == 403
    assert client.get(detail(alert)).status_code == 403


def test_filters_by_state_kind_and_team(as_admin, team_a, team_b):
    make_alert("toll_fraud", team=team_a, subject="A fraud")
    make_alert("toll_fraud", team=team_b, subject="B fraud", state="resolved")
    make_alert("budget", team=team_b, subject="B budget")
    subjects = lambda params: {  # noqa: E731
        a.subject for a in as_admin.get(ALERTS, params).context["page"].items
    }
    assert subjects({"state": "firing"}) == {"A fraud", "B budget"}
    assert subjects({"kind": "toll_fraud"}) == {"A fraud", "B fraud"}
    assert subjects({"sub_account": team_b.pk}) == {"B fraud", "B budget"}


def test_alert_list_htmx_gets_only_rows(as_admin, htmx_headers):
    make_alert()
    response = as_admin.get(ALERTS, {"state": "firing"}, **htmx_headers)
    assert b"<html" not in response.content and b"Acme" in response.content
    assert b"<html" in as_admin.get(ALERTS).content


def test_alert_list_query_count_is_flat(as_admin, team_a, team_b):
    make_alert(team=team_a)
    small = count_queries(lambda: as_admin.get(ALERTS))
    for n in range(1, 25):
        make_alert("toll_fraud", team=team_b if n % 2 else team_a, subject=f"S{n}", n=n)
    big = count_queries(lambda: as_admin.get(ALERTS))
    assert small == big <= MAX_LIST_QUERIES


def test_the_detail_shows_the_alert_and_its_deliveries_to_admins(as_admin, team_a):
    alert = make_alert("budget", team=team_a)
    channel = NotificationChannel.objects.create(
        name="Ops", kind="email", email_to="o@x.io"
    )
    Delivery.objects.create(
        channel=channel,
        alert=alert,
        event="fired",
        status="failed",
        attempts=4,
        last_error="SMTPServerDisconnected",
        created_at=timezone.now(),
    )
    response = as_admin.get(detail(alert))
    assert response.status_code == 200
    assert b"Acme needs attention" in response.content
    assert b"SMTPServerDisconnected" in response.content


def test_finance_sees_the_detail_but_not_the_delivery_log(as_finance, team_a):
    alert = make_alert("budget", team=team_a)
    channel = NotificationChannel.objects.create(
        name="Ops", kind="email", email_to="o@x.io"
    )
    Delivery.objects.create(
        channel=channel,
        alert=alert,
        event="fired",
        status="failed",
        last_error="SMTPServerDisconnected",
        created_at=timezone.now(),
    )
    response = as_finance.get(detail(alert))
    assert response.status_code == 200
    assert b"SMTPServerDisconnected" not in response.content


def test_an_unknown_alert_is_404(as_admin):
    assert (
        as_admin.get(reverse("monitoring:alert_detail", args=[999999])).status_code
        == 404
    )


# --- notifications ------------------------------------------------------------


def notify(user, alert, read=False):
    return Notification.objects.create(
        user=user,
        alert=alert,
        created_at=alert.fired_at,
        read_at=timezone.now() if read else None,
    )


def test_everyone_sees_only_their_own_notifications(as_lead_a, lead_a, lead_b, team_a):
    mine = make_alert("toll_fraud", team=team_a, subject="Mine")
    other = make_alert("error_rate", subject="Not mine")
    notify(lead_a, mine)
    notify(lead_b, other)
    response = as_lead_a.get(NOTIFICATIONS)
    assert response.status_code == 200
    assert b"Mine" in response.content and b"Not mine" not in response.content
    # A lead cannot open alert pages, so the row is not a link there.
    assert detail(mine).encode() not in response.content


def test_the_sidebar_badge_counts_unread_notifications(as_lead_a, lead_a, team_a):
    for n in range(3):
        notify(lead_a, make_alert(team=team_a, subject=f"S{n}", n=n), read=n == 0)
    page = as_lead_a.get(reverse("portal:dashboard")).content.decode()
    assert 'id="unread-count">2<' in page


def test_no_badge_without_unread_notifications(as_lead_a):
    page = as_lead_a.get(reverse("portal:dashboard")).content.decode()
    assert "unread-count" not in page and "Notifications" in page


def test_the_badge_costs_one_query_and_htmx_partials_none(as_admin, admin_user):
    notify(admin_user, make_alert())
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as full:
        as_admin.get(NOTIFICATIONS)
    counting = [
        q
        for q in full.captured_queries
        if "read_at" in q["sql"] and "COUNT" in q["sql"]
    ]
    assert len(counting) == 1
    with CaptureQueriesContext(connection) as partial:
        as_admin.get(NOTIFICATIONS, HTTP_HX_REQUEST="true")
    assert not [q for q in partial.captured_queries if "COUNT" in q["sql"]]


def test_marking_one_read(as_lead_a, lead_a, team_a):
    first = notify(lead_a, make_alert(team=team_a, subject="One"))
    second = notify(lead_a, make_alert(team=team_a, subject="Two", n=1))
    response = as_lead_a.post(READ, {"id": first.pk})
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_marking_all_read(as_lead_a, lead_a, team_a):
    for n in range(3):
        notify(lead_a, make_alert(team=team_a, subject=f"S{n}", n=n))
    as_lead_a.post(READ)
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_someone_elses_notification_is_404_and_stays_unread(as_lead_b, lead_a, team_a):
    theirs = notify(lead_a, make_alert(team=team_a))
    assert as_lead_b.post(READ, {"id": theirs.pk}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("value", ["999999", "abc"])
def test_an_unknown_notification_is_404(as_lead_a, value):
    assert as_lead_a.post(READ, {"id": value}).status_code == 404


def test_marking_read_needs_post(as_lead_a):
    assert as_lead_a.get(READ).status_code == 405


def test_notifications_htmx_gets_only_rows(as_admin, admin_user, htmx_headers):
    notify(admin_user, make_alert())
    response = as_admin.get(NOTIFICATIONS, **htmx_headers)
    assert b"<html" not in response.content and b"Acme" in response.content


def test_notification_query_count_is_flat(as_admin, admin_user, team_a):
    notify(admin_user, make_alert())
    small = count_queries(lambda: as_admin.get(NOTIFICATIONS))
    for n in range(1, 20):
        notify(admin_user, make_alert("toll_fraud", team=team_a, subject=f"S{n}", n=n))
    big = count_queries(lambda: as_admin.get(NOTIFICATIONS))
    assert small == big <= MAX_LIST_QUERIES


# --- navigation and dashboard -------------------------------------------------


def test_the_monitoring_entry_per_role(as_admin, as_finance, as_lead_a):
    def nav(client):
        items = client.get(reverse("portal:dashboard")).context["nav_items"]
        return {i.label: i.url for i in items}

    assert nav(as_admin)["Monitoring"] == reverse("monitoring:health")
    assert nav(as_finance)["Monitoring"] == ALERTS
    assert "Monitoring" not in nav(as_lead_a)


def test_the_admin_dashboard_shows_api_health_and_open_alerts(as_admin, provider):
    make_alert(subject="Dashboard subject")
    page = as_admin.get(reverse("portal:dashboard")).content.decode()
    assert "API health" in page and "Open alerts" in page
    assert "Dashboard subject" in page


def test_other_dashboards_do_not(as_finance, as_lead_a):
    make_alert(subject="Dashboard subject")
    for client in (as_finance, as_lead_a):
        page = client.get(reverse("portal:dashboard")).content.decode()
        assert "Open alerts" not in page and "Dashboard subject" not in page
