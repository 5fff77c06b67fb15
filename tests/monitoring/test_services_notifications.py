"""Who sees an alert in the portal: admins always, finance for billing kinds, and
the leads of the alert's team; never an inactive user."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Budget
from monitoring import services
from monitoring.models import Alert, Notification
from tests.factories import MembershipFactory, UserFactory
from tests.monitoring.conftest import api_calls, calls, ingest, low_balance, only_rule

pytestmark = pytest.mark.django_db


def recipients(kind):
    alert = Alert.objects.get(kind=kind)
    return set(alert.notifications.values_list("user__email", flat=True))


def test_balance_alerts_reach_admins_and_finance(provider, admin_user, finance_user):
    only_rule("balance_low")
    UserFactory(email="gone@example.com", role="admin", is_active=False)
    low_balance(provider, "100")
    services.alerts_evaluate()
    assert recipients("balance_low") == {"admin@example.com", "finance@example.com"}


def test_api_alerts_reach_admins_only(provider, admin_user, finance_user, lead_a):
    only_rule("error_rate")
    api_calls(provider, 50, outcome="error", status=500)
    services.alerts_evaluate()
    assert recipients("error_rate") == {"admin@example.com"}


def test_team_budget_alerts_reach_admins_finance_and_that_teams_leads(
    provider, team_a, admin_user, finance_user, lead_a, viewer_a, lead_b
):
    only_rule("budget")
    Budget.objects.create(sub_account=team_a, monthly_amount=Decimal("10"))
    ingest(provider, calls(team_a, 2, timezone.now() - dt.timedelta(hours=1), cost="3"))
    services.alerts_evaluate()
    assert recipients("budget") == {
        "admin@example.com",
        "finance@example.com",
        "lead.a@example.com",
    }


def test_team_fraud_alerts_reach_admins_and_the_teams_lead_not_finance(
    provider, team_a, admin_user, finance_user, lead_a, lead_b
):
    only_rule("toll_fraud")
    start = timezone.now() - dt.timedelta(minutes=30)
    ingest(provider, calls(team_a, 12, start, every_seconds=5, to="+447911123456"))
    services.alerts_evaluate()
    assert recipients("toll_fraud") == {"admin@example.com", "lead.a@example.com"}


def test_a_lead_of_two_teams_is_notified_of_each(provider, team_a, team_b, admin_user):
    lead = UserFactory(email="both@example.com")
    MembershipFactory(user=lead, sub_account=team_a, role="lead")
    MembershipFactory(user=lead, sub_account=team_b, role="lead")
    only_rule("toll_fraud")
    start = timezone.now() - dt.timedelta(minutes=30)
    for team in (team_a, team_b):
        ingest(provider, calls(team, 12, start, every_seconds=5, to="+447911123456"))
    services.alerts_evaluate()
    assert Notification.objects.filter(user=lead).count() == 2
