"""Spend per team and budgets: scoping, badges, the budget form, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEvent
from billing.models import Budget
from tests.billing.report_data import bulk_cdrs

pytestmark = pytest.mark.django_db

URL = reverse("billing:spend")
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def spend(provider, team_a, team_b):
    Budget.objects.create(sub_account=team_a, monthly_amount=Decimal("1.5"))
    bulk_cdrs(provider, team_a, count=3, start=NOW - dt.timedelta(days=2))  # 1.35
    bulk_cdrs(provider, team_b, count=2, start=NOW - dt.timedelta(days=40))


def edit_url(team):
    return reverse("billing:budget_edit", args=[team.pk])


def test_finance_sees_every_team_with_status(as_finance, spend):
    response = as_finance.get(URL)
    assert response.status_code == 200
    rows = {r["sub_account"].name: r for r in response.context["teams"]}
    assert rows["Team A"]["spend"] == Decimal("1.35")
    assert rows["Team A"]["status"] == "80"
    assert rows["Team B"]["status"] == "none"
    body = response.content.decode()
    assert "80% reached" in body and "No budget" in body and "Set budget" in body
    showback = {name: values for name, values, _ in response.context["showback"].rows}
    assert showback["Team B"][-2] == Decimal("0.9")  # October


def test_lead_sees_only_own_team_and_no_budget_links(as_lead_a, spend):
    response = as_lead_a.get(URL)
    assert [r["sub_account"].name for r in response.context["teams"]] == ["Team A"]
    assert [n for n, _, _ in response.context["showback"].rows] == ["Team A"]
    assert b"Team B" not in response.content
    assert b"Change budget" not in response.content


def test_bad_month_shows_an_error_and_this_month(as_finance, spend):
    response = as_finance.get(URL, {"month": "2026-13"}, follow=True)
    assert response.context["month"] == dt.date(2026, 11, 1)
    assert b"Choose a month as YYYY-MM" in response.content


def test_other_month(as_finance, spend):
    response = as_finance.get(URL, {"month": "2026-10"})
    rows = {r["sub_account"].name: r for r in response.context["teams"]}
    assert rows["Team B"]["spend"] == Decimal("0.9")


def test_finance_sets_a_budget_and_it_is_audited(as_finance, team_b):
    response = as_finance.post(edit_url(team_b), {"monthly_amount": "2500.50"})
    assert response.status_code == 302 and response["Location"] == URL
    assert Budget.objects.get(sub_account=team_b).monthly_amount == Decimal("2500.5")
    event = AuditEvent.objects.get(action="budget.set")
    assert event.sub_account_id == team_b.pk
    assert event.after["monthly_amount"] == "2500.50000"


def test_admin_changes_a_budget(as_admin, spend, team_a):
    as_admin.post(edit_url(team_a), {"monthly_amount": "3"})
    event = AuditEvent.objects.get(action="budget.change")
    assert (event.before["monthly_amount"], event.after["monthly_amount"]) == (
        "1.50000",
        "3.00000",
    )


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", b"more than zero"),
        ("-10", b"more than zero"),
        ("1000000000", b"check the number of digits"),
        ("12.345", b"no more than 2 decimal places"),
        ("lots", b"Enter a number"),
        ("", b"This field is required"),
    ],
)
def test_invalid_budget_changes_nothing(as_finance, spend, team_a, amount, message):
    response = as_finance.post(edit_url(team_a), {"monthly_amount": amount})
    assert response.status_code == 400
    assert message in response.content
    assert Budget.objects.get(sub_account=team_a).monthly_amount == Decimal("1.5")
    assert not AuditEvent.objects.exists()


def test_htmx_invalid_post_gets_the_form_partial(as_finance, team_a, htmx_headers):
    response = as_finance.post(
        edit_url(team_a), {"monthly_amount": "0"}, **htmx_headers
    )
    assert response.status_code == 200
    assert b"<html" not in response.content and b"more than zero" in response.content


def test_htmx_valid_post_redirects_the_page(as_finance, team_a, htmx_headers):
    response = as_finance.post(
        edit_url(team_a), {"monthly_amount": "5"}, **htmx_headers
    )
    assert response["HX-Redirect"] == URL


def test_get_shows_the_form_with_the_current_amount(as_finance, spend, team_a):
    response = as_finance.get(edit_url(team_a))
    assert response.status_code == 200
    assert b'value="1.50' in response.content and b"Remove budget" in response.content


@pytest.mark.parametrize("persona", ["as_lead_a", "as_viewer_a"])
def test_members_may_not_set_budgets(request, persona, spend, team_a):
    client = request.getfixturevalue(persona)
    assert client.get(edit_url(team_a)).status_code == 403
    assert client.post(edit_url(team_a), {"monthly_amount": "9"}).status_code == 403
    remove = reverse("billing:budget_remove", args=[team_a.pk])
    assert client.post(remove).status_code == 403
    assert Budget.objects.get(sub_account=team_a).monthly_amount == Decimal("1.5")


def test_other_teams_sub_account_is_404(as_lead_b, spend, team_a):
    assert as_lead_b.post(edit_url(team_a), {"monthly_amount": "9"}).status_code == 404
    assert Budget.objects.get(sub_account=team_a).monthly_amount == Decimal("1.5")


def test_unknown_sub_account_is_404(as_finance):
    response = as_finance.post(
        reverse("billing:budget_edit", args=[99999]), {"monthly_amount": "9"}
    )
    assert response.status_code == 404


def test_removed_sub_account_is_refused(as_finance, team_b):
    team_b.removed_at = NOW
    team_b.save()
    response = as_finance.post(edit_url(team_b), {"monthly_amount": "9"})
    assert b"no longer exists at Vobiz" in response.content
    assert not Budget.objects.exists()


def test_remove_budget_is_audited(as_finance, spend, team_a):
    remove = reverse("billing:budget_remove", args=[team_a.pk])
    assert as_finance.post(remove)["Location"] == URL
    assert not Budget.objects.exists()
    assert AuditEvent.objects.get(action="budget.remove").before["monthly_amount"]
    as_finance.post(remove)  # nothing left to remove: no second event
    assert AuditEvent.objects.filter(action="budget.remove").count() == 1


def test_remove_needs_post(as_finance, spend, team_a):
    remove = reverse("billing:budget_remove", args=[team_a.pk])
    assert as_finance.get(remove).status_code == 405


def test_spend_query_count_is_the_same_at_10_and_10000_calls(
    as_finance, as_lead_a, provider, team_a, team_b
):
    from tests.conftest import MAX_LIST_QUERIES, count_queries

    start = NOW - dt.timedelta(days=3)
    bulk_cdrs(provider, team_a, count=10, start=start)

    def both():
        return (
            count_queries(lambda: as_finance.get(URL)),
            count_queries(lambda: as_lead_a.get(URL)),
        )

    small = both()
    bulk_cdrs(provider, team_b, count=5_000, start=start, step_seconds=20)
    bulk_cdrs(provider, team_a, count=4_990, start=start - dt.timedelta(days=40))
    assert both() == small
    assert max(small) <= MAX_LIST_QUERIES
