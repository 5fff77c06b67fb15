"""Budgets: set, change and remove, with audit; who may write them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from billing import services
from billing.models import Budget

pytestmark = pytest.mark.django_db


def test_budget_set_creates_then_changes_with_audit(finance_user, team_a):
    budget = services.budget_set(
        actor=finance_user, sub_account=team_a, monthly_amount=Decimal("100")
    )
    assert (budget.monthly_amount, budget.currency, budget.updated_by) == (
        Decimal("100"),
        "INR",
        finance_user,
    )
    services.budget_set(
        actor=finance_user, sub_account=team_a, monthly_amount=Decimal("250.5")
    )
    assert Budget.objects.get().monthly_amount == Decimal("250.5")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["budget.set", "budget.change"]
    change = AuditEvent.objects.get(action="budget.change")
    assert change.before == {"monthly_amount": "100.00000", "currency": "INR"}
    assert change.after == {"monthly_amount": "250.50000", "currency": "INR"}


def test_budget_currency_follows_the_vobiz_account(finance_user, team_a, provider):
    provider.currency = "USD"
    provider.save()
    team_a.refresh_from_db()
    budget = services.budget_set(
        actor=finance_user, sub_account=team_a, monthly_amount=Decimal("5")
    )
    assert budget.currency == "USD"


@pytest.mark.parametrize("amount", ["0", "-1"])
def test_budget_must_be_positive(admin_user, team_a, amount):
    with pytest.raises(ValidationError):
        services.budget_set(
            actor=admin_user, sub_account=team_a, monthly_amount=Decimal(amount)
        )
    assert not Budget.objects.exists() and not AuditEvent.objects.exists()


def test_members_may_not_write_budgets(lead_a, team_a):
    with pytest.raises(PermissionDenied):
        services.budget_set(actor=lead_a, sub_account=team_a, monthly_amount=Decimal(1))
    with pytest.raises(PermissionDenied):
        services.budget_remove(actor=lead_a, sub_account=team_a)


def test_removed_sub_account_gets_no_budget(finance_user, team_a):
    team_a.removed_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(ValidationError):
        services.budget_set(
            actor=finance_user, sub_account=team_a, monthly_amount=Decimal(1)
        )


def test_budget_remove(finance_user, team_a):
    assert services.budget_remove(actor=finance_user, sub_account=team_a) is False
    services.budget_set(
        actor=finance_user, sub_account=team_a, monthly_amount=Decimal(9)
    )
    assert services.budget_remove(actor=finance_user, sub_account=team_a) is True
    assert not Budget.objects.exists()
    event = AuditEvent.objects.get(action="budget.remove")
    assert event.after is None and event.sub_account_id == team_a.pk
