"""Team budgets: set, change and remove a sub-account's monthly budget, audited."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.audit import audit_record, snapshot
from accounts.models import SubAccount, User, require_admin_or_finance
from billing.models import Budget

BUDGET_FIELDS = ("monthly_amount", "currency")


@transaction.atomic
def budget_set(
    *, actor: User, sub_account: SubAccount, monthly_amount: Decimal
) -> Budget:
    """Create or change a sub-account's monthly budget (admin and finance).

    The budget is in the Vobiz account's currency, the currency calls are billed in.
    """
    require_admin_or_finance(actor)
    if sub_account.removed_at is not None:
        raise ValidationError("This sub-account no longer exists at Vobiz.")
    if monthly_amount <= 0:
        raise ValidationError("A budget must be more than zero.")
    budget = Budget.objects.select_for_update().filter(sub_account=sub_account).first()
    before = snapshot(budget, BUDGET_FIELDS) if budget else None
    if budget is None:
        budget = Budget(sub_account=sub_account)
    # The column keeps 5 decimals; quantize so the audit shows what is stored.
    budget.monthly_amount = monthly_amount.quantize(Decimal("0.00001"))
    budget.currency = sub_account.provider_account.currency
    budget.updated_by = actor
    budget.save()
    audit_record(
        actor=actor,
        action="budget.change" if before else "budget.set",
        obj=budget,
        sub_account=sub_account,
        before=before,
        after=snapshot(budget, BUDGET_FIELDS),
    )
    return budget


@transaction.atomic
def budget_remove(*, actor: User, sub_account: SubAccount) -> bool:
    """Remove a sub-account's budget (admin and finance); return whether one existed."""
    require_admin_or_finance(actor)
    budget = Budget.objects.select_for_update().filter(sub_account=sub_account).first()
    if budget is None:
        return False
    before = snapshot(budget, BUDGET_FIELDS)
    audit_record(
        actor=actor,
        action="budget.remove",
        obj=budget,
        sub_account=sub_account,
        before=before,
        after=None,
    )
    budget.delete()
    return True
