"""Reads for the billing pages, always scoped to what the user may see.

Admins and finance see every team (and the master account's own calls); a lead
or viewer sees only their teams' calls and spend, and never the company balance
or ledger. One module per page family; everything is importable from here.
"""

from billing.selectors.balance import (
    BalanceView,
    ConsumptionRate,
    balance_history,
    balance_is_low,
    balance_overview,
    balance_summary,
    consumption_rate,
    runway_days,
)
from billing.selectors.cdrs import (
    CdrReport,
    calls_this_week,
    cdr_export,
    cdr_get,
    cdr_page,
    cdr_report,
)
from billing.selectors.ledger import (
    transaction_export,
    transaction_list,
    transaction_page,
)
from billing.selectors.scope import (
    ReportScope,
    account_currency,
    report_scope,
    report_sub_accounts,
    team_ids,
)
from billing.selectors.spend import (
    Showback,
    budget_status,
    budget_sub_account_get,
    month_start,
    next_month,
    showback,
    team_spend,
)

__all__ = [
    "BalanceView",
    "CdrReport",
    "ConsumptionRate",
    "ReportScope",
    "Showback",
    "account_currency",
    "balance_history",
    "balance_is_low",
    "balance_overview",
    "balance_summary",
    "budget_status",
    "budget_sub_account_get",
    "calls_this_week",
    "cdr_export",
    "cdr_get",
    "cdr_page",
    "cdr_report",
    "consumption_rate",
    "month_start",
    "next_month",
    "report_scope",
    "report_sub_accounts",
    "runway_days",
    "showback",
    "team_ids",
    "team_spend",
    "transaction_export",
    "transaction_list",
    "transaction_page",
]
