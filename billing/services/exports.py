"""The audit trail of exports: who downloaded which CDRs or ledger rows."""

from __future__ import annotations

from accounts.audit import audit_record
from accounts.models import SubAccount, User, require_admin_or_finance
from billing.filters import CdrCriteria


def cdr_export_record(*, actor: User, criteria: CdrCriteria) -> None:
    """Audit that `actor` exported the CDRs of a filter (before streaming starts)."""
    sub_account = None
    if criteria.sub_account_id:
        sub_account = SubAccount.objects.filter(pk=criteria.sub_account_id).first()
    audit_record(
        actor=actor,
        action="cdr.export",
        object_type="billing.cdr",
        sub_account=sub_account,
        after={"filters": criteria.as_dict()},
    )


def transaction_export_record(*, actor: User, filters: dict[str, str]) -> None:
    """Audit that `actor` exported the ledger with some filters."""
    require_admin_or_finance(actor)
    audit_record(
        actor=actor,
        action="transaction.export",
        object_type="billing.transaction",
        after={"filters": filters},
    )
